"""udp/lake.py against real Delta tables (runs on both stacks: Spark 4.0/Delta 4.0 and Spark 3.5/Delta 3.3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import DataFrame, Row, SparkSession

from tests.frames import assert_rows
from udp.config import Config
from udp.lake import Lake, LakeError


def people(spark: SparkSession, rows: list[tuple[int, str, str | None]]) -> DataFrame:
    return spark.createDataFrame(rows, "id INT, name STRING, city STRING")


def test_table_lives_at_lake_layer_name(lake: Lake, config: Config) -> None:
    assert lake.path("silver.customers") == str(Path(config.paths.lake).resolve() / "silver" / "customers")


def test_table_names_must_have_a_known_layer(lake: Lake) -> None:
    with pytest.raises(LakeError, match=r"must be <layer>\.<table>"):
        lake.path("platinum.x")


def test_s3_lake_paths_stay_uris(spark: SparkSession, config: Config) -> None:
    lake = Lake(spark, config.with_overrides("paths.lake=s3a://bucket/lake/"))
    assert lake.path("gold.personalize_items") == "s3a://bucket/lake/gold/personalize_items"


def test_write_merge_and_read_back(spark: SparkSession, lake: Lake) -> None:
    lake.merge(people(spark, [(1, "Ann", "Leeds"), (2, "Bob", "York")]), "silver.people", ["id"])
    lake.merge(people(spark, [(2, "Bob", "Hull"), (3, "Cy", "Bath")]), "silver.people", ["id"])
    assert_rows(
        lake.read("silver.people"),
        [Row(id=1, name="Ann", city="Leeds"), Row(id=2, name="Bob", city="Hull"), Row(id=3, name="Cy", city="Bath")],
    )
    metrics = lake.last_operation_metrics("silver.people")
    assert (metrics["numTargetRowsUpdated"], metrics["numTargetRowsInserted"]) == ("1", "1")


def test_merge_of_unchanged_rows_updates_nothing(spark: SparkSession, lake: Lake) -> None:
    rows = [(1, "Ann", None), (2, "Bob", "York")]
    lake.merge(people(spark, rows), "silver.people", ["id"])
    lake.merge(people(spark, rows), "silver.people", ["id"])
    metrics = lake.last_operation_metrics("silver.people")
    assert (metrics["numTargetRowsUpdated"], metrics["numTargetRowsInserted"]) == ("0", "0")


def test_merge_can_delete_rows_missing_from_source(spark: SparkSession, lake: Lake) -> None:
    lake.merge(people(spark, [(1, "Ann", "Leeds"), (2, "Bob", "York")]), "silver.people", ["id"])
    lake.merge(people(spark, [(2, "Bob", "York")]), "silver.people", ["id"], delete_missing="true")
    assert_rows(lake.read("silver.people"), [Row(id=2, name="Bob", city="York")])


def test_replace_where_replaces_only_the_slice_and_is_idempotent(spark: SparkSession, lake: Lake) -> None:
    day1 = spark.createDataFrame([("2026-01-01", 1), ("2026-01-02", 2)], "d STRING, v INT")
    lake.replace_where(day1, "gold.events", "d = '2026-01-01'", partition_by=["d"])
    again = spark.createDataFrame([("2026-01-02", 20)], "d STRING, v INT")
    lake.replace_where(again, "gold.events", "d = '2026-01-02'")
    lake.replace_where(again, "gold.events", "d = '2026-01-02'")
    assert_rows(lake.read("gold.events"), [Row(d="2026-01-01", v=1), Row(d="2026-01-02", v=20)])


def test_append_then_optimize_compacts_files(spark: SparkSession, lake: Lake) -> None:
    for i in range(3):
        lake.append(spark.createDataFrame([(i, f"x{i}")], "k INT, s STRING"), "bronze.t")
    metrics = lake.optimize("bronze.t", zorder_by=["k"])
    assert metrics["numFilesRemoved"] >= 3
    assert metrics["numFilesAdded"] == 1
    assert lake.read("bronze.t").count() == 3


def test_vacuum_keeps_current_data(spark: SparkSession, lake: Lake) -> None:
    lake.overwrite(spark.createDataFrame([(1,)], "k INT"), "bronze.v")
    lake.overwrite(spark.createDataFrame([(2,)], "k INT"), "bronze.v")
    lake.vacuum("bronze.v", retention_hours=0)
    assert_rows(lake.read("bronze.v"), [Row(k=2)])


def test_register_in_catalog_and_query_by_name(spark: SparkSession, lake: Lake) -> None:
    lake.overwrite(spark.createDataFrame([(1, "a")], "k INT, s STRING"), "gold.thing")
    lake.register("gold.thing", comment="a thing")
    lake.register("gold.thing")
    assert_rows(spark.sql("SELECT k, s FROM gold.thing"), [Row(k=1, s="a")])


def test_register_repoints_an_entry_left_by_another_lake(spark: SparkSession, config: Config, tmp_path: Path) -> None:
    first = Lake(spark, config.with_overrides(f"paths.lake={tmp_path / 'one'}"))
    second = Lake(spark, config.with_overrides(f"paths.lake={tmp_path / 'two'}"))
    first.overwrite(spark.createDataFrame([(1,)], "k INT"), "gold.moved")
    second.overwrite(spark.createDataFrame([(2,)], "k INT"), "gold.moved")
    first.register("gold.moved")
    second.register("gold.moved")
    assert_rows(spark.sql("SELECT k FROM gold.moved"), [Row(k=2)])


def test_reading_a_missing_table_names_it_and_its_path(lake: Lake) -> None:
    with pytest.raises(LakeError, match=r"table silver\.nothing does not exist at .*silver/nothing"):
        lake.read("silver.nothing")
