"""Typing and contract checks. Each row collects every reason it breaks the contract in `_reasons`.

All conversions are ANSI-safe (`try_cast`, `try_to_timestamp`): a bad value never fails the job, it becomes a
specific reason such as `column date_of_birth: '31/02/1985' is not a DATE (dd/MM/yyyy)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from udp.bronze.parse import LINE, MALFORMED
from udp.bronze.reasons import REASONS, add_reasons, reason
from udp.contracts import ISO8601

if TYPE_CHECKING:
    from udp.contracts import Check, Reference

ISO8601_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
Transform = Callable[[DataFrame], DataFrame]


def quoted(value: Column, limit: int = 80) -> Column:
    """A value for a message: quoted and cut to `limit` characters."""
    cut = F.when(F.length(value) > limit, F.concat(F.substring(value, 1, limit), F.lit("…"))).otherwise(value)
    return F.concat(F.lit("'"), cut, F.lit("'"))


def typed_column(name: str, dtype: T.DataType, pattern: str | None) -> tuple[Column, Column]:
    """(typed value, reason-or-null) for the text column `name` converted to `dtype`."""
    raw = F.col(name)
    if isinstance(dtype, (T.StringType, T.StructType, T.ArrayType, T.MapType)):
        return raw, F.lit(None)
    text = F.nullif(F.trim(raw), F.lit(""))
    if isinstance(dtype, (T.DateType, T.TimestampType)):
        if pattern is None or pattern == ISO8601:
            parsed = F.when(text.rlike(ISO8601_PATTERN), F.expr(f"try_cast(trim(`{name}`) AS TIMESTAMP)"))
            shown = "ISO 8601"
        else:
            parsed = F.expr(f"try_to_timestamp(trim(`{name}`), '{pattern}')")
            shown = pattern
        typed = parsed.cast("date") if isinstance(dtype, T.DateType) else parsed
        kind = "DATE" if isinstance(dtype, T.DateType) else "TIMESTAMP"
    else:
        typed = F.expr(f"try_cast(trim(`{name}`) AS {dtype.simpleString()})")
        kind, shown = dtype.typeName().upper(), ""
        if isinstance(dtype, T.DecimalType):
            kind = "DECIMAL"
    suffix = f" ({shown})" if shown else ""
    message = F.concat(F.lit(f"column {name}: "), quoted(raw), F.lit(f" is not a {kind}{suffix}"))
    failed = F.when(text.isNotNull() & typed.isNull(), reason(f"bad_{kind.lower()}:{name}", message))
    return F.when(text.isNotNull(), typed), failed


def with_typed_columns(schema: T.StructType, formats: Mapping[str, str]) -> Transform:
    """Convert the contract's text columns to their declared types; a value that does not convert is a reason."""

    def transform(df: DataFrame) -> DataFrame:
        pairs = {f.name: typed_column(f.name, f.dataType, formats.get(f.name)) for f in schema.fields}
        df = add_reasons(df, [r for _, r in pairs.values()])
        return df.withColumns({name: value.cast(schema[name].dataType) for name, (value, _) in pairs.items()})

    return transform


def with_malformed_first() -> Transform:
    """A line that could not be parsed at all gets that one reason and no other."""

    def transform(df: DataFrame) -> DataFrame:
        only = F.array(F.col(MALFORMED))
        return df.withColumn(REASONS, F.when(F.col(MALFORMED).isNotNull(), only).otherwise(F.col(REASONS)))

    return transform


def with_required(columns: Sequence[str]) -> Transform:
    """Required columns may not be null or blank."""

    def transform(df: DataFrame) -> DataFrame:
        reasons = []
        for c in columns:
            value = F.col(c)
            empty = value.isNull()
            if isinstance(df.schema[c].dataType, T.StringType):
                empty = empty | (F.trim(value) == F.lit(""))
            reasons.append(F.when(empty, reason(f"required:{c}", f"required column {c} is empty")))
        return add_reasons(df, reasons)

    return transform


def with_checks(checks: Sequence[Check]) -> Transform:
    """Each check's rule must hold; a rule that evaluates to null (missing input) passes."""

    def transform(df: DataFrame) -> DataFrame:
        reasons = [
            F.when(~F.coalesce(F.expr(c.rule), F.lit(True)), reason(f"check:{c.reason}", f"{c.reason} ({c.rule})"))
            for c in checks
        ]
        return add_reasons(df, reasons)

    return transform


def invalid_utf8(column: str) -> Column:
    """True when the text's raw bytes are not valid UTF-8 (Spark keeps the bytes of a text file as read)."""
    import pyspark

    if int(pyspark.__version__.split(".")[0]) >= 4:
        return ~F.expr(f"is_valid_utf8(`{column}`)")
    # Spark 3.5 has no is_valid_utf8: re-encoding replaces invalid bytes with U+FFFD, so the bytes differ.
    return F.col(column).cast("binary") != F.encode(F.col(column), "UTF-8")


def with_utf8_check() -> Transform:
    """A line of a UTF-8 source whose bytes are not valid UTF-8 is quarantined (its payload keeps the bytes)."""

    def transform(df: DataFrame) -> DataFrame:
        bad = invalid_utf8(LINE)
        return add_reasons(df, [F.when(bad, reason("invalid_utf8", "invalid UTF-8 byte sequence in the line"))])

    return transform


def with_control_char_check() -> Transform:
    """Lines read through the CSV line reader put anything after a U+0001 into `_extra`: quarantine, don't cut."""

    def transform(df: DataFrame) -> DataFrame:
        bad = F.col("_extra").isNotNull()
        message = "line contains the control character U+0001"
        return add_reasons(df, [F.when(bad, reason("control_character", message))])

    return transform


def with_reference_check(ref: Reference, keys: DataFrame, row_id: str, table: str) -> Transform:
    """Values of `ref.expr` (a value or an array of values) must be in `keys` (one column, distinct values)."""

    def transform(df: DataFrame) -> DataFrame:
        value = F.expr(ref.expr)
        is_array = isinstance(df.select(value.alias("v")).schema["v"].dataType, T.ArrayType)
        key_col = keys.columns[0]
        known = keys.select(F.col(key_col).alias("_ref_value")).distinct()
        if is_array:
            values = df.select(F.col(row_id), F.explode(value).alias("_ref_value")).where(
                F.col("_ref_value").isNotNull()
            )
        else:
            values = df.select(F.col(row_id), value.alias("_ref_value")).where(F.col("_ref_value").isNotNull())
        missing = (
            values.join(known, "_ref_value", "left_anti")
            .groupBy(row_id)
            .agg(F.array_sort(F.collect_set("_ref_value")).alias("_ref_missing"))
        )
        message = F.concat(F.lit(f"{ref.reason}: "), F.array_join("_ref_missing", ", "), F.lit(f" (not in {table})"))
        found = F.when(F.col("_ref_missing").isNotNull(), reason(f"reference:{ref.source}.{ref.key}", message))
        joined = df.join(missing, row_id, "left")
        return add_reasons(joined, [found]).drop("_ref_missing")

    return transform
