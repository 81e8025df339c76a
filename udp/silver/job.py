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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from udp import tables
from udp.config import Config
from udp.errors import ConfigError
from udp.lake import Lake
from udp.runner import add_config_args, run_job
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


@dataclass
class SilverResult:
    """What one silver run did, for the summary."""

    records: Counter[str] = field(default_factory=Counter)
    touched: int = 0
    pairs: Counter[str] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)
    skipped_blocks: list[blocking.SkippedBlock] = field(default_factory=list)
    model_version: str = ""
    guards: list[tuple[str, float, bool]] = field(default_factory=list)
    trained: bool = False
    clusters: int = 0
    largest_cluster: int = 0
    rounds: int = 0
    splits: list[cluster.SplitReport] = field(default_factory=list)
    labels: Counter[str] = field(default_factory=Counter)
    contradicted: list[tuple[str, str, str]] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    customers: int = 0
    items: int = 0
    touchpoints: Counter[str] = field(default_factory=Counter)
    rejects: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="silver", description="Build the Single Customer View, items and touch points.")
    add_config_args(p)
    p.add_argument("--retrain", action="store_true", help="re-estimate the match model (new weights)")
    p.add_argument("--full", action="store_true", help="re-score every candidate pair, not only touched records")
    return p


def customer_sources(config: Config, lake: Lake) -> list[str]:
    return [n for n, c in config.sources.items() if c.entity == "customer" and lake.exists(tables.bronze(n))]


