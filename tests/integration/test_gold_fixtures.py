"""Silver-shaped inputs for the gold tests (exactly udp.models' silver DDLs), and one gold lake built from them.

Silver is built by another stage; gold's tests never depend on it. `silver_frames` makes 1,200 touch points of 40
customers over two months (enough for Personalize's minimums), 100 items and 40 customers, with a few hand-written
rows that exercise the edge cases (quotes, backslashes and line breaks in a description, a null brand, unmapped
event types, touch points without a customer or an item, an exact duplicate). `built_gold` builds gold from them
once per test session; tests that change a lake work on a copy.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from udp.config import Config
from udp.gold import job
from udp.lake import Lake
from udp.models import SILVER_CUSTOMERS_DDL, SILVER_ITEMS_DDL, SILVER_TOUCHPOINTS_DDL

START = 1735689600  # 2025-01-01T00:00:00Z
TOUCHPOINTS = 1200
CUSTOMERS = 40
ITEMS = 100
DESCRIPTION_0 = 'A "nice" shirt, with a \\ backslash\nand a second line'


def _typed(spark: SparkSession, df: DataFrame, ddl: str) -> DataFrame:
    """`df` with exactly the columns and types of a silver DDL (missing columns null)."""
    schema = spark.createDataFrame([], ddl).schema
    cols = [
        (F.col(f.name) if f.name in df.columns else F.lit(None)).cast(f.dataType).alias(f.name) for f in schema.fields
    ]
    return df.select(*cols)


def silver_touchpoints(spark: SparkSession) -> DataFrame:
    generated = spark.range(TOUCHPOINTS).selectExpr(
        "concat('T', lpad(id, 5, '0')) AS touchpoint_id",
        "CASE WHEN id % 3 = 0 THEN 'app' ELSE 'web' END AS source",
        f"concat('C', lpad(id % {CUSTOMERS}, 3, '0')) AS customer_id",
        "'account' AS identity_method",
        "CASE WHEN id % 3 = 0 THEN 'app' ELSE 'web' END AS channel",
        "CASE WHEN id % 10 = 0 THEN 'purchase' WHEN id % 10 = 1 THEN 'add_to_cart' ELSE 'view' END AS event_type",
        f"concat('SKU', lpad(id % {ITEMS}, 4, '0')) AS item_id",
        "1 AS quantity",
        "CASE WHEN id % 10 = 0 THEN CAST(10 + id % 7 AS DOUBLE) END AS value",
        "'GBP' AS currency",
        f"timestamp_seconds({START} + id * 3600) AS occurred_at",
        "CASE WHEN id % 3 = 0 THEN 'ios' ELSE 'web' END AS device",
    )
    extra = spark.createDataFrame(
        [
            ("X1", "web", None, "none", "web", "view", "SKU0001", None, START + 60),  # no customer
            ("X2", "web", "C001", "account", "web", "search", None, None, START + 60),  # search, no item
            ("X3", "web", "C001", "account", "web", "support_contact", "SKU0001", None, START + 60),  # unmapped
            ("X4", "app", "C002", "account", "app", "purchase", "SKU0002", 42.5, START + 7200),  # same second as T00002
            ("X5", "web", "C000", "account", "web", "purchase", "SKU0000", 99.0, START),  # duplicate of T00000
        ],
        "touchpoint_id STRING, source STRING, customer_id STRING, identity_method STRING, channel STRING, "
        "event_type STRING, item_id STRING, value DOUBLE, ts LONG",
    ).selectExpr("*", "timestamp_seconds(ts) AS occurred_at", "'web' AS device", "1 AS quantity")
    both = _typed(spark, generated, SILVER_TOUCHPOINTS_DDL).unionByName(_typed(spark, extra, SILVER_TOUCHPOINTS_DDL))
    return both.withColumn("event_date", F.to_date("occurred_at"))


def silver_items(spark: SparkSession) -> DataFrame:
    generated = spark.range(ITEMS).selectExpr(
        "concat('SKU', lpad(id, 4, '0')) AS item_id",
        "concat('Item ', id) AS name",
        f"CASE WHEN id = 0 THEN '{DESCRIPTION_0.replace(chr(92), chr(92) * 2).replace(chr(10), chr(92) + 'n')}' "
        "ELSE concat('Plain description ', id) END AS description",
        "CASE WHEN id = 1 THEN NULL ELSE concat('Brand', id % 5) END AS brand",
        "CASE WHEN id % 2 = 0 THEN 'Men' ELSE 'Women' END AS category_l1",
        "'Shirts' AS category_l2",
        "CASE WHEN id % 4 = 0 THEN 'Casual' ELSE 'Formal' END AS category_l3",
        "CAST(19.99 + id AS DOUBLE) AS price",
        "'GBP' AS currency",
        "date_add(DATE'2024-01-01', CAST(id AS INT)) AS launched_at",
        "true AS active",
        "timestamp_seconds(1730000000) AS updated_at",
    )
    return _typed(spark, generated, SILVER_ITEMS_DDL)


def silver_customers(spark: SparkSession) -> DataFrame:
    generated = spark.range(CUSTOMERS).selectExpr(
        "concat('C', lpad(id, 3, '0')) AS customer_id",
        "concat('First', id) AS first_name",
        "concat('Last', id) AS last_name",
        "concat('c', id, '@example.org') AS email",
        "concat('+4477009000', lpad(id, 2, '0')) AS phone",
        "concat(id, ' High Street') AS address_line1",
        "'Leeds' AS city",
        "'LS1 1AA' AS postcode",
        "'GB' AS country",
        "date_add(DATE'1960-01-01', CAST(id * 400 AS INT)) AS date_of_birth",
        "CASE WHEN id % 2 = 0 THEN 'F' ELSE 'M' END AS gender",
        "CASE WHEN id % 3 = 0 THEN 'gold' ELSE 'silver' END AS loyalty_tier",
        "true AS marketing_consent",
        "'LS1' AS postcode_district",
        "'high' AS income_band",
        "'urban' AS urban_rural",
        "'Yorkshire' AS region",
        "1 AS record_count",
        "array('crm') AS sources",
        "timestamp_seconds(1700000000) AS first_seen_at",
        "timestamp_seconds(1730000000) AS updated_at",
    )
    return _typed(spark, generated, SILVER_CUSTOMERS_DDL)


def write_silver(lake: Lake, spark: SparkSession) -> None:
    lake.overwrite(silver_touchpoints(spark), "silver.touchpoints", partition_by=["event_date"])
    lake.overwrite(silver_items(spark), "silver.items")
    lake.overwrite(silver_customers(spark), "silver.customers")


def job_args(config: Config, *extra: str) -> list[str]:
    """`udp run gold` arguments for `config`'s lake and export folders."""
    sets = [
        f"paths.lake={config.paths.lake}",
        f"paths.export={config.paths.export}",
        f"paths.raw={config.paths.raw}",
        f"spark.jars_dir={config.spark.jars_dir}",
        *(f"spark.conf.{k}={v}" for k, v in config.spark.conf.items()),
    ]
    args = [a for s in sets for a in ("--set", s)]
    return ["--conf", config.files[-1], *args, *extra]


