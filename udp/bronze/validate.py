"""Typing and contract checks. Each row collects every reason it breaks the contract in `_reasons`.

All conversions are ANSI-safe (`try_cast`, `try_to_timestamp`): a bad value never fails the job, it becomes a
specific reason such as `column date_of_birth: '31/02/1985' is not a DATE (dd/MM/yyyy)`. Text a reason copies from
the data is valid UTF-8 and capped (`shown`), so a hostile value can neither bloat nor break the quarantine.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from udp.bronze.parse import IS_CORRUPT, LINE, MALFORMED, TEXT, UNDECODABLE
from udp.bronze.reasons import REASONS, add_reasons, reason
from udp.contracts import ISO8601

if TYPE_CHECKING:
    from udp.contracts import Check, Reference

ISO8601_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
Transform = Callable[[DataFrame], DataFrame]


# Most characters of one value a reason copies: a 5 MiB field must not become a 5 MiB reason (the payload keeps it).
REASON_TEXT_LIMIT = 200


def shown(value: Column, limit: int = REASON_TEXT_LIMIT, quote: str = "") -> Column:
    """Text from the data as a message shows it: valid UTF-8 (U+FFFD for undecodable bytes) in `quote`s, and past
    `limit` characters cut with an ellipsis and the full length: `'abc…' (5242880 characters)`."""
    text = valid_utf8(value.cast("string"))
    length = F.length(text)
    cut = F.concat(
        F.lit(quote), F.substring(text, 1, limit), F.lit(f"…{quote} ("), length.cast("string"), F.lit(" characters)")
    )
    return F.when(length > limit, cut).otherwise(F.concat(F.lit(quote), text, F.lit(quote)))


def quoted(value: Column, limit: int = REASON_TEXT_LIMIT) -> Column:
    """A value for a message: quoted, valid UTF-8 and capped as `shown` does."""
    return shown(value, limit, quote="'")


def typed_column(name: str, source: str, dtype: T.DataType, pattern: str | None) -> tuple[Column, Column]:
    """(typed value, reason-or-null) for text column `source` converted to `dtype`; messages name column `name`."""
    raw = F.col(source)
    text = F.nullif(F.trim(raw), F.lit(""))
    if isinstance(dtype, (T.DateType, T.TimestampType)):
        if pattern is None or pattern == ISO8601:
            parsed = F.when(text.rlike(ISO8601_PATTERN), F.expr(f"try_cast(trim(`{source}`) AS TIMESTAMP)"))
            shown = "ISO 8601"
        else:
            parsed = F.expr(f"try_to_timestamp(trim(`{source}`), '{pattern}')")
            shown = pattern
        typed = parsed.cast("date") if isinstance(dtype, T.DateType) else parsed
        kind = "DATE" if isinstance(dtype, T.DateType) else "TIMESTAMP"
    else:
        typed = F.expr(f"try_cast(trim(`{source}`) AS {dtype.simpleString()})")
        kind, shown = dtype.typeName().upper(), ""
        if isinstance(dtype, T.DecimalType):
            kind = "DECIMAL"
    suffix = f" ({shown})" if shown else ""
    message = F.concat(F.lit(f"column {name}: "), quoted(raw), F.lit(f" is not a {kind}{suffix}"))
    failed = F.when(text.isNotNull() & typed.isNull(), reason(f"bad_{kind.lower()}:{name}", message))
    return F.when(text.isNotNull(), typed).cast(dtype), failed


def _is_text_kind(dtype: T.DataType) -> bool:
    return isinstance(dtype, (T.StringType, T.StructType, T.ArrayType, T.MapType))


def with_typed_columns(schema: T.StructType, formats: Mapping[str, str], as_text: set[str]) -> Transform:
    """Final typed values: the fast parse's, or — for corrupt lines and columns parsed as text — converted here.

    A value that does not convert becomes a reason naming the column and the value.
    """

    def transform(df: DataFrame) -> DataFrame:
        corrupt = F.col(IS_CORRUPT)
        # The text of a value: from `_text` for corrupt lines; for other lines only where the fast parse kept text.
        raw = {
            f.name: F.when(corrupt, F.col(f"{TEXT}.{f.name}")).otherwise(
                F.col(f.name) if f.name in as_text or _is_text_kind(f.dataType) else F.lit(None)
            )
            for f in schema.fields
        }
        df = df.withColumns({f"__raw_{n}": c for n, c in raw.items()})
        values: dict[str, Column] = {}
        reasons: list[Column] = []
        for f in schema.fields:
            if _is_text_kind(f.dataType):
                values[f.name] = F.col(f"__raw_{f.name}").cast(f.dataType)
                continue
            typed, failed = typed_column(f.name, f"__raw_{f.name}", f.dataType, formats.get(f.name))
            if f.name in as_text:
                values[f.name], fail = typed, failed
            else:
                values[f.name] = F.when(corrupt, typed).otherwise(F.col(f.name))
                fail = F.when(corrupt, failed)
            reasons.append(fail)
        df = add_reasons(df, reasons)
        return df.withColumns(values).drop(*[f"__raw_{n}" for n in raw])

    return transform


def with_malformed_first() -> Transform:
    """A line that could not be parsed at all gets that one reason and no other."""

    def transform(df: DataFrame) -> DataFrame:
        only = F.array(F.col(MALFORMED))
        return df.withColumn(REASONS, F.when(F.col(MALFORMED).isNotNull(), only).otherwise(F.col(REASONS)))

    return transform


def with_required(columns: Sequence[str]) -> Transform:
    """Required columns may not be null or blank (judged on the text, so a bad value is reported once, as bad)."""

    def transform(df: DataFrame) -> DataFrame:
        reasons = []
        for c in columns:
            text = F.col(f"{TEXT}.{c}")
            value = F.col(c)
            empty = value.isNull()
            if isinstance(df.schema[c].dataType, T.StringType):
                empty = empty | (F.trim(value) == F.lit(""))
            text_empty = text.isNull()
            if _text_field_is_string(df, c):
                text_empty = text_empty | (F.trim(text) == F.lit(""))
            empty = F.when(F.col(IS_CORRUPT), text_empty).otherwise(empty)
            reasons.append(F.when(empty, reason(f"required:{c}", f"required column {c} is empty")))
        return add_reasons(df, reasons)

    return transform


def _text_field_is_string(df: DataFrame, column: str) -> bool:
    struct = df.schema[TEXT].dataType
    return isinstance(struct, T.StructType) and isinstance(struct[column].dataType, T.StringType)


def with_checks(checks: Sequence[Check]) -> Transform:
    """Each check's rule must hold; a rule that evaluates to null (missing input) passes."""

    def transform(df: DataFrame) -> DataFrame:
        reasons = [
            F.when(~F.coalesce(F.expr(c.rule), F.lit(True)), reason(f"check:{c.reason}", f"{c.reason} ({c.rule})"))
            for c in checks
        ]
        return add_reasons(df, reasons)

    return transform


