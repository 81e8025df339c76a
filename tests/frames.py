"""Whole-frame assertions with chispa, with the expected rows written inline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chispa import assert_df_equality
from pyspark.sql import DataFrame


def assert_rows(actual: DataFrame, expected: Sequence[Any], *, ordered: bool = False) -> None:
    """`actual` holds exactly `expected` (Rows or tuples in `actual`'s column order), in any order unless `ordered`."""
    frame = actual.sparkSession.createDataFrame(list(expected), schema=actual.schema)
    assert_df_equality(actual, frame, ignore_row_order=not ordered, ignore_nullable=True)
