"""Silver: one customer across every system, the conformed catalogue, and every touch point on its customer.

    udp run silver [--conf conf/local.yaml] [--set ...] [--retrain] [--full]
    ./spark-submit.sh --env emr jobs/silver_build.py --conf conf/emr.yaml

Customer records are rebuilt from bronze and merged into silver.customer_records; only new or changed records
("touched") are compared, with the match model trained on the first run (or with --retrain) and kept in
silver.match_model, so clusters that new data does not touch keep their links, their ids and their golden record.
The touched ids wait in silver._unmatched from before the records merge until their links are written, so a run
killed in between is finished by the next one. A run killed after any commit and resumed ends with every silver
table as a clean run leaves it, but for run ids and timestamps (tests/silver/test_silver_recovery.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from udp import progress, tables
from udp.config import Config
from udp.contracts import SourceContract
from udp.errors import ConfigError
from udp.lake import Lake
from udp.runner import add_config_args, run_job
from udp.settings.matching import MatchingSettings
from udp.silver import blocking, cluster, golden, identity, items, labels, match, model, records, touchpoints, train
from udp.silver.checks import check_matching
from udp.silver.compare import Comparison, comparisons, with_comparison_levels
from udp.summary import Summary

RECORDS = tables.CUSTOMER_RECORDS
LINKS = tables.CUSTOMER_LINKS
XREF = tables.CUSTOMER_XREF
HISTORY = tables.CUSTOMER_ID_HISTORY
CUSTOMERS = tables.CUSTOMERS
MODEL = tables.MATCH_MODEL
ITEMS = tables.ITEMS
TOUCHPOINTS = tables.TOUCHPOINTS
QUARANTINE = tables.SILVER_QUARANTINE
UNMATCHED = tables.UNMATCHED  # ids of records merged into customer_records whose links are not written yet
LABELS = tables.MATCH_LABELS


@dataclass(frozen=True)
class Records:
    """silver.customer_records as written, and the ids of the records this run must match."""

    current: DataFrame  # persisted: unpersist when the run is done
    touched: DataFrame  # new or changed records, and those a killed run merged but never matched
    per_source: Counter[str]


@dataclass(frozen=True)
class Matched:
    """silver.customer_links after this run, and what matching did."""

    links: DataFrame
    compared: int  # records compared (touched, or all on a full run)
    pairs: Counter[str]  # candidate pairs per blocking rule
    skipped_blocks: list[blocking.SkippedBlock]
    model_version: str
    trained: bool
    guards: list[tuple[str, float, bool]]  # comparison, m of its `else` level, vetoes
    decisions: Counter[str]
    labels: Counter[str]  # labelled pairs honoured, per label


@dataclass(frozen=True)
class Assigned:
    """silver.customer_xref after this run, and what clustering and id carry-over did."""

    xref: DataFrame
    splits: list[cluster.SplitReport]
    rounds: int
    events: Counter[str]  # id merges and splits
    contradicted: list[tuple[str, str, str]]  # labelled "no" pairs that other links still put together
    clusters: int
    largest_cluster: int
    customers: int


@dataclass(frozen=True)
class Touchpoints:
    """What silver.touchpoints and silver._quarantine hold after this run."""

    by_identity: Counter[str] = field(default_factory=Counter)
    rejects: Counter[str] = field(default_factory=Counter)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="udp run silver", description="Build the Single Customer View, items and touch points."
    )
    add_config_args(p)
    progress.add_quiet_arg(p)
    p.add_argument("--retrain", action="store_true", help="re-estimate the match model (new weights)")
    p.add_argument("--full", action="store_true", help="re-score every candidate pair, not only touched records")
    return p


def customer_sources(config: Config, lake: Lake) -> list[str]:
    return [n for n, c in config.sources.items() if c.entity == "customer" and lake.exists(tables.bronze(n))]


def build_records(lake: Lake, config: Config) -> Records:
    """Write silver.customer_records; returns the records as written and the touched record ids.

    Touched = new or changed since the last run, plus those a killed run merged but never matched: the ids are
    saved in silver._unmatched before the merge, because after it the records themselves no longer show them.
    """
    bronze = {n: lake.read(tables.bronze(n)) for n in customer_sources(config, lake)}
    fresh = records.build_customer_records(bronze, config.sources, config.matching.standardise)
    changed = fresh.select("record_id", "record_hash")
    if lake.exists(RECORDS):
        changed = changed.join(lake.read(RECORDS), ["record_id", "record_hash"], "left_anti")
    changed = changed.select("record_id")
    if not changed.isEmpty():
        lake.merge(changed, UNMATCHED, update=False)
    lake.merge(fresh, RECORDS, delete_missing="true")
    # Read once and kept: every later step joins the records, often several times in one plan (two sides of each
    # blocking rule, both sides of a pair), and each Delta scan in a plan costs a Spark job to list its files.
    current = lake.read(RECORDS).persist(StorageLevel.MEMORY_AND_DISK)
    per_source = _counts(current, "source")
    if not lake.exists(UNMATCHED):
        return Records(current, lake.spark.createDataFrame([], "record_id STRING"), per_source)
    return Records(current, lake.read(UNMATCHED).select("record_id"), per_source)


def match_records(
    lake: Lake, settings: MatchingSettings, found: Records, *, full: bool, retrain: bool, run_id: str
) -> Matched:
    """Score candidate pairs of touched records (every record when `full`) and merge them into
    silver.customer_links; the model is the stored one, or trained now on a first run or when `retrain`."""
    current, touched = found.current, found.touched
    items_ = comparisons()
    scope = None if full else touched.persist(StorageLevel.MEMORY_AND_DISK)
    n_records = sum(found.per_source.values())
    compared = n_records if full else touched.count()
    keyed = current.select("record_id", *records.MATCH_KEYS.values())
    pairs, skipped = blocking.candidate_pairs(keyed, settings.blocking, scope)
    given = lake.read(LABELS) if lake.exists(LABELS) else None
    if given is not None:  # labelled pairs are decided again every run, touched or not
        pairs = pairs.transform(labels.with_labelled_pairs(labels.labelled_pairs(given, current)))
    tf_tables = {n: model.term_frequencies(current, match.TF_KEYS[n]) for n in settings.training.term_frequency}
    levels = (
        match.pair_frame(pairs, current)
        .transform(match.with_term_frequencies(tf_tables))
        .transform(with_comparison_levels(items_))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    try:
        progress.step("silver", "matching: candidate pairs compared")
        per_rule = _counts(levels, "blocking_rule")
        fitted, version, trained = match_model(
            lake, settings, current, n_records, levels, retrain=retrain, run_id=run_id
        )
        identifiers = settings.deterministic
        shared = match.shared_values(current, identifiers.identifiers, identifiers.max_records_per_value)
        scored = levels.transform(match.with_scores(fitted, items_, settings.training.term_frequency))
        vetoes = match.active_guards(fitted, settings.guards, settings.veto_max_m)
        guards = [(n, m, n in vetoes) for n, m in match.guard_evidence(fitted, settings.guards)]
        decided = scored.transform(match.with_decisions(settings, items_, shared, vetoes))
        if given is not None:
            decided = decided.transform(labels.with_labels(given))
        new_links = match.to_links(decided, version)
        links = new_links if full else untouched_links(lake, current, touched, given).unionByName(new_links)
        progress.step("silver", "matching: pairs scored, decided and written")
        lake.merge(links, LINKS, delete_missing="true")
        if lake.exists(UNMATCHED) and not lake.read(UNMATCHED).isEmpty():
            lake.delete(UNMATCHED, "true")  # their links are written: matched
    finally:
        levels.unpersist()
        if scope is not None:
            scope.unpersist()
    all_links = lake.read(LINKS)
    decisions = _counts(all_links, "decision")
    honoured: Counter[str] = Counter()
    if given is not None:
        honoured = Counter({r["label"]: int(r["count"]) for r in labels.honoured(all_links).collect()})
    return Matched(all_links, compared, per_rule, skipped, version, trained, guards, decisions, honoured)


def match_model(
    lake: Lake,
    settings: MatchingSettings,
    current: DataFrame,
    n_records: int,
    levels: DataFrame,
    *,
    retrain: bool,
    run_id: str,
) -> tuple[model.Model, str, bool]:
    """The stored match model, or a new one trained on this run's candidate pairs (first run, `retrain`) and
    appended to silver.match_model: the model, its version, and whether it was trained now."""
    if lake.exists(MODEL) and not retrain:
        rows = lake.read(MODEL).collect()
        version = max(str(r["version"]) for r in rows)
        return model.Model.from_rows([r.asDict() for r in rows if r["version"] == version]), version, False
    progress.step("silver", "matching: training the model (u from random pairs, m by EM per training rule)")
    fitted = train.train_model(current, n_records, levels, settings, comparisons())
    lake.append(model.model_frame(lake.spark, fitted, run_id), MODEL)
    return fitted, run_id, True


def untouched_links(lake: Lake, current: DataFrame, touched: DataFrame, given: DataFrame | None) -> DataFrame:
    """Links between records that are unchanged and still present, but not labelled pairs (decided anew)."""
    old = lake.read(LINKS)
    if given is not None:
        old = old.join(given.select(*labels.PAIR_KEYS), list(labels.PAIR_KEYS), "left_anti")
    gone = touched.select(F.col("record_id").alias("_id"))
    live = current.select(F.col("record_id").alias("_id"))
    for side in ("left_id", "right_id"):
        old = old.join(gone, F.col(side) == F.col("_id"), "left_anti")
        old = old.join(live, F.col(side) == F.col("_id"), "left_semi")
    return old


def assign_customers(
    lake: Lake, settings: MatchingSettings, current: DataFrame, links: DataFrame, *,
    enrichment: DataFrame | None, run_id: str, now: dt.datetime,
) -> Assigned:  # fmt: skip
    """Cluster, carry ids over, write xref, history and golden records (with `enrichment`'s attributes)."""
    clusters, splits, rounds = cluster.cluster_records(
        current,
        links,
        max_size=settings.cluster.max_size,
        split_thresholds=settings.cluster.split_thresholds,
        max_iterations=settings.cluster.max_iterations,
        conflicts=conflict_comparisons(settings.cluster.conflicts),
    )
    assigned, event_rows = carry_ids(lake, clusters, run_id, now)
    if event_rows:  # before the xref that makes them: after it, a resumed run would find no change to record
        events = lake.spark.createDataFrame(event_rows, identity.HISTORY_SCHEMA)
        lake.merge(events, HISTORY, update=False)
    lake.merge(identity.to_xref(assigned, current, links), XREF, delete_missing="true")
    written = lake.read(XREF)
    contradicted: list[tuple[str, str, str]] = []
    if lake.exists(LABELS):
        given = labels.contradicted(lake.read(LABELS), written).orderBy(*labels.PAIR_KEYS)
        contradicted = [(str(a), str(b), str(c)) for a, b, c in given.collect()]
    stats = written.groupBy("customer_id").count().agg(F.count(F.lit(1)).alias("n"), F.max("count").alias("top"))
    row = stats.first()
    n, top = (int(row["n"]), int(row["top"] or 0)) if row else (0, 0)
    with_ids = current.join(written.select("record_id", "customer_id"), "record_id")
    best = golden.golden_records(with_ids, settings.survivorship, enrichment)
    lake.merge(best, CUSTOMERS, delete_missing="true")
    events_seen = Counter(str(e["event"]) for e in event_rows)
    return Assigned(written, splits, rounds, events_seen, contradicted, n, top, lake.read(CUSTOMERS).count())


def _counts(frame: DataFrame, column: str) -> Counter[str]:
    """Rows per value of `column` (one small aggregation)."""
    return Counter({r[column]: int(r["count"]) for r in frame.groupBy(column).count().collect()})


def enrichment(lake: Lake, sources: Mapping[str, SourceContract]) -> DataFrame | None:
    """The latest record per key of the first enrichment source, in its mapping's columns."""
    for name, contract in sources.items():
        if contract.entity == "enrichment" and lake.exists(tables.bronze(name)):
            bronze = lake.read(tables.bronze(name))
            latest = records.latest_versions(bronze, contract.key, contract.event_time)
            return latest.select(*[F.expr(expr).alias(col) for col, expr in contract.mapping.items()])
    return None


def build_items(lake: Lake, sources: Mapping[str, SourceContract]) -> DataFrame | None:
    """silver.items from the first item source; returns the catalogue as written."""
    for name, contract in sources.items():
        if contract.entity == "item" and lake.exists(tables.bronze(name)):
            conformed = items.to_items(lake.read(tables.bronze(name)), contract)
            lake.merge(conformed, ITEMS, delete_missing="true")
            return lake.read(ITEMS)
    return None


def build_touchpoints(
    lake: Lake, config: Config, current: DataFrame, xref: DataFrame, catalogue: DataFrame | None
) -> Touchpoints:
    """silver.touchpoints from every event source, each event on its customer; rejects to silver._quarantine."""
    with_ids = current.join(xref.select("record_id", "customer_id"), "record_id")
    frames = []
    for name, contract in config.sources.items():
        is_events = contract.entity == "touchpoint" or (contract.entity == "customer" and bool(contract.touchpoint))
        if not is_events or not lake.exists(tables.bronze(name)):
            continue
        canonical = touchpoints.to_canonical_touchpoints(lake.read(tables.bronze(name)), name, contract)
        frames.append(touchpoints.resolve_customers(canonical, contract.customer_keys, with_ids))
    if not frames:
        return Touchpoints()
    combined = frames[0]
    for frame in frames[1:]:
        combined = combined.unionByName(frame)
    stitched = touchpoints.stitch(combined, config.matching.touchpoints)
    known = catalogue if catalogue is not None else lake.spark.createDataFrame([], "item_id STRING")
    good, bad = touchpoints.split_rejects(stitched, known)
    lake.merge(good, TOUCHPOINTS, delete_missing="true", partition_by=tables.table(TOUCHPOINTS).partitioned_by)
    lake.merge(bad, QUARANTINE, delete_missing="true")
    return Touchpoints(
        _counts(lake.read(TOUCHPOINTS), "identity_method"), _counts(lake.read(QUARANTINE), "reason_code")
    )


def carry_ids(lake: Lake, clusters: DataFrame, run_id: str, now: dt.datetime) -> tuple[DataFrame, list[Row]]:
    """Ids for `clusters` carried over from silver.customer_xref, and this run's merge/split events — both computed
    now, before the xref is rewritten: a Delta DataFrame reads the table's latest version when it runs, so events
    evaluated after the write would compare the new ids with themselves and log nothing.

    Each event carries the xref version it was computed from: a run killed after writing the events but before the
    xref recomputes the same events from the same version when resumed, and the history's insert-only merge on
    key (udp/tables.py) adds none of them twice."""
    version = lake.version(XREF)
    previous = None
    if version >= 0:
        previous = lake.read(XREF, version).select("record_id", "customer_id", "first_seen_at")
    assigned, events = identity.assign_ids(clusters, previous, run_id, now)
    return cluster.checkpoint(assigned), events.withColumn("xref_version", F.lit(version).cast("bigint")).collect()


def conflict_comparisons(names: Sequence[str]) -> list[Comparison]:
    """The comparisons named by matching.cluster.conflicts, or a clear error naming the unknown one."""
    known = {c.name: c for c in comparisons()}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"matching.cluster.conflicts: unknown comparison(s) {', '.join(unknown)}; comparisons: {', '.join(known)}"
        )
    return [known[n] for n in names]


