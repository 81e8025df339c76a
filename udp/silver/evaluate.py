"""`udp evaluate-matching --truth DIR/truth`: pairwise precision, recall and F1 of silver.customer_xref against the
generator's ground truth, cluster counts, and the false matches and misses grouped by cause.
`udp evaluate-matching --labels`: precision and recall estimated from the labels in silver.match_labels (real data,
no truth), with Wilson 95 % intervals; see udp/silver/estimate.py.

A pair of records is a true match when both belong to the same person. Counts are computed from cluster sizes
(n records make n(n-1)/2 pairs), so nothing is enumerated except the error samples.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from udp.config import Config
from udp.errors import InputPathError, UdpError
from udp.lake import Lake
from udp.runner import add_config_args, run_job
from udp.silver import estimate, labels
from udp.summary import Summary

XREF = "silver.customer_xref"
LINKS = "silver.customer_links"
RECORDS = "silver.customer_records"


@dataclass(frozen=True)
class Scores:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    persons: int
    customers: int
    records: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(df: DataFrame, *keys: str) -> int:
    counts = df.groupBy(*keys).agg(F.count(F.lit(1)).alias("n"))
    row = counts.agg(F.sum(F.col("n") * (F.col("n") - 1) / 2).alias("pairs")).first()
    return int(row["pairs"] or 0) if row else 0


def score(assigned: DataFrame) -> Scores:
    """Pairwise scores of a frame (record_id, customer_id, person_id)."""
    counts = assigned.agg(
        F.count(F.lit(1)).alias("records"),
        F.countDistinct("person_id").alias("persons"),
        F.countDistinct("customer_id").alias("customers"),
    ).first()
    assert counts is not None
    return Scores(
        true_pairs=_pairs(assigned, "person_id"),
        predicted_pairs=_pairs(assigned, "customer_id"),
        correct_pairs=_pairs(assigned, "customer_id", "person_id"),
        persons=int(counts["persons"]),
        customers=int(counts["customers"]),
        records=int(counts["records"]),
    )


def read_truth(spark: SparkSession, truth_dir: str) -> tuple[DataFrame, DataFrame]:
    folder = Path(truth_dir)
    customers, persons = folder / "customers.csv", folder / "persons.csv"
    for f in (customers, persons):
        if not f.is_file():
            raise InputPathError(f"ground truth file not found: {f} (pass --truth <generated dir>/truth)")
    truth = spark.read.option("header", "true").csv(str(customers))
    people = spark.read.option("header", "true").csv(str(persons))
    return truth, people


def false_matches(assigned: DataFrame, people: DataFrame) -> DataFrame:
    """Pairs of records put in one customer that are different persons, with the cause."""
    a = assigned.select(
        F.col("record_id").alias("a"), "customer_id", F.col("person_id").alias("pa"), F.col("household_id").alias("ha")
    )
    b = assigned.select(
        F.col("record_id").alias("b"), "customer_id", F.col("person_id").alias("pb"), F.col("household_id").alias("hb")
    )
    wrong = a.join(b, "customer_id").where((F.col("a") < F.col("b")) & (F.col("pa") != F.col("pb")))
    cause = F.when(F.col("ha").isNotNull() & (F.col("ha") == F.col("hb")), F.lit("household members")).otherwise(
        F.lit("different people")
    )
    return wrong.withColumn("cause", cause)


def missed_matches(assigned: DataFrame, links: DataFrame) -> DataFrame:
    """Pairs of records of one person left in different customers, with the cause."""
    a = assigned.select(F.col("record_id").alias("a"), "person_id", F.col("customer_id").alias("ca"))
    b = assigned.select(F.col("record_id").alias("b"), "person_id", F.col("customer_id").alias("cb"))
    missed = a.join(b, "person_id").where((F.col("a") < F.col("b")) & (F.col("ca") != F.col("cb")))
    kept = links.select(
        F.col("left_id").alias("a"), F.col("right_id").alias("b"), "decision", "guard", "rule", "probability"
    )
    joined = missed.join(kept, ["a", "b"], "left")
    cause = (
        F.when(F.col("decision").isNull(), F.lit("not a candidate pair, or scored below the review band"))
        .when(F.col("rule").startswith(labels.RULE_PREFIX), F.concat(F.lit("labelled: "), F.col("rule")))
        .when(F.col("guard").isNotNull(), F.concat(F.lit("guard: "), F.col("guard")))
        .when(F.col("rule") == "names only", F.lit("names only (no corroborating field)"))
        .when(F.col("decision") == "review", F.lit("in the review band"))
        .otherwise(F.lit("linked, but the cluster was split"))
    )
    return joined.withColumn("cause", cause)


def evaluate(spark: SparkSession, lake: Lake, truth_dir: str) -> Summary:
    truth, people = read_truth(spark, truth_dir)
    xref = lake.read(XREF).select("source", "source_key", "record_id", "customer_id")
    assigned = (
        xref.join(truth, ["source", "source_key"])
        .join(people.select("person_id", F.nullif(F.col("household_id"), F.lit("")).alias("household_id")), "person_id")
        .persist()
    )
    s = score(assigned)
    summary = Summary("matching evaluation")
    summary.fact("records evaluated", s.records)
    summary.fact("persons (truth)", s.persons)
    summary.fact("customers (udp)", s.customers)
    summary.fact("true pairs", s.true_pairs)
    summary.fact("predicted pairs", s.predicted_pairs)
    summary.fact("pairwise precision", f"{s.precision:.4f}")
    summary.fact("pairwise recall", f"{s.recall:.4f}")
    summary.fact("pairwise F1", f"{s.f1:.4f}")
    wrong = false_matches(assigned, people)
    summary.table("false matches by cause", ["cause", "pairs"], _by_cause(wrong))
    missed = missed_matches(assigned, lake.read(LINKS))
    summary.table("missed matches by cause", ["cause", "pairs"], _by_cause(missed))
    assigned.unpersist()
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


def _by_cause(df: DataFrame) -> list[tuple[str, int]]:
    rows = df.groupBy("cause").count().orderBy(F.desc("count")).collect()
    return [(str(r["cause"]), int(r["count"])) for r in rows] or [("none", 0)]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="udp evaluate-matching",
        description="Pairwise precision, recall and F1 of silver.customer_xref against the generator's truth "
        "(--truth), or precision and recall estimated from people's labels in silver.match_labels, with Wilson 95 % "
        "intervals (--labels, for real data where no truth exists).",
    )
    add_config_args(p)
    against = p.add_mutually_exclusive_group(required=True)
    against.add_argument("--truth", help="the generator's truth folder (DIR/truth)")
    against.add_argument(
        "--labels",
        action="store_true",
        help="estimate precision and recall from the labels of silver.match_labels (udp review apply)",
    )
    return p


def check(config: Config, args: argparse.Namespace) -> None:
    if args.labels:
        return
    read_truth_paths = [Path(args.truth) / "customers.csv", Path(args.truth) / "persons.csv"]
    for f in read_truth_paths:
        if not f.is_file():
            raise InputPathError(f"ground truth file not found: {f} (pass --truth <generated dir>/truth)")


def main(argv: Sequence[str] | None = None) -> int:
    def body(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
        lake = Lake(spark, config)
        return evaluate_labels(lake) if args.labels else evaluate(spark, lake, args.truth)

    return run_job(parser(), argv, body, check)