def _spark4() -> bool:
    import pyspark

    return int(pyspark.__version__.split(".")[0]) >= 4


def invalid_utf8(column: Column | str) -> Column:
    """True when the text's raw bytes are not valid UTF-8 (Spark keeps the bytes of a text or Parquet file as read)."""
    value = F.col(column) if isinstance(column, str) else column
    if _spark4():
        return ~F.call_function("is_valid_utf8", value)
    # Spark 3.5 has no is_valid_utf8: re-encoding replaces invalid bytes with U+FFFD, so the bytes differ.
    return value.cast("binary") != F.encode(value, "UTF-8")


def valid_utf8(column: Column | str) -> Column:
    """The text with every undecodable byte sequence replaced by U+FFFD: what a Parquet reader other than Spark
    accepts in a STRING column (delta-rs and Athena reject invalid UTF-8). Valid text is returned unchanged."""
    value = F.col(column) if isinstance(column, str) else column
    if _spark4():
        return F.call_function("make_valid_utf8", value)
    # Spark 3.5 has no make_valid_utf8; its decode replaces malformed input (Spark 4's raises instead).
    return F.decode(value.cast("binary"), "UTF-8")


def _holds_text(dtype: T.DataType) -> bool:
    if isinstance(dtype, T.StructType):
        return any(_holds_text(f.dataType) for f in dtype.fields)
    if isinstance(dtype, T.ArrayType):
        return _holds_text(dtype.elementType)
    if isinstance(dtype, T.MapType):
        return _holds_text(dtype.keyType) or _holds_text(dtype.valueType)
    return isinstance(dtype, T.StringType)


