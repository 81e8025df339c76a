"""Exactly-once ingestion of raw files into bronze.<source>, bronze._quarantine and bronze._ingest_log.

For each source (referenced sources first, e.g. erp before pos): list the files not yet in the ingest log, parse
them under the contract, and write the valid rows to bronze.<source> and the rest to bronze._quarantine, both with
`replaceWhere _file IN (<these files>)`. The ingest log is written last. A run killed after the data writes leaves
files without a log row, so the next run parses them again and the replaceWhere overwrites the partial rows: no
duplicate, no gap. Every file is read twice: a cheap pass that counts and numbers its lines, and one parse whose
checked records are persisted for both writes (a CSV file in which a quoted field spans lines once more, to count
its records). For every file, rows read = rows landed + rows quarantined, and the
totals are checked against the rows Delta committed.

A source's run is a short sequence of steps (`ingest_source`): the files not done (udp/bronze/ledger.py), the batch
read into checked records (udp/bronze/batch.py), the records counted, the valid ones written to bronze.<source> and
the rest to the quarantine (udp/bronze/quarantine.py), each file's outcome, and the log row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.storagelevel import StorageLevel

from udp import progress, tables
from udp.bronze.batch import Batch, read_batch, rescued_fields
from udp.bronze.drift import DriftNote
from udp.bronze.files import RawFile, list_files
from udp.bronze.ledger import (
    FileResult,
    LogEntry,
    batch_id,
    create_ingest_log,
    logged_files,
    not_done,
    write_ingest_log,
)
from udp.bronze.quarantine import create_quarantine, files_in, quarantine_rows, replace_quarantined
from udp.bronze.reasons import REASONS
from udp.contracts import check_contracts, dependency_order
from udp.errors import ContractError, unknown_name

if TYPE_CHECKING:
    from udp.config import Config
    from udp.lake import Lake


@dataclass(frozen=True)
class SourceResult:
    """What happened to one source in this run."""

    source: str
    files: list[FileResult] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    drift: list[DriftNote] = field(default_factory=list)
    changed_after_ingest: list[str] = field(default_factory=list)
    seconds: float = 0.0
    found: int = 0  # files matching the source's path, new or not

    def total(self, attr: str) -> int:
        return sum(int(getattr(f, attr)) for f in self.files)


@dataclass(frozen=True)
class Landed:
    """What a batch's writes did: each file's outcome, the quarantine reasons, the drift found."""

    files: list[FileResult]
    reasons: Counter[str] = field(default_factory=Counter)
    drift: list[DriftNote] = field(default_factory=list)


@dataclass(frozen=True)
class Counts:
    """A batch's checked records counted per file: landed, and quarantined per reason code."""

    landed: Counter[str]
    quarantined: Counter[str]
    reasons: Counter[str]