@contextmanager
def _timed(clock: dict[str, float], step: str) -> Iterator[None]:
    progress.step("silver", step)
    started = time.monotonic()
    yield
    clock[step] = time.monotonic() - started


def run(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
    """The stage: records, matching, customers, items and touch points, each step timed; then the summary."""
    lake = Lake(spark, config)
    now = dt.datetime.now(dt.UTC)
    run_id = f"silver-{now:%Y%m%dT%H%M%S}"
    clock: dict[str, float] = {}
    with _timed(clock, "customer records"):
        found = build_records(lake, config)
    try:
        with _timed(clock, "matching"):
            full = args.full or args.retrain or not lake.exists(MODEL) or not lake.exists(LINKS)
            matched = match_records(lake, config.matching, found, full=full, retrain=args.retrain, run_id=run_id)
        with _timed(clock, "clusters, ids, golden records"):
            extra = enrichment(lake, config.sources)
            assigned = assign_customers(
                lake, config.matching, found.current, matched.links, enrichment=extra, run_id=run_id, now=now
            )
        with _timed(clock, "items"):
            catalogue = build_items(lake, config.sources)
            n_items = catalogue.count() if catalogue is not None else 0
        with _timed(clock, "touch points"):
            events = build_touchpoints(lake, config, found.current, assigned.xref, catalogue)
    finally:
        found.current.unpersist()
    for table in (RECORDS, LINKS, XREF, HISTORY, CUSTOMERS, MODEL, LABELS, ITEMS, TOUCHPOINTS, QUARANTINE):
        if lake.exists(table):
            lake.register(table)
    return summarise(Ran(found, matched, assigned, n_items, events, clock), lake)


@dataclass(frozen=True)
class Ran:
    """What one silver run's steps returned, and how long each took."""

    found: Records
    matched: Matched
    assigned: Assigned
    items: int
    touchpoints: Touchpoints
    seconds: Mapping[str, float]


def summarise(ran: Ran, lake: Lake) -> Summary:
    """The run's one-screen summary, from what its steps returned."""
    found, matched, assigned, n_items, events = ran.found, ran.matched, ran.assigned, ran.items, ran.touchpoints
    summary = Summary("silver")
    summary.fact("lake", lake.root)
    summary.fact("customer records", sum(found.per_source.values()))
    summary.fact("records compared (touched)", matched.compared)
    summary.fact("match model", f"{matched.model_version} ({'trained now' if matched.trained else 'reused'})")
    summary.fact("customers", assigned.customers)
    summary.fact("largest cluster", assigned.largest_cluster)
    summary.fact("items", n_items)
    summary.table("steps", ["step", "seconds"], [(k, round(v, 1)) for k, v in ran.seconds.items()])
    summary.table("records per source", ["source", "records"], sorted(found.per_source.items()))
    summary.table("candidate pairs per blocking rule", ["rule", "pairs"], sorted(matched.pairs.items()))
    summary.table("links", ["decision", "pairs"], sorted(matched.decisions.items()))
    if matched.guards:
        rows = [(n, f"{m:.4f}", "veto" if on else "evidence") for n, m, on in matched.guards]
        summary.table("guards (veto where matches' m of `else` < veto_max_m)", ["comparison", "m else", "as"], rows)
    if matched.labels:
        honoured = ", ".join(f"{n} {label}" for label, n in sorted(matched.labels.items()))
        summary.fact("labelled pairs honoured", honoured)
    if assigned.contradicted:
        summary.table(
            f"labelled no, yet one customer through other links ({len(assigned.contradicted)})",
            ["left_id", "right_id", "customer_id"],
            assigned.contradicted[:10],
        )
    if matched.skipped_blocks:
        skipped = [(b.rule, b.key, b.records) for b in matched.skipped_blocks[:10]]
        summary.table("blocks skipped (too large)", ["rule", "key", "records"], skipped)
    if assigned.splits:
        splits = [(s.cluster, s.size, s.parts, s.threshold) for s in assigned.splits[:10]]
        summary.table("clusters split (oversized or two dates of birth)", ["cluster", "records", "parts", "at"], splits)
    summary.table("id changes", ["event", "count"], sorted(assigned.events.items()) or [("none", 0)])
    summary.table("touch points by identity", ["method", "touch points"], sorted(events.by_identity.items()))
    if events.rejects:
        summary.table("touch points rejected", ["reason", "count"], sorted(events.rejects.items()))
    return summary


def check(config: Config, args: argparse.Namespace) -> None:
    """Before Spark starts: every name the matching configuration uses exists (udp/silver/checks.py)."""
    check_matching(config.matching)


def main(argv: Sequence[str] | None = None) -> int:
    return run_job(parser(), argv, run, check)
