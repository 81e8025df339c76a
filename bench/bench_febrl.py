"""Benchmark udp's matching on the public FEBRL sets, read through YAML-only sources, against Splink 5 (DuckDB).

    .venv/bin/python bench/bench_febrl.py                  # --sets febrl3,febrl4
    .venv/bin/python bench/bench_febrl.py --sets febrl3 --no-splink --no-warmup

Per set: bench/febrl.py lays the FEBRL files out as raw dumps; bronze ingests them with conf/local.yaml +
bench/febrl.yaml (not timed); then silver's customer steps (as `udp run silver` runs them: customer records,
candidate pairs, u sampling, EM, scoring, clusters, ids, golden records, all written to Delta) run on a fresh lake,
timed, and silver.customer_xref is scored against the set's truth.csv with udp.silver.evaluate: pairwise and
exact-cluster precision / recall / F1, a record missing from the xref counting as a singleton. Splink runs in the
same process on the same laid-out CSVs with its own documented FEBRL settings (bench/splink_febrl.py), timed from
load to written clusters, and is scored the same way. An untimed warm-up silver run on FEBRL3 comes first (JVM and
code-generation warm-up), unless --no-warmup.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import splink_settings  # noqa: E402
from bench.febrl import SETS, FebrlSet, lay_out  # noqa: E402
from bench.machine import machine  # noqa: E402
from udp.bronze.ingest import ingest  # noqa: E402
from udp.config import Config, load_config  # noqa: E402
from udp.lake import Lake  # noqa: E402
from udp.session import build_spark  # noqa: E402
from udp.silver import job as silver  # noqa: E402
from udp.silver.evaluate import Scores, evaluate, read_truth, score, with_predictions  # noqa: E402

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

OVERLAY = ROOT / "bench" / "febrl.yaml"


@dataclass
class SetResult:
    name: str
    records: int = 0
    entities: int = 0
    bronze_seconds: float = 0.0
    udp_seconds: float = 0.0
    udp_steps: dict[str, float] = field(default_factory=dict)
    udp_pairs: int = 0
    udp_decisions: dict[str, int] = field(default_factory=dict)
    udp_scores: Scores | None = None
    udp_evaluation: str = ""
    splink: Any = None  # splink_settings.SplinkRun
    splink_scores: Scores | None = None
    splink_error: str = ""


def set_config(work: Path, raw: Path, driver_memory: str) -> Config:
    return load_config(
        [str(ROOT / "conf" / "local.yaml"), str(OVERLAY)],
        [
            f"paths.raw={raw}",
            f"paths.lake={work / 'lake'}",
            f"paths.export={work / 'export'}",
            f"spark.jars_dir={ROOT / '.jars'}",
            "catalog.implementation=in-memory",
            f"spark.conf.spark.driver.memory={driver_memory}",
        ],
    )


def run_udp(spark: SparkSession, febrl: FebrlSet, work: Path, args: argparse.Namespace, res: SetResult) -> None:
    """Bronze (not timed), then the silver stage (timed), then the scores against the truth."""
    config = set_config(work, febrl.raw, args.driver_memory)
    lake = Lake(spark, config)
    t = time.monotonic()
    ingest(spark, lake, config, only=febrl.sources)
    res.bronze_seconds = time.monotonic() - t
    t = time.monotonic()
    now = dt.datetime.now(dt.UTC)
    run_id = f"silver-{now:%Y%m%dT%H%M%S}"
    found = silver.build_records(lake, config)
    matched = silver.match_records(lake, config.matching, found, full=True, retrain=False, run_id=run_id)
    extra = silver.enrichment(lake, config.sources)
    silver.assign_customers(
        lake, config.matching, found.current, matched.links, enrichment=extra, run_id=run_id, now=now
    )
    res.udp_seconds = time.monotonic() - t
    res.records = sum(found.per_source.values())
    res.udp_pairs = sum(matched.pairs.values())
    res.udp_decisions = dict(sorted(matched.decisions.items()))
    truth = read_truth(spark, str(febrl.truth))
    res.udp_scores = score(with_predictions(truth, lake.read(silver.XREF)))
    res.udp_evaluation = evaluate(spark, lake, str(febrl.truth)).render()


def run_splink(spark: SparkSession, febrl: FebrlSet, work: Path, res: SetResult, log: Callable[[str], None]) -> None:
    from pyspark.sql import functions as F

    from bench import splink_febrl

    csvs = {s: str(next((febrl.raw / s).glob("*/*.csv"))) for s in febrl.sources}
    out = work / "splink_clusters.parquet"
    try:
        res.splink = splink_febrl.run_splink_febrl(febrl.name, csvs, str(out))
    except Exception as exc:  # report it in the table instead of losing the udp figures
        res.splink_error = f"{type(exc).__name__}: {exc}"
        log(f"  Splink failed: {res.splink_error}")
        return
    clusters = spark.read.parquet(str(out)).select(
        F.substring_index("unique_id", ":", 1).alias("source"),
        F.expr("substr(unique_id, instr(unique_id, ':') + 1)").alias("source_key"),
        F.col("unique_id").alias("record_id"),
        F.col("cluster_id").cast("string").alias("customer_id"),
    )
    res.splink_scores = score(with_predictions(read_truth(spark, str(febrl.truth)), clusters))


def run_set(
    spark: SparkSession, febrl: FebrlSet, work: Path, args: argparse.Namespace, log: Callable[[str], None]
) -> SetResult:
    res = SetResult(febrl.name)
    run_udp(spark, febrl, work, args, res)
    s = res.udp_scores
    assert s is not None
    res.entities = s.persons
    log(f"  udp: silver {res.udp_seconds:.1f} s; pairwise {prf(s)}; cluster {cluster_prf(s)}")
    if not args.no_splink:
        run_splink(spark, febrl, work, res, log)
        if res.splink_scores:
            log(f"  Splink: {res.splink.seconds:.1f} s; pairwise {prf(res.splink_scores)}")
    return res


# ---------------------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------------------


def prf(s: Scores | None) -> str:
    return f"{s.precision:.3f} / {s.recall:.3f} / {s.f1:.3f}" if s else "—"


def cluster_prf(s: Scores | None) -> str:
    return f"{s.cluster_precision:.3f} / {s.cluster_recall:.3f} / {s.cluster_f1:.3f}" if s else "—"


def report(results: Sequence[SetResult], with_splink: bool) -> str:
    lines = [
        f"machine: {machine('local[2]')}, {splink_settings.versions(with_splink)}",
        f"command: {shlex.join([Path(sys.executable).name, *sys.argv])}",
        "",
        "| set | records (entities) | udp silver s | udp pairwise P / R / F1 | udp cluster P / R / F1 "
        "| Splink s | Splink pairwise P / R / F1 | Splink cluster P / R / F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        sp_s = f"{r.splink.seconds:.1f}" if r.splink else ("failed" if r.splink_error else "—")
        lines.append(
            f"| {r.name} | {r.records:,} ({r.entities:,}) | {r.udp_seconds:.1f} | {prf(r.udp_scores)} "
            f"| {cluster_prf(r.udp_scores)} | {sp_s} | {prf(r.splink_scores)} | {cluster_prf(r.splink_scores)} |"
        )
    for r in results:
        lines += ["", f"### {r.name}"]
        lines.append(f"- not timed: bronze {r.bronze_seconds:.1f} s")
        if r.udp_scores:
            s = r.udp_scores
            lines.append(
                f"- udp: {r.udp_pairs:,} candidate pairs, links {r.udp_decisions}; {s.customers:,} customers for "
                f"{s.persons:,} entities; {s.true_pairs:,} true pairs, {s.predicted_pairs:,} predicted, "
                f"{s.correct_pairs:,} correct; {s.correct_clusters:,} exact clusters"
            )
        if r.splink:
            sp = r.splink
            lines.append("- Splink steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in sp.steps.items()))
            lines.append(
                f"- Splink: λ = {sp.prior:.3g}, {sp.predicted_pairs:,} pairs at p >= 0.99, {sp.clusters:,} clusters, "
                f"largest {sp.largest_cluster}"
            )
        if r.splink_error:
            lines.append(f"- Splink failed: {r.splink_error}")
        if r.udp_evaluation:
            lines += ["", "```", r.udp_evaluation.rstrip(), "```"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated subset of {', '.join(SETS)}")
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up silver run")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--work", help="working folder (default: a new temp folder, removed at the end)")
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)
    names = [n for n in args.sets.split(",") if n]
    unknown = sorted(set(names) - set(SETS))
    if unknown:
        parser.error(f"unknown set(s) {', '.join(unknown)}; choose from {', '.join(SETS)}")

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="udp-bench-febrl-"))
    work.mkdir(parents=True, exist_ok=True)
    sets = lay_out(work / "data", sorted({*names, "febrl3"}))
    spark = build_spark(set_config(work / "session", work / "data", args.driver_memory), app_name="bench-febrl")
    results: list[SetResult] = []
    try:
        if not args.no_warmup:
            log("warm-up: silver on febrl3 (not reported)")
            run_udp(spark, sets["febrl3"], work / "warmup", args, SetResult("warmup"))
            shutil.rmtree(work / "warmup", ignore_errors=True)
        for name in names:
            log(f"{name}: {sum(sets[name].records.values()):,} records")
            results.append(run_set(spark, sets[name], work / name, args, log))
    finally:
        if results:
            text = report(results, not args.no_splink)
            print(text)
            if args.out:
                Path(args.out).write_text(text + "\n")
        spark.stop()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
