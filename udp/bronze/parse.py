"""Reading raw files into rows that keep their place in the file, and parsing them under a contract.

Text formats (CSV, JSON lines) are read one physical line per row, with the line's file, the file split
(`_metadata.file_block_start`) and a monotonically increasing id; `number_lines` turns those into exact line numbers
after the parse, so a quarantined row can always be found again with `sed -n <line>p <file>`. Every column is first
parsed as text; `udp.bronze.validate` then types it with ANSI-safe `try_*` functions so a bad value becomes a
quarantine reason, never a failed job or a silent null.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from udp.bronze.reasons import reason

if TYPE_CHECKING:
    from udp.contracts import SourceContract

LINE = "_line"  # the raw text of the line (the quarantine payload)
PATH = "_path"  # the file as Spark names it (_metadata.file_path)
BLOCK = "_block"  # start offset of the file split the line was read from
MID = "_mid"  # monotonically increasing id: ordered within a split
MALFORMED = "_malformed"  # struct<code, message> when the line cannot be parsed at all, else null
UNKNOWN_FIELDS = "_unknown_fields"  # names of fields the contract does not know (schema drift), or null
RESCUED = "_rescued_data"  # JSON object of the unknown fields' values (drift policy `rescue`)
CORRUPT = "_corrupt_record"
UTF8 = ("UTF-8", "UTF8")
# Spark's CSV reader used as a line reader for non-UTF-8 text: these characters never split or quote a line.
_LINE_SEP_CHAR = "\u0001"
_NO_QUOTE = "\u0000"


def is_utf8(encoding: str) -> bool:
    return encoding.upper().replace("_", "-") in UTF8


def read_lines(spark: SparkSession, uris: Sequence[str], encoding: str) -> DataFrame:
    """One row per physical line: `_line`, `_path`, `_block`, `_mid` (plus `_extra` for non-UTF-8 text).

    UTF-8 files go through the text source; other encodings through the CSV source used as a line reader (it decodes
    with `encoding`), with a second column that catches the rare line holding U+0001.
    """
    if is_utf8(encoding):
        df = spark.read.format("text").load(list(uris)).withColumn("_extra", F.lit(None).cast("string"))
    else:
        df = (
            spark.read.format("csv")
            .schema("value STRING, _extra STRING")
            .options(encoding=encoding, sep=_LINE_SEP_CHAR, quote=_NO_QUOTE, escape=_NO_QUOTE, header="false")
            .options(ignoreLeadingWhiteSpace="false", ignoreTrailingWhiteSpace="false", nullValue=_NO_QUOTE)
            .load(list(uris))
        )
    return df.select(
        F.col("value").alias(LINE),
        F.col("_extra"),
        F.col("_metadata.file_path").alias(PATH),
        F.col("_metadata.file_block_start").alias(BLOCK),
        F.monotonically_increasing_id().alias(MID),
    )


def parse_csv(lines: DataFrame, header: Sequence[str], contract: SourceContract, columns: Sequence[str]) -> DataFrame:
    """Split each line under the file's header; contract `columns` come out as text, missing ones as null.

    Columns in the header that the contract does not know are collected in `_unknown_fields`/`_rescued_data`.
    """
    fields = T.StructType([T.StructField(f"c{i}", T.StringType()) for i in range(len(header))])
    fields = fields.add(CORRUPT, T.StringType())
    options = {
        "sep": contract.delimiter,
        "quote": contract.options.get("quote", '"'),
        "escape": contract.options.get("escape", '"'),
        "mode": "PERMISSIVE",
        "columnNameOfCorruptRecord": CORRUPT,
    }
    parsed = lines.withColumn("_csv", F.from_csv(F.col(LINE), fields.simpleString(), options))
    position = {name: i for i, name in enumerate(header)}
    selected = [
        (F.col(f"_csv.c{position[c]}") if c in position else F.lit(None).cast("string")).alias(c) for c in columns
    ]
    extra = [name for name in header if name not in columns]
    rescued: Column = F.lit(None).cast("string")
    unknown: Column = F.lit(None).cast("array<string>")
    if extra:
        rescued = F.to_json(F.create_map(*[x for n in extra for x in (F.lit(n), F.col(f"_csv.c{position[n]}"))]))
        unknown = F.array(*[F.lit(n) for n in extra])
    message = f"malformed CSV row: the number of fields differs from the header ({len(header)} fields)"
    malformed = F.when(F.col(f"_csv.{CORRUPT}").isNotNull(), reason("malformed_csv", message))
    return parsed.select(
        "*", *selected, malformed.alias(MALFORMED), unknown.alias(UNKNOWN_FIELDS), rescued.alias(RESCUED)
    ).drop("_csv")


def text_schema(schema: T.StructType) -> T.StructType:
    """The schema JSON is parsed with: top-level scalars as text (typed later), nested types as declared."""
    return T.StructType(
        [T.StructField(f.name, f.dataType if _is_nested(f.dataType) else T.StringType(), True) for f in schema.fields]
    )


def parse_json(lines: DataFrame, schema: T.StructType) -> DataFrame:
    """Parse each line as one JSON object under the contract's schema (top-level scalars as text)."""
    parse_schema = text_schema(schema).add(CORRUPT, T.StringType())
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    parsed = lines.withColumn("_json", F.from_json(F.col(LINE), parse_schema, options))
    keys = F.json_object_keys(F.col(LINE))
    known = F.array(*[F.lit(n) for n in schema.fieldNames()])
    unknown = F.array_except(keys, known)
    malformed = (
        F.when(keys.isNull(), reason("malformed_json", "malformed JSON: the line is not one complete JSON object"))
        .when(
            F.col(f"_json.{CORRUPT}").isNotNull(),
            reason("json_schema_mismatch", "JSON does not match the contract schema (a nested field's type)"),
        )
        .when(F.col("_json").isNull(), reason("malformed_json", "malformed JSON"))
    )
    as_text = F.from_json(F.col(LINE), "MAP<STRING, STRING>")
    rescued = F.when(F.size(unknown) > 0, F.to_json(F.map_filter(as_text, lambda k, _v: ~F.array_contains(known, k))))
    return parsed.select(
        "*",
        *[F.col(f"_json.{n}").alias(n) for n in schema.fieldNames()],
        malformed.alias(MALFORMED),
        F.when(F.size(unknown) > 0, unknown).alias(UNKNOWN_FIELDS),
        rescued.alias(RESCUED),
    ).drop("_json")


def read_parquet(spark: SparkSession, uris: Sequence[str], schema: T.StructType) -> DataFrame:
    """Parquet rows under the contract's schema, with their file and 1-based row number."""
    df = spark.read.format("parquet").schema(schema).load(list(uris))
    return df.select(
        "*",
        F.to_json(F.struct(*[F.col(n) for n in schema.fieldNames()])).alias(LINE),
        F.col("_metadata.file_path").alias(PATH),
        (F.col("_metadata.row_index") + F.lit(1)).alias("_row"),
        F.monotonically_increasing_id().alias(MID),
        F.lit(None).cast("struct<code:string,message:string>").alias(MALFORMED),
        F.lit(None).cast("array<string>").alias(UNKNOWN_FIELDS),
        F.lit(None).cast("string").alias(RESCUED),
    )


def _is_nested(dtype: T.DataType) -> bool:
    return isinstance(dtype, (T.StructType, T.ArrayType, T.MapType))
