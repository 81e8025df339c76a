"""Silver -> the three Personalize datasets, as pure `DataFrame -> DataFrame` transforms (no session, no storage).

    touchpoints.transform(to_personalize_interactions(settings.interactions))
    items.transform(to_personalize_items(settings.items))
    customers.transform(to_personalize_users(settings.users, as_of=date.today()))

Column order is the CSV/schema order (udp.gold.schemas.dataset_fields). Strings are trimmed and an empty string is
null, so the CSV export writes an empty field for it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from udp.gold.schemas import AVRO_TO_SPARK, FIELD_TYPE_TO_AVRO
from udp.settings.gold import FieldSpec, InteractionsSettings, ItemsSettings, UsersSettings

Transform = Callable[[DataFrame], DataFrame]

INTERACTION_KEYS = ("USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE")
SECONDS_PER_DAY = 86400


def partition_column(settings: InteractionsSettings) -> str:
    """`event_date` (partition: day) or `event_month` (partition: month, the first day of the month)."""
    return "event_date" if settings.partition == "day" else "event_month"


def clean_text(c: Column) -> Column:
    """Trimmed text; empty or blank is null."""
    text = F.trim(c.cast("string"))
    return F.when(text != "", text)


def epoch_seconds(c: Column, spark_type: str) -> Column:
    """A DATE (UTC midnight) or TIMESTAMP as Unix epoch seconds, independent of the session time zone."""
    if spark_type == "date":
        return F.unix_date(c).cast("long") * SECONDS_PER_DAY
    return F.unix_timestamp(c).cast("long")


def age_band(date_of_birth: Column, as_of: dt.date, bounds: Sequence[int]) -> Column:
    """`under-18`, `18-24`, ..., `65+` from a date of birth on `as_of` (null for unknown or future dates)."""
    age = F.floor(F.months_between(F.lit(as_of), date_of_birth) / 12)
    band: Column | None = None
    edges = sorted(bounds)
    labels = [f"under-{edges[0]}"] + [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)]
    labels.append(f"{edges[-1]}+")
    for label, upper in zip(labels, edges, strict=False):
        band = F.when(age < upper, label) if band is None else band.when(age < upper, label)
    assert band is not None
    return F.when(age >= 0, band.otherwise(labels[-1]))


def field_value(
    df: DataFrame, spec: FieldSpec, *, as_of: dt.date | None = None, age_bounds: Sequence[int] = ()
) -> Column:
    """The value of one configured field, typed as its Personalize type."""
    source = F.col(f"`{spec.column}`")
    source_type = df.schema[spec.column].dataType.simpleString()
    if spec.derive == "age_band":
        return age_band(source.cast("date"), as_of or dt.date.today(), age_bounds or (18, 25, 35, 45, 55, 65))
    if spec.derive == "epoch_seconds":
        return epoch_seconds(source, source_type)
    spark_type = AVRO_TO_SPARK[FIELD_TYPE_TO_AVRO[spec.type]]
    if spark_type == "string":
        return clean_text(source)
    if source_type == spark_type:
        return source
    return F.expr(f"try_cast(`{spec.column}` AS {spark_type.upper()})")


def _mapped(c: Column, mapping: Mapping[str, str]) -> Column:
    """`mapping[c]`, or null for a value not in the mapping."""
    out: Column | None = None
    for key, value in mapping.items():
        out = F.when(c == key, value) if out is None else out.when(c == key, value)
    return out if out is not None else F.lit(None).cast("string")


def _fields(
    df: DataFrame, specs: Mapping[str, FieldSpec], *, as_of: dt.date | None = None, age_bounds: Sequence[int] = ()
) -> list[Column]:
    return [field_value(df, spec, as_of=as_of, age_bounds=age_bounds).alias(name) for name, spec in specs.items()]


def to_personalize_interactions(settings: InteractionsSettings) -> Transform:
    """silver.touchpoints -> gold.personalize_interactions.

    Only touch points with a customer_id, an item_id and a time whose event type is mapped become interactions;
    EVENT_VALUE is the configured value for the configured event types. Duplicates of (USER_ID, ITEM_ID, TIMESTAMP,
    EVENT_TYPE) keep one row (the lowest source/touchpoint_id, so reruns pick the same one).
    """

    def transform(touchpoints: DataFrame) -> DataFrame:
        value = settings.event_value
        columns = [
            clean_text(F.col("customer_id")).alias("USER_ID"),
            clean_text(F.col("item_id")).alias("ITEM_ID"),
            F.unix_timestamp(F.col("occurred_at")).cast("long").alias("TIMESTAMP"),
            _mapped(F.col("event_type"), settings.event_types).alias("EVENT_TYPE"),
        ]
        if value.column:
            is_valued = F.col("event_type").isin(list(value.event_types))
            amount = F.expr(f"try_cast(`{value.column}` AS FLOAT)")
            columns.append(F.when(is_valued, amount).alias("EVENT_VALUE"))
        columns += _fields(touchpoints, settings.fields)
        order = F.struct(F.col("source"), F.col("touchpoint_id"))
        rows = touchpoints.select(*columns, order.alias("_order")).where(
            F.col("USER_ID").isNotNull()
            & F.col("ITEM_ID").isNotNull()
            & F.col("TIMESTAMP").isNotNull()
            & F.col("EVENT_TYPE").isNotNull()
        )
        rest = [c for c in rows.columns if c not in (*INTERACTION_KEYS, "_order")]
        if rest:
            kept = rows.groupBy(*INTERACTION_KEYS).agg(F.min_by(F.struct(*rest), F.col("_order")).alias("_row"))
            deduped = kept.select(*INTERACTION_KEYS, *[F.col(f"_row.`{c}`").alias(c) for c in rest])
        else:
            deduped = rows.select(*INTERACTION_KEYS).distinct()
        return deduped.withColumn(partition_column(settings), event_period(F.col("TIMESTAMP"), settings.partition))

    return transform


def event_period(timestamp: Column, partition: str) -> Column:
    """The partition value of an epoch-seconds timestamp: its UTC day, or the first day of its UTC month."""
    day_col = F.date_from_unix_date(F.floor(timestamp / SECONDS_PER_DAY).cast("int"))
    return day_col if partition == "day" else F.trunc(day_col, "month")


def touchpoints_in_periods(periods: Sequence[dt.date], partition: str) -> Transform:
    """Only the touch points whose interactions fall in `periods` (days or months): a filter on `occurred_at` that
    Delta/Parquet can skip files with, plus one on silver's `event_date` (widened by a day) for partition pruning."""

    def transform(touchpoints: DataFrame) -> DataFrame:
        condition: Column | None = None
        for start, end in _ranges(periods, partition):
            low = _epoch(start)
            high = _epoch(end)
            slice_ = (F.col("occurred_at") >= F.expr(f"timestamp_seconds({low})")) & (
                F.col("occurred_at") < F.expr(f"timestamp_seconds({high})")
            )
            if "event_date" in touchpoints.columns:
                widened = F.col("event_date").between(start - dt.timedelta(days=1), end)
                slice_ = widened & slice_
            condition = slice_ if condition is None else condition | slice_
        return touchpoints.where(condition if condition is not None else F.lit(False))

    return transform


