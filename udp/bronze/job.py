"""Bronze ingest: raw/<source>/<date>/* -> bronze.<source>, bronze._quarantine, bronze._ingest_log.

udp run bronze [--conf conf/local.yaml] [--set paths.raw=D/raw] [--source crm]...
./spark-submit.sh --env emr jobs/bronze_ingest.py --conf conf/emr.yaml
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence

from pyspark.sql import SparkSession

from udp import progress, tables
from udp.bronze.ingest import SourceResult, ingest
from udp.bronze.ledger import INGEST_LOG
from udp.bronze.quarantine import QUARANTINE
from udp.config import Config
from udp.errors import ContractError, unknown_name
from udp.lake import Lake, require_input_dir
from udp.runner import add_config_args, run_job
from udp.summary import Summary


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="udp run bronze", description="Ingest new raw files into bronze Delta tables.")
    add_config_args(p)
    progress.add_quiet_arg(p)
    p.add_argument("--source", action="append", default=[], help="only this source (repeatable; default: all)")
    return p


def check(config: Config, args: argparse.Namespace) -> None:
    """Fail fast, before Spark starts, on a missing local raw folder or an unknown --source."""
    require_input_dir(config.paths.raw, "raw folder (paths.raw)")
    unknown = [s for s in args.source if s not in config.sources]
    if unknown:
        raise ContractError(unknown_name("source", unknown[0], list(config.sources), "sources in the contract"))


def run(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
    lake = Lake(spark, config)
    results = ingest(spark, lake, config, only=args.source)
    # Only what this run wrote: a metastore round trip per table took a fifth of a run that found nothing new.
    written = [r for r in results if r.files]
    for table in [*(tables.bronze(r.source) for r in written), *((QUARANTINE, INGEST_LOG) if written else ())]:
        if lake.exists(table):
            lake.register(table)
    summary = summarise(results, lake)
    if not any(r.found for r in results):
        summary.warn(empty_landing_zone(config, [r.source for r in results]))
    return summary


def empty_landing_zone(config: Config, sources: Sequence[str]) -> str:
    """Where a run that found no file at all looked: a wrong paths.raw or a path glob that matches nothing."""
    patterns = "; ".join(f"{name}: {config.sources[name].path}" for name in sources)
    return f"no file found for any source under {config.paths.raw} (paths.raw); patterns: {patterns}"


def summarise(results: Sequence[SourceResult], lake: Lake) -> Summary:
    """Per source: files, rows read / landed / quarantined, the top quarantine reasons, time."""
    summary = Summary("bronze ingest")
    rows = []
    reasons: Counter[str] = Counter()
    for r in results:
        statuses = Counter(f.status for f in r.files)
        rows.append(
            [
                r.source,
                len(r.files),
                r.total("rows_read"),
                r.total("rows_landed"),
                r.total("rows_quarantined"),
                ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
                round(r.seconds, 1),
            ]
        )
        reasons.update({f"{r.source}: {code}": n for code, n in r.reasons.items()})
    summary.fact("lake", lake.root)
    summary.fact("files ingested", sum(len(r.files) for r in results))
    summary.fact("rows landed", sum(r.total("rows_landed") for r in results))
    summary.fact("rows quarantined", sum(r.total("rows_quarantined") for r in results))
    summary.table("per source", ["source", "files", "read", "landed", "quarantined", "status", "seconds"], rows)
    if reasons:
        summary.table("top quarantine reasons", ["source: reason", "rows"], reasons.most_common(10))
    drift = [(n.source, n.file, n.describe()) for r in results for n in r.drift]
    if drift:
        summary.table("schema drift", ["source", "file", "drift"], drift[:20])
    changed = [(r.source, p) for r in results for p in r.changed_after_ingest]
    if changed:
        summary.table("changed after ingest (not re-ingested)", ["source", "file"], changed[:20])
    bad = [(r.source, f.file.relative) for r in results for f in r.files if f.status == "mismatch"]
    if bad:
        summary.table("count mismatch (will be retried next run)", ["source", "file"], bad)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    return run_job(parser(), argv, run, check)
