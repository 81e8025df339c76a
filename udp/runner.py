"""The shape every job shares: parse args -> load config -> build the session -> run -> print the summary.

Errors a user can fix (`UdpError`: a missing config file, a misspelt key, a wrong path) end the run with one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from udp import progress, runlog
from udp.config import Config, load_config
from udp.errors import UdpError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from udp.summary import Summary


def add_config_args(parser: argparse.ArgumentParser) -> None:
    """`--conf FILE` (repeatable, default conf/local.yaml) and `--set dotted.key=value` (repeatable)."""
    parser.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="FILE",
        help="configuration file (repeatable; later files win; default conf/local.yaml)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one key, e.g. --set paths.lake=/tmp/lake (repeatable; wins over files)",
    )


def config_from_args(args: argparse.Namespace) -> Config:
    return load_config(args.conf, args.overrides)


def config_from_argv(argv: Sequence[str]) -> Config:
    """The configuration that `--conf`/`--set` arguments such as `udp.demo.config_args` select."""
    parsed = argparse.ArgumentParser(add_help=False)
    add_config_args(parsed)
    return config_from_args(parsed.parse_args(argv))


def fail(error: UdpError) -> int:
    """Print a user error on one line and return its exit code."""
    message = " ".join(str(error).split("\n")[0].split())
    print(f"udp: error: {message}", file=sys.stderr)
    return error.exit_code


def run_job(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    body: Callable[[SparkSession, Config, argparse.Namespace], Summary],
    check: Callable[[Config, argparse.Namespace], None] | None = None,
    *,
    logged: bool = True,
) -> int:
    """Run one job: `check(config, args)` (no Spark yet), then `body(spark, config, args)` returns the summary.

    When `logged`, the run is appended to the run log (udp/runlog.py) and the summary printed from its row."""
    from udp.session import build_spark

    stage = parser.prog.split()[-1]
    started = time.monotonic()
    clock = runlog.RunClock.start(stage)
    spark: SparkSession | None = None
    try:
        args = parser.parse_args(argv)
        config = config_from_args(args)
        if check is not None:
            check(config, args)
        progress.show(getattr(args, "quiet", False))
        progress.step(stage, "starting Spark")
        spark = build_spark(config, app_name=f"{config.spark.app_name}-{stage}")
        summary = body(spark, config, args)
    except UdpError as error:
        if logged and spark is not None:
            runlog.write_failed(spark, config, clock, error)
        return fail(error)
    except Exception as error:
        if logged and spark is not None:
            runlog.write_failed(spark, config, clock, error)
        raise
    if logged:
        run = clock.finish(config, summary)
        runlog.write(spark, config, clock, run)
        text = run.render()
    else:
        summary.started = started
        text = summary.render()
    print(text, file=sys.stderr if summary.on_stderr else sys.stdout)
    for warning in summary.warnings:  # stderr too: a scheduler's alerting reads it, not the summary
        print(f"udp: warning: {warning}", file=sys.stderr)
    return 0


@dataclass(frozen=True)
class JobEntry:
    """What a `jobs/<name>.py` file runs: `<module>.main(argv)`, with the module's argument parser and pre-Spark
    check, so the launcher can check a job's arguments and configuration before anything is submitted."""

    module: str
    main: str = "main"
    parser: str = "parser"
    check: str | None = None


# jobs/<name>.py -> the module it runs. Each job file is a thin `from <module> import main` entry point.
JOBS: dict[str, JobEntry] = {
    "bronze_ingest": JobEntry("udp.bronze.job", check="check"),
    "silver_build": JobEntry("udp.silver.job", check="check"),
    "gold_build": JobEntry("udp.gold.job"),
    "gold_export": JobEntry("udp.gold.commands", main="export_main", parser="export_parser", check="check_export"),
    "personalize_driver": JobEntry("udp.personalize.job"),
}