def _ranges(periods: Sequence[dt.date], partition: str) -> list[tuple[dt.date, dt.date]]:
    """Periods as [start, end) date ranges, adjacent ones merged."""
    out: list[tuple[dt.date, dt.date]] = []
    for start in sorted(set(periods)):
        if partition == "day":
            end = start + dt.timedelta(days=1)
        else:
            end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _epoch(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * SECONDS_PER_DAY


def count_interaction_inputs(settings: InteractionsSettings) -> Transform:
    """Per silver event type: touch points, those without customer_id / item_id / time, and whether it is mapped.

    What `to_personalize_interactions` drops, for the run summary.
    """

    def transform(touchpoints: DataFrame) -> DataFrame:
        mapped = F.col("event_type").isin(list(settings.event_types))
        eligible = (
            clean_text(F.col("customer_id")).isNotNull()
            & clean_text(F.col("item_id")).isNotNull()
            & F.col("occurred_at").isNotNull()
        )
        return touchpoints.groupBy("event_type").agg(
            F.count(F.lit(1)).alias("touchpoints"),
            F.sum(F.when(clean_text(F.col("customer_id")).isNull(), 1).otherwise(0)).alias("no_customer"),
            F.sum(F.when(clean_text(F.col("item_id")).isNull(), 1).otherwise(0)).alias("no_item"),
            F.sum(F.when(F.col("occurred_at").isNull(), 1).otherwise(0)).alias("no_time"),
            F.sum(F.when(eligible, 1).otherwise(0)).alias("eligible"),
            F.first(F.coalesce(mapped, F.lit(False))).alias("mapped"),
        )

    return transform


def to_personalize_items(settings: ItemsSettings) -> Transform:
    """silver.items -> gold.personalize_items: one row per item_id (the latest by updated_at), configured fields."""

    def transform(items: DataFrame) -> DataFrame:
        latest = _latest(items, "item_id", "updated_at")
        return latest.select(clean_text(F.col("item_id")).alias("ITEM_ID"), *_fields(latest, settings.fields)).where(
            F.col("ITEM_ID").isNotNull()
        )

    return transform


def to_personalize_users(settings: UsersSettings, *, as_of: dt.date) -> Transform:
    """silver.customers -> gold.personalize_users: USER_ID + non-PII metadata (age band on `as_of`, tiers, ...)."""

    def transform(customers: DataFrame) -> DataFrame:
        latest = _latest(customers, "customer_id", "updated_at")
        fields = _fields(latest, settings.fields, as_of=as_of, age_bounds=settings.age_bands)
        return latest.select(clean_text(F.col("customer_id")).alias("USER_ID"), *fields).where(
            F.col("USER_ID").isNotNull()
        )

    return transform


def _latest(df: DataFrame, key: str, order: str) -> DataFrame:
    """One row per `key`: the one with the greatest `order` (silver should already be unique; this makes sure)."""
    others = [c for c in df.columns if c != key]
    # A struct is never null, so rows whose `order` is null still count (max_by skips null orderings).
    latest = F.struct(F.col(order).isNotNull(), F.col(order))
    picked = df.groupBy(key).agg(F.max_by(F.struct(*[F.col(f"`{c}`") for c in others]), latest).alias("_r"))
    return picked.select(key, *[F.col(f"_r.`{c}`").alias(c) for c in others])