def _invalid_utf8_within(value: Column, dtype: T.DataType) -> Column:
    """True when any string inside `value` (of a type `_holds_text`), at any depth, is not valid UTF-8."""
    if isinstance(dtype, T.StructType):
        texts = [f for f in dtype.fields if _holds_text(f.dataType)]
        inner = [_invalid_utf8_within(value.getField(f.name), f.dataType) for f in texts]
        return functools.reduce(operator.or_, inner)
    if isinstance(dtype, T.ArrayType):
        element = dtype.elementType
        return F.coalesce(F.exists(value, lambda x: _invalid_utf8_within(x, element)), F.lit(False))
    if isinstance(dtype, T.MapType):
        key, item = dtype.keyType, dtype.valueType
        parts = []
        if _holds_text(key):
            parts.append(F.coalesce(F.exists(F.map_keys(value), lambda x: _invalid_utf8_within(x, key)), F.lit(False)))
        if _holds_text(item):
            values = F.map_values(value)
            parts.append(F.coalesce(F.exists(values, lambda x: _invalid_utf8_within(x, item)), F.lit(False)))
        return functools.reduce(operator.or_, parts)
    return F.coalesce(invalid_utf8(value), F.lit(False))


def with_utf8_columns_check(schema: T.StructType) -> Transform:
    """Rows whose strings (at any depth) are not valid UTF-8 are quarantined, one reason per column: Spark's Parquet
    reader keeps a file's bytes unchecked, and a bronze table holding them could not be read by other engines."""

    def transform(df: DataFrame) -> DataFrame:
        reasons = [
            F.when(
                _invalid_utf8_within(F.col(f"`{f.name}`"), f.dataType),
                reason(f"invalid_utf8:{f.name}", f"column {f.name}: invalid UTF-8 byte sequence"),
            )
            for f in schema.fields
            if _holds_text(f.dataType)
        ]
        return add_reasons(df, reasons)

    return transform


def with_utf8_check() -> Transform:
    """A line of a UTF-8 source whose bytes are not valid UTF-8 is quarantined (`payload_bytes` keeps its bytes)."""

    def transform(df: DataFrame) -> DataFrame:
        bad = invalid_utf8(LINE)
        return add_reasons(df, [F.when(bad, reason("invalid_utf8", "invalid UTF-8 byte sequence in the line"))])

    return transform


def with_decodable_check() -> Transform:
    """Lines of a wide encoding (UTF-16, UTF-32) holding bytes it cannot decode: quarantined, never landed with
    replacement characters in place of what the system wrote."""

    def transform(df: DataFrame) -> DataFrame:
        bad = F.coalesce(F.col(UNDECODABLE), F.lit(False))
        message = "bytes the file's encoding cannot decode in the line (shown as U+FFFD in the payload)"
        return add_reasons(df, [F.when(bad, reason("invalid_encoding", message))])

    return transform


def is_array_reference(df: DataFrame, ref: Reference) -> bool:
    """True when the reference's expression yields an array of values (e.g. the SKUs of an order's lines)."""
    return isinstance(df.select(F.expr(ref.expr).alias("v")).schema["v"].dataType, T.ArrayType)


def with_reference_check(ref: Reference, keys: DataFrame, table: str, row_id: str | None = None) -> Transform:
    """Values of `ref.expr` must be in `keys` (a one-column frame of known values, small enough to broadcast).

    A single value is checked with a broadcast join. An array of values is exploded and checked per element, then
    joined back on `row_id` — so the input must be persisted (the id must not be recomputed differently).
    """
    known = keys.select(F.col(keys.columns[0]).alias("_ref_value")).distinct()
    code = f"reference:{ref.source}.{ref.key}"

    def transform(df: DataFrame) -> DataFrame:
        value = F.expr(ref.expr)
        if not is_array_reference(df, ref):
            flagged = known.withColumn("_ref_found", F.lit(True))
            joined = df.join(F.broadcast(flagged), value == F.col("_ref_value"), "left")
            message = F.concat(F.lit(f"{ref.reason}: "), shown(value), F.lit(f" (not in {table})"))
            missing = F.when(value.isNotNull() & F.col("_ref_found").isNull(), reason(code, message))
            return add_reasons(joined, [missing]).drop("_ref_value", "_ref_found")
        if row_id is None:
            raise ValueError(f"reference {ref.expr!r} yields an array: a row id is needed to check it")
        values = df.select(F.col(row_id), F.explode(value).alias("_ref_value")).where(F.col("_ref_value").isNotNull())
        missing_values = (
            values.join(F.broadcast(known), "_ref_value", "left_anti")
            .groupBy(row_id)
            .agg(F.array_sort(F.collect_set("_ref_value")).alias("_ref_missing"))
        )
        listed = shown(F.array_join("_ref_missing", ", "))
        message = F.concat(F.lit(f"{ref.reason}: "), listed, F.lit(f" (not in {table})"))
        unknown = F.when(F.col("_ref_missing").isNotNull(), reason(code, message))
        return add_reasons(df.join(missing_values, row_id, "left"), [unknown]).drop("_ref_missing")

    return transform
