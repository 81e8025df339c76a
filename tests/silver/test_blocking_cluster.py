"""Blocking (rules, exclusions, caps) and clustering (chains, giant-cluster guard)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from tests.frames import assert_rows
from udp.settings.matching import BlockingRule, BlockingSettings
from udp.silver.blocking import candidate_pairs
from udp.silver.cluster import checkpoint, cluster_records, connected_components
from udp.silver.compare import comparisons

KEYS = "record_id STRING, m_email STRING, m_first_key STRING, m_last STRING"


def test_each_pair_comes_from_the_first_rule_that_finds_it_and_carries_every_rule_that_did(
    spark: SparkSession,
) -> None:
    records = spark.createDataFrame(
        [
            ("a", "x@y.com", "ann", "lee"),
            ("b", "x@y.com", "ann", "lee"),
            ("c", None, "ann", "lee"),
            ("d", None, "bob", "lee"),
        ],
        KEYS,
    )
    rules = (BlockingRule("email", ("email",)), BlockingRule("name", ("first_key", "last_name")))
    pairs, skipped = candidate_pairs(records, BlockingSettings(100, rules))
    # rule_bits: bit 0 for `email`, bit 1 for `name` (a and b share both)
    assert_rows(pairs, [("a", "b", "email", 0b11), ("a", "c", "name", 0b10), ("b", "c", "name", 0b10)])
    assert skipped == []


def test_swapped_keys_find_first_and_last_name_the_other_way_round(spark: SparkSession) -> None:
    records = spark.createDataFrame([("a", None, "wei", "chen"), ("b", None, "chen", "wei")], KEYS)
    rule = BlockingRule("swapped", ("first_key", "last_name"), ("last_name", "first_key"))
    pairs, _ = candidate_pairs(records, BlockingSettings(100, (rule,)))
    assert_rows(pairs, [("a", "b", "swapped", 1)])


def test_a_block_over_the_cap_is_skipped_and_reported(spark: SparkSession) -> None:
    shop = [(f"r{i}", "shop@store.com", f"n{i}", "x") for i in range(6)]
    records = spark.createDataFrame([*shop, ("p", "me@x.com", "p", "q"), ("q", "me@x.com", "p", "q")], KEYS)
    pairs, skipped = candidate_pairs(records, BlockingSettings(5, (BlockingRule("email", ("email",)),)))
    assert_rows(pairs, [("p", "q", "email", 1)])
    assert [(s.rule, s.key, s.records) for s in skipped] == [("email", "shop@store.com", 6)]


def test_oversized_blocks_of_several_rules_are_skipped_per_rule_and_reported_largest_first(
    spark: SparkSession,
) -> None:
    shop = [(f"r{i}", "shop@store.com", f"n{i}", "x") for i in range(6)]
    smiths = [(f"s{i}", f"s{i}@x.com", "jo", "smith") for i in range(7)]
    records = spark.createDataFrame([*shop, *smiths, ("p", "me@x.com", "p", "q"), ("q", "me@x.com", "p", "q")], KEYS)
    rules = (BlockingRule("email", ("email",)), BlockingRule("name", ("first_key", "last_name")))
    pairs, skipped = candidate_pairs(records, BlockingSettings(5, rules))
    # The shop's records share only their email, too common for `email`; the Smiths share only their name, too common
    # for `name`: only p and q pair.
    assert_rows(pairs, [("p", "q", "email", 0b11)])
    assert [(s.rule, s.key, s.records) for s in skipped] == [("email", "shop@store.com", 6), ("name", "jo|smith", 7)]


def test_only_pairs_with_a_touched_record_are_generated(spark: SparkSession) -> None:
    records = spark.createDataFrame([(k, "x@y.com", "a", "b") for k in "abc"], KEYS)
    touched = spark.createDataFrame([("c",)], "record_id STRING")
    pairs, _ = candidate_pairs(records, BlockingSettings(100, (BlockingRule("email", ("email",)),)), touched)
    assert_rows(pairs, [("a", "c", "email", 1), ("b", "c", "email", 1)])


def test_a_chain_of_links_is_one_cluster(spark: SparkSession) -> None:
    nodes = spark.createDataFrame([(n,) for n in "abcdexy"], "id STRING")
    edges = spark.createDataFrame(
        [("a", "b"), ("c", "b"), ("c", "d"), ("e", "d"), ("x", "y")], "src STRING, dst STRING"
    )
    labels, rounds = connected_components(nodes, edges, max_iterations=10)
    assert_rows(labels, [(n, "a") for n in "abcde"] + [("x", "x"), ("y", "x")])
    assert rounds >= 2


def test_a_giant_cluster_is_split_at_its_weakest_links(spark: SparkSession) -> None:
    records = spark.createDataFrame([(n,) for n in "abcdef"], "record_id STRING")
    strong, weak = 0.99999, 0.991
    links = spark.createDataFrame(
        [("a", "b", strong), ("b", "c", strong), ("c", "d", weak), ("d", "e", strong), ("e", "f", strong)],
        "left_id STRING, right_id STRING, probability DOUBLE",
    ).selectExpr("*", "'match' AS decision", "'probabilistic' AS rule")
    clusters, reports, _ = cluster_records(records, links, max_size=4, split_thresholds=(0.999,), max_iterations=10)
    assert_rows(clusters, [("a", "a"), ("b", "a"), ("c", "a"), ("d", "d"), ("e", "d"), ("f", "d")])
    assert [(r.size, r.parts, r.threshold) for r in reports] == [(6, 2, "0.999")]


def test_each_split_cluster_reports_its_own_records_and_parts(spark: SparkSession) -> None:
    """Two giants split in one round: each report row counts its own cluster's parts, not the round's total."""
    records = spark.createDataFrame([(n,) for n in "abcdefuvwxy"], "record_id STRING")
    strong, weak = 0.99999, 0.991
    chain = [("a", "b", strong), ("b", "c", strong), ("c", "d", weak), ("d", "e", strong), ("e", "f", strong)]
    chain += [("u", "v", weak), ("v", "w", strong), ("w", "x", weak), ("x", "y", weak)]
    links = spark.createDataFrame(chain, "left_id STRING, right_id STRING, probability DOUBLE").selectExpr(
        "*", "'match' AS decision", "'probabilistic' AS rule"
    )
    _, reports, _ = cluster_records(records, links, max_size=4, split_thresholds=(0.999,), max_iterations=10)
    assert sorted((r.cluster, r.size, r.parts, r.threshold) for r in reports) == [
        ("a", 6, 2, "0.999"),
        ("u", 5, 4, "0.999"),
    ]


def test_a_cluster_holding_two_dates_of_birth_is_split_but_a_typo_or_a_weighed_link_is_not(
    spark: SparkSession,
) -> None:
    """Brothers chained through records without a date of birth are separated; a typo'd date stays one person, and so
    do two records the model linked directly despite their different dates (it weighed that evidence)."""
    records = spark.createDataFrame(
        [
            ("a", dt.date(1997, 5, 18)),
            ("b", None),
            ("c", None),
            ("d", dt.date(2002, 4, 11)),
            ("p", dt.date(1985, 3, 4)),
            ("q", dt.date(1986, 3, 4)),
            ("x", dt.date(1950, 1, 1)),
            ("y", dt.date(1977, 6, 30)),
        ],
        "record_id STRING, m_dob DATE",
    )
    links = spark.createDataFrame(
        [
            ("a", "b", 0.99999, "exact email"),
            ("b", "c", 0.9998, "probabilistic"),
            ("c", "d", 0.99999, "exact email"),
            ("p", "q", 0.9995, "probabilistic"),
            ("x", "y", 0.9995, "probabilistic"),
        ],
        "left_id STRING, right_id STRING, probability DOUBLE, rule STRING",
    ).selectExpr("*", "'match' AS decision")
    dob = [c for c in comparisons() if c.name == "date_of_birth"]
    clusters, reports, _ = cluster_records(
        records, links, max_size=25, split_thresholds=(0.999, 0.9999), max_iterations=10, conflicts=dob
    )
    assert_rows(
        clusters, [("a", "a"), ("b", "a"), ("c", "c"), ("d", "c"), ("p", "p"), ("q", "p"), ("x", "x"), ("y", "x")]
    )
    assert [(r.cluster, r.size, r.parts, r.threshold) for r in reports] == [("a", 4, 1, "0.999"), ("a", 4, 2, "0.9999")]


def test_a_checkpoint_joined_with_itself_round_after_round_keeps_a_bounded_size_estimate(spark: SparkSession) -> None:
    """Spark's own local checkpoint doubles the estimate's digits each round here (SPARK-52163)."""
    frame = spark.range(10).withColumnRenamed("id", "a")
    for _ in range(12):
        frame = checkpoint(frame.join(frame.withColumnRenamed("a", "b"), F.col("a") == F.col("b")).select("a"))
    estimate = frame._jdf.queryExecution().optimizedPlan().stats().sizeInBytes()
    assert estimate <= 2**63 - 1
    assert sorted(r["a"] for r in frame.collect()) == list(range(10))
