"""Stable customer ids across runs: kept, merged (oldest survives), split (largest part keeps the id)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, SparkSession

from udp.config import Config
from udp.lake import Lake
from udp.silver.identity import assign_ids
from udp.silver.job import XREF, carry_ids

T0 = dt.datetime(2026, 1, 1)
NOW = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


def clusters(spark: SparkSession, rows: list[tuple[str, str]]) -> DataFrame:
    return spark.createDataFrame(rows, "record_id STRING, cluster STRING")


def previous(spark: SparkSession, rows: list[tuple[str, str, dt.datetime]]) -> DataFrame:
    return spark.createDataFrame(rows, "record_id STRING, customer_id STRING, first_seen_at TIMESTAMP")


def ids(df: DataFrame) -> dict[str, str]:
    return {r["record_id"]: r["customer_id"] for r in df.collect()}


def test_first_run_ids_depend_only_on_the_records(spark: SparkSession) -> None:
    once, events = assign_ids(clusters(spark, [("a", "a"), ("b", "a"), ("c", "c")]), None, "r1", NOW)
    again, _ = assign_ids(clusters(spark, [("a", "a"), ("b", "a"), ("c", "c")]), None, "r2", NOW)
    assert ids(once) == ids(again)
    assert ids(once)["a"] == ids(once)["b"] != ids(once)["c"]
    assert events.count() == 0


def test_rerun_keeps_every_id_and_logs_nothing(spark: SparkSession) -> None:
    prev = previous(spark, [("a", "cus_1", T0), ("b", "cus_1", T0), ("c", "cus_2", T0)])
    assigned, events = assign_ids(clusters(spark, [("a", "a"), ("b", "a"), ("c", "c")]), prev, "r2", NOW)
    assert ids(assigned) == {"a": "cus_1", "b": "cus_1", "c": "cus_2"}
    assert events.count() == 0


def test_a_new_record_joining_a_cluster_takes_its_id(spark: SparkSession) -> None:
    prev = previous(spark, [("a", "cus_1", T0)])
    assigned, events = assign_ids(clusters(spark, [("a", "a"), ("n", "a")]), prev, "r2", NOW)
    assert ids(assigned) == {"a": "cus_1", "n": "cus_1"}
    assert events.count() == 0


def test_a_merge_keeps_the_oldest_id_and_is_logged(spark: SparkSession) -> None:
    prev = previous(spark, [("a", "cus_new", T0 + dt.timedelta(days=9)), ("b", "cus_old", T0)])
    assigned, events = assign_ids(clusters(spark, [("a", "a"), ("b", "a")]), prev, "r2", NOW)
    assert ids(assigned) == {"a": "cus_old", "b": "cus_old"}
    assert [(e.event, e.customer_id, e.other_customer_id) for e in events.collect()] == [
        ("merge", "cus_new", "cus_old")
    ]


def test_a_split_leaves_the_id_with_the_larger_part_and_is_logged(spark: SparkSession) -> None:
    prev = previous(spark, [("a", "cus_1", T0), ("b", "cus_1", T0), ("c", "cus_1", T0)])
    assigned, events = assign_ids(clusters(spark, [("a", "a"), ("b", "a"), ("c", "c")]), prev, "r2", NOW)
    result = ids(assigned)
    assert result["a"] == result["b"] == "cus_1"
    assert result["c"] not in ("cus_1", None)
    assert [(e.event, e.customer_id, e.other_customer_id) for e in events.collect()] == [
        ("split", "cus_1", result["c"])
    ]


def test_the_job_logs_a_split_even_though_it_rewrites_the_xref_it_read(spark: SparkSession, config: Config) -> None:
    """Regression: events evaluated lazily after the xref MERGE compared the new ids with themselves."""
    lake = Lake(spark, config)
    lake.merge(
        previous(spark, [("a", "cus_1", T0), ("b", "cus_1", T0), ("c", "cus_1", T0), ("d", "cus_1", T0)]),
        XREF,
        ["record_id"],
    )
    split = clusters(spark, [("a", "a"), ("b", "a"), ("c", "c"), ("d", "c")])
    assigned, events = carry_ids(lake, split, "r2", NOW)
    lake.merge(assigned.select("record_id", "customer_id", "first_seen_at"), XREF, ["record_id"], delete_missing="true")
    assert [(e["event"], e["customer_id"], e["records"]) for e in events] == [("split", "cus_1", 2)]
    assert ids(lake.read(XREF))["a"] == "cus_1"
