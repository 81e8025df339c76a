"""Writing gold tables: only what changed, in a layout Athena engine v3 can read.

- Interactions are rebuilt per partition: the new content's per-partition row count and content hash are compared
  with the current table's in one pass, and only partitions that differ are replaced (`replaceWhere`), then
  OPTIMIZE ZORDER BY runs on those partitions only.
- Items, users and customer_360 are small next to interactions: their whole content hash is compared and the table
  is overwritten only when it changed, then Z-ordered on its id.
- A changed column set or partitioning rewrites the whole table (`overwriteSchema`).
- Tables keep Delta's base protocol (reader 1, writer 2): deletion vectors are switched off explicitly, so a cluster
  default cannot turn them on, and a table that ends up with a reader feature is an error naming it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from udp.errors import UdpError
from udp.lake import Lake

GOLD_PROPERTIES = {"delta.enableDeletionVectors": "false"}
# The protocol Athena engine v3 is documented to read on every engine release (Delta 2.0-era readers).
ATHENA_MAX_READER_VERSION = 1

Transform = Callable[[DataFrame], DataFrame]


class GoldError(UdpError):
    """The gold build cannot go on (an unreadable table layout, an inconsistent input)."""


@dataclass
class TableWrite:
    """What one gold write did, for the run summary."""

    table: str
    action: str  # created | rewritten | replaced | partitions | unchanged
    rows: int = 0
    partitions_total: int = 0
    partitions_written: tuple[str, ...] = ()
    optimize: Mapping[str, Any] = field(default_factory=dict)

    @property
    def written(self) -> bool:
        return self.action != "unchanged"


def with_column_comments(comments: Mapping[str, str]) -> Transform:
    """Attach column comments as field metadata, so a new table is created already documented."""

    def transform(df: DataFrame) -> DataFrame:
        return df.select(
            *[
                F.col(f"`{c}`").alias(c, metadata={"comment": comments[c]}) if c in comments else F.col(f"`{c}`")
                for c in df.columns
            ]
        )

    return transform


def content_hash(columns: Sequence[str]) -> Column:
    """An order-independent hash of a set of rows (sum of row hashes; a decimal cannot overflow here)."""
    return F.sum(F.xxhash64(*[F.col(f"`{c}`") for c in columns]).cast("decimal(38,0)"))


def _shape(df: DataFrame) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.simpleString()) for f in df.schema.fields]


def same_layout(lake: Lake, table: str, new: DataFrame, partition_by: Sequence[str]) -> bool:
    """True when `table` exists with `new`'s columns and types and the same partitioning."""
    if not lake.exists(table):
        return False
    if _shape(lake.read(table)) != _shape(new):
        return False
    return list(lake.detail(table).get("partitionColumns") or []) == list(partition_by)


def write_partitions(
    lake: Lake,
    table: str,
    new: DataFrame,
    partition: str,
    slice_of: Callable[[list[dt.date]], DataFrame],
    *,
    zorder_by: Sequence[str] = (),
    optimize: bool = True,
) -> TableWrite:
    """Make `table` hold `new`, rewriting only the partitions whose rows differ.

    `slice_of(periods)` must return the rows of `new` in those partitions, computed from a filtered input so a
    rebuild reads only the changed slice of silver.
    """
    columns = [c for c in new.columns if c != partition]
    figures = [F.count(F.lit(1)).alias("rows"), content_hash(columns).alias("hash")]
    new_fp = new.groupBy(partition).agg(*figures)
    keep_layout = same_layout(lake, table, new, [partition])
    current = lake.read(table).groupBy(partition).agg(*figures) if keep_layout else new_fp.limit(0)
    joined = new_fp.alias("n").join(current.alias("c"), partition, "full_outer")
    rows = joined.select(partition, "n.rows", "c.rows", "n.hash", "c.hash").collect()
    total = sum(int(r[1] or 0) for r in rows)
    present = sum(1 for r in rows if r[1] is not None)
    changed = sorted(r[0] for r in rows if r[1] != r[2] or r[3] != r[4])
    labels = tuple(str(p) for p in changed)
    if not keep_layout:
        action = "rewritten" if lake.exists(table) else "created"
        lake.overwrite(new, table, partition_by=[partition], overwrite_schema=True, properties=GOLD_PROPERTIES)
        labels = tuple(str(r[0]) for r in rows if r[1] is not None)
    elif changed:
        action = "partitions"
        predicate = partition_predicate(partition, changed)
        data = slice_of(changed).where(F.col(partition).isin(changed))
        lake.replace_where(data, table, predicate)
    else:
        return TableWrite(table, "unchanged", total, present)
    metrics: Mapping[str, Any] = {}
    if optimize and labels:
        where = None if action in ("created", "rewritten") else partition_predicate(partition, changed)
        metrics = lake.optimize(table, where=where, zorder_by=zorder_by)
    ensure_athena_readable(lake, table)
    return TableWrite(table, action, total, present, labels, metrics)


def partition_predicate(partition: str, periods: Sequence[dt.date]) -> str:
    """`event_month IN (DATE'2026-01-01', ...)` for replaceWhere and OPTIMIZE ... WHERE."""
    values = ", ".join(f"DATE'{p.isoformat()}'" for p in periods)
    return f"`{partition}` IN ({values})"


def write_if_changed(
    lake: Lake, table: str, new: DataFrame, *, zorder_by: Sequence[str] = (), optimize: bool = True
) -> TableWrite:
    """Overwrite `table` with `new` unless its content is already the same (one comparison pass)."""
    figures = [F.count(F.lit(1)).alias("rows"), content_hash(new.columns).alias("hash")]
    if same_layout(lake, table, new, []):
        both = new.agg(*figures).crossJoin(lake.read(table).agg(*figures).toDF("c_rows", "c_hash")).first()
        assert both is not None
        if both["rows"] == both["c_rows"] and both["hash"] == both["c_hash"]:
            return TableWrite(table, "unchanged", int(both["rows"]))
        action = "replaced"
        lake.overwrite(new, table)
    else:
        action = "rewritten" if lake.exists(table) else "created"
        lake.overwrite(new, table, overwrite_schema=True, properties=GOLD_PROPERTIES)
    rows = lake.read(table).count()  # answered from Delta's file statistics
    metrics = lake.optimize(table, zorder_by=zorder_by) if optimize else {}
    ensure_athena_readable(lake, table)
    return TableWrite(table, action, rows, optimize=metrics)


def ensure_athena_readable(lake: Lake, table: str) -> None:
    """Fail, naming the table and the feature, when a table needs a reader Athena engine v3 may not have."""
    detail = lake.detail(table)
    reader = int(detail.get("minReaderVersion") or 1)
    props = detail.get("properties") or {}
    keys = ("delta.enableDeletionVectors", "delta.columnMapping.mode")
    found = [k for k in keys if props.get(k) not in (None, "false", "none")]
    if reader > ATHENA_MAX_READER_VERSION or found:
        features = ", ".join(found) or f"reader version {reader}"
        raise GoldError(
            f"{table} at {lake.path(table)} uses {features}; gold tables must stay readable by Athena engine v3 "
            "(no deletion vectors, no column mapping): unset the cluster default that enables it and rebuild"
        )
