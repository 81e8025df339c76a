"""Personalize's CSV dialect as Spark column expressions: one import-ready line per row.

- Delimiter `,`, one record per line, an unquoted header, UTF-8.
- A null is an empty field. Newlines (`\\r`, `\\n`) inside values become one space; NUL and SOH are dropped.
- The textual field is always wrapped in double quotes, with `"` and `\\` escaped by a backslash (Personalize's rule,
  not RFC 4180's `""`). Any other string that contains `,`, `"` or `\\` is quoted the same way; others are bare.
- Numbers are written in plain notation (`10000000`, never `1.0E7`).

Read such a file back with Python's `csv.reader(f, escapechar="\\\\", doublequote=False)`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

from udp.gold.schemas import Field


def header_line(fields: Sequence[Field]) -> str:
    return ",".join(f.name for f in fields)


def csv_value(field: Field) -> Column:
    """`field`'s value as CSV text (null stays null)."""
    c = F.col(f"`{field.name}`")
    if field.type == "string":
        text = F.regexp_replace(F.regexp_replace(c, r"[\r\n]+", " "), "[\u0000\u0001]", "")
        escaped = F.regexp_replace(F.regexp_replace(text, r"\\", r"\\\\"), '"', r"\\\"")
        quoted = F.concat(F.lit('"'), escaped, F.lit('"'))
        if field.textual:
            return quoted
        return F.when(text.rlike(r'[,"\\]'), quoted).otherwise(text)
    if field.type in ("float", "double"):
        text = c.cast("string")
        plain = F.regexp_replace(F.format_string("%.12f", c.cast("double")), r"\.?0+$", "")
        return F.when(text.contains("E"), plain).otherwise(text)
    if field.type == "boolean":
        return F.lower(c.cast("string"))
    return c.cast("string")


def csv_line(fields: Sequence[Field]) -> Column:
    """The whole CSV line of a row (without the line break)."""
    return F.concat_ws(",", *[F.coalesce(csv_value(f), F.lit("")) for f in fields])
