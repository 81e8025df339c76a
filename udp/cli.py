"""The `udp` command.

    udp generate --out DIR --customers N --skus N --days N --seed N    synthetic raw dumps + ground truth
    udp run <stage|pipeline> [--conf FILE] [--set KEY=VALUE]... [stage args]
    udp config [--conf FILE] [--set KEY=VALUE]...      print the resolved configuration
    udp evaluate-matching --truth FILE.csv|DIR/truth   pairwise and cluster precision/recall/F1 against a truth
    udp evaluate-matching --labels                     precision/recall estimated from review labels (95% CI)
    udp review export --out FILE [--format csv|json]   review-band pairs with their evidence, to label yes/no
    udp review apply FILE                              record the labels; the next silver run honours them
    udp explain --customer-id ID | --record SRC:KEY    a customer's records and the evidence of each link
    udp validate [--interactions P --items P --users P --schemas DIR]   Personalize preflight (gold or your CSVs)
    udp export [--snapshot ID] [--force]               import-ready CSV + schemas + manifest under paths.export
    udp sql "SELECT ..."                               query the lake's tables locally
    udp athena-ddl [--lake S3_URI]                     Athena DDL for every gold table
    udp docs [--check]                                 regenerate docs/tables.md and docs/gold.md's rule table
    udp personalize plan|apply|status|teardown|compare|schedule  the Personalize step (aws or the local backend)

stages: bronze, silver, gold; `pipeline` runs them in that order. Every command takes --conf and --set.

`udp run <stage>` runs in-process exactly the code `spark-submit jobs/<stage>.py` runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence

from udp.config import to_plain
from udp.errors import UdpError
from udp.gold import commands as gold_commands
from udp.runner import add_config_args, config_from_args, fail

# stage -> module whose `main(argv)` is also what jobs/<file>.py runs under spark-submit.
STAGES: dict[str, str] = {
    "bronze": "udp.bronze.job",
    "silver": "udp.silver.job",
    "gold": "udp.gold.job",
}
PIPELINE: tuple[str, ...] = tuple(STAGES)


def _run(argv: Sequence[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        stages = ", ".join([*STAGES, "pipeline"]) or "(none yet)"
        print(f"usage: udp run <stage> [--conf FILE] [--set KEY=VALUE]... [stage args]\nstages: {stages}")
        return 0 if argv else 2
    stage, rest = argv[0], list(argv[1:])
    if stage == "pipeline":
        code = _check_stages(rest)
        if code:
            return code
        for name in PIPELINE:
            code = _run([name, *rest])
            if code:
                return code
        return 0
    if stage not in STAGES:
        return fail(UdpError(f"unknown stage {stage!r}; stages: {', '.join([*STAGES, 'pipeline'])}"))
    module = importlib.import_module(STAGES[stage])
    return int(module.main(rest))


def _check_stages(argv: Sequence[str]) -> int:
    """Every stage's own pre-Spark check (arguments, input folders, matching names) before the first one starts."""
    for name in PIPELINE:
        module = importlib.import_module(STAGES[name])
        check = getattr(module, "check", None)
        if check is None:
            continue
        args = module.parser().parse_args(list(argv))
        try:
            check(config_from_args(args), args)
        except UdpError as error:
            return fail(error)
    return 0


def _config(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="udp config", description="Check the configuration (matching names included) and print it as JSON."
    )
    add_config_args(parser)
    args = parser.parse_args(argv)
    from udp.silver.checks import check_matching  # pyspark and pandas: loaded only for this command

    try:
        config = config_from_args(args)
        check_matching(config.matching)
    except UdpError as error:
        return fail(error)
    print(json.dumps(to_plain(config), indent=2))
    return 0


def _generate(argv: Sequence[str]) -> int:
    from udp.generate import main as generate_main

    return int(generate_main(list(argv)))


def _lazy(module: str) -> Callable[[Sequence[str]], int]:
    """A command whose module (and pyspark) is imported only when it runs."""
    return lambda argv: int(importlib.import_module(module).main(list(argv)))


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "generate": _generate,
    "run": _run,
    "config": _config,
    "evaluate-matching": _lazy("udp.silver.evaluate"),
    "explain": _lazy("udp.silver.explain"),
    "review": _lazy("udp.silver.review"),
    "personalize": _lazy("udp.personalize.job"),
}
COMMANDS.update(
    {
        "validate": gold_commands.validate_main,
        "export": gold_commands.export_main,
        "sql": gold_commands.sql_main,
        "athena-ddl": gold_commands.athena_ddl_main,
        "docs": gold_commands.docs_main,
    }
)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    command = COMMANDS.get(args[0])
    if command is None:
        return fail(UdpError(f"unknown command {args[0]!r}; commands: {', '.join(COMMANDS)}"))
    return command(args[1:])


if __name__ == "__main__":
    sys.exit(main())
