"""Exactly-once ingestion of raw files into bronze.<source>, bronze._quarantine and bronze._ingest_log.

For each source (referenced sources first, e.g. erp before pos): list the files not yet in the ingest log, parse
them under the contract, and write the valid rows to bronze.<source> and the rest to bronze._quarantine, both with
`replaceWhere _file IN (<these files>)`. The ingest log is written last. A run killed after the data writes leaves
files without a log row, so the next run parses them again and the replaceWhere overwrites the partial rows: no
duplicate, no gap. Every file is read twice: a cheap pass that counts and numbers its lines, and one parse whose
checked records are persisted for both writes (a CSV file in which a quoted field spans lines once more, to count
its records). For every file, rows read = rows landed + rows quarantined, and the
totals are checked against the rows Delta committed.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import hashlib
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

from udp import tables
from udp.bronze import parse, validate
from udp.bronze.drift import DriftNote, csv_header_drift, csv_header_problems, enforce_policy, schema_drift
from udp.bronze.files import RawFile, byte_order_mark, list_files, read_first_line
from udp.bronze.reasons import REASONS
from udp.contracts import Reference, SourceContract, check_contracts, dependency_order
from udp.errors import ContractError
from udp.lake import sql_str

if TYPE_CHECKING:
    from udp.config import Config
    from udp.lake import Lake

QUARANTINE = tables.BRONZE_QUARANTINE
INGEST_LOG = tables.INGEST_LOG
DONE = ("ingested", "empty")

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


@dataclass
class FileResult:
    """What happened to one file."""

    file: RawFile
    rows_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    status: str = "ingested"
    drift: str = ""


@dataclass
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


def ingest(
    spark: SparkSession, lake: Lake, config: Config, only: Sequence[str] = (), now: dt.datetime | None = None
) -> list[SourceResult]:
    """Ingest every source (or those in `only`) in dependency order; returns one result per source."""
    sources = config.sources
    unknown = [s for s in only if s not in sources]
    if unknown:
        raise ContractError(f"unknown source {unknown[0]!r}; sources in the contract: {', '.join(sources)}")
    started = now or dt.datetime.now(dt.UTC)
    order = [name for name in dependency_order(sources) if not only or name in only]
    # What is new is decided before any other Spark work: listing is driver-side, and the ingest log is read once
    # (not at all when nothing landed), so a run that finds nothing new checks, creates, parses and writes nothing.
    listed = {name: list_files(spark, config.paths.raw, sources[name].path) for name in order}
    logged = _logged_files(lake) if any(listed.values()) else {}
    checked = {name: new_files(name, listed[name], logged.get(name, {})) for name in order}
    busy = [name for name in order if checked[name][1]]
    if not busy:
        return [checked[name][0] for name in order]
    schemas = check_contracts(sources, spark)
    # A JSON object with a repeated key keeps the last value instead of failing the job.
    spark.conf.set("spark.sql.mapKeyDedupPolicy", "LAST_WIN")
    # Lines of a non-UTF-8 source are decoded from their bytes with `decode`, which Spark 4 limits to a few
    # charsets unless this is set; contracts accept any charset name Python and Java know.
    spark.conf.set("spark.sql.legacy.javaCharsets", "true")
    _create_shared_tables(lake)
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
                logged=logged.get(name, {}),
                shared=shared,
                files=listed[name],
            )
        return [futures[name].result() if name in futures else checked[name][0] for name in order]


def _after(
    before: Sequence[Future[SourceResult]], fn: Callable[..., SourceResult], *args: Any, **kwargs: Any
) -> SourceResult:
    """Run `fn` once every future in `before` is done (re-raising their errors). Futures are submitted in
    dependency order to a FIFO pool, so what this waits for has already started: no deadlock."""
    for future in before:
        future.result()
    return fn(*args, **kwargs)


def _create_shared_tables(lake: Lake) -> None:
    """The quarantine and the ingest log exist before sources write to them concurrently."""
    spark = lake.spark
    if not lake.exists(QUARANTINE):
        lake.overwrite(spark.createDataFrame([], QUARANTINE_SCHEMA), QUARANTINE, partition_by=["_source"])
    elif "payload_bytes" not in lake.read(QUARANTINE).columns:
        _upgrade_quarantine(lake)
    if not lake.exists(INGEST_LOG):
        lake.overwrite(spark.createDataFrame([], INGEST_LOG_SCHEMA), INGEST_LOG)


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


def ingest_source(
    spark: SparkSession,
    lake: Lake,
    config: Config,
    name: str,
    *,
    schema: T.StructType,
    now: dt.datetime,
    logged: dict[str, LogEntry],
    shared: threading.Lock | None = None,
    files: Sequence[RawFile] | None = None,
) -> SourceResult:
    """Ingest the files of one source not logged as done in `logged` (relative path -> its ingest log entry).

    `shared` serialises the writes to the quarantine and the ingest log when sources run concurrently; `files` are
    the source's files when already listed.
    """
    shared = shared or threading.Lock()
    contract = config.sources[name]
    clock = time.monotonic()
    files = list_files(spark, config.paths.raw, contract.path) if files is None else files
    result, new = new_files(name, files, logged)
    if new:
        batch = Batch(spark, lake, name, contract, schema, new, _batch_id(name, now, new), now, shared)
        batch.run(result)
        with shared:
            retried = any(f.relative in logged for f in new)
            write_ingest_log(lake, name, result.files, batch.batch_id, now, merge=retried)
    result.seconds = time.monotonic() - clock
    return result


def new_files(name: str, files: Sequence[RawFile], logged: dict[str, LogEntry]) -> tuple[SourceResult, list[RawFile]]:
    """The files not logged as done, and the source's result so far (files found, files changed after ingest)."""
    done = {path: (e.size, e.modified_ms) for path, e in logged.items() if e.status in DONE}
    result = SourceResult(name, found=len(files))
    result.changed_after_ingest = [
        f.relative for f in files if f.relative in done and done[f.relative] != (f.size, f.modified_ms)
    ]
    return result, [f for f in files if f.relative not in done]