def ingest(
    spark: SparkSession, lake: Lake, config: Config, only: Sequence[str] = (), now: dt.datetime | None = None
) -> list[SourceResult]:
    """Ingest every source (or those in `only`) in dependency order; returns one result per source."""
    sources = config.sources
    unknown = [s for s in only if s not in sources]
    if unknown:
        raise ContractError(unknown_name("source", unknown[0], list(sources), "sources in the contract"))
    started = now or dt.datetime.now(dt.UTC)
    order = [name for name in dependency_order(sources) if not only or name in only]
    # What is new is decided before any other Spark work: listing is driver-side, and the ingest log is read once
    # (not at all when nothing landed), so a run that finds nothing new checks, creates, parses and writes nothing.
    listed = {name: list_files(spark, config.paths.raw, sources[name].path) for name in order}
    logged = logged_files(lake) if any(listed.values()) else {}
    pending = {name: not_done(listed[name], logged.get(name, {})) for name in order}  # (new files, changed ones)
    busy = [name for name in order if pending[name][0]]
    if not busy:
        return [nothing_new(name, listed[name], pending[name][1]) for name in order]
    schemas = check_contracts(sources, spark)
    # A JSON object with a repeated key keeps the last value instead of failing the job.
    spark.conf.set("spark.sql.mapKeyDedupPolicy", "LAST_WIN")
    # Lines of a non-UTF-8 source are decoded from their bytes with `decode`, which Spark 4 limits to a few
    # charsets unless this is set; contracts accept any charset name Python and Java know.
    spark.conf.set("spark.sql.legacy.javaCharsets", "true")
    create_quarantine(lake)  # before sources write to it and to the log concurrently
    create_ingest_log(lake)
    shared = threading.Lock()
    # Sources run concurrently (a source starts once the sources it references are done): while one source's
    # Delta commits and line counts keep the driver busy, another's parsing keeps the cores busy.
    with ThreadPoolExecutor(max_workers=max(1, config.lake.bronze_parallel_sources)) as pool:
        futures: dict[str, Future[SourceResult]] = {}
        for name in busy:
            after = [futures[r.source] for r in sources[name].references if r.source in futures]
            futures[name] = pool.submit(
                _after,
                after,
                ingest_source,
                spark,
                lake,
                config,
                name,
                schema=schemas[name],
                now=started,
                files=listed[name],
                pending=pending[name],
                logged=logged.get(name, {}),
                shared=shared,
            )
        return [
            futures[name].result() if name in futures else nothing_new(name, listed[name], pending[name][1])
            for name in order
        ]


def _after(
    before: Sequence[Future[SourceResult]], fn: Callable[..., SourceResult], *args: Any, **kwargs: Any
) -> SourceResult:
    """Run `fn` once every future in `before` is done (re-raising their errors). Futures are submitted in
    dependency order to a FIFO pool, so what this waits for has already started: no deadlock."""
    for future in before:
        future.result()
    return fn(*args, **kwargs)


def ingest_source(
    spark: SparkSession,
    lake: Lake,
    config: Config,
    name: str,
    *,
    schema: T.StructType,
    now: dt.datetime,
    files: Sequence[RawFile],
    pending: tuple[list[RawFile], list[str]],
    logged: dict[str, LogEntry],
    shared: threading.Lock,
) -> SourceResult:
    """Ingest `pending`'s new files of one source, of the `files` found for it (`pending`: `not_done`'s new files and
    changed ones; `logged`: relative path -> its ingest log entry). `shared` serialises the writes to the quarantine
    and the ingest log when sources run concurrently.
    """
    contract = config.sources[name]
    clock = time.monotonic()
    new, changed = pending
    landed = Landed([])
    if new:
        progress.step("bronze", f"{name}: {len(new):,} new file(s), {sum(f.size for f in new) / 1e6:,.1f} MB")
        batch = Batch(name, contract, schema, [f for f in new if f.size > 0], batch_id(name, now, new), now)
        landed = land(lake, batch, new, shared)
        with shared:
            retried = any(f.relative in logged for f in new)
            write_ingest_log(lake, name, landed.files, batch.batch_id, now, merge=retried)
        progress.step("bronze", f"{name}: done in {time.monotonic() - clock:,.1f} s")
    return SourceResult(
        name,
        files=landed.files,
        reasons=landed.reasons,
        drift=landed.drift,
        changed_after_ingest=changed,
        seconds=time.monotonic() - clock,
        found=len(files),
    )


def nothing_new(name: str, files: Sequence[RawFile], changed: list[str]) -> SourceResult:
    """The result of a source none of whose files is new: what was found, and what changed after its ingest."""
    return SourceResult(name, changed_after_ingest=changed, found=len(files))


