"""Survivorship with provenance and gap filling; touch points resolved, stitched and rejected."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from tests.frames import assert_rows
from udp.contracts import CustomerKey
from udp.settings.matching import Survivorship, TouchpointSettings
from udp.silver.golden import golden_records
from udp.silver.touchpoints import resolve_customers, split_rejects, stitch

RECORD = (
    "customer_id STRING, record_id STRING, source STRING, first_name STRING, last_name STRING, email STRING, "
    "phone STRING, address_line1 STRING, city STRING, postcode STRING, country STRING, date_of_birth DATE, "
    "gender STRING, loyalty_id STRING, loyalty_tier STRING, marketing_consent BOOLEAN, created_at TIMESTAMP, "
    "updated_at TIMESTAMP"
)
OLD, NEW = dt.datetime(2025, 1, 1), dt.datetime(2026, 1, 1)


def test_survivorship_follows_source_priority_recency_and_frequency_and_fills_gaps(spark: SparkSession) -> None:
    dob, other = dt.date(1980, 5, 1), dt.date(1981, 5, 1)
    records = spark.createDataFrame(
        [
            ("c1", "crm:1", "crm", "Robert", "Lee", "old@x.com", None, None, None, None, "GB", dob, "M", "L1", "Gold",
             None, OLD, OLD),
            ("c1", "crm:2", "crm", "Rob", "Lee", None, "+447700900123", None, None, None, "GB", dob, None, None, None,
             None, OLD, NEW),
            ("c1", "ecom:A", "ecom", "Bob", "Lee", "new@x.com", None, "1 High St", "Leeds", "LS1 4AB", "GB", other,
             None, None, None, True, OLD, NEW),
        ],
        RECORD,
    ).withColumn("national_id", F.lit(None).cast("string"))  # fmt: skip
    rules = {
        "first_name": Survivorship(("crm", "ecom"), "recent"),
        "email": Survivorship(("ecom", "crm"), "recent"),
        "date_of_birth": Survivorship((), "frequent"),
    }
    golden = golden_records(records, rules).select(
        "customer_id", "first_name", "first_name_source", "email", "email_source", "phone", "phone_source",
        "address_line1", "address_line1_source", "date_of_birth", "record_count", "sources",
    )  # fmt: skip
    assert_rows(
        golden,
        [("c1", "Rob", "crm:2", "new@x.com", "ecom:A", "+447700900123", "crm:2", "1 High St", "ecom:A", dob, 3,
          ["crm", "ecom"])],
    )  # fmt: skip


TOUCH = (
    "touchpoint_id STRING, source STRING, account_key STRING, loyalty_key STRING, anonymous_id STRING, "
    "session_id STRING, item_id STRING, occurred_at TIMESTAMP, channel STRING, event_type STRING, quantity INT, "
    "value DOUBLE, currency STRING, device STRING, search_query STRING"
)


def test_events_find_their_customer_by_account_session_and_device(spark: SparkSession) -> None:
    customers = spark.createDataFrame(
        [("ecom", "A1", None, "cus_1"), ("crm", "C1", "L9", "cus_2")],
        "source STRING, source_key STRING, loyalty_id STRING, customer_id STRING",
    )
    t = dt.datetime(2026, 10, 1, 10)
    events = spark.createDataFrame(
        [
            ("e1", "clickstream", None, None, "dev1", "s1", "SKU1", t, "web", "view", None, None, None, "web", None),
            ("e2", "clickstream", "A1", None, "dev1", "s1", "SKU1", t, "web", "view", None, None, None, "web", None),
            ("e3", "clickstream", None, None, "dev1", "s2", "SKU1", t, "web", "view", None, None, None, "web", None),
            ("e4", "clickstream", None, None, "dev9", "s3", "SKU1", t, "web", "view", None, None, None, "web", None),
            ("p1", "pos", None, "L9", None, "T1", "SKU1", t, "store", "purchase", 1, 5.0, "GBP", "pos", None),
            ("o1", "oms", "A404", None, None, None, "SKU1", t, "online", "purchase", 1, 5.0, "GBP", "web", None),
            ("o2", "oms", "A1", None, None, None, "SKU404", t, "online", "purchase", 1, 5.0, "GBP", "web", None),
        ],
        TOUCH,
    )
    keys = {
        "account_key": CustomerKey("ecom", "source_key"),
        "loyalty_key": CustomerKey("crm", "loyalty_id"),
    }
    resolved = stitch(resolve_customers(events, keys, customers), TouchpointSettings())
    items = spark.createDataFrame([("SKU1",)], "item_id STRING")
    good, bad = split_rejects(resolved, items)
    assert_rows(
        good.select("touchpoint_id", "customer_id", "identity_method"),
        [
            ("e1", "cus_1", "session"),
            ("e2", "cus_1", "account"),
            ("e3", "cus_1", "device"),
            ("e4", None, "none"),
            ("p1", "cus_2", "loyalty"),
        ],
    )
    assert_rows(
        bad.select("touchpoint_id", "reason_code", "reason"),
        [
            ("o1", "orphan_key", "orphan account_key: A404 (no ecom record)"),
            ("o2", "unknown_sku", "unknown SKU: SKU404 (not in silver.items)"),
        ],
    )
