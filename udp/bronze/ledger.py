"""The ingest log, bronze._ingest_log: which raw files were ingested, when, and with what outcome.

A file is done when its log row says `ingested` or `empty` with the size and modification time it still has; every
other file of a source is new to the next run. The log is written after a batch's data, so a run killed in between
parses the files again and overwrites its partial rows (see udp/bronze/ingest.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import types as T

from udp import tables
from udp.bronze.files import RawFile

if TYPE_CHECKING:
    from udp.lake import Lake

INGEST_LOG = tables.INGEST_LOG
DONE = ("ingested", "empty")

INGEST_LOG_SCHEMA = T.StructType(
    [
        T.StructField("path", T.StringType()),
        T.StructField("source", T.StringType()),
        T.StructField("uri", T.StringType()),
        T.StructField("size_bytes", T.LongType()),
        T.StructField("modified_ms", T.LongType()),
        T.StructField("modified_at", T.TimestampType()),
        T.StructField("landing_date", T.DateType()),
        T.StructField("rows_read", T.LongType()),
        T.StructField("rows_landed", T.LongType()),
        T.StructField("rows_quarantined", T.LongType()),
        T.StructField("status", T.StringType()),
        T.StructField("drift", T.StringType()),
        T.StructField("batch_id", T.StringType()),
        T.StructField("ingested_at", T.TimestampType()),
    ]
)


@dataclass(frozen=True)
class FileResult:
    """What happened to one file."""

    file: RawFile
    rows_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    status: str = "ingested"
    drift: str = ""


@dataclass(frozen=True)
class LogEntry:
    """A file's row in the ingest log."""

    size: int
    modified_ms: int
    status: str


def create_ingest_log(lake: Lake) -> None:
    if not lake.exists(INGEST_LOG):
        lake.overwrite(lake.spark.createDataFrame([], INGEST_LOG_SCHEMA), INGEST_LOG)


def logged_files(lake: Lake) -> dict[str, dict[str, LogEntry]]:
    """Every file in the ingest log, per source: relative path -> its entry."""
    if not lake.exists(INGEST_LOG):
        return {}
    rows = lake.read(INGEST_LOG).select("source", "path", "size_bytes", "modified_ms", "status").collect()
    logged: dict[str, dict[str, LogEntry]] = {}
    for r in rows:
        entry = LogEntry(int(r["size_bytes"]), int(r["modified_ms"]), str(r["status"]))
        logged.setdefault(r["source"], {})[r["path"]] = entry
    return logged


def not_done(files: Sequence[RawFile], logged: dict[str, LogEntry]) -> tuple[list[RawFile], list[str]]:
    """The files not logged as done, and those logged as done that changed since (relative paths)."""
    done = {path: (e.size, e.modified_ms) for path, e in logged.items() if e.status in DONE}
    changed = [f.relative for f in files if f.relative in done and done[f.relative] != (f.size, f.modified_ms)]
    return [f for f in files if f.relative not in done], changed


def batch_id(name: str, now: dt.datetime, files: Sequence[RawFile]) -> str:
    digest = hashlib.sha256("\n".join(f.relative for f in files).encode()).hexdigest()[:8]
    return f"{name}-{now:%Y%m%dT%H%M%S}-{digest}"


def write_ingest_log(
    lake: Lake, name: str, results: Sequence[FileResult], batch: str, now: dt.datetime, *, merge: bool = True
) -> None:
    """Record each file's outcome: MERGE on path, or a plain append when no file has a log row yet (`merge`
    False). Files whose counts did not add up are retried next run."""
    rows = [
        (
            r.file.relative,
            name,
            r.file.uri,
            r.file.size,
            r.file.modified_ms,
            dt.datetime.fromtimestamp(r.file.modified_ms / 1000, dt.UTC),
            r.file.landing_date,
            r.rows_read,
            r.rows_landed,
            r.rows_quarantined,
            r.status,
            r.drift or None,
            batch,
            now,
        )
        for r in results
    ]
    df = lake.spark.createDataFrame(rows, INGEST_LOG_SCHEMA)
    if merge:
        lake.merge(df, INGEST_LOG)
    else:
        lake.append(df, INGEST_LOG)
