"""A batch, one source's new files read together, as checked records: parsed under the source's contract, typed,
every row-level and reference check applied, with the schema drift found on the way.

Nothing is written here: udp/bronze/ingest.py writes the records and counts them.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from udp import tables
from udp.bronze import parse, validate
from udp.bronze.drift import DriftNote, csv_header_drift, csv_header_problems, enforce_policy, schema_drift
from udp.bronze.files import RawFile, byte_order_mark, read_first_line
from udp.bronze.reasons import REASONS
from udp.contracts import Reference, SourceContract

if TYPE_CHECKING:
    from udp.lake import Lake


@dataclass(frozen=True)
class Batch:
    """The new files of one source that hold data, read together."""

    name: str
    contract: SourceContract
    schema: T.StructType
    files: list[RawFile]
    batch_id: str  # written with every row of the batch, and with its files' log rows
    now: dt.datetime  # the run's time, written with every row as `_ingested_at`


@dataclass(frozen=True)
class Checked:
    """A batch's records ready for writing: the business `columns`, `_rescued_data`, their reasons, the raw line as
    `_payload` for rejected records, `_file`, `_row` and `_landing_date`."""

    rows: DataFrame
    columns: list[str]  # the contract's columns and, under `evolve`, the new ones found in this batch
    records: dict[str, int]  # records read per file, from the line-numbering pass over the files
    drift: list[DriftNote]


def read_batch(lake: Lake, batch: Batch) -> Checked:
    """Every record of `batch`, parsed and checked once; drift is noted (and, by the source's policy, fails the
    batch) before anything is written."""
    drift = scan_json_drift(lake.spark, batch)
    parsed, records, found = parsed_rows(lake.spark, batch)
    drift += found
    evolved = evolved_columns(batch, drift)
    rows = parsed.transform(row_checks(batch))
    for ref in batch.contract.references:
        rows = rows.transform(reference_check(lake, rows, ref))
    if evolved:
        rows = rows.withColumns({c: F.get_json_object(F.col(parse.RESCUED), f"$.{c}") for c in evolved})
    columns = [*batch.schema.fieldNames(), *evolved]
    return Checked(for_writing(rows, columns), columns, records, drift)


def parsed_rows(spark: SparkSession, batch: Batch) -> tuple[DataFrame, dict[str, int], list[DriftNote]]:
    """Numbered, parsed rows of the batch's format; the records read per file; the drift found."""
    contract = batch.contract
    if contract.format == "csv":
        return parse_csv_files(spark, batch)
    if contract.format == "jsonl":
        lines, counts = parse.numbered_lines(spark, batch.files, "UTF-8", header=False)
        return parse.parse_json(lines, batch.schema, dict(contract.formats)), counts, []
    files = batch.files
    found = spark.read.option("mergeSchema", "true").parquet(*[f.uri for f in files]).schema
    where = files[0].relative if len(files) == 1 else f"{files[0].relative} (+{len(files) - 1} files)"
    notes = schema_drift(batch.name, where, found, batch.schema)
    enforce_policy(batch.name, contract.drift, notes)
    parsed, counts = parse.read_parquet(spark, files, batch.schema)
    return parsed, counts, notes


def row_checks(batch: Batch) -> validate.Transform:
    """Typed columns and every row-level reason except references, the malformed-record reason first."""
    contract, schema = batch.contract, batch.schema
    _, as_text = parse.fast_formats(schema, dict(contract.formats))
    as_text = as_text if contract.format != "parquet" else set()

    def check(parsed: DataFrame) -> DataFrame:
        checked = parsed.transform(validate.with_required(contract.required))
        checked = checked.transform(validate.with_typed_columns(schema, contract.formats, as_text))
        checked = checked.transform(validate.with_checks(contract.checks))
        if contract.format != "parquet":
            checked = checked.transform(validate.with_decodable_check())
            if parse.is_utf8(contract.encoding):
                checked = checked.transform(validate.with_utf8_check())
        else:
            checked = checked.transform(validate.with_utf8_columns_check(schema))
        return checked.transform(validate.with_malformed_first())

    return check


def reference_check(lake: Lake, rows: DataFrame, ref: Reference) -> validate.Transform:
    """The check that `ref`'s key exists in the referenced bronze table (a key array checked element by element)."""
    table = tables.bronze(ref.source)
    keys = lake.read(table).select(ref.key)
    row_id = "_row_id" if validate.is_array_reference(rows, ref) else None
    check = validate.with_reference_check(ref, keys, table=f"{table}.{ref.key}", row_id=row_id)
    if row_id is None:
        return check
    return lambda df: df.withColumn(row_id, F.concat_ws(":", "_file", "_row")).transform(check)