@dataclass
class Batch:
    """The new files of one source, ingested together."""

    spark: SparkSession
    lake: Lake
    name: str
    contract: SourceContract
    schema: T.StructType
    files: list[RawFile]
    batch_id: str
    now: dt.datetime
    shared: threading.Lock

    def run(self, result: SourceResult) -> None:
        """Parse and check every record once, then write the valid ones and quarantine the rest; fills `result`.

        The checked records are persisted (memory, spilling to disk) so that the bronze write, the quarantine write
        and the per-file counts read the raw files once. Records read per file come from the line-numbering pass over
        the files; rows landed and quarantined per file from the persisted records; and the totals of both are
        checked against the row counts Delta committed, so read = landed + quarantined is a real check.
        """
        results = {f.relative: FileResult(f, status="ingested" if f.size else "empty") for f in self.files}
        with_data = [f for f in self.files if f.size > 0]
        if with_data:
            self._scan_json_drift(with_data, result)
            records: dict[str, int] = {}
            checked = self._rows(with_data, result, records)  # fills result.drift
            columns = [*self.schema.fieldNames(), *self._evolved_columns(result)]
            rows = self._for_writing(checked, columns)
            rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
            try:
                relative = [f.relative for f in with_data]
                landed, quarantined = self._count(results, result, records, rows)
                valid = rows.where(F.size(F.col(REASONS)) == 0)
                written = self._write_valid(valid, columns, relative)
                written += self._write_rejected(rows.where(F.size(F.col(REASONS)) > 0), relative, quarantined)
                if written != landed + quarantined:  # Delta committed other rows than were counted: retry next run
                    for fr in results.values():
                        if fr.status != "empty":
                            fr.status = "mismatch"
                if self.contract.format == "jsonl" and self.contract.drift == "rescue":
                    result.drift += self._rescued_fields(valid)
            finally:
                rows.unpersist()
        result.files = list(results.values())

    def _rows(self, files: list[RawFile], result: SourceResult, records: dict[str, int]) -> DataFrame:
        """Every record of `files`, typed, with its reasons; `records` gets the records per file."""
        rows = self._checked(files, result, records)
        for ref in self.contract.references:
            row_id = "_row_id" if validate.is_array_reference(rows, ref) else None
            if row_id:
                rows = rows.withColumn(row_id, F.concat_ws(":", "_file", "_row"))
            rows = rows.transform(self._reference_check(ref, row_id=row_id))
        evolved = self._evolved_columns(result)
        if evolved:
            rows = rows.withColumns({c: F.get_json_object(F.col(parse.RESCUED), f"$.{c}") for c in evolved})
        return rows

    def _for_writing(self, rows: DataFrame, columns: list[str]) -> DataFrame:
        """Only what the two writes need: the raw line is kept (as the payload) for rejected records alone."""
        return rows.select(
            *[F.col(f"`{c}`") for c in columns],
            F.col(parse.RESCUED),
            REASONS,
            F.when(F.size(F.col(REASONS)) > 0, F.col(parse.LINE)).alias("_payload"),
            "_file",
            F.col("_row").cast("bigint").alias("_row"),
            "_landing_date",
        )

    def _reference_check(self, ref: Reference, row_id: str | None = None) -> validate.Transform:
        table = tables.bronze(ref.source)
        keys = self.lake.read(table).select(ref.key)
        return validate.with_reference_check(ref, keys, table=f"{table}.{ref.key}", row_id=row_id)

    def _checked(self, files: list[RawFile], result: SourceResult, records: dict[str, int]) -> DataFrame:
        """Numbered, parsed rows with typed columns and every row-level reason except references."""
        contract = self.contract
        if contract.format == "csv":
            parsed = self._parse_csv(files, result, records)
        elif contract.format == "jsonl":
            lines, counts = parse.numbered_lines(self.spark, files, "UTF-8", header=False)
            records.update(counts)
            parsed = parse.parse_json(lines, self.schema, dict(contract.formats))
        else:
            found = self.spark.read.option("mergeSchema", "true").parquet(*[f.uri for f in files]).schema
            where = files[0].relative if len(files) == 1 else f"{files[0].relative} (+{len(files) - 1} files)"
            notes = schema_drift(self.name, where, found, self.schema)
            enforce_policy(self.name, contract.drift, notes)
            result.drift += notes
            parsed, counts = parse.read_parquet(self.spark, files, self.schema)
            records.update(counts)
        _, as_text = parse.fast_formats(self.schema, dict(contract.formats))
        as_text = as_text if contract.format != "parquet" else set()
        checked = parsed.transform(validate.with_required(contract.required))
        checked = checked.transform(validate.with_typed_columns(self.schema, contract.formats, as_text))
        checked = checked.transform(validate.with_checks(contract.checks))
        if contract.format != "parquet":
            checked = checked.transform(validate.with_decodable_check())
            if parse.is_utf8(contract.encoding):
                checked = checked.transform(validate.with_utf8_check())
        else:
            checked = checked.transform(validate.with_utf8_columns_check(self.schema))
        return checked.transform(validate.with_malformed_first())

    def _parse_csv(self, files: list[RawFile], result: SourceResult, records: dict[str, int]) -> DataFrame:
        """Parse CSV files grouped by header and encoding (files may order or add columns differently, and a
        byte-order mark overrides the declared encoding). Header problems are noted once per file."""
        contract, columns = self.contract, self.schema.fieldNames()
        groups: dict[tuple[tuple[str, ...], str], list[RawFile]] = {}
        notes = []
        for f in files:
            header = tuple(columns)
            bom = byte_order_mark(self.spark, f.uri)
            encoding = bom or contract.encoding
            if contract.has_header:
                text = read_first_line(self.spark, f.uri, encoding)
                header = tuple(h.strip().strip('"') for h in text.split(contract.delimiter))
            note = csv_header_drift(self.name, f.relative, header, columns)
            problems = csv_header_problems(header, columns, contract.required, contract.delimiter)
            if bom and not _same_charset(bom, contract.encoding):
                problems = (f"byte-order mark: read as {bom}, not the declared {contract.encoding}", *problems)
            if problems:
                note = dataclasses.replace(note or DriftNote(self.name, f.relative), header_problems=problems)
            if note is not None:
                notes.append(note)
            groups.setdefault((header, encoding), []).append(f)
        enforce_policy(self.name, contract.drift, [n for n in notes if n.new_columns or n.missing_columns])
        result.drift += notes
        frames = []
        quote = contract.options.get("quote", '"')
        for (header, encoding), group in groups.items():
            lines, counts = parse.numbered_lines(
                self.spark, group, encoding, header=contract.has_header, quote=quote, delimiter=contract.delimiter
            )
            records.update(counts)
            frames.append(parse.parse_csv(lines, header, contract, self.schema))
        parsed = frames[0]
        for frame in frames[1:]:
            parsed = parsed.unionByName(frame)
        return parsed

    def _scan_json_drift(self, files: list[RawFile], result: SourceResult) -> None:
        """JSON under `fail` or `evolve`: find new top-level fields before anything is written."""
        contract, columns = self.contract, self.schema.fieldNames()
        if contract.format != "jsonl" or contract.drift not in ("fail", "evolve"):
            return
        lines, _ = parse.numbered_lines(self.spark, files, "UTF-8", header=False)
        keys = F.array_except(F.json_object_keys(F.col(parse.LINE)), F.array(*[F.lit(c) for c in columns]))
        per_file = (
            lines.select("_file", F.explode(keys).alias("field"))
            .groupBy("_file")
            .agg(F.array_sort(F.collect_set("field")).alias("fields"))
        )
        notes = [DriftNote(self.name, r["_file"], new_columns=tuple(r["fields"])) for r in per_file.collect()]
        enforce_policy(self.name, contract.drift, notes)
        result.drift += notes

    def _evolved_columns(self, result: SourceResult) -> list[str]:
        """Under `evolve`, the new columns found in this batch (added to the bronze table as STRING)."""
        if self.contract.drift != "evolve" or self.contract.format == "parquet":
            return []
        columns = self.schema.fieldNames()
        return sorted({c for n in result.drift for c in n.new_columns if c not in columns})

    def _write_valid(self, valid: DataFrame, columns: list[str], files: list[str]) -> int:
        """The rows without reasons, to bronze.<source>, replacing whatever an earlier attempt wrote for `files`.

        Returns the rows Delta committed.
        """
        business = [F.col(f"`{c}`") for c in columns]
        out = valid.select(
            *business,
            "_rescued_data",
            F.lit(self.name).alias("_source"),
            "_file",
            "_row",
            "_landing_date",
            F.lit(self.now).cast("timestamp").alias("_ingested_at"),
            F.lit(self.batch_id).alias("_batch_id"),
            F.xxhash64(*business).alias("_record_hash"),
        )
        table = tables.bronze(self.name)
        before = self.lake.version(table)
        self.lake.replace_where(out, table, _in(files), merge_schema=self.contract.drift == "evolve")
        return _committed_rows(self.lake, table, before)

    def _write_rejected(self, rejected: DataFrame, files: list[str], expected: int) -> int:
        """Every record with a reason (`expected` of them, as counted), to bronze._quarantine (replacing earlier
        attempts); returns the rows committed."""
        # Each message caps and cleans the values it quotes; the joined reason is cleaned again so that no reason,
        # however built, can make the quarantine unreadable outside Spark.
        messages = F.array_join(F.transform(F.col(REASONS), lambda r: r["message"]), "; ")
        text = quarantine_text(F.col("_payload"), messages)
        bad = rejected.select(
            F.lit(self.name).alias("_source"),
            "_file",
            "_row",
            "_landing_date",
            F.get(F.col(REASONS), 0)["code"].alias("reason_code"),
            text["reason"].alias("reason"),
            text["payload"].alias("payload"),
            text["payload_bytes"].alias("payload_bytes"),
            F.lit(self.batch_id).alias("_batch_id"),
            F.lit(self.now).cast("timestamp").alias("_ingested_at"),
        )
        where = f"_source = {_sql_quote(self.name)} AND {_in(files)}"
        with self.shared:
            if expected == 0 and self.lake.read(QUARANTINE).where(where).isEmpty():
                return 0  # nothing to write and nothing left by an earlier attempt: no empty commit
            before = self.lake.version(QUARANTINE)
            self.lake.replace_where(bad, QUARANTINE, where, partition_by=["_source"])
            return _committed_rows(self.lake, QUARANTINE, before)

    def _count(
        self, results: dict[str, FileResult], result: SourceResult, records: dict[str, int], rows: DataFrame
    ) -> tuple[int, int]:
        """Records read per file (from the files) against rows landed and quarantined (from the checked records);
        a file whose counts do not add up is marked `mismatch` (not logged as done: the next run retries it).
        Returns the rows landed and quarantined, to check against the rows Delta commits."""
        code = F.when(F.size(F.col(REASONS)) > 0, F.get(F.col(REASONS), 0)["code"])
        counts = rows.groupBy("_file", code.alias("code")).agg(F.count(F.lit(1)).alias("n")).collect()
        landed: Counter[str] = Counter()
        quarantined: Counter[str] = Counter()
        for r in counts:
            if r["code"] is None:
                landed[r["_file"]] += int(r["n"])
            else:
                quarantined[r["_file"]] += int(r["n"])
                result.reasons[r["code"]] += int(r["n"])
        for rel, fr in results.items():
            if fr.status == "empty":
                continue
            fr.rows_read, fr.rows_landed = records.get(rel, 0), landed.get(rel, 0)
            fr.rows_quarantined = quarantined.get(rel, 0)
            if fr.rows_read != fr.rows_landed + fr.rows_quarantined:
                fr.status = "mismatch"
        return sum(landed.values()), sum(quarantined.values())

    def _rescued_fields(self, landed: DataFrame) -> list[DriftNote]:
        """New top-level JSON fields rescued into `_rescued_data` in this batch, per file."""
        fields = F.map_keys(F.from_json(F.col("_rescued_data"), "MAP<STRING, STRING>"))
        rows = (
            landed.where(F.col("_rescued_data").isNotNull())
            .select("_file", F.explode(fields).alias("field"))
            .groupBy("_file")
            .agg(F.array_sort(F.collect_set("field")).alias("fields"))
            .collect()
        )
        return [DriftNote(self.name, r["_file"], new_columns=tuple(r["fields"])) for r in rows]


