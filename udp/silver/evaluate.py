"""`udp evaluate-matching --truth FILE.csv`: precision, recall and F1 of silver.customer_xref against labelled truth,
pairwise and per cluster, with the false matches and misses grouped by cause.
`udp evaluate-matching --labels`: precision and recall estimated from the labels in silver.match_labels (real data,
no truth), with Wilson 95 % intervals; see udp/silver/estimate.py.

The truth is any CSV whose header holds `source,source_key,entity_id` (and optionally `household_id`): records of one
entity are one real customer. The generator's truth folder (`--truth DIR/truth`: customers.csv + persons.csv) is read
the same way, persons as entities. Every record of the truth is scored: one missing from the xref is a cluster of its
own, never dropped; xref records that the truth does not label are not scored (their count is reported).

Pairwise: a pair of records is a true match when both belong to one entity; counts come from cluster sizes (n records
make n(n-1)/2 pairs), so nothing is enumerated except the error samples. Cluster: a predicted cluster is correct when
its records are exactly one entity's records (singletons included); precision is over predicted clusters, recall over
entities.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from udp import progress, tables
from udp.config import Config
from udp.errors import UdpError
from udp.lake import Lake
from udp.runner import add_config_args, run_job
from udp.silver import estimate, labels
from udp.summary import Summary

XREF = tables.CUSTOMER_XREF
LINKS = tables.CUSTOMER_LINKS
RECORDS = tables.CUSTOMER_RECORDS
TRUTH_COLUMNS = ("source", "source_key", "entity_id")
UNMATCHED = "unmatched:"  # customer id prefix of a truth record missing from the xref (a cluster of its own)


class TruthFileError(UdpError):
    """The --truth file or folder is missing or does not have the expected columns."""


@dataclass(frozen=True)
class Scores:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    persons: int  # entities in the truth (true clusters)
    customers: int  # predicted clusters
    records: int
    correct_clusters: int = 0  # predicted clusters whose records are exactly one entity's

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    @property
    def cluster_precision(self) -> float:
        return self.correct_clusters / self.customers if self.customers else 1.0

    @property
    def cluster_recall(self) -> float:
        return self.correct_clusters / self.persons if self.persons else 1.0

    @property
    def cluster_f1(self) -> float:
        return _f1(self.cluster_precision, self.cluster_recall)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(n: Column) -> Column:
    return F.coalesce(F.sum(n * (n - 1) / 2), F.lit(0)).cast("long")


def score(assigned: DataFrame, entity: str = "entity_id") -> Scores:
    """Pairwise and exact-cluster scores of a frame (record_id, customer_id, <entity>): one row per record."""
    both = assigned.groupBy("customer_id", entity).agg(F.count(F.lit(1)).alias("n")).persist()
    try:
        predicted = both.groupBy("customer_id").agg(F.sum("n").alias("size"))
        true = both.groupBy(entity).agg(F.sum("n").alias("size"))
        joint = both.agg(
            F.coalesce(F.sum("n"), F.lit(0)).alias("records"), _pairs(F.col("n")).alias("pairs")
        ).collect()[0]
        pred = predicted.agg(F.count(F.lit(1)).alias("clusters"), _pairs(F.col("size")).alias("pairs")).collect()[0]
        real = true.agg(F.count(F.lit(1)).alias("clusters"), _pairs(F.col("size")).alias("pairs")).collect()[0]
        exact = (
            both.join(predicted.withColumnRenamed("size", "_p"), "customer_id")
            .join(true.withColumnRenamed("size", "_t"), entity)
            .where((F.col("n") == F.col("_p")) & (F.col("n") == F.col("_t")))
            .count()
        )
    finally:
        both.unpersist()
    return Scores(
        true_pairs=int(real["pairs"]),
        predicted_pairs=int(pred["pairs"]),
        correct_pairs=int(joint["pairs"]),
        persons=int(real["clusters"]),
        customers=int(pred["clusters"]),
        records=int(joint["records"]),
        correct_clusters=exact,
    )


# --------------------------------------------------------------------------------------------------------------------
# The truth
# --------------------------------------------------------------------------------------------------------------------


def check_truth(path: str) -> None:
    """Raise TruthFileError unless `path` is a truth CSV with the expected header, or the generator's truth folder."""
    p = Path(path)
    usage = "--truth takes a CSV with header source,source_key,entity_id, or the generator's DIR/truth folder"
    if p.is_dir():
        for f in (p / "customers.csv", p / "persons.csv"):
            if not f.is_file():
                raise TruthFileError(f"ground truth file not found: {f} ({usage})")
        return
    if not p.is_file():
        raise TruthFileError(f"ground truth not found: {p} ({usage})")
    with p.open(encoding="utf-8-sig") as handle:
        header = handle.readline().strip()
    columns = [c.strip() for c in header.split(",")]
    missing = [c for c in TRUTH_COLUMNS if c not in columns]
    if missing:
        raise TruthFileError(f"ground truth {p}: header has no {', '.join(missing)} (found: {header!r}; {usage})")