def parse_csv_files(spark: SparkSession, batch: Batch) -> tuple[DataFrame, dict[str, int], list[DriftNote]]:
    """Parse CSV files grouped by header and encoding (files may order or add columns differently, and a
    byte-order mark overrides the declared encoding). Header problems are noted once per file."""
    contract, columns = batch.contract, batch.schema.fieldNames()
    groups: dict[tuple[tuple[str, ...], str], list[RawFile]] = {}
    notes = []
    for f in batch.files:
        header = tuple(columns)
        bom = byte_order_mark(spark, f.uri)
        encoding = bom or contract.encoding
        if contract.has_header:
            text = read_first_line(spark, f.uri, encoding)
            header = tuple(h.strip().strip('"') for h in text.split(contract.delimiter))
        note = csv_header_drift(batch.name, f.relative, header, columns)
        problems = csv_header_problems(header, columns, contract.required, contract.delimiter)
        if bom and not _same_charset(bom, contract.encoding):
            problems = (f"byte-order mark: read as {bom}, not the declared {contract.encoding}", *problems)
        if problems:
            note = dataclasses.replace(note or DriftNote(batch.name, f.relative), header_problems=problems)
        if note is not None:
            notes.append(note)
        groups.setdefault((header, encoding), []).append(f)
    enforce_policy(batch.name, contract.drift, [n for n in notes if n.new_columns or n.missing_columns])
    frames, records = [], {}
    quote = contract.options.get("quote", '"')
    for (header, encoding), group in groups.items():
        lines, counts = parse.numbered_lines(
            spark, group, encoding, header=contract.has_header, quote=quote, delimiter=contract.delimiter
        )
        records.update(counts)
        frames.append(parse.parse_csv(lines, header, contract, batch.schema))
    parsed = frames[0]
    for frame in frames[1:]:
        parsed = parsed.unionByName(frame)
    return parsed, records, notes


def scan_json_drift(spark: SparkSession, batch: Batch) -> list[DriftNote]:
    """JSON under `fail` or `evolve`: the new top-level fields per file, found before anything is written."""
    contract, columns = batch.contract, batch.schema.fieldNames()
    if contract.format != "jsonl" or contract.drift not in ("fail", "evolve"):
        return []
    lines, _ = parse.numbered_lines(spark, batch.files, "UTF-8", header=False)
    keys = F.array_except(F.json_object_keys(F.col(parse.LINE)), F.array(*[F.lit(c) for c in columns]))
    per_file = (
        lines.select("_file", F.explode(keys).alias("field"))
        .groupBy("_file")
        .agg(F.array_sort(F.collect_set("field")).alias("fields"))
    )
    notes = [DriftNote(batch.name, r["_file"], new_columns=tuple(r["fields"])) for r in per_file.collect()]
    enforce_policy(batch.name, contract.drift, notes)
    return notes


def evolved_columns(batch: Batch, drift: list[DriftNote]) -> list[str]:
    """Under `evolve`, the new columns found in this batch (added to the bronze table as STRING)."""
    if batch.contract.drift != "evolve" or batch.contract.format == "parquet":
        return []
    columns = batch.schema.fieldNames()
    return sorted({c for n in drift for c in n.new_columns if c not in columns})


def for_writing(rows: DataFrame, columns: list[str]) -> DataFrame:
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


def rescued_fields(name: str, landed: DataFrame) -> list[DriftNote]:
    """New top-level JSON fields rescued into `_rescued_data`, per file."""
    fields = F.map_keys(F.from_json(F.col("_rescued_data"), "MAP<STRING, STRING>"))
    rows = (
        landed.where(F.col("_rescued_data").isNotNull())
        .select("_file", F.explode(fields).alias("field"))
        .groupBy("_file")
        .agg(F.array_sort(F.collect_set("field")).alias("fields"))
        .collect()
    )
    return [DriftNote(name, r["_file"], new_columns=tuple(r["fields"])) for r in rows]


def _same_charset(a: str, b: str) -> bool:
    try:
        return codecs.lookup(a).name == codecs.lookup(b).name
    except LookupError:
        return a.upper() == b.upper()
