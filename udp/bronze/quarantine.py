"""bronze._quarantine: every record that did not land, with its reasons and the raw text it was read from."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from udp import tables
from udp.bronze import validate
from udp.bronze.reasons import REASONS
from udp.lake import sql_str

if TYPE_CHECKING:
    from udp.lake import Lake

QUARANTINE = tables.BRONZE_QUARANTINE

QUARANTINE_SCHEMA = T.StructType(
    [
        T.StructField("_source", T.StringType()),
        T.StructField("_file", T.StringType()),
        T.StructField("_row", T.LongType()),
        T.StructField("_landing_date", T.DateType()),
        T.StructField("reason_code", T.StringType()),
        T.StructField("reason", T.StringType()),
        # The record as text, valid UTF-8 (U+FFFD where the line's bytes are not), so every Parquet reader opens it;
        # and the line's exact bytes when they are not valid UTF-8 (null otherwise: `payload` is then exact).
        T.StructField("payload", T.StringType()),
        T.StructField("payload_bytes", T.BinaryType()),
        T.StructField("_batch_id", T.StringType()),
        T.StructField("_ingested_at", T.TimestampType()),
    ]
)


def create_quarantine(lake: Lake) -> None:
    """The quarantine exists (in the current schema) before sources write to it concurrently."""
    if not lake.exists(QUARANTINE):
        lake.overwrite(lake.spark.createDataFrame([], QUARANTINE_SCHEMA), QUARANTINE, partition_by=["_source"])
    elif "payload_bytes" not in lake.read(QUARANTINE).columns:
        _upgrade_quarantine(lake)


def _upgrade_quarantine(lake: Lake) -> None:
    """A quarantine written before `payload_bytes` existed holds undecodable lines as invalid UTF-8 text, which
    readers other than Spark reject: rewrite it once in the current schema, the bytes kept in `payload_bytes`."""
    old = lake.read(QUARANTINE)
    text = quarantine_text(F.col("payload"), F.col("reason"))
    upgraded = old.select(*[text[f.name].alias(f.name) if f.name in text else f.name for f in QUARANTINE_SCHEMA])
    lake.overwrite(upgraded, QUARANTINE, partition_by=["_source"], overwrite_schema=True)


def quarantine_text(payload: Column, reason: Column) -> dict[str, Column]:
    """The quarantine's text columns from a record's raw text and its reasons: `payload` and `reason` as valid UTF-8
    and, when the raw text is not valid UTF-8, its exact bytes as `payload_bytes`."""
    return {
        "reason": validate.valid_utf8(reason),
        "payload": validate.valid_utf8(payload),
        "payload_bytes": F.when(validate.invalid_utf8(payload), payload.cast("binary")),
    }


def quarantine_rows(rejected: DataFrame, source: str, batch_id: str, now: Column) -> DataFrame:
    """Records with reasons (and their raw line as `_payload`) as quarantine rows."""
    # Each message caps and cleans the values it quotes; the joined reason is cleaned again so that no reason,
    # however built, can make the quarantine unreadable outside Spark.
    messages = F.array_join(F.transform(F.col(REASONS), lambda r: r["message"]), "; ")
    text = quarantine_text(F.col("_payload"), messages)
    return rejected.select(
        F.lit(source).alias("_source"),
        "_file",
        "_row",
        "_landing_date",
        F.get(F.col(REASONS), 0)["code"].alias("reason_code"),
        text["reason"].alias("reason"),
        text["payload"].alias("payload"),
        text["payload_bytes"].alias("payload_bytes"),
        F.lit(batch_id).alias("_batch_id"),
        now.alias("_ingested_at"),
    )


def replace_quarantined(
    lake: Lake, rows: DataFrame, source: str, files: Sequence[str], expected: int, *, shared: threading.Lock
) -> int:
    """Write `rows` (`expected` of them, as counted) as the quarantine's rows of `files`, replacing what an earlier
    attempt wrote; `shared` serialises writers. Returns the rows Delta committed."""
    where = f"_source = '{sql_str(source)}' AND {files_in(files)}"
    with shared:
        if expected == 0 and lake.read(QUARANTINE).where(where).isEmpty():
            return 0  # nothing to write and nothing left by an earlier attempt: no empty commit
        before = lake.version(QUARANTINE)
        lake.replace_where(rows, QUARANTINE, where, partition_by=["_source"])
        return lake.rows_written_since(QUARANTINE, before)


def files_in(files: Sequence[str]) -> str:
    """The SQL predicate selecting the rows read from `files`."""
    return "_file IN (" + ", ".join(f"'{sql_str(f)}'" for f in files) + ")"
