"""Exactly-once ingestion of raw files into bronze.<source>, bronze._quarantine and bronze._ingest_log.

For each source (referenced sources first, e.g. erp before pos): list the files not yet in the ingest log, parse
them under the contract, and write the valid rows to bronze.<source> and the rest to bronze._quarantine, both with
`replaceWhere _file IN (<these files>)`. The ingest log is written last. A run killed after the data writes leaves
files without a log row, so the next run parses them again and the replaceWhere overwrites the partial rows: no
duplicate, no gap. For every file, rows read = rows landed + rows quarantined, counted from what was written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from udp.bronze import parse, validate
from udp.bronze.drift import DriftNote, csv_header_drift, enforce_policy, schema_drift
from udp.bronze.files import RawFile, list_files, normalise_uri, read_first_line
from udp.bronze.reasons import REASONS
from udp.contracts import SourceContract, check_contracts, dependency_order
from udp.errors import ContractError

if TYPE_CHECKING:
    from udp.config import Config
    from udp.lake import Lake

QUARANTINE = "bronze._quarantine"
INGEST_LOG = "bronze._ingest_log"
METADATA_COLUMNS = ("_source", "_file", "_row", "_landing_date", "_ingested_at", "_batch_id", "_record_hash")
DONE = ("ingested", "empty")

QUARANTINE_SCHEMA = T.StructType(
    [
        T.StructField("_source", T.StringType()),
        T.StructField("_file", T.StringType()),
        T.StructField("_row", T.LongType()),
        T.StructField("_landing_date", T.DateType()),
        T.StructField("reason_code", T.StringType()),
        T.StructField("reason", T.StringType()),
        T.StructField("payload", T.StringType()),
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
    schemas = check_contracts(sources, spark)
    # A JSON object with a repeated key keeps the last value instead of failing the job.
    spark.conf.set("spark.sql.mapKeyDedupPolicy", "LAST_WIN")
    started = now or dt.datetime.now(dt.UTC)
    results = []
    for name in dependency_order(sources):
        if only and name not in only:
            continue
        results.append(ingest_source(spark, lake, config, name, schema=schemas[name], now=started))
    return results


def ingest_source(
    spark: SparkSession, lake: Lake, config: Config, name: str, *, schema: T.StructType, now: dt.datetime
) -> SourceResult:
    """Ingest the new files of one source."""
    contract = config.sources[name]
    clock = time.monotonic()
    result = SourceResult(name)
    files = list_files(spark, config.paths.raw, contract.path)
    done = _logged_files(lake, name)
    result.changed_after_ingest = [
        f.relative for f in files if f.relative in done and done[f.relative] != (f.size, f.modified_ms)
    ]
    new = [f for f in files if f.relative not in done]
    if new:
        batch = Batch(spark, lake, name, contract, schema, new, _batch_id(name, now, new), now)
        batch.run(result)
        write_ingest_log(lake, name, result.files, batch.batch_id, now)
    result.seconds = time.monotonic() - clock
    return result


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

    def run(self, result: SourceResult) -> None:
        """Parse, check, write bronze and quarantine, and count; fills `result`."""
        results = {f.relative: FileResult(f, status="ingested" if f.size else "empty") for f in self.files}
        with_data = [f for f in self.files if f.size > 0]
        if with_data:
            checked = self._checked(with_data, result).persist(StorageLevel.MEMORY_AND_DISK)
            try:
                numbered = self._number_rows(checked, with_data)
                numbered, evolved = self._apply_drift(numbered, result)
                for ref in self.contract.references:
                    table = f"bronze.{ref.source}"
                    keys = self.lake.read(table).select(ref.key)
                    check = validate.with_reference_check(ref, keys, row_id=parse.MID, table=f"{table}.{ref.key}")
                    numbered = numbered.transform(check)
                self._write(numbered, [*self.schema.fieldNames(), *evolved], [f.relative for f in with_data])
                self._count(numbered, results, result)
            finally:
                checked.unpersist()
        result.files = list(results.values())

    def _checked(self, files: list[RawFile], result: SourceResult) -> DataFrame:
        """Parsed rows with typed columns and every row-level reason except references."""
        contract, uris = self.contract, [f.uri for f in files]
        if contract.format == "csv":
            parsed = self._parse_csv(files, result)
        elif contract.format == "jsonl":
            parsed = parse.parse_json(parse.read_lines(self.spark, uris, "UTF-8"), self.schema)
        else:
            found = self.spark.read.option("mergeSchema", "true").parquet(*uris).schema
            where = files[0].relative if len(files) == 1 else f"{files[0].relative} (+{len(files) - 1} files)"
            notes = schema_drift(self.name, where, found, self.schema)
            enforce_policy(self.name, contract.drift, notes)
            result.drift += notes
            parsed = parse.read_parquet(self.spark, uris, self.schema)
        # Required is checked on the text, so a value that fails to convert is reported once, as a bad value.
        checked = parsed.transform(validate.with_required(contract.required))
        checked = checked.transform(validate.with_typed_columns(self.schema, contract.formats))
        checked = checked.transform(validate.with_checks(contract.checks))
        if contract.format != "parquet":
            encoding_check = (
                validate.with_utf8_check if parse.is_utf8(contract.encoding) else validate.with_control_char_check
            )
            checked = checked.transform(encoding_check())
        return checked.transform(validate.with_malformed_first())

    def _parse_csv(self, files: list[RawFile], result: SourceResult) -> DataFrame:
        """Parse CSV files grouped by header (files may order or add columns differently)."""
        contract, columns = self.contract, self.schema.fieldNames()
        groups: dict[tuple[str, ...], list[RawFile]] = {}
        for f in files:
            header = tuple(columns)
            if contract.has_header:
                text = read_first_line(self.spark, f.uri, contract.encoding)
                header = tuple(h.strip().strip('"') for h in text.split(contract.delimiter))
            note = csv_header_drift(self.name, f.relative, header, columns)
            if note is not None:
                result.drift.append(note)
            groups.setdefault(header, []).append(f)
        enforce_policy(self.name, contract.drift, result.drift)
        frames = [
            parse.parse_csv(
                parse.read_lines(self.spark, [f.uri for f in group], contract.encoding), header, contract, columns
            )
            for header, group in groups.items()
        ]
        parsed = frames[0]
        for frame in frames[1:]:
            parsed = parsed.unionByName(frame)
        return parsed

    def _apply_drift(self, numbered: DataFrame, result: SourceResult) -> tuple[DataFrame, list[str]]:
        """JSON: find new top-level fields (fail/rescue/evolve); evolve adds new fields as STRING columns."""
        contract, columns = self.contract, self.schema.fieldNames()
        if contract.format == "jsonl":
            rows = (
                numbered.where(F.col(parse.UNKNOWN_FIELDS).isNotNull())
                .select("_file", F.explode(parse.UNKNOWN_FIELDS).alias("field"))
                .groupBy("_file")
                .agg(F.array_sort(F.collect_set("field")).alias("fields"))
                .collect()
            )
            notes = [DriftNote(self.name, r["_file"], new_columns=tuple(r["fields"])) for r in rows]
            enforce_policy(self.name, contract.drift, notes)
            result.drift += notes
        if contract.drift != "evolve":
            return numbered, []
        evolved = sorted({c for n in result.drift for c in n.new_columns if c not in columns})
        source = parse.LINE if contract.format == "jsonl" else parse.RESCUED
        return numbered.withColumns({c: F.get_json_object(F.col(source), f"$.{c}") for c in evolved}), evolved

    def _number_rows(self, checked: DataFrame, files: list[RawFile]) -> DataFrame:
        """Add `_file`, `_landing_date` and `_row` (1-based line or row number); drop headers and blank lines."""
        by_uri = {normalise_uri(f.uri): f for f in files}

        def meta(spark_path: str) -> tuple[str, dt.date | None]:
            f = by_uri[normalise_uri(spark_path)]
            return f.relative, f.landing_date

        if self.contract.format == "parquet":
            paths = [r[parse.PATH] for r in checked.select(parse.PATH).distinct().collect()]
            rows = [(p, *meta(p)) for p in paths]
            meta_df = self.spark.createDataFrame(rows, f"{parse.PATH} STRING, _file STRING, _landing_date DATE")
            return checked.join(F.broadcast(meta_df), parse.PATH)
        blocks = (
            checked.groupBy(parse.PATH, parse.BLOCK)
            .agg(F.count(F.lit(1)).alias("n"), F.min(parse.MID).alias("first"))
            .collect()
        )
        offsets: dict[str, int] = {}
        block_rows = []
        for b in sorted(blocks, key=lambda r: (r[parse.PATH], r[parse.BLOCK])):
            path, before = b[parse.PATH], offsets.get(b[parse.PATH], 0)
            # line number = lines in the file's earlier splits + position within this split + 1
            block_rows.append((path, b[parse.BLOCK], before + 1 - b["first"], *meta(path)))
            offsets[path] = before + b["n"]
        schema = f"{parse.PATH} STRING, {parse.BLOCK} BIGINT, _base BIGINT, _file STRING, _landing_date DATE"
        numbered = (
            checked.join(F.broadcast(self.spark.createDataFrame(block_rows, schema)), [parse.PATH, parse.BLOCK])
            .withColumn("_row", F.col(parse.MID) + F.col("_base"))
            .drop("_base")
        )
        keep = F.trim(F.col(parse.LINE)) != F.lit("")
        if self.contract.format == "csv" and self.contract.has_header:
            keep = keep & (F.col("_row") > 1)
        return numbered.where(keep)

    def _write(self, numbered: DataFrame, columns: list[str], files: list[str]) -> None:
        """Valid rows to bronze.<source>, the rest to bronze._quarantine; both replace this batch's files."""
        in_batch = "_file IN (" + ", ".join(_sql_quote(f) for f in files) + ")"
        ingested_at = F.lit(self.now).cast("timestamp").alias("_ingested_at")
        batch = F.lit(self.batch_id).alias("_batch_id")
        source = F.lit(self.name).alias("_source")
        row = F.col("_row").cast("bigint").alias("_row")
        ok = F.size(F.col(REASONS)) == 0
        business = [F.col(f"`{c}`") for c in columns]
        valid = numbered.where(ok).select(
            *business,
            F.col(parse.RESCUED).alias("_rescued_data"),
            source,
            "_file",
            row,
            "_landing_date",
            ingested_at,
            batch,
            F.sha2(F.to_json(F.struct(*business)), 256).alias("_record_hash"),
        )
        evolve = self.contract.drift == "evolve"
        self.lake.replace_where(
            valid, f"bronze.{self.name}", in_batch, partition_by=["_landing_date"], merge_schema=evolve
        )
        bad = numbered.where(~ok).select(
            source,
            "_file",
            row,
            "_landing_date",
            F.get(F.col(REASONS), 0)["code"].alias("reason_code"),
            F.array_join(F.transform(F.col(REASONS), lambda r: r["message"]), "; ").alias("reason"),
            F.col(parse.LINE).alias("payload"),
            batch,
            ingested_at,
        )
        where = f"_source = {_sql_quote(self.name)} AND {in_batch}"
        self.lake.replace_where(bad, QUARANTINE, where, partition_by=["_source"])

    def _count(self, numbered: DataFrame, results: dict[str, FileResult], result: SourceResult) -> None:
        """Rows read and their reasons (from the parse), rows landed/quarantined (read back from the tables)."""
        files = list(results)
        parsed = (
            numbered.groupBy("_file", F.get(F.col(REASONS), 0)["code"].alias("code"))
            .agg(F.count(F.lit(1)).alias("n"))
            .collect()
        )
        read: Counter[str] = Counter()
        for r in parsed:
            read[r["_file"]] += int(r["n"])
            if r["code"] is not None:
                result.reasons[r["code"]] += int(r["n"])
        landed = _per_file(self.lake.read(f"bronze.{self.name}").where(F.col("_file").isin(files)))
        quarantine = self.lake.read(QUARANTINE).where((F.col("_source") == self.name) & F.col("_file").isin(files))
        quarantined = _per_file(quarantine)
        for rel, fr in results.items():
            if fr.status == "empty":
                continue
            fr.rows_read, fr.rows_landed = read.get(rel, 0), landed.get(rel, 0)
            fr.rows_quarantined = quarantined.get(rel, 0)
            if fr.rows_read != fr.rows_landed + fr.rows_quarantined:
                fr.status = "mismatch"


