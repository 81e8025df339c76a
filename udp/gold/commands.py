"""The gold layer's `udp` commands.

    udp validate [--conf F] [--set K=V]                           preflight the gold tables
    udp validate --interactions P [--items P] [--users P] [--schemas DIR]   preflight a folder of Personalize CSVs
    udp export [--snapshot ID] [--force]                          import-ready CSV + schemas + manifest
    udp sql "SELECT ..." [--limit N]                              a quick query against the catalog
    udp athena-ddl [--lake s3://bucket/lake]                      Athena DDL for every gold table
    udp docs [--check] [--out docs/tables.md]                     (re)generate docs/tables.md

validate and export exit with 1 when preflight finds an error (export: unless --force), 2 on a user error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from udp import progress, query_output
from udp.config import Config
from udp.errors import UdpError, ValidationFailedError
from udp.runner import add_config_args, config_from_args, fail, run_job
from udp.summary import Summary

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DOCS = Path("docs/tables.md")
GOLD_MD = Path("docs/gold.md")
RULES_BLOCK = "preflight rules"


# ---------------------------------------------------------------------------------------------------------------------
# udp validate
# ---------------------------------------------------------------------------------------------------------------------


def validate_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="udp validate",
        description="Check Personalize's documented rules on the gold tables, or on CSV files given by location.",
    )
    add_config_args(p)
    progress.add_quiet_arg(p)
    p.add_argument("--interactions", metavar="P", help="interactions CSV file or folder (local or s3://)")
    p.add_argument("--items", metavar="P", help="items CSV file or folder")
    p.add_argument("--users", metavar="P", help="users CSV file or folder")
    p.add_argument("--schemas", metavar="DIR", help="folder with <dataset>.json Avro schemas")
    p.add_argument("--all", action="store_true", help="list every rule checked, not only failures")
    return p


def _validate(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
    from udp.gold.csvinput import read_csv_dataset
    from udp.gold.preflight import errors, failure_line
    from udp.gold.validation import add_report, check_and_record, gold_snapshot, run_id
    from udp.lake import Lake

    now = dt.datetime.now(dt.UTC)
    lake = Lake(spark, config)
    given = {d: getattr(args, d) for d in ("interactions", "items", "users") if getattr(args, d)}
    if given:
        inputs = [read_csv_dataset(spark, d, location, args.schemas) for d, location in given.items()]
        source = "csv"
    else:
        inputs = list(gold_snapshot(lake, config).inputs)
        source = "gold"
    checks = check_and_record(lake, config, inputs, now=now, source=source, run=run_id(now))
    summary = Summary(f"preflight ({source})")
    for item in inputs:
        summary.fact(item.dataset, item.location)
    add_report(summary, checks, verbose=args.all)
    if errors(checks):
        print(summary.render())
        raise ValidationFailedError(failure_line(checks))
    return summary


def _check_validate(config: Config, args: argparse.Namespace) -> None:
    if args.schemas and not any((args.interactions, args.items, args.users)):
        raise UdpError("--schemas applies to CSV files: give --interactions/--items/--users too")


def validate_main(argv: Sequence[str]) -> int:
    return run_job(validate_parser(), argv, _validate, _check_validate)


# ---------------------------------------------------------------------------------------------------------------------
# udp export
# ---------------------------------------------------------------------------------------------------------------------


def export_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="udp export", description="Write import-ready Personalize CSVs for a gold snapshot."
    )
    add_config_args(p)
    progress.add_quiet_arg(p)
    p.add_argument("--snapshot", metavar="ID", help="snapshot id (default: the UTC time, YYYYMMDDTHHMMSSZ)")
    p.add_argument("--force", action="store_true", help="export even when preflight finds errors")
    return p


def _export(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
    from udp.gold.export import export_snapshot
    from udp.gold.validation import add_report, run_id
    from udp.lake import Lake

    now = dt.datetime.now(dt.UTC)
    result = export_snapshot(
        Lake(spark, config), config, snapshot=args.snapshot or run_id(now), now=now, force=args.force
    )
    summary = Summary("personalize export")
    summary.fact("snapshot", result.snapshot)
    summary.fact("location", result.location)
    if result.manifest["preflight"]["forced"]:
        summary.fact("forced", "yes: exported despite preflight errors")
    rows = [
        [d, info["rows"], len(info["files"]), info["bytes"], info["schema_name"], _mode(info)]
        for d, info in result.manifest["datasets"].items()
    ]
    summary.table("datasets", ["dataset", "rows", "files", "bytes", "schema name", "import"], rows)
    return add_report(summary, result.checks)


def _mode(info: dict[str, Any]) -> str:
    if info.get("since"):
        return f"INCREMENTAL (rows since {info['since']})"
    return f"FULL ({info['why_full']})" if info.get("why_full") else "FULL"


def check_export(config: Config, args: argparse.Namespace) -> None:
    from udp.gold.export import check_snapshot_id

    if args.snapshot:
        check_snapshot_id(args.snapshot)


def export_main(argv: Sequence[str]) -> int:
    return run_job(export_parser(), argv, _export, check_export)


# ---------------------------------------------------------------------------------------------------------------------
# udp sql
# ---------------------------------------------------------------------------------------------------------------------


def sql_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="udp sql",
        description="Run one Spark SQL statement against the catalog and print its rows, every value exact.",
    )
    add_config_args(p)
    progress.add_quiet_arg(p)
    p.add_argument("query", help='e.g. "SELECT * FROM gold.customer_360 LIMIT 10"')
    p.add_argument("--limit", type=int, default=50, help="rows to print (default 50; a warning says when cut)")
    p.add_argument(
        "--format",
        choices=query_output.FORMATS,
        default="table",
        help="table (default), csv (with a header row) or json (one object per line); with csv and json the "
        "run's summary goes to stderr, so stdout holds only the rows",
    )
    return p


def _sql(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
    from pyspark.errors import AnalysisException, ParseException

    _quiet_query_errors()
    try:
        df = spark.sql(args.query)
        rows = df.transform(query_output.with_timestamps_as_text).limit(args.limit + 1).collect()
    except (AnalysisException, ParseException) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UdpError(f"sql: {first}") from None
    shown = rows[: args.limit]
    try:
        text = query_output.render_rows(df.columns or ["(no columns)"], shown, args.format)
    except ValueError as error:
        raise UdpError(f"sql --format {args.format}: {error}; give them aliases (AS ...)") from None
    if text:
        print(text)
    summary = Summary("sql", on_stderr=args.format != "table").fact("rows", len(shown))
    if len(rows) > args.limit:
        summary.warn(f"only the first {args.limit} rows were printed: --limit N prints more")
    return summary


def _quiet_query_errors() -> None:
    """PySpark 4 also logs a failed query's error as JSON on stderr; udp reports it on one line instead."""
    import logging

    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)