def _committed_rows(lake: Lake, table: str, before: int) -> int:
    """Rows written by the commit after version `before`, from Delta's own operation metrics."""
    version, metrics = lake.last_commit(table)
    return 0 if version == before else int(metrics.get("numOutputRows", -1))


def _in(files: Sequence[str]) -> str:
    return "_file IN (" + ", ".join(_sql_quote(f) for f in files) + ")"


def write_ingest_log(
    lake: Lake, name: str, results: list[FileResult], batch_id: str, now: dt.datetime, *, merge: bool = True
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
            batch_id,
            now,
        )
        for r in results
    ]
    df = lake.spark.createDataFrame(rows, INGEST_LOG_SCHEMA)
    if merge:
        lake.merge(df, INGEST_LOG)
    else:
        lake.append(df, INGEST_LOG)


@dataclass(frozen=True)
class LogEntry:
    """A file's row in the ingest log."""

    size: int
    modified_ms: int
    status: str


def _logged_files(lake: Lake) -> dict[str, dict[str, LogEntry]]:
    """Every file in the ingest log, per source: relative path -> its entry."""
    if not lake.exists(INGEST_LOG):
        return {}
    rows = lake.read(INGEST_LOG).select("source", "path", "size_bytes", "modified_ms", "status").collect()
    logged: dict[str, dict[str, LogEntry]] = {}
    for r in rows:
        entry = LogEntry(int(r["size_bytes"]), int(r["modified_ms"]), str(r["status"]))
        logged.setdefault(r["source"], {})[r["path"]] = entry
    return logged


def _batch_id(name: str, now: dt.datetime, files: Sequence[RawFile]) -> str:
    digest = hashlib.sha256("\n".join(f.relative for f in files).encode()).hexdigest()[:8]
    return f"{name}-{now:%Y%m%dT%H%M%S}-{digest}"


def _same_charset(a: str, b: str) -> bool:
    try:
        return codecs.lookup(a).name == codecs.lookup(b).name
    except LookupError:
        return a.upper() == b.upper()


def _sql_quote(value: str) -> str:
    return f"'{sql_str(value)}'"
