"""silver.touchpoints: every interaction of every channel, placed on its customer where that can be known.

A touch point finds its customer through its contract's `customer_keys` (a web order's account id -> the customer of
that ecom account; a till sale's loyalty card -> the customer of the CRM record with that card). Clickstream events
are then stitched: events of a session that logs in part-way belong to that session's customer (`session`), and
events of a device seen logged in belong to its customer (`device`). Keys that point at no record (orphans), keys
that point at several customers, and SKUs missing from silver.items go to silver._quarantine with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from udp.contracts import CustomerKey, SourceContract
from udp.models import TOUCHPOINT_FIELDS
from udp.settings.matching import TouchpointSettings
from udp.silver.records import latest_versions

TOUCHPOINT_COLUMNS = (
    "touchpoint_id",
    "source",
    "customer_id",
    "identity_method",
    "anonymous_id",
    "channel",
    "event_type",
    "item_id",
    "quantity",
    "value",
    "currency",
    "occurred_at",
    "event_date",
    "session_id",
    "device",
    "search_query",
)
QUARANTINE_SCHEMA = "source STRING, touchpoint_id STRING, reason_code STRING, reason STRING, payload STRING"


def to_canonical_touchpoints(bronze: DataFrame, source: str, contract: SourceContract) -> DataFrame:
    """Latest version per key, exploded into lines if configured, mapped onto the touch-point model."""
    mapping = contract.touchpoint or contract.mapping
    df = latest_versions(bronze, contract.key, contract.event_time)
    if contract.explode is not None:
        df = df.select("*", F.explode(contract.explode.column).alias(contract.explode.alias))
    fields = [
        (F.expr(mapping[name]) if name in mapping else F.lit(None)).cast(dtype).alias(name)
        for name, dtype in TOUCHPOINT_FIELDS.items()
    ]
    return df.select(F.lit(source).alias("source"), *fields)


def key_lookup(records: DataFrame, key: CustomerKey) -> DataFrame:
    """(key, customer_id, customers) for one customer source field; `customers` > 1 means ambiguous."""
    values = records.where((F.col("source") == key.source) & F.col(key.field).isNotNull())
    return values.groupBy(F.col(key.field).cast("string").alias("key")).agg(
        F.min("customer_id").alias("customer_id"), F.countDistinct("customer_id").alias("customers")
    )


def resolve_customers(
    touchpoints: DataFrame, customer_keys: Mapping[str, CustomerKey], records: DataFrame
) -> DataFrame:
    """Add customer_id, identity_method and `_problem` (orphan or ambiguous key) from the contract's keys."""
    resolved = touchpoints.withColumns(
        {
            "customer_id": F.lit(None).cast("string"),
            "identity_method": F.lit(None).cast("string"),
            "_problem": F.lit(None).cast("string"),
        }
    )
    for field_name, key in customer_keys.items():
        lookup = key_lookup(records, key).select(
            F.col("key").alias("_k"), F.col("customer_id").alias("_c"), F.col("customers").alias("_n")
        )
        # A source whose own records are the customers (support tickets) is tied by the record itself.
        method = F.when(F.col("source") == key.source, F.lit("record")).otherwise(F.lit(_method(field_name)))
        value = F.col(field_name)
        resolved = resolved.join(lookup, value == F.col("_k"), "left")
        found = F.col("_c").isNotNull() & (F.col("_n") == 1)
        problem = F.when(
            value.isNotNull() & F.col("_k").isNull(),
            F.concat(F.lit(f"orphan {field_name}: "), value, F.lit(f" (no {key.source} record)")),
        ).when(
            value.isNotNull() & (F.col("_n") > 1),
            F.concat(
                F.lit(f"ambiguous {field_name}: "), value, F.lit(" belongs to "), F.col("_n"), F.lit(" customers")
            ),
        )
        resolved = resolved.withColumns(
            {
                "customer_id": F.coalesce("customer_id", F.when(found, F.col("_c"))),
                "identity_method": F.coalesce("identity_method", F.when(found, method)),
                "_problem": F.coalesce("_problem", problem),
            }
        ).drop("_k", "_c", "_n")
    return resolved


def _method(field_name: str) -> str:
    return {"account_key": "account", "loyalty_key": "loyalty"}.get(field_name, field_name)


def stitch(touchpoints: DataFrame, settings: TouchpointSettings) -> DataFrame:
    """Give anonymous events the customer of their session, then of their device, where that is unambiguous."""
    out = touchpoints
    if settings.stitch_sessions:
        session = Window.partitionBy("source", "session_id")
        customers = F.collect_set("customer_id").over(session)
        single = F.when(F.col("session_id").isNotNull() & (F.size(customers) == 1), F.get(customers, 0))
        out = _attributed(out.withColumn("_session_customer", single), "_session_customer", "session")
    if settings.stitch_devices:
        known = out.where(F.col("anonymous_id").isNotNull() & F.col("customer_id").isNotNull())
        devices = known.groupBy("anonymous_id").agg(
            F.countDistinct("customer_id").alias("_owners"),
            F.min("customer_id").alias("_device_customer"),
            F.countDistinct("session_id").alias("_logins"),
        )
        owned = devices.where((F.col("_owners") == 1) & (F.col("_logins") >= settings.min_device_logins))
        out = out.join(owned.select("anonymous_id", "_device_customer"), "anonymous_id", "left")
        out = _attributed(out, "_device_customer", "device")
    return out.withColumn("identity_method", F.coalesce("identity_method", F.lit("none")))


def _attributed(events: DataFrame, found: str, method: str) -> DataFrame:
    """Events without a customer take the one in column `found` (when it has one), tied by `method`; `found` is
    dropped."""
    claimed = F.col("customer_id").isNull() & F.col(found).isNotNull()
    return events.withColumns(
        {
            "identity_method": F.when(claimed, F.lit(method)).otherwise(F.col("identity_method")),
            "customer_id": F.coalesce("customer_id", found),
        }
    ).drop(found)


def split_rejects(touchpoints: DataFrame, items: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(good touch points, rejects): an orphan/ambiguous key or an item missing from silver.items is a reject."""
    known = items.select(F.col("item_id").alias("_item"), F.lit(True).alias("_known"))
    checked = touchpoints.join(F.broadcast(known), F.col("item_id") == F.col("_item"), "left").drop("_item")
    unknown_item = F.col("item_id").isNotNull() & F.col("_known").isNull()
    reason: Column = F.coalesce(
        F.col("_problem"),
        F.when(unknown_item, F.concat(F.lit("unknown SKU: "), F.col("item_id"), F.lit(" (not in silver.items)"))),
    )
    code = (
        F.when(F.col("_problem").startswith("orphan"), F.lit("orphan_key"))
        .when(F.col("_problem").startswith("ambiguous"), F.lit("ambiguous_key"))
        .otherwise(F.lit("unknown_sku"))
    )
    flagged = checked.withColumn("_reason", reason)
    good = flagged.where(F.col("_reason").isNull()).withColumn("event_date", F.to_date("occurred_at"))
    bad = flagged.where(F.col("_reason").isNotNull()).select(
        "source",
        "touchpoint_id",
        code.alias("reason_code"),
        F.col("_reason").alias("reason"),
        F.to_json(F.struct(*TOUCHPOINT_FIELDS.keys())).alias("payload"),
    )
    return good.select(*TOUCHPOINT_COLUMNS), bad
