"""A query's rows as an analyst reads them: a text table, CSV or JSON Lines, every value exact.

Job summaries round for the eye (4096.74 shows as "4,097"); a query's answer must not. Here a double prints as its
shortest round-trip form (`repr`), a DECIMAL as its exact digits (in JSON: a string, on every row, since a JSON number
is read as a double), an integer without separators, a date or timestamp in ISO 8601, and NULL as `NULL` in a table
(an empty field in CSV, `null` in JSON). Nested values (arrays, maps, structs) print as JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from udp.summary import format_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

FORMATS = ("table", "csv", "json")


def with_timestamps_as_text(df: DataFrame) -> DataFrame:
    """`df` with its TIMESTAMP columns as text in the session's time zone (UTC in udp): collected as values, PySpark
    would give them in the local time of the Python process. Columns are kept by position, so repeated names survive."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    names = df.columns
    positional = df.toDF(*(f"_{i}" for i in range(len(names))))
    columns = [
        F.col(f"_{i}").cast("string") if isinstance(field.dataType, TimestampType) else F.col(f"_{i}")
        for i, field in enumerate(df.schema.fields)
    ]
    return positional.select(*columns).toDF(*names)


def render_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    """`rows` (tuples of Python values as Spark's `collect` gives them) under `columns`, in `fmt` (one of FORMATS).
    JSON needs distinct column names (a ValueError names the repeated ones)."""
    if fmt == "table":
        return _table(columns, rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else _text(v) for v in row] for row in rows])
        return out.getvalue().rstrip("\n")
    if fmt == "json":
        repeated = sorted({c for c in columns if list(columns).count(c) > 1})
        if repeated:
            raise ValueError(f"column name(s) {', '.join(repeated)} repeated: JSON needs one name per column")
        return "\n".join(
            json.dumps(dict(zip(columns, [_json(v) for v in row], strict=True)), ensure_ascii=False) for row in rows
        )
    raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Every value exact, NULL spelt out; a column of numbers (and NULLs) right-aligned."""
    return format_table(
        columns,
        rows,
        cell=lambda v: "NULL" if v is None else _text(v),
        numeric_value=lambda v: v is None or _is_number(v),
    )


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def _text(v: Any) -> str:
    """The exact text of one non-null value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else {"inf": "Infinity", "-inf": "-Infinity"}.get(repr(v), "NaN")
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (list, dict)) or hasattr(v, "asDict"):
        return json.dumps(_json(v), ensure_ascii=False)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return str(v)


def _json(v: Any) -> Any:
    """A JSON value for `v`: integers and doubles stay numbers, a DECIMAL is its exact text."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else _text(v)
    if isinstance(v, Decimal):
        return format(v, "f")
    if hasattr(v, "asDict"):
        return {k: _json(x) for k, x in v.asDict(recursive=False).items()}
    if isinstance(v, dict):
        return {str(k): _json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json(x) for x in v]
    return _text(v)