_BUILT: dict[str, Path] = {}


def built_gold(spark: SparkSession, base_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A lake with silver written and gold built once per session (read-only for the tests that use it)."""
    if "root" not in _BUILT:
        root = tmp_path_factory.mktemp("gold-built")
        config = base_config.with_overrides(f"paths.lake={root / 'lake'}", f"paths.export={root / 'export'}")
        write_silver(Lake(spark, config), spark)
        # OPTIMIZE is exercised by the incremental rebuild test; the shared build skips it to keep the suite fast.
        assert job.main(job_args(config, "--set", "lake.optimize_after_write=false")) == 0
        _BUILT["root"] = root
    root = _BUILT["root"]
    return base_config.with_overrides(f"paths.lake={root / 'lake'}", f"paths.export={root / 'export'}")


def copy_lake(config: Config, to: Path) -> Config:
    """A private copy of `config`'s lake (Delta logs hold relative paths, so a copied table is the same table)."""
    shutil.copytree(config.paths.lake, to / "lake", ignore=shutil.ignore_patterns("_metastore", "_warehouse"))
    return config.with_overrides(f"paths.lake={to / 'lake'}", f"paths.export={to / 'export'}")


def test_silver_frames_have_exactly_the_silver_schemas(spark: SparkSession) -> None:
    expected = [spark.createDataFrame([], ddl).schema for ddl in (SILVER_TOUCHPOINTS_DDL, SILVER_ITEMS_DDL)]
    expected.append(spark.createDataFrame([], SILVER_CUSTOMERS_DDL).schema)
    frames = [silver_touchpoints(spark), silver_items(spark), silver_customers(spark)]
    assert [[(f.name, f.dataType) for f in df.schema.fields] for df in frames] == [
        [(f.name, f.dataType) for f in s.fields] for s in expected
    ]


def test_description_fixture_holds_the_awkward_characters(spark: SparkSession) -> None:
    row = silver_items(spark).where("item_id = 'SKU0000'").select("description").first()
    assert row is not None
    assert row[0] == DESCRIPTION_0
    assert dt.date(2025, 1, 1) == dt.datetime.fromtimestamp(START, dt.UTC).date()