def land(lake: Lake, batch: Batch, files: list[RawFile], shared: threading.Lock) -> Landed:
    """Parse and check every record of `batch` once, then write the valid ones and quarantine the rest.

    The checked records are persisted (memory, spilling to disk) so that the bronze write, the quarantine write and
    the per-file counts read the raw files once. Records read per file come from the line-numbering pass over the
    files; rows landed and quarantined per file from the persisted records; and the totals of both are checked
    against the row counts Delta committed, so read = landed + quarantined is a real check. `files` are all new
    files, empty ones included (logged as `empty`).
    """
    if not batch.files:
        return Landed([FileResult(f, status="empty") for f in files])
    checked = read_batch(lake, batch)
    rows = checked.rows.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        counts = count_records(rows)
        relative = [f.relative for f in batch.files]
        valid = rows.where(F.size(F.col(REASONS)) == 0)
        written = write_valid(lake, batch, valid, checked.columns)
        quarantined = sum(counts.quarantined.values())
        bad = quarantine_rows(rows.where(F.size(F.col(REASONS)) > 0), batch.name, batch.batch_id, _at(batch.now))
        written += replace_quarantined(lake, bad, batch.name, relative, quarantined, shared=shared)
        outcomes = file_outcomes(files, checked.records, counts)
        if written != sum(counts.landed.values()) + quarantined:  # Delta committed other rows: retry next run
            outcomes = [o if o.status == "empty" else dataclasses.replace(o, status="mismatch") for o in outcomes]
        drift = checked.drift
        if batch.contract.format == "jsonl" and batch.contract.drift == "rescue":
            drift = [*drift, *rescued_fields(batch.name, valid)]
    finally:
        rows.unpersist()
    return Landed(outcomes, counts.reasons, drift)


def count_records(rows: DataFrame) -> Counts:
    """Rows landed and quarantined per file, and the quarantine reasons, from the checked records."""
    code = F.when(F.size(F.col(REASONS)) > 0, F.get(F.col(REASONS), 0)["code"])
    counts = rows.groupBy("_file", code.alias("code")).agg(F.count(F.lit(1)).alias("n")).collect()
    landed: Counter[str] = Counter()
    quarantined: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for r in counts:
        if r["code"] is None:
            landed[r["_file"]] += int(r["n"])
        else:
            quarantined[r["_file"]] += int(r["n"])
            reasons[r["code"]] += int(r["n"])
    return Counts(landed, quarantined, reasons)


def file_outcomes(files: Sequence[RawFile], records: dict[str, int], counts: Counts) -> list[FileResult]:
    """Records read per file (from the files) against rows landed and quarantined (from the checked records); a file
    whose counts do not add up is `mismatch` (not logged as done: the next run retries it)."""
    outcomes = []
    for f in files:
        if not f.size:
            outcomes.append(FileResult(f, status="empty"))
            continue
        read, landed = records.get(f.relative, 0), counts.landed.get(f.relative, 0)
        quarantined = counts.quarantined.get(f.relative, 0)
        status = "ingested" if read == landed + quarantined else "mismatch"
        outcomes.append(FileResult(f, read, landed, quarantined, status))
    return outcomes


def write_valid(lake: Lake, batch: Batch, valid: DataFrame, columns: list[str]) -> int:
    """The rows without reasons, to bronze.<source>, replacing whatever an earlier attempt wrote for the batch's
    files. Returns the rows Delta committed."""
    business = [F.col(f"`{c}`") for c in columns]
    out = valid.select(
        *business,
        "_rescued_data",
        F.lit(batch.name).alias("_source"),
        "_file",
        "_row",
        "_landing_date",
        _at(batch.now).alias("_ingested_at"),
        F.lit(batch.batch_id).alias("_batch_id"),
        F.xxhash64(*business).alias("_record_hash"),
    )
    table = tables.bronze(batch.name)
    before = lake.version(table)
    where = files_in([f.relative for f in batch.files])
    lake.replace_where(out, table, where, merge_schema=batch.contract.drift == "evolve")
    return lake.rows_written_since(table, before)


def _at(now: dt.datetime) -> Column:
    return F.lit(now).cast("timestamp")
