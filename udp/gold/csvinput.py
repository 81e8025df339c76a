"""Personalize CSV files as preflight input: `udp validate --interactions P [--items P] [--users P] [--schemas DIR]`.

A location is a file or a folder of files (names starting with `_` or `.` are skipped, as Spark's markers are), read
through Hadoop's FileSystem so local paths and s3:// (on EMR) work alike. Every file's first line is its header: it
must be unquoted, the same in every file, and equal to the schema's field order. Rows are read as text in
Personalize's dialect (backslash escapes) and typed by the preflight rules; a line that does not split into the
header's fields is marked malformed.

The schema of a dataset is `<schemas>/<dataset>.json`; without `--schemas`, `udp export`'s layout is tried
(`<location>/../schemas/<dataset>.json`), else one is inferred from the header (required and reserved fields get
their types, others are categorical strings — pass the real schema to check numbers and textual fields).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from udp.errors import InputPathError
from udp.gold.preflight import Check, DatasetInput
from udp.gold.schemas import SchemaError, default_schema, parse_fields
from udp.hadoopfs import HadoopFS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class CsvFile:
    uri: str
    size: int
    header: str


def list_csv_files(spark: SparkSession, location: str) -> list[CsvFile]:
    """The data files at `location` (a file, or a folder's files) with their size and first line."""
    fs = HadoopFS(spark)
    if not fs.exists(location):
        raise InputPathError(f"CSV location not found: {location}")
    found = [CsvFile(f.uri, f.size, fs.first_line(f.uri)) for f in fs.list_files(location)]
    found = [f for f in found if not f.uri.rstrip("/").rsplit("/", 1)[-1].startswith(("_", "."))]
    if not found:
        raise InputPathError(f"no CSV files at {location}")
    return found


def load_schema(spark: SparkSession, dataset: str, location: str, schemas_dir: str | None) -> dict[str, Any] | None:
    """The dataset's schema from `schemas_dir` (or export's sibling `schemas/` folder); None when there is none."""
    candidates = [posixpath.join(schemas_dir, f"{dataset}.json")] if schemas_dir else []
    if not schemas_dir:
        parent = posixpath.dirname(location.rstrip("/"))
        candidates.append(posixpath.join(parent, "schemas", f"{dataset}.json"))
    for uri in candidates:
        text = HadoopFS(spark).read_text(uri)
        if text is None:
            if schemas_dir:
                raise InputPathError(f"schema file not found: {uri} (--schemas holds <dataset>.json files)")
            continue
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{uri}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        if not isinstance(schema, dict):
            raise SchemaError(f"{uri}: a schema must be a JSON object (an Avro record)")
        return schema
    return None


def header_check(dataset: str, files: list[CsvFile], schema: Mapping[str, Any]) -> Check:
    """The header is unquoted, the same in every file and equal to the schema's field order."""
    expected = ",".join(f.name for f in parse_fields(schema))
    first = files[0].header
    limit = f"unquoted '{expected}' in every file"
    problems = []
    if not first:
        problems.append(f"{files[0].uri} has no header line")
    elif '"' in first or "'" in first:
        problems.append(f"header is quoted: {first}")
    elif first != expected:
        problems.append(f"header '{first}' does not match the schema's field order '{expected}'")
    others = [f for f in files[1:] if f.header != first]
    if others:
        problems.append(f"{len(others)} file(s) have another header, e.g. {others[0].uri}: '{others[0].header}'")
    if problems:
        message = "; ".join(problems) + " (data checks skipped until the header matches)"
        return Check(dataset, "csv_header", False, first, limit, message, tuple(problems[:5]))
    return Check(dataset, "csv_header", True, first, limit, "ok")


def read_csv_dataset(spark: SparkSession, dataset: str, location: str, schemas_dir: str | None = None) -> DatasetInput:
    """A folder of Personalize CSV files as a preflight input (rows as text, plus a `_corrupt` column)."""
    files = list_csv_files(spark, location)
    schema = load_schema(spark, dataset, location, schemas_dir)
    header = files[0].header.split(",") if files[0].header else []
    if schema is None:
        # Infer from the header's names (unquoted: a quoted header is reported by the header check, not here).
        schema = default_schema(dataset, [h.strip().strip('"') for h in header])
    header_ok = header_check(dataset, files, schema)
    frame = None
    if header_ok.passed:
        from pyspark.sql import functions as F
        from pyspark.sql.types import StringType, StructField, StructType

        columns = [StructField(name, StringType()) for name in header]
        frame = spark.read.csv(
            [f.uri for f in files],
            schema=StructType([*columns, StructField("_corrupt", StringType())]),
            header=True,
            enforceSchema=True,
            sep=",",
            quote='"',
            escape="\\",
            encoding="UTF-8",
            mode="PERMISSIVE",
            columnNameOfCorruptRecord="_corrupt",
            multiLine=False,
            ignoreLeadingWhiteSpace=False,
            ignoreTrailingWhiteSpace=False,
        )
        # Spark parses only the columns a query needs, and then cannot tell a short or long line; tying `_corrupt`
        # to every column makes any query that looks at it parse whole lines.
        whole = F.length(F.concat_ws("\u0001", *[F.col(f"`{name}`") for name in header])) >= 0
        frame = frame.withColumn("_corrupt", F.when(whole, F.col("_corrupt")))
    return DatasetInput(
        dataset=dataset,
        frame=frame,
        schema=schema,
        location=location,
        from_text=True,
        file_bytes=sum(f.size for f in files),
        file_checks=(header_ok,),
    )