@dataclass
class SilverRun:
    """One run of the silver stage: each step writes its tables through the lake and fills `result`."""

    spark: SparkSession
    lake: Lake
    config: Config
    args: argparse.Namespace
    now: dt.datetime
    result: SilverResult = field(default_factory=SilverResult)

    @property
    def run_id(self) -> str:
        return f"silver-{self.now:%Y%m%dT%H%M%S}"

    def build_records(self) -> tuple[DataFrame, DataFrame]:
        """Write silver.customer_records; returns (records as written, touched record ids).

        Touched = new or changed since the last run, plus those a killed run merged but never matched: the ids are
        saved in silver._unmatched before the merge, because after it the records themselves no longer show them.
        """
        lake, config = self.lake, self.config
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
        for r in current.groupBy("source").count().collect():
            self.result.records[r["source"]] = int(r["count"])
        if not lake.exists(UNMATCHED):
            return current, self.spark.createDataFrame([], "record_id STRING")
        return current, lake.read(UNMATCHED).select("record_id")

    def match_records(self, current: DataFrame, touched: DataFrame) -> DataFrame:
        """Score candidate pairs of touched records and merge them into silver.customer_links; returns all links."""
        lake, settings, result = self.lake, self.config.matching, self.result
        items_ = comparisons()
        full = self.args.full or self.args.retrain or not lake.exists(MODEL) or not lake.exists(LINKS)
        scope = None if full else touched.persist(StorageLevel.MEMORY_AND_DISK)
        result.touched = current.count() if full else touched.count()
        keyed = current.select("record_id", *records.MATCH_KEYS.values())
        pairs, result.skipped_blocks = blocking.candidate_pairs(keyed, settings.blocking, scope)
        given = self._labels()
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
            for r in levels.groupBy("blocking_rule").count().collect():
                result.pairs[r["blocking_rule"]] = int(r["count"])
            fitted, version = self._model(current, levels)
            result.model_version = version
            identifiers = settings.deterministic
            shared = match.shared_values(current, identifiers.identifiers, identifiers.max_records_per_value)
            scored = levels.transform(match.with_scores(fitted, items_, settings.training.term_frequency))
            vetoes = match.active_guards(fitted, settings.guards, settings.veto_max_m)
            result.guards = [(n, m, n in vetoes) for n, m in match.guard_evidence(fitted, settings.guards)]
            decided = scored.transform(match.with_decisions(settings, items_, shared, vetoes))
            if given is not None:
                decided = decided.transform(labels.with_labels(given))
            new_links = match.to_links(decided, version)
            links = new_links if full else self._untouched_links(current, touched, given).unionByName(new_links)
            lake.merge(links, LINKS, delete_missing="true")
            if lake.exists(UNMATCHED) and not lake.read(UNMATCHED).isEmpty():
                lake.delete(UNMATCHED, "true")  # their links are written: matched
        finally:
            levels.unpersist()
            if scope is not None:
                scope.unpersist()
        all_links = lake.read(LINKS)
        for r in all_links.groupBy("decision").count().collect():
            result.decisions[r["decision"]] = int(r["count"])
        if given is not None:
            for r in labels.honoured(all_links).collect():
                result.labels[r["label"]] = int(r["count"])
        return all_links

    def _labels(self) -> DataFrame | None:
        return self.lake.read(LABELS) if self.lake.exists(LABELS) else None

    def _model(self, current: DataFrame, levels: DataFrame) -> tuple[model.Model, str]:
        """The stored match model, or a new one trained on this run's candidate pairs (first run, --retrain)."""
        items_ = comparisons()
        if self.lake.exists(MODEL) and not self.args.retrain:
            rows = self.lake.read(MODEL).collect()
            version = max(str(r["version"]) for r in rows)
            return model.Model.from_rows([r.asDict() for r in rows if r["version"] == version]), version
        fitted = train.train_model(current, levels, self.config.matching, items_)
        self.lake.append(model.model_frame(self.spark, fitted, self.run_id), MODEL)
        self.result.trained = True
        return fitted, self.run_id

    def _untouched_links(self, current: DataFrame, touched: DataFrame, given: DataFrame | None) -> DataFrame:
        """Links between records that are unchanged and still present, but not labelled pairs (decided anew)."""
        old = self.lake.read(LINKS)
        if given is not None:
            old = old.join(given.select(*labels.PAIR_KEYS), list(labels.PAIR_KEYS), "left_anti")
        gone = touched.select(F.col("record_id").alias("_id"))
        live = current.select(F.col("record_id").alias("_id"))
        for side in ("left_id", "right_id"):
            old = old.join(gone, F.col(side) == F.col("_id"), "left_anti")
            old = old.join(live, F.col(side) == F.col("_id"), "left_semi")
        return old

    def assign_customers(self, current: DataFrame, links: DataFrame) -> DataFrame:
        """Cluster, carry ids over, write xref, history and golden records; returns the xref."""
        lake, settings, result = self.lake, self.config.matching.cluster, self.result
        clusters, result.splits, result.rounds = cluster.cluster_records(
            current,
            links,
            max_size=settings.max_size,
            split_thresholds=settings.split_thresholds,
            max_iterations=settings.max_iterations,
            conflicts=conflict_comparisons(settings.conflicts),
        )
        assigned, event_rows = carry_ids(lake, clusters, self.run_id, self.now)
        if event_rows:  # before the xref that makes them: after it, a resumed run would find no change to record
            events = self.spark.createDataFrame(event_rows, identity.HISTORY_SCHEMA)
            lake.merge(events, HISTORY, update=False)
        lake.merge(identity.to_xref(assigned, current, links), XREF, delete_missing="true")
        result.events.update(Counter(str(e["event"]) for e in event_rows))
        written = lake.read(XREF)
        given = self._labels()
        if given is not None:
            result.contradicted = [
                tuple(r) for r in labels.contradicted(given, written).orderBy(*labels.PAIR_KEYS).collect()
            ]
        stats = written.groupBy("customer_id").count().agg(F.count(F.lit(1)).alias("n"), F.max("count").alias("top"))
        row = stats.first()
        result.clusters, result.largest_cluster = (int(row["n"]), int(row["top"] or 0)) if row else (0, 0)
        with_ids = current.join(written.select("record_id", "customer_id"), "record_id")
        best = golden.golden_records(with_ids, self.config.matching.survivorship, self._enrichment())
        lake.merge(best, CUSTOMERS, delete_missing="true")
        result.customers = lake.read(CUSTOMERS).count()
        return written

    def _enrichment(self) -> DataFrame | None:
        for name, contract in self.config.sources.items():
            if contract.entity == "enrichment" and self.lake.exists(tables.bronze(name)):
                bronze = self.lake.read(tables.bronze(name))
                latest = records.latest_versions(bronze, contract.key, contract.event_time)
                return latest.select(*[F.expr(expr).alias(col) for col, expr in contract.mapping.items()])
        return None

    def build_items(self) -> DataFrame | None:
        for name, contract in self.config.sources.items():
            if contract.entity == "item" and self.lake.exists(tables.bronze(name)):
                conformed = items.to_items(self.lake.read(tables.bronze(name)), contract)
                self.lake.merge(conformed, ITEMS, delete_missing="true")
                catalogue = self.lake.read(ITEMS)
                self.result.items = catalogue.count()
                return catalogue
        return None

    def build_touchpoints(self, current: DataFrame, xref: DataFrame, catalogue: DataFrame | None) -> None:
        lake, result = self.lake, self.result
        with_ids = current.join(xref.select("record_id", "customer_id"), "record_id")
        frames = []
        for name, contract in self.config.sources.items():
            is_events = contract.entity == "touchpoint" or (contract.entity == "customer" and bool(contract.touchpoint))
            if not is_events or not lake.exists(tables.bronze(name)):
                continue
            canonical = touchpoints.to_canonical_touchpoints(lake.read(tables.bronze(name)), name, contract)
            frames.append(touchpoints.resolve_customers(canonical, contract.customer_keys, with_ids))
        if not frames:
            return
        combined = frames[0]
        for frame in frames[1:]:
            combined = combined.unionByName(frame)
        stitched = touchpoints.stitch(combined, self.config.matching.touchpoints)
        known = catalogue if catalogue is not None else self.spark.createDataFrame([], "item_id STRING")
        good, bad = touchpoints.split_rejects(stitched, known)
        lake.merge(good, TOUCHPOINTS, delete_missing="true", partition_by=tables.table(TOUCHPOINTS).partitioned_by)
        lake.merge(bad, QUARANTINE, delete_missing="true")
        for r in lake.read(TOUCHPOINTS).groupBy("identity_method").count().collect():
            result.touchpoints[r["identity_method"]] = int(r["count"])
        for r in lake.read(QUARANTINE).groupBy("reason_code").count().collect():
            result.rejects[r["reason_code"]] = int(r["count"])


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
    return assigned.localCheckpoint(), events.withColumn("xref_version", F.lit(version).cast("bigint")).collect()


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
    started = time.monotonic()
    yield
    clock[step] = time.monotonic() - started


