"""Quarantine reasons: a stable code (for counting and tests) and a message a person can act on."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

REASONS = "_reasons"  # array<struct<code, message>>: every way a row breaks its contract
REASON_TYPE = "array<struct<code:string,message:string>>"


def reason(code: str, message: Column | str) -> Column:
    """One reason as a struct column."""
    text = F.lit(message) if isinstance(message, str) else message
    return F.struct(F.lit(code).alias("code"), text.alias("message"))


def add_reasons(df: DataFrame, reasons: Sequence[Column]) -> DataFrame:
    """Append the non-null `reasons` to `_reasons` (created empty when absent)."""
    current = F.col(REASONS) if REASONS in df.columns else F.array().cast(REASON_TYPE)
    if not reasons:
        return df.withColumn(REASONS, current)
    return df.withColumn(REASONS, F.concat(current, F.filter(F.array(*reasons), lambda r: r.isNotNull())))
