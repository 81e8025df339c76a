"""Benchmark the whole pipeline at retailer scale, then the day after: bronze -> silver -> gold -> export.

    .venv/bin/python bench/bench_scale.py                                   # --customers 100000 --skus 100000
    .venv/bin/python bench/bench_scale.py --customers 1000000 --skus 1000000 --days 30 --driver-memory 16g
    make bench-scale BENCH_SCALE_ARGS="--customers 1000000 --skus 1000000"

One retailer is generated for `--days` + 1 days. The first `--days` days of dumps are landed and every stage runs on
them (the first run); then the last day is landed and every stage runs again (the daily run: bronze ingests only the
new files, silver compares only new or changed records, gold and export rebuild from what silver holds). Each stage is
the same `main(argv)` that `udp run <stage>` and `spark-submit jobs/<stage>.py` run, in one Spark session.

The baseline, measured in the same run on the same files: Spark's own reader appending each source's files to a
plain Delta table (bench/bench_bronze.py's plain copy), for the first days and for the new day. Its ratio is the
plain copy's seconds over the pipeline's (1.0 would be a pipeline that costs no more than copying its input).

Per stage: wall seconds; rows (bronze: raw rows read, landed and quarantined from the ingest log; silver, gold: rows
in the layer's Delta tables; export: rows in the manifest); Spark jobs and shuffle bytes written (the Spark UI's REST
API); the driver JVM's peak resident memory (`VmHWM`, reset before each stage through /proc/<pid>/clear_refs); data
files written (new Parquet/CSV files under the lake or the export folder). The report is a Markdown section to paste
into bench/RESULTS.md (`--append-results` appends it there).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_bronze import plain_copy  # noqa: E402
from bench.machine import machine  # noqa: E402
from udp.config import Config  # noqa: E402
from udp.demo import config_args  # noqa: E402
from udp.generate import dump_days, generate, land  # noqa: E402
from udp.runner import config_from_argv  # noqa: E402
from udp.session import build_spark  # noqa: E402

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DATA_SUFFIXES = (".parquet", ".csv", ".gz")


@dataclass(frozen=True)
class StageRun:
    """What one stage cost."""

    run: str
    stage: str
    seconds: float
    rows: str
    jobs: int
    shuffle_bytes: int
    peak_rss_bytes: int
    files: int


class Probe:
    """Spark jobs, shuffle bytes and the driver JVM's peak memory of whatever runs between `start` and `stop`."""

    def __init__(self, spark: SparkSession) -> None:
        sc = spark.sparkContext
        if not sc.uiWebUrl:
            raise SystemExit("bench_scale needs the Spark UI (spark.ui.enabled=true) for its REST API")
        self._api = f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}"
        self._pid = int(sc._jvm.java.lang.ProcessHandle.current().pid())  # type: ignore[union-attr]
        self._first_job = 0

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self._api}/{path}") as response:
            return json.load(response)

    def _last_job(self) -> int:
        return max((int(j["jobId"]) for j in self._get("jobs")), default=-1)

    def start(self) -> None:
        self._first_job = self._last_job() + 1
        Path(f"/proc/{self._pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)

    def stop(self) -> tuple[int, int, int]:
        """(jobs, shuffle bytes written, peak RSS bytes) since `start`."""
        jobs = [j for j in self._get("jobs") if int(j["jobId"]) >= self._first_job]
        stage_ids = {s for j in jobs for s in j["stageIds"]}
        shuffle = sum(int(s.get("shuffleWriteBytes", 0)) for s in self._get("stages") if s["stageId"] in stage_ids)
        status = Path(f"/proc/{self._pid}/status").read_text()
        peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        return len(jobs), shuffle, peak_kb * 1024


def data_files(*roots: Path) -> set[Path]:
    return {p for root in roots if root.exists() for p in root.rglob("*") if p.suffix in DATA_SUFFIXES}


def delta_rows(spark: SparkSession, layer: Path) -> int:
    """Rows in every Delta table under `layer` (a count on Delta answers from the log's statistics)."""
    tables = sorted(p.parent for p in layer.glob("*/_delta_log"))
    return sum(spark.read.format("delta").load(str(t)).count() for t in tables)


def bronze_rows(spark: SparkSession, lake: Path, since: dt.datetime) -> str:
    """Raw rows read, landed and quarantined by the bronze runs since `since`, from the ingest log."""
    log = spark.read.format("delta").load(str(lake / "bronze" / "_ingest_log"))
    row = (
        log.where(log["ingested_at"] >= since)
        .selectExpr("sum(rows_read) AS r", "sum(rows_landed) AS l", "sum(rows_quarantined) AS q")
        .first()
    )
    read, landed, quarantined = (int(row[k] or 0) for k in ("r", "l", "q")) if row else (0, 0, 0)
    return f"{read:,} read: {landed:,} landed, {quarantined:,} quarantined"


def export_rows(export: Path, snapshot: str) -> str:
    manifest = json.loads((export / "personalize" / snapshot / "manifest.json").read_text())
    return f"{sum(int(d['rows']) for d in manifest['datasets'].values()):,} CSV rows"


def run_pipeline(
    spark: SparkSession, probe: Probe, work: Path, conf: list[str], *, run: str, snapshot: str
) -> list[StageRun]:
    """bronze, silver, gold and export once, each measured."""
    from udp.bronze import job as bronze
    from udp.gold import commands as gold_commands
    from udp.gold import job as gold
    from udp.silver import job as silver

    lake, export = work / "lake", work / "export"
    since = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stages: list[tuple[str, Callable[[Sequence[str]], int], list[str], Callable[[], str]]] = [
        ("bronze", bronze.main, conf, lambda: bronze_rows(spark, lake, since)),
        ("silver", silver.main, conf, lambda: f"{delta_rows(spark, lake / 'silver'):,} in silver tables"),
        ("gold", gold.main, conf, lambda: f"{delta_rows(spark, lake / 'gold'):,} in gold tables"),
        ("export", gold_commands.export_main, [*conf, "--snapshot", snapshot], lambda: export_rows(export, snapshot)),
    ]
    out = []
    for name, main, argv, rows in stages:
        before = data_files(lake, export)
        probe.start()
        started = time.monotonic()
        code = main(argv)
        seconds = time.monotonic() - started
        jobs, shuffle, peak = probe.stop()
        if code != 0:
            raise SystemExit(f"{run}: {name} exited {code}")
        files = len(data_files(lake, export) - before)
        out.append(StageRun(run, name, seconds, rows(), jobs, shuffle, peak, files))
        print(f"--- {run} {name}: {seconds:.1f} s, {jobs} Spark jobs", flush=True)
    return out


def timed_plain_copy(spark: SparkSession, config: Config, target: Path) -> tuple[float, int]:
    started = time.monotonic()
    rows = plain_copy(spark, config, target)
    return time.monotonic() - started, rows


def report(args: argparse.Namespace, facts: dict[str, str], runs: list[StageRun], plain: dict[str, float]) -> str:
    lines = [
        f"## The whole pipeline at {args.customers:,} customers and {args.skus:,} SKUs, then the day after — "
        f"{dt.date.today().isoformat()}",
        "",
        f"`.venv/bin/python bench/bench_scale.py --customers {args.customers} --skus {args.skus} --days {args.days} "
        f"--seed {args.seed} --driver-memory {args.driver_memory}`",
        "",
        f"machine: {machine(f'local[{args.cores}]')}, driver memory {args.driver_memory}.",
        *(f"{k}: {v}." for k, v in facts.items()),
        "",
        "| run | stage | seconds | rows | Spark jobs | shuffle written | driver peak RSS | data files written |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.run} | {r.stage} | {r.seconds:.1f} | {r.rows} | {r.jobs:,} | {r.shuffle_bytes / 1e6:,.1f} MB | "
            f"{r.peak_rss_bytes / 2**30:.2f} GiB | {r.files:,} |"
        )
    lines.append("")
    for run, seconds in plain.items():
        total = sum(r.seconds for r in runs if r.run == run)
        lines.append(
            f"{run}: pipeline {total:.1f} s; plain Spark copy of the same raw files {seconds:.1f} s; "
            f"ratio plain/pipeline = **{seconds / total:.2f}**."
        )
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench_scale", description=__doc__.split("\n")[0])
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--skus", type=int, default=100_000)
    p.add_argument("--days", type=int, default=7, help="days of dumps in the first run (one more is generated)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--cores", type=int, default=2, help="local[N]")
    p.add_argument("--driver-memory", default="8g")
    p.add_argument("--work", help="work folder (default: a new temporary folder, removed unless --keep)")
    p.add_argument("--keep", action="store_true", help="keep the generated data, lake and export")
    p.add_argument("--append-results", action="store_true", help="append the report to bench/RESULTS.md")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    work = Path(args.work).resolve() if args.work else Path(tempfile.mkdtemp(prefix="udp-bench-scale-"))
    try:
        started = time.monotonic()
        generated = generate(
            work / "dumps", customers=args.customers, skus=args.skus, days=args.days + 1, seed=args.seed
        )
        facts = {
            "generated": f"{args.days + 1} days, {generated.total_rows:,} raw rows, "
            f"{generated.total_bytes / 1e6:,.0f} MB in {time.monotonic() - started:.0f} s"
        }
        days = dump_days(work / "dumps")
        settings = [
            f"spark.jars_dir={ROOT / '.jars'}",
            "catalog.implementation=in-memory",
            f"spark.master=local[{args.cores}]",
            f"spark.conf.spark.driver.memory={args.driver_memory}",
            "spark.conf.spark.ui.enabled=true",  # the probe reads jobs and stages from its REST API
            "spark.conf.spark.ui.retainedJobs=100000",
            "spark.conf.spark.ui.retainedStages=100000",
        ]
        conf = [*config_args(work), *(arg for setting in settings for arg in ("--set", setting))]
        config = config_from_argv(conf)
        spark = build_spark(config, app_name="bench-scale")
        probe = Probe(spark)
        plain: dict[str, float] = {}
        runs: list[StageRun] = []

        land(work / "dumps", work / "raw", days[: args.days])
        plain_copy(spark, config, work / "warmup", only=["thirdparty"])  # JVM warm-up, not timed
        shutil.rmtree(work / "warmup")
        seconds, rows = timed_plain_copy(spark, config, work / "plain-first")
        plain[f"first run ({args.days} days)"] = seconds
        facts["plain copy, first run"] = f"{rows:,} rows in {seconds:.1f} s"
        runs += run_pipeline(spark, probe, work, conf, run=f"first run ({args.days} days)", snapshot="first")

        new_day = work / "raw-new-day"
        land(work / "dumps", new_day, days[args.days :])
        seconds, rows = timed_plain_copy(spark, config.with_overrides(f"paths.raw={new_day}"), work / "plain-day")
        plain["the day after (1 day)"] = seconds
        facts["plain copy, the day after"] = f"{rows:,} rows in {seconds:.1f} s"
        land(work / "dumps", work / "raw", days[args.days :])
        runs += run_pipeline(spark, probe, work, conf, run="the day after (1 day)", snapshot="next")
        spark.stop()

        text = report(args, facts, runs, plain)
        print("\n" + text)
        if args.append_results:
            with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as handle:
                handle.write("\n" + text)
    finally:
        if args.keep or args.work:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