def read_truth(spark: SparkSession, path: str) -> DataFrame:
    """(source, source_key, entity_id, household_id) of every labelled record; household_id may be null."""
    check_truth(path)
    p = Path(path)
    reader = spark.read.option("header", "true")
    if p.is_dir():
        customers = reader.csv(str(p / "customers.csv"))
        people = reader.csv(str(p / "persons.csv")).select(
            "person_id", F.when(F.col("household_id") != "", F.col("household_id")).alias("household_id")
        )
        labelled = customers.join(people, "person_id", "left").withColumnRenamed("person_id", "entity_id")
    else:
        labelled = reader.csv(str(p))
        if "household_id" not in labelled.columns:
            labelled = labelled.withColumn("household_id", F.lit(None).cast("string"))
    household = F.when(F.trim(F.col("household_id")) != "", F.trim(F.col("household_id"))).alias("household_id")
    return labelled.select("source", "source_key", "entity_id", household).distinct()


def with_predictions(truth: DataFrame, xref: DataFrame) -> DataFrame:
    """Every truth record with its predicted customer_id; one missing from `xref` is a customer of its own."""
    key = F.concat_ws(":", "source", "source_key")
    joined = truth.join(
        xref.select("source", "source_key", "record_id", "customer_id"), ["source", "source_key"], "left"
    )
    return joined.select(
        F.coalesce(F.col("record_id"), key).alias("record_id"),
        F.coalesce(F.col("customer_id"), F.concat(F.lit(UNMATCHED), key)).alias("customer_id"),
        "entity_id",
        "household_id",
        F.col("record_id").isNotNull().alias("in_xref"),
    )


# --------------------------------------------------------------------------------------------------------------------
# Errors by cause
# --------------------------------------------------------------------------------------------------------------------


def false_matches(assigned: DataFrame) -> DataFrame:
    """Pairs of records put in one customer that are different entities, with the cause."""
    a = assigned.select(
        F.col("record_id").alias("a"), "customer_id", F.col("entity_id").alias("pa"), F.col("household_id").alias("ha")
    )
    b = assigned.select(
        F.col("record_id").alias("b"), "customer_id", F.col("entity_id").alias("pb"), F.col("household_id").alias("hb")
    )
    wrong = a.join(b, "customer_id").where((F.col("a") < F.col("b")) & (F.col("pa") != F.col("pb")))
    cause = F.when(F.col("ha").isNotNull() & (F.col("ha") == F.col("hb")), F.lit("household members")).otherwise(
        F.lit("different people")
    )
    return wrong.withColumn("cause", cause)


def missed_matches(assigned: DataFrame, links: DataFrame) -> DataFrame:
    """Pairs of records of one entity left in different customers, with the cause."""
    a = assigned.select(
        F.col("record_id").alias("a"), "entity_id", F.col("customer_id").alias("ca"), F.col("in_xref").alias("xa")
    )
    b = assigned.select(
        F.col("record_id").alias("b"), "entity_id", F.col("customer_id").alias("cb"), F.col("in_xref").alias("xb")
    )
    missed = a.join(b, "entity_id").where((F.col("a") < F.col("b")) & (F.col("ca") != F.col("cb")))
    kept = links.select(
        F.col("left_id").alias("a"), F.col("right_id").alias("b"), "decision", "guard", "rule", "probability"
    )
    joined = missed.join(kept, ["a", "b"], "left")
    cause = (
        F.when(~(F.col("xa") & F.col("xb")), F.lit("record not in silver.customer_xref"))
        .when(F.col("decision").isNull(), F.lit("not a candidate pair, or scored below the review band"))
        .when(F.col("rule").startswith(labels.RULE_PREFIX), F.concat(F.lit("labelled: "), F.col("rule")))
        .when(F.col("guard").isNotNull(), F.concat(F.lit("guard: "), F.col("guard")))
        .when(F.col("rule") == "names only", F.lit("names only (no corroborating field)"))
        .when(F.col("decision") == "review", F.lit("in the review band"))
        .otherwise(F.lit("linked, but the cluster was split"))
    )
    return joined.withColumn("cause", cause)


