"""Gold transforms on tiny inline frames of exactly the silver schemas (udp.models)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from tests.frames import assert_rows
from udp.config import Config
from udp.gold.csvformat import csv_line
from udp.gold.customer360 import to_customer_360
from udp.gold.datasets import (
    count_interaction_inputs,
    to_personalize_interactions,
    to_personalize_items,
    to_personalize_users,
    touchpoints_in_periods,
)
from udp.gold.schemas import Field
from udp.models import SILVER_CUSTOMERS_DDL, SILVER_ITEMS_DDL, SILVER_TOUCHPOINTS_DDL
from udp.settings.gold import Customer360Settings, GoldSettings

T0 = dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=dt.UTC)
T0_S = 1769903999


def frame(spark: SparkSession, ddl: str, rows: list[dict[str, Any]]) -> DataFrame:
    """Rows given as dicts (unset columns null) in a frame of exactly `ddl`."""
    names = [c.strip().split(" ")[0] for c in ddl.split(", ")]
    return spark.createDataFrame([tuple(r.get(n) for n in names) for r in rows], ddl)


def touch(**kw: Any) -> dict[str, Any]:
    base = {
        "touchpoint_id": "T1",
        "source": "web",
        "customer_id": "C1",
        "channel": "web",
        "event_type": "view",
        "item_id": "SKU1",
        "value": None,
        "occurred_at": T0,
        "device": "web",
    }
    return {**base, **kw}


@pytest.fixture(scope="module")
def gold(base_config: Config) -> GoldSettings:
    return base_config.gold


def test_interactions_keep_only_customer_item_touches_of_mapped_types(spark: SparkSession, gold: GoldSettings) -> None:
    tps = frame(
        spark,
        SILVER_TOUCHPOINTS_DDL,
        [
            touch(touchpoint_id="T1"),
            touch(touchpoint_id="T2", customer_id=None),
            touch(touchpoint_id="T3", item_id="  "),
            touch(touchpoint_id="T4", event_type="search"),
            touch(touchpoint_id="T5", event_type="purchase", value=25.5, channel="store", device=" pos "),
            touch(touchpoint_id="T6", event_type="add_to_cart", value=9.0, occurred_at=T0 + dt.timedelta(seconds=1)),
        ],
    )
    out = tps.transform(to_personalize_interactions(gold.interactions))
    assert out.columns == [
        "USER_ID",
        "ITEM_ID",
        "TIMESTAMP",
        "EVENT_TYPE",
        "EVENT_VALUE",
        "DEVICE",
        "CHANNEL",
        "event_month",
    ]
    month = dt.date(2026, 1, 1)
    assert_rows(
        out,
        [
            ("C1", "SKU1", T0_S, "View", None, "web", "web", month),
            ("C1", "SKU1", T0_S, "Purchase", 25.5, "pos", "store", month),
            ("C1", "SKU1", T0_S + 1, "AddToCart", None, "web", "web", dt.date(2026, 2, 1)),
        ],
    )


def test_interaction_duplicates_keep_the_lowest_source_and_id(spark: SparkSession, gold: GoldSettings) -> None:
    tps = frame(
        spark,
        SILVER_TOUCHPOINTS_DDL,
        [
            touch(touchpoint_id="T9", source="web", event_type="purchase", value=1.0, device="web"),
            touch(touchpoint_id="T2", source="pos", event_type="purchase", value=2.0, device="pos"),
            touch(touchpoint_id="T1", source="web", event_type="purchase", value=3.0, device="app"),
        ],
    )
    out = tps.transform(to_personalize_interactions(gold.interactions)).drop("event_month")
    assert_rows(out, [("C1", "SKU1", T0_S, "Purchase", 2.0, "pos", "web")])


def test_interactions_partition_by_day_when_configured(spark: SparkSession, base_config: Config) -> None:
    settings = base_config.with_overrides("gold.interactions.partition=day").gold.interactions
    out = frame(spark, SILVER_TOUCHPOINTS_DDL, [touch()]).transform(to_personalize_interactions(settings))
    assert_rows(out.select("TIMESTAMP", "event_date"), [(T0_S, dt.date(2026, 1, 31))])


def test_dropped_touch_points_are_counted_per_event_type(spark: SparkSession, gold: GoldSettings) -> None:
    tps = frame(
        spark,
        SILVER_TOUCHPOINTS_DDL,
        [
            touch(),
            touch(customer_id=None),
            touch(item_id=None),
            touch(event_type="search", item_id=None),
            touch(event_type="search"),
        ],
    )
    out = tps.transform(count_interaction_inputs(gold.interactions))
    assert_rows(out, [("view", 3, 1, 1, 0, 1, True), ("search", 2, 0, 1, 0, 1, False)])


def test_touchpoints_in_periods_selects_whole_utc_months(spark: SparkSession) -> None:
    times = [
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        T0,
        T0 + dt.timedelta(seconds=1),
        dt.datetime(2026, 3, 5, tzinfo=dt.UTC),
    ]
    tps = frame(
        spark, SILVER_TOUCHPOINTS_DDL, [touch(touchpoint_id=f"T{i}", occurred_at=t) for i, t in enumerate(times)]
    )
    tps = tps.withColumn("event_date", F.to_date("occurred_at"))
    picked = tps.transform(touchpoints_in_periods([dt.date(2026, 1, 1), dt.date(2026, 3, 1)], "month"))
    assert_rows(picked.select("touchpoint_id"), [("T0",), ("T1",), ("T3",)])


def test_items_take_the_latest_version_with_typed_trimmed_fields(spark: SparkSession, gold: GoldSettings) -> None:
    old = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    new = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    items = frame(
        spark,
        SILVER_ITEMS_DDL,
        [
            {
                "item_id": "SKU1",
                "description": "old",
                "brand": "Acme",
                "price": 10.0,
                "updated_at": old,
                "launched_at": dt.date(2024, 1, 2),
            },
            {
                "item_id": "SKU1",
                "description": " A shirt ",
                "brand": " ",
                "category_l1": "Men",
                "category_l2": "Shirts",
                "price": 19.99,
                "updated_at": new,
                "launched_at": dt.date(2024, 1, 2),
                "name": "Shirt",
                "currency": "GBP",
            },
            {"item_id": None, "description": "no id", "updated_at": new},
        ],
    )
    out = items.transform(to_personalize_items(gold.items))
    assert out.columns == [
        "ITEM_ID",
        "CATEGORY_L1",
        "CATEGORY_L2",
        "CATEGORY_L3",
        "BRAND",
        "PRICE",
        "CREATION_TIMESTAMP",
        "DESCRIPTION",
    ]
    assert dict(out.dtypes)["PRICE"] == "float"
    assert_rows(out, [("SKU1", "Men", "Shirts", None, None, 19.99, 1704153600, "A shirt")])


def test_users_carry_an_age_band_and_no_pii(spark: SparkSession, gold: GoldSettings) -> None:
    people = frame(
        spark,
        SILVER_CUSTOMERS_DDL,
        [
            {
                "customer_id": "C1",
                "first_name": "Ann",
                "email": "ann@x.org",
                "date_of_birth": dt.date(1990, 6, 15),
                "loyalty_tier": "gold",
                "region": "North",
                "income_band": "mid",
                "urban_rural": "urban",
            },
            {"customer_id": "C2", "date_of_birth": dt.date(2010, 1, 1)},
            {"customer_id": "C3", "date_of_birth": dt.date(1950, 1, 1)},
            {"customer_id": "C4", "date_of_birth": None},
            {"customer_id": "C5", "date_of_birth": dt.date(2030, 1, 1)},
        ],
    )
    out = people.transform(to_personalize_users(gold.users, as_of=dt.date(2026, 6, 14)))
    assert out.columns == ["USER_ID", "AGE_BAND", "LOYALTY_TIER", "REGION", "INCOME_BAND", "URBAN_RURAL"]
    assert_rows(
        out,
        [
            ("C1", "35-44", "gold", "North", "mid", "urban"),
            ("C2", "under-18", None, None, None, None),
            ("C3", "65+", None, None, None, None),
            ("C4", None, None, None, None, None),
            ("C5", None, None, None, None, None),
        ],
    )


def test_customer_360_sums_purchases_and_touches_per_channel(spark: SparkSession) -> None:
    settings = Customer360Settings(channels=("web", "store"), purchase_event_types=("purchase",))
    d1, d2, d3 = (dt.datetime(2026, 1, d, tzinfo=dt.UTC) for d in (1, 2, 3))
    tps = frame(
        spark,
        SILVER_TOUCHPOINTS_DDL,
        [
            touch(customer_id="C1", channel="web", event_type="view", occurred_at=d2),
            touch(customer_id="C1", channel="web", event_type="purchase", value=10.0, occurred_at=d3),
            touch(customer_id="C1", channel="store", event_type="purchase", value=5.5, occurred_at=d1),
            touch(customer_id="C1", channel="app", event_type="view", occurred_at=d1),
            touch(customer_id=None, channel="web", event_type="purchase", value=99.0, occurred_at=d1),
        ],
    )
    people = frame(
        spark,
        SILVER_CUSTOMERS_DDL,
        [
            {"customer_id": "C1", "email": "ann@x.org", "date_of_birth": dt.date(1990, 6, 15), "country": "GB"},
            {"customer_id": "C2", "email": "bob@x.org"},
        ],
    )
    out = people.transform(to_customer_360(tps, settings, as_of=dt.date(2026, 6, 14), age_bands=(18, 65)))
    assert "email" not in out.columns
    figures = out.select(
        "customer_id",
        "age_band",
        "country",
        "touches",
        "purchases",
        "lifetime_value",
        "first_touch_at",
        "last_touch_at",
        "web_touches",
        "web_first_touch_at",
        "web_last_touch_at",
        "store_touches",
        "store_first_touch_at",
    )
    assert_rows(
        figures,
        [
            ("C1", "18-64", "GB", 4, 2, 15.5, d1, d3, 2, d2, d3, 1, d1),
            ("C2", None, None, 0, 0, 0.0, None, None, 0, None, None, 0, None),
        ],
    )


def test_customer_360_lifetime_value_does_not_depend_on_row_order(spark: SparkSession) -> None:
    """A sum of doubles depends on the order Spark adds them in (0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1), which
    differs between runs with the partitioning; an exact decimal sum does not, so an unchanged input gives an
    unchanged table."""
    settings = Customer360Settings(channels=(), include_pii=())
    people = frame(spark, SILVER_CUSTOMERS_DDL, [{"customer_id": "C1"}])
    values = [0.1, 0.2, 0.3]
    totals = []
    for ordered in (values, values[::-1]):
        rows = [touch(customer_id="C1", event_type="purchase", value=v) for v in ordered]
        tps = frame(spark, SILVER_TOUCHPOINTS_DDL, rows).coalesce(1)
        out = people.transform(to_customer_360(tps, settings, as_of=dt.date(2026, 1, 1), age_bands=(18,)))
        totals += [r["lifetime_value"] for r in out.collect()]
    assert totals == [0.6, 0.6]


def test_customer_360_copies_raw_pii_only_when_configured(spark: SparkSession) -> None:
    settings = Customer360Settings(channels=(), include_pii=("email",))
    people = frame(spark, SILVER_CUSTOMERS_DDL, [{"customer_id": "C1", "email": "ann@x.org"}])
    tps = frame(spark, SILVER_TOUCHPOINTS_DDL, [])
    out = people.transform(to_customer_360(tps, settings, as_of=dt.date(2026, 1, 1), age_bands=(18,)))
    assert out.columns[:3] == ["customer_id", "email", "age_band"]
    assert_rows(out.select("customer_id", "email", "touches"), [("C1", "ann@x.org", 0)])


def test_csv_lines_quote_textual_escape_backslashes_and_write_plain_numbers(spark: SparkSession) -> None:
    fields = [
        Field("ITEM_ID", "string", False),
        Field("BRAND", "string", categorical=True),
        Field("PRICE", "float"),
        Field("N", "long"),
        Field("FLAG", "boolean"),
        Field("DESCRIPTION", "string", textual=True),
    ]
    rows = spark.createDataFrame(
        [
            ("S1", "Acme", 10000000.0, 1, True, 'say "hi"\\now\r\nthen'),
            ("S2", "A,B", 19.99, None, None, None),
            ("S3", None, None, 3, False, ""),
        ],
        "ITEM_ID STRING, BRAND STRING, PRICE FLOAT, N BIGINT, FLAG BOOLEAN, DESCRIPTION STRING",
    )
    lines = rows.select(csv_line(fields).alias("line"))
    assert_rows(
        lines,
        [
            ('S1,Acme,10000000,1,true,"say \\"hi\\"\\\\now then"',),
            ('S2,"A,B",19.99,,,',),
            ('S3,,,3,false,""',),
        ],
    )
