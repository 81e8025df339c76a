"""gold.customer_360: one row per customer for analysts — the golden record without raw PII (unless configured),
lifetime value, and first/last touch and touch counts overall and per channel.

    customers.transform(to_customer_360(touchpoints, settings.customer_360, as_of=date.today(), age_bands=...))
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from udp.gold.datasets import age_band
from udp.settings.gold import Customer360Settings

Transform = Callable[[DataFrame], DataFrame]

# Golden-record columns that are not raw PII, in output order (age_band is derived from date_of_birth).
PROFILE_COLUMNS = (
    "country",
    "gender",
    "loyalty_tier",
    "marketing_consent",
    "region",
    "income_band",
    "urban_rural",
    "record_count",
    "sources",
    "first_seen_at",
    "updated_at",
)


def channel_prefix(channel: str) -> str:
    """A channel value as a column-name prefix: `Call Centre` -> `call_centre`."""
    return re.sub(r"[^a-z0-9]+", "_", channel.lower()).strip("_") or "unknown"


def to_customer_360(
    touchpoints: DataFrame, settings: Customer360Settings, *, as_of: dt.date, age_bands: Sequence[int]
) -> Transform:
    """silver.customers (+ silver.touchpoints) -> gold.customer_360.

    Touch points without a customer_id are not counted. lifetime_value is the sum of `value` over the purchase event
    types; customers without touch points have zero counts and null first/last touches.
    """

    def transform(customers: DataFrame) -> DataFrame:
        touches = (
            touchpoints.where(F.col("customer_id").isNotNull()).groupBy("customer_id").agg(*_touch_figures(settings))
        )
        profile = [
            *[F.col(c) for c in settings.include_pii],
            age_band(F.col("date_of_birth"), as_of, age_bands).alias("age_band"),
            *[F.col(c) for c in PROFILE_COLUMNS],
        ]
        joined = customers.select("customer_id", *profile).join(touches, "customer_id", "left")
        counts = [c for c in joined.columns if c.endswith("touches") or c == "purchases"]
        return joined.fillna(0, subset=counts).fillna(0.0, subset=["lifetime_value"])

    return transform


EXACT_MONEY = "decimal(38,6)"


def _touch_figures(settings: Customer360Settings) -> list[Column]:
    purchase = F.col("event_type").isin(list(settings.purchase_event_types))
    figures = [
        F.count(F.lit(1)).alias("touches"),
        F.sum(F.when(purchase, 1).otherwise(0)).cast("long").alias("purchases"),
        # An exact decimal sum: a sum of doubles depends on the order Spark adds them in, which changes with the
        # partitioning, so an unchanged input would give a different hash and a needless rewrite of the table.
        F.sum(F.when(purchase, F.col("value").cast(EXACT_MONEY))).cast("double").alias("lifetime_value"),
        F.min("occurred_at").alias("first_touch_at"),
        F.max("occurred_at").alias("last_touch_at"),
    ]
    for channel in settings.channels:
        on = F.col("channel") == channel
        prefix = channel_prefix(channel)
        figures += [
            F.sum(F.when(on, 1).otherwise(0)).cast("long").alias(f"{prefix}_touches"),
            F.min(F.when(on, F.col("occurred_at"))).alias(f"{prefix}_first_touch_at"),
            F.max(F.when(on, F.col("occurred_at"))).alias(f"{prefix}_last_touch_at"),
        ]
    return figures