def run(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
    lake = Lake(spark, config)
    silver = SilverRun(spark, lake, config, args, dt.datetime.now(dt.UTC))
    clock = silver.result.seconds
    with _timed(clock, "customer records"):
        current, touched = silver.build_records()
    try:
        with _timed(clock, "matching"):
            links = silver.match_records(current, touched)
        with _timed(clock, "clusters, ids, golden records"):
            xref = silver.assign_customers(current, links)
        with _timed(clock, "items"):
            catalogue = silver.build_items()
        with _timed(clock, "touch points"):
            silver.build_touchpoints(current, xref, catalogue)
    finally:
        current.unpersist()
    for table in (RECORDS, LINKS, XREF, HISTORY, CUSTOMERS, MODEL, LABELS, ITEMS, TOUCHPOINTS, QUARANTINE):
        if lake.exists(table):
            lake.register(table)
    return summarise(silver.result, lake)


def summarise(result: SilverResult, lake: Lake) -> Summary:
    summary = Summary("silver")
    summary.fact("lake", lake.root)
    summary.fact("customer records", sum(result.records.values()))
    summary.fact("records compared (touched)", result.touched)
    summary.fact("match model", f"{result.model_version} ({'trained now' if result.trained else 'reused'})")
    summary.fact("customers", result.customers)
    summary.fact("largest cluster", result.largest_cluster)
    summary.fact("items", result.items)
    summary.table("steps", ["step", "seconds"], [(k, round(v, 1)) for k, v in result.seconds.items()])
    summary.table("records per source", ["source", "records"], sorted(result.records.items()))
    summary.table("candidate pairs per blocking rule", ["rule", "pairs"], sorted(result.pairs.items()))
    summary.table("links", ["decision", "pairs"], sorted(result.decisions.items()))
    if result.guards:
        rows = [(n, f"{m:.4f}", "veto" if on else "evidence") for n, m, on in result.guards]
        summary.table("guards (veto where matches' m of `else` < veto_max_m)", ["comparison", "m else", "as"], rows)
    if result.labels:
        summary.fact("labelled pairs honoured", ", ".join(f"{n} {label}" for label, n in sorted(result.labels.items())))
    if result.contradicted:
        summary.table(
            f"labelled no, yet one customer through other links ({len(result.contradicted)})",
            ["left_id", "right_id", "customer_id"],
            result.contradicted[:10],
        )
    if result.skipped_blocks:
        skipped = [(b.rule, b.key, b.records) for b in result.skipped_blocks[:10]]
        summary.table("blocks skipped (too large)", ["rule", "key", "records"], skipped)
    if result.splits:
        splits = [(s.cluster, s.size, s.parts, s.threshold) for s in result.splits[:10]]
        summary.table("clusters split (oversized or two dates of birth)", ["cluster", "records", "parts", "at"], splits)
    summary.table("id changes", ["event", "count"], sorted(result.events.items()) or [("none", 0)])
    summary.table("touch points by identity", ["method", "touch points"], sorted(result.touchpoints.items()))
    if result.rejects:
        summary.table("touch points rejected", ["reason", "count"], sorted(result.rejects.items()))
    return summary


def check(config: Config, args: argparse.Namespace) -> None:
    """Before Spark starts: every name the matching configuration uses exists (udp/silver/checks.py)."""
    check_matching(config.matching)


def main(argv: Sequence[str] | None = None) -> int:
    return run_job(parser(), argv, run, check)
