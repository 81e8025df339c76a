"""Benchmark udp's customer matching at 100k, 200k and 400k records against Splink 5 (DuckDB) on the same records.

    .venv/bin/python bench/bench_matching.py                          # --sizes 100000,200000,400000
    .venv/bin/python bench/bench_matching.py --sizes 20000 --no-warmup

Per size N (customer records of crm + ecom + support): generate about N / --records-per-customer customers
(--days 2, small --skus, seed 11), ingest only the customer sources into bronze, build silver.customer_records
(none of that is timed), then on a fresh silver (a new lake per size):

- udp: `match_records` + `assign_customers` (udp/silver/job.py) are timed (candidate pairs, u sampling, EM, scoring,
  links, clustering, stable ids, xref and golden records, all written to Delta);
- Splink: the same records' standardised `m_*` columns are exported to parquet (not timed), then DuckDB load,
  λ / u / EM training, predict at p >= 0.99 and clustering at 0.99 are timed (bench/splink_settings.py).

Both are scored with `udp.silver.evaluate.score` (pairwise precision / recall / F1 from cluster sizes) on a Spark
frame (record_id, customer_id, person_id) joined with the generator's truth/customers.csv. Needs
`pip install splink==5.0.0` (benchmark only; --no-splink skips it). A small warm-up size runs first, untimed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import shlex
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import splink_settings  # noqa: E402
from bench.machine import machine  # noqa: E402
from udp.bronze.ingest import ingest  # noqa: E402
from udp.config import Config, load_config  # noqa: E402
from udp.generate import generate  # noqa: E402
from udp.lake import Lake  # noqa: E402
from udp.session import build_spark  # noqa: E402
from udp.silver import blocking, cluster, golden, identity, match, model  # noqa: E402
from udp.silver import job as silver  # noqa: E402
from udp.silver.evaluate import Scores, score  # noqa: E402

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

CUSTOMER_SOURCES = ["crm", "ecom", "support"]


@dataclass
class SizeResult:
    target: int
    records: int = 0
    customers_generated: int = 0
    prep_seconds: dict[str, float] = field(default_factory=dict)
    udp_seconds: float = 0.0
    udp_steps: dict[str, float] = field(default_factory=dict)
    udp_profile: dict[str, float] = field(default_factory=dict)
    udp_pairs: Counter[str] = field(default_factory=Counter)
    udp_decisions: Counter[str] = field(default_factory=Counter)
    udp_clusters: int = 0
    udp_largest: int = 0
    udp_splits: int = 0
    udp_skipped_blocks: int = 0
    udp_scores: Scores | None = None
    udp_jobs: int = 0
    splink: Any = None  # splink_settings.SplinkRun
    splink_scores: Scores | None = None
    splink_extra: dict[float, Scores] = field(default_factory=dict)
    splink_error: str = ""


# ---------------------------------------------------------------------------------------------------------------------
# Where udp's time goes: wrap the silver functions that run Spark actions (the job itself is not edited)
# ---------------------------------------------------------------------------------------------------------------------

PROFILED = (
    (blocking, "candidate_pairs", "blocking: plan + oversize-key scan"),
    (model, "estimate_u", "u: random pairs"),
    (model, "pattern_counts", "EM: pattern histogram (one for all training rules)"),
    (model, "train_by_blocking_rules", "EM: iterations (driver)"),
    (match, "shared_values", "shared identifier values (plan)"),
    (cluster, "cluster_records", "clustering (connected components + splits)"),
    (identity, "assign_ids", "stable ids (plan)"),
    (golden, "golden_records", "golden records (plan)"),
)


@contextmanager
def profiled(lake: Lake, clock: dict[str, float]) -> Iterator[None]:
    """Accumulate wall time per wrapped function (and per Delta write) into `clock` while the block runs."""
    saved: list[tuple[object, str, Callable[..., Any]]] = []

    def wrap(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.monotonic()
            try:
                return fn(*args, **kwargs)
            finally:
                clock[label] = clock.get(label, 0.0) + time.monotonic() - t

        return timed

    for module, name, label in PROFILED:
        original = getattr(module, name)
        saved.append((module, name, original))
        setattr(module, name, wrap(label, original))
    for method in ("merge", "append"):
        original = getattr(lake, method)

        def write(df: Any, *args: Any, _orig: Callable[..., Any] = original, _m: str = method, **kw: Any) -> Any:
            return wrap(f"{_m} {args[0]}", _orig)(df, *args, **kw)

        setattr(lake, method, write)
    try:
        yield
    finally:
        for owner, attr, fn in saved:
            setattr(owner, attr, fn)
        for method in ("merge", "append"):
            delattr(lake, method)


# ---------------------------------------------------------------------------------------------------------------------
# One size
# ---------------------------------------------------------------------------------------------------------------------


def size_config(work: Path, driver_memory: str) -> Config:
    return load_config(
        [str(ROOT / "conf" / "local.yaml")],
        [
            f"paths.raw={work / 'data' / 'raw'}",
            f"paths.lake={work / 'lake'}",
            f"spark.jars_dir={ROOT / '.jars'}",
            "catalog.implementation=in-memory",
            f"spark.conf.spark.driver.memory={driver_memory}",
        ],
    )


def read_truth(spark: SparkSession, work: Path) -> DataFrame:
    return spark.read.option("header", "true").csv(str(work / "data" / "truth" / "customers.csv"))


def run_size(
    spark: SparkSession, work: Path, target: int, args: argparse.Namespace, *, with_splink: bool, log: Callable
) -> SizeResult:
    from pyspark.sql import functions as F

    res = SizeResult(target)
    customers = max(100, round(target / args.records_per_customer))
    res.customers_generated = customers
    config = size_config(work, args.driver_memory)

    t = time.monotonic()
    generate(work / "data", customers=customers, skus=args.skus, days=args.days, seed=args.seed)
    res.prep_seconds["generate"] = time.monotonic() - t
    lake = Lake(spark, config)
    t = time.monotonic()
    ingest(spark, lake, config, only=CUSTOMER_SOURCES)
    res.prep_seconds["bronze (customer sources)"] = time.monotonic() - t

    now = dt.datetime.now(dt.UTC)
    run_id = f"silver-{now:%Y%m%dT%H%M%S}"
    t = time.monotonic()
    found = silver.build_records(lake, config)
    current = found.current
    res.records = sum(found.per_source.values())
    res.prep_seconds["silver.customer_records"] = time.monotonic() - t
    log(f"  {res.records:,} customer records ({customers:,} customers generated); prep {res.prep_seconds}")

    # ---- udp: timed ------------------------------------------------------------------------------------------
    profile: dict[str, float] = {}
    spark.sparkContext.setJobGroup("bench-udp-matching", "udp match_records + assign_customers")
    with profiled(lake, profile):
        t0 = time.monotonic()
        full = not (lake.exists(silver.MODEL) and lake.exists(silver.LINKS))  # as `udp run silver` decides
        matched = silver.match_records(lake, config.matching, found, full=full, retrain=False, run_id=run_id)
        t1 = time.monotonic()
        extra = silver.enrichment(lake, config.sources)
        assigned = silver.assign_customers(
            lake, config.matching, found.current, matched.links, enrichment=extra, run_id=run_id, now=now
        )
        xref = assigned.xref
        t2 = time.monotonic()
    res.udp_steps = {"matching (match_records)": t1 - t0, "clusters, ids, golden (assign_customers)": t2 - t1}
    res.udp_seconds = t2 - t0
    res.udp_jobs = len(spark.sparkContext.statusTracker().getJobIdsForGroup("bench-udp-matching"))
    spark.sparkContext.setJobGroup("bench-other", "not timed")
    res.udp_profile = profile
    res.udp_pairs, res.udp_decisions = matched.pairs, matched.decisions
    res.udp_clusters, res.udp_largest = assigned.clusters, assigned.largest_cluster
    res.udp_splits, res.udp_skipped_blocks = len(assigned.splits), len(matched.skipped_blocks)
    log(f"  udp: {res.udp_seconds:.1f} s {res.udp_steps}")

    truth = read_truth(spark, work).select("source", "source_key", "person_id")
    predicted = xref.select("record_id", "customer_id", "source", "source_key").join(truth, ["source", "source_key"])
    res.udp_scores = score(predicted.select("record_id", "customer_id", "person_id"), entity="person_id")
    log(f"  udp: P {res.udp_scores.precision:.4f} R {res.udp_scores.recall:.4f} F1 {res.udp_scores.f1:.4f}")

    # ---- Splink: export (not timed), then timed ------------------------------------------------------------------
    if with_splink:
        from bench import splink_settings as ss

        export = work / "splink_input"
        current.select(*[F.col(src).alias(dst) for dst, src in ss.EXPORT_COLUMNS.items()]).coalesce(1).write.mode(
            "overwrite"
        ).parquet(str(export))
        clusters_out = work / "splink_clusters.parquet"
        try:
            res.splink = ss.run_splink(
                str(export / "*.parquet"),
                str(clusters_out),
                u_pairs=args.splink_u_pairs,
                recall=args.splink_recall,
                threshold=args.threshold,
                extra_thresholds=tuple(args.splink_extra_thresholds),
            )
        except Exception as exc:  # report it in the table instead of losing the udp figures
            res.splink_error = f"{type(exc).__name__}: {exc}"
            log(f"  Splink failed: {res.splink_error}")
        else:
            log(f"  Splink: {res.splink.seconds:.1f} s {res.splink.steps}")
            ids = current.select("record_id", "source", "source_key")

            def splink_scores(path: str) -> Scores:
                clusters = spark.read.parquet(path).select(
                    F.col("unique_id").alias("record_id"), F.col("cluster_id").cast("string").alias("customer_id")
                )
                joined = clusters.join(ids, "record_id").join(truth, ["source", "source_key"])
                return score(joined.select("record_id", "customer_id", "person_id"), entity="person_id")

            res.splink_scores = s = splink_scores(str(clusters_out))
            log(f"  Splink: P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}")
            for extra, path in res.splink.extra_clusters.items():
                res.splink_extra[extra] = s = splink_scores(path)
                log(f"  Splink clustered at {extra} (untimed): P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}")
    return res


# ---------------------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------------------


def prf(s: Scores | None) -> str:
    return f"{s.precision:.4f} / {s.recall:.4f} / {s.f1:.4f}" if s else "—"


def report(results: Sequence[SizeResult], with_splink: bool) -> str:
    lines = []
    lines.append(f"machine: {machine('local[2]')}, {splink_settings.versions(with_splink)}")
    lines.append(f"command: {shlex.join([Path(sys.executable).name, *sys.argv])}")
    lines.append("")
    lines.append(
        "| records | udp s | udp P / R / F1 | Splink s | Splink P / R / F1 | udp ÷ Splink time "
        "| udp time ratio vs previous size |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    prev: SizeResult | None = None
    for r in results:
        sp_s = f"{r.splink.seconds:.1f}" if r.splink else ("failed" if r.splink_error else "—")
        vs = f"{r.udp_seconds / r.splink.seconds:.2f}" if r.splink else "—"
        ratio = "—"
        if prev is not None:
            scale = r.records / prev.records
            ratio = f"{r.udp_seconds / prev.udp_seconds:.2f} (records x{scale:.2f})"
        lines.append(
            f"| {r.records:,} | {r.udp_seconds:.1f} | {prf(r.udp_scores)} | {sp_s} | {prf(r.splink_scores)} "
            f"| {vs} | {ratio} |"
        )
        prev = r
    for r in results:
        lines.append("")
        lines.append(f"### {r.records:,} records ({r.customers_generated:,} customers generated)")
        prep = ", ".join(f"{k} {v:.1f} s" for k, v in r.prep_seconds.items())
        lines.append(f"- not timed: {prep}")
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in r.udp_steps.items())
        lines.append(f"- udp steps: {steps}")
        prof = dict(sorted(r.udp_profile.items(), key=lambda kv: -kv[1]))
        attributed = sum(prof.values())
        prof["other (levels persist + counts inside the job, plans)"] = r.udp_seconds - attributed
        lines.append("- udp breakdown: " + ", ".join(f"{k} {v:.1f} s" for k, v in prof.items()))
        pairs = sum(r.udp_pairs.values())
        lines.append(
            f"- udp: {pairs:,} candidate pairs ({', '.join(f'{k} {v:,}' for k, v in sorted(r.udp_pairs.items()))}); "
            f"links {dict(sorted(r.udp_decisions.items()))}; {r.udp_clusters:,} customers, largest {r.udp_largest}, "
            f"{r.udp_splits} giant clusters split, {r.udp_skipped_blocks} oversize blocks skipped; "
            f"{r.udp_jobs} Spark jobs"
        )
        if r.udp_scores:
            s = r.udp_scores
            lines.append(
                f"- truth: {s.persons:,} persons, {s.true_pairs:,} true pairs; udp predicted {s.predicted_pairs:,}, "
                f"correct {s.correct_pairs:,}"
            )
        if r.splink:
            sp = r.splink
            lines.append("- Splink steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in sp.steps.items()))
            lines.append(
                f"- Splink: λ = {sp.prior:.3g}, {sp.predicted_pairs:,} pairs at p >= threshold, {sp.clusters:,} "
                f"clusters, largest {sp.largest_cluster}"
            )
            if r.splink_scores:
                s = r.splink_scores
                lines.append(f"- Splink predicted {s.predicted_pairs:,} pairs, correct {s.correct_pairs:,}")
            for extra, s in r.splink_extra.items():
                lines.append(f"- Splink re-clustered at p >= {extra} (untimed): P / R / F1 {prf(s)}")
        if r.splink_error:
            lines.append(f"- Splink failed: {r.splink_error}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,200000,400000", help="customer records per size, comma-separated")
    parser.add_argument("--records-per-customer", type=float, default=1.45, help="records per generated customer")
    parser.add_argument("--skus", type=int, default=2000)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threshold", type=float, default=0.99, help="Splink predict/cluster threshold")
    parser.add_argument("--splink-u-pairs", type=float, default=1e7, help="Splink u sampling max_pairs")
    parser.add_argument("--splink-recall", type=float, default=0.7, help="recall assumed of the email/phone rules")
    parser.add_argument(
        "--splink-extra-thresholds",
        type=float,
        nargs="*",
        default=[0.999],
        help="also cluster Splink's predictions at these (higher) thresholds, untimed, and score them",
    )
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up size (3,000 records)")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--work", help="working folder (default: a new temp folder, removed at the end)")
    parser.add_argument("--keep", action="store_true", help="keep each size's data and lake")
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with_splink = not args.no_splink

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="udp-bench-matching-"))
    work.mkdir(parents=True, exist_ok=True)
    spark = build_spark(size_config(work / "session", args.driver_memory), app_name="bench-matching")
    results = []
    try:
        if not args.no_warmup:
            log("warm-up (3,000 records, not reported)")
            run_size(spark, work / "warmup", 3000, args, with_splink=with_splink, log=log)
            shutil.rmtree(work / "warmup", ignore_errors=True)
        for n in sizes:
            log(f"size {n:,}")
            folder = work / f"n{n}"
            results.append(run_size(spark, folder, n, args, with_splink=with_splink, log=log))
            if args.out:  # after every size, so a run stopped part-way still leaves its figures
                Path(args.out).write_text(report(results, with_splink) + "\n")
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        if results:
            text = report(results, with_splink)
            print(text)
            if args.out:
                Path(args.out).write_text(text + "\n")
        spark.stop()
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
        elif args.keep:
            print(f"kept {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