def sql_main(argv: Sequence[str]) -> int:
    return run_job(sql_parser(), argv, _sql, logged=False)


# ---------------------------------------------------------------------------------------------------------------------
# udp athena-ddl, udp docs (no Spark)
# ---------------------------------------------------------------------------------------------------------------------


def athena_ddl_main(argv: Sequence[str]) -> int:
    from udp.gold.tables import athena_ddl

    p = argparse.ArgumentParser(prog="udp athena-ddl", description="Print Athena (engine v3) DDL for every gold table.")
    add_config_args(p)
    p.add_argument("--lake", metavar="S3_URI", help="the lake's S3 root (default: paths.lake)")
    args = p.parse_args(argv)
    try:
        config = config_from_args(args)
        print(athena_ddl(config, args.lake), end="")
    except UdpError as error:
        return fail(error)
    return 0


def docs_main(argv: Sequence[str]) -> int:
    from udp.gold.preflight.catalogue import render_rules_md
    from udp.gold.tables import render_tables_md

    p = argparse.ArgumentParser(
        prog="udp docs",
        description="Generate docs/tables.md from the gold table definitions, and docs/gold.md's preflight rule table "
        "from the rule catalogue (udp/gold/preflight/catalogue.py).",
    )
    add_config_args(p)
    p.add_argument("--out", default=str(DOCS), help=f"output file (default {DOCS})")
    p.add_argument("--gold-md", default=str(GOLD_MD), help=f"the page holding the rule table (default {GOLD_MD})")
    p.add_argument("--check", action="store_true", help="exit 1 when a file is not current (write nothing)")
    args = p.parse_args(argv)
    try:
        tables_md = render_tables_md(config_from_args(args).gold)
        gold_md = Path(args.gold_md)
        page = with_generated_block(gold_md.read_text(encoding="utf-8"), RULES_BLOCK, render_rules_md(), gold_md)
    except UdpError as error:
        return fail(error)
    wanted = {Path(args.out): tables_md, gold_md: page}
    if args.check:
        stale = [str(f) for f, text in wanted.items() if (f.read_text(encoding="utf-8") if f.is_file() else "") != text]
        if stale:
            print(f"udp: error: {', '.join(stale)} out of date: run `udp docs`", file=sys.stderr)
            return 1
        return 0
    for out, text in wanted.items():
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}")
    return 0


def with_generated_block(page: str, name: str, body: str, where: Path) -> str:
    """`page` with the text between `<!-- begin NAME ... -->` and `<!-- end NAME -->` replaced by `body`."""
    begin, end = (
        f"<!-- begin {name} (generated by `udp docs`; edit the source, not this table) -->\n",
        f"<!-- end {name} -->",
    )
    start, stop = page.find(begin), page.find(end)
    if start < 0 or stop < start:
        raise UdpError(f"{where}: no generated block {name!r} (the lines {begin.strip()} and {end})")
    return page[: start + len(begin)] + body + page[stop:]