def evaluate(spark: SparkSession, lake: Lake, truth_path: str) -> Summary:
    truth = read_truth(spark, truth_path).persist()
    xref = lake.read(XREF).select("source", "source_key", "record_id", "customer_id")
    assigned = with_predictions(truth, xref).persist()
    s = score(assigned)
    absent = assigned.where(~F.col("in_xref")).count()
    unlabelled = xref.join(truth, ["source", "source_key"], "left_anti").count()
    summary = Summary("matching evaluation")
    summary.fact("truth", truth_path)
    summary.fact("records evaluated", s.records)
    summary.fact("  of which missing from the xref (singletons)", absent)
    summary.fact("xref records not in the truth (not scored)", unlabelled)
    summary.fact("entities (truth)", s.persons)
    summary.fact("customers (udp)", s.customers)
    summary.fact("true pairs", s.true_pairs)
    summary.fact("predicted pairs", s.predicted_pairs)
    summary.fact("pairwise precision", f"{s.precision:.4f}")
    summary.fact("pairwise recall", f"{s.recall:.4f}")
    summary.fact("pairwise F1", f"{s.f1:.4f}")
    summary.fact("exact clusters", s.correct_clusters)
    summary.fact("cluster precision", f"{s.cluster_precision:.4f}")
    summary.fact("cluster recall", f"{s.cluster_recall:.4f}")
    summary.fact("cluster F1", f"{s.cluster_f1:.4f}")
    summary.table("false matches by cause", ["cause", "pairs"], _by_cause(false_matches(assigned)))
    links = lake.read(LINKS) if lake.exists(LINKS) else _no_links(spark)
    summary.table("missed matches by cause", ["cause", "pairs"], _by_cause(missed_matches(assigned, links)))
    assigned.unpersist()
    truth.unpersist()
    return summary


def evaluate_labels(lake: Lake) -> Summary:
    """Precision and recall estimated from silver.match_labels."""
    for table in (labels.LABELS, LINKS, RECORDS):
        if not lake.exists(table):
            hint = (
                "label pairs with `udp review export` and `udp review apply`"
                if table == labels.LABELS
                else ("run `udp run silver` first")
            )
            raise UdpError(f"{table} does not exist under {lake.root}: {hint}")
    outcomes = estimate.label_outcomes(lake.read(labels.LABELS), lake.read(LINKS), lake.read(RECORDS))
    e = estimate.estimate_from_labels(outcomes)
    summary = Summary("matching estimate from labels")
    summary.fact("labels", e.labels)
    summary.fact("pairwise precision", e.precision.render())
    summary.fact("pairwise recall", e.recall.render())
    if e.without_records:
        summary.fact("labels not used (a record is gone)", e.without_records)
    summary.text(
        "how to read it",
        "precision: labelled pairs the model linked that are labelled yes; recall: yes pairs the model linked.\n"
        "Review-band labels are the hard pairs, so recall is a lower bound; precision is representative when the\n"
        "matches labelled are a random sample (udp review export --matches N).",
    )
    return summary


def _no_links(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [], "left_id STRING, right_id STRING, decision STRING, guard STRING, rule STRING, probability DOUBLE"
    )


def _by_cause(df: DataFrame) -> list[tuple[str, int]]:
    rows = df.groupBy("cause").count().orderBy(F.desc("count")).collect()
    return [(str(r["cause"]), int(r["count"])) for r in rows] or [("none", 0)]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="udp evaluate-matching",
        description="Pairwise and cluster precision, recall and F1 of silver.customer_xref against a truth file "
        "(--truth FILE.csv with source,source_key,entity_id, or the generator's DIR/truth), or precision and recall "
        "estimated from people's labels in silver.match_labels, with Wilson 95 % "
        "intervals (--labels, for real data where no truth exists).",
    )
    add_config_args(p)
    progress.add_quiet_arg(p)
    against = p.add_mutually_exclusive_group(required=True)
    against.add_argument(
        "--truth",
        help="a CSV with header source,source_key,entity_id (optional household_id), or the generator's DIR/truth",
    )
    against.add_argument(
        "--labels",
        action="store_true",
        help="estimate precision and recall from the labels of silver.match_labels (udp review apply)",
    )
    return p


def check(config: Config, args: argparse.Namespace) -> None:
    if args.labels:
        return
    check_truth(args.truth)


def main(argv: Sequence[str] | None = None) -> int:
    def body(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
        lake = Lake(spark, config)
        return evaluate_labels(lake) if args.labels else evaluate(spark, lake, args.truth)

    return run_job(parser(), argv, body, check, logged=False)