def _per_file(df: DataFrame) -> dict[str, int]:
    return {r["_file"]: int(r["n"]) for r in df.groupBy("_file").agg(F.count(F.lit(1)).alias("n")).collect()}


def write_ingest_log(lake: Lake, name: str, results: list[FileResult], batch_id: str, now: dt.datetime) -> None:
    """Record each file's outcome (MERGE on path). Files whose counts did not add up are retried next run."""
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
    lake.merge(df, INGEST_LOG, ["path"])


def _logged_files(lake: Lake, name: str) -> dict[str, tuple[int, int]]:
    """Files of `name` already ingested: relative path -> (size, modified ms)."""
    if not lake.exists(INGEST_LOG):
        return {}
    rows = (
        lake.read(INGEST_LOG)
        .where((F.col("source") == name) & F.col("status").isin(*DONE))
        .select("path", "size_bytes", "modified_ms")
        .collect()
    )
    return {r["path"]: (int(r["size_bytes"]), int(r["modified_ms"])) for r in rows}


def _batch_id(name: str, now: dt.datetime, files: Sequence[RawFile]) -> str:
    digest = hashlib.sha256("\n".join(f.relative for f in files).encode()).hexdigest()[:8]
    return f"{name}-{now:%Y%m%dT%H%M%S}-{digest}"


def _sql_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
