"""The `udp` command: one entry point for every job and tool (`udp --help` lists them, `udp COMMAND --help` tells
more). `udp run <stage>` runs in-process exactly the code `spark-submit jobs/<stage>.py` runs."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence

from udp import __version__
from udp.config import to_plain
from udp.errors import UdpError, unknown_name
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
        return fail(UdpError(unknown_name("stage", stage, [*STAGES, "pipeline"])))
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
    "report": _lazy("udp.report.command"),
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


# One line per command for `udp --help` (listed in COMMANDS order).
SYNOPSES: dict[str, str] = {
    "generate": "synthetic raw dumps of a retailer, with the ground truth (--out DIR --customers N --skus N ...)",
    "run": "run a stage in-process: bronze, silver, gold, or pipeline (all three in order)",
    "config": "check the configuration (--conf FILE, --set KEY=VALUE) and print it resolved",
    "evaluate-matching": "matching precision/recall/F1 against a truth file, or estimated from review labels",
    "review": "export review-band pairs to label, or apply the labels (the next silver run honours them)",
    "explain": "a customer's records and the evidence of each link (--customer-id ID | --record SRC:KEY)",
    "validate": "Personalize preflight of the gold tables or of your own CSVs",
    "export": "import-ready Personalize CSVs, schemas and a manifest under paths.export",
    "sql": 'query the lake\'s tables: udp sql "SELECT ..." [--format table|csv|json]',
    "athena-ddl": "Athena DDL for every gold table",
    "docs": "regenerate docs/tables.md and docs/gold.md's rule table (--check: only compare)",
    "personalize": "the Personalize step: plan, apply, status, compare, schedule, teardown (aws or local backend)",
    "report": "the run report: one HTML file with charts of every layer and the run history (--out FILE)",
}


def parser() -> argparse.ArgumentParser:
    """The top-level parser: the command and everything after it, which the command parses itself."""
    width = max(len(c) for c in COMMANDS)
    listing = "\n".join(f"  {c.ljust(width)}  {SYNOPSES.get(c, '')}".rstrip() for c in COMMANDS)
    p = argparse.ArgumentParser(
        prog="udp",
        description="udp: raw retail dumps -> Delta bronze/silver/gold -> Amazon Personalize.",
        epilog=f"commands:\n{listing}\n\nEvery command but generate takes --conf FILE and --set KEY=VALUE; "
        "`udp COMMAND --help` shows its own options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"udp {__version__}")
    p.add_argument("command", metavar="COMMAND", help="one of the commands below")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the command's own arguments")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    p = parser()
    if not args:
        p.print_help(sys.stderr)
        return 2
    if args[0].startswith("-") and args[0] not in ("-h", "--help", "--version"):
        return fail(UdpError(f"{args[0]}: options go after the command, e.g. udp run bronze --conf FILE (udp --help)"))
    parsed = p.parse_args(args[:1])  # --help and --version end here
    command = COMMANDS.get(parsed.command)
    if command is None:
        return fail(UdpError(unknown_name("command", parsed.command, list(COMMANDS))))
    return command(args[1:])


if __name__ == "__main__":
    sys.exit(main())
