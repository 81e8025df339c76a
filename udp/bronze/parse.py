"""Reading raw files into rows that keep their place in the file, and parsing them under a contract.

Text formats (CSV, JSON lines) are read one physical line per row, with the line's file, the file split
(`_metadata.file_block_start`) and a monotonically increasing id, from which exact line numbers are derived, so a
quarantined row can always be found again with `sed -n <line>p <file>`, whatever the encoding. A CSV record whose
quoted field spans lines is one record, numbered by its first line; one whose quote never closes is quarantined
whole. A line holding several JSON values, or repeating the CSV header, is quarantined with that reason.

Two paths: every line is parsed once with Spark's own typed parser (fast); a line it flags as corrupt is parsed
again as text (`_text`, evaluated only for those lines) so `udp.bronze.validate` can say exactly which column is
wrong and why, with ANSI-safe `try_*` functions. A bad value is a quarantine reason, never a failed job or a silent
null.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from udp.bronze.drift import csv_header_problems
from udp.bronze.files import RawFile, normalise_uri
from udp.bronze.reasons import reason
from udp.contracts import ISO8601

if TYPE_CHECKING:
    from udp.contracts import SourceContract

LINE = "_line"  # the raw text of the line (the quarantine payload)
PATH = "_path"  # the file as Spark names it (_metadata.file_path)
BLOCK = "_block"  # start offset of the file split the line was read from
MID = "_mid"  # monotonically increasing id: ordered within a split
UNDECODABLE = "_undecodable"  # a wide-encoded line held bytes its encoding cannot decode (null in other encodings)
MALFORMED = "_malformed"  # struct<code, message> when the line cannot be parsed at all, else null
UNKNOWN_FIELDS = "_unknown_fields"  # names of fields the contract does not know (schema drift), or null
RESCUED = "_rescued_data"  # JSON object of the unknown fields' values (drift policy `rescue`)
CORRUPT = "_corrupt_record"
OPEN_QUOTE = "_open_quote"  # a CSV record whose quoted field is still open at the end of the file
IS_CORRUPT = "_corrupt"  # the fast typed parse rejected the line: its columns come from `_text` instead
TEXT = "_text"  # struct of the contract's columns as text, only for corrupt lines (null otherwise)
UTF8 = ("UTF-8", "UTF8")


def is_utf8(encoding: str) -> bool:
    return encoding.upper().replace("_", "-") in UTF8


def is_ascii_compatible(encoding: str) -> bool:
    """True when line breaks, delimiters and quotes are the same single bytes as in ASCII (Latin-1, Windows-1252…),
    so a file can be split into lines on its bytes before it is decoded."""
    probe = "\r\n\t ;,|\"'abcXYZ0123456789{}[]:"
    try:
        return probe.encode(encoding) == probe.encode("ascii")
    except (LookupError, UnicodeError):
        return False


def read_lines(spark: SparkSession, uris: Sequence[str], encoding: str) -> DataFrame:
    """One row per physical line: `_line`, `_undecodable`, `_path`, `_block`, `_mid`.

    UTF-8 and ASCII-compatible encodings go through the text source, which splits on the bytes `\n`, `\r\n` and
    `\r` and keeps blank lines, so line numbers are physical; non-UTF-8 lines are then decoded from their bytes.
    Wider encodings (UTF-16, UTF-32) cannot be split on their bytes: each file is read whole (`binaryFile`, one task
    per file), decoded and split on the same line breaks, blank lines kept (`split_wide_lines`).
    """
    if is_utf8(encoding) or is_ascii_compatible(encoding):
        value = F.col("value")
        if not is_utf8(encoding):
            # The text source keeps a line's bytes as read; `decode` turns them into text under the declared charset.
            value = F.decode(value.cast("binary"), encoding)
        return (
            spark.read.format("text")
            .load(list(uris))
            .select(
                value.alias(LINE),
                F.lit(None).cast("boolean").alias(UNDECODABLE),
                F.col("_metadata.file_path").alias(PATH),
                F.col("_metadata.file_block_start").alias(BLOCK),
                F.monotonically_increasing_id().alias(MID),
            )
        )
    wide = F.udf(split_wide_lines, "array<struct<line: string, undecodable: boolean>>")
    files = spark.read.format("binaryFile").load(list(uris))
    lines = files.select(
        F.col("_metadata.file_path").alias(PATH),
        F.posexplode(wide(F.col("content"), F.lit(encoding))).alias("_pos", "_l"),
    )
    return lines.select(
        F.col("_l.line").alias(LINE),
        F.col("_l.undecodable").alias(UNDECODABLE),
        PATH,
        F.lit(0).cast("bigint").alias(BLOCK),  # one split per file
        F.col("_pos").cast("bigint").alias(MID),
    )


def split_wide_lines(content: bytes, encoding: str) -> list[tuple[str, bool]]:
    """A file's physical lines in a wide encoding, split on `\r\n`, `\r` and `\n` as Spark's text source splits
    UTF-8 (blank lines kept; a final line break ends the last line and adds an empty one), each with whether it held
    bytes `encoding` cannot decode (shown as U+FFFD). A leading byte-order mark is not part of the first line."""
    data = bytes(content)
    try:
        return [(line, False) for line in _physical_lines(data.decode(encoding))]
    except UnicodeDecodeError:
        # Undecodable bytes never hold a line break: decoded with and without replacement characters, the files have
        # the same lines, and a line differs exactly where bytes were replaced (a genuine U+FFFD is in both).
        replaced = _physical_lines(data.decode(encoding, "replace"))
        dropped = _physical_lines(data.decode(encoding, "ignore"))
        if len(replaced) != len(dropped):
            return [(line, True) for line in replaced]
        return [(r, r != d) for r, d in zip(replaced, dropped, strict=True)]


def _physical_lines(text: str) -> list[str]:
    return re.split("\r\n|\r|\n", text.removeprefix("\ufeff"))


def numbered_lines(
    spark: SparkSession,
    files: Sequence[RawFile],
    encoding: str,
    header: bool,
    *,
    quote: str | None = None,
    delimiter: str = ",",
) -> tuple[DataFrame, dict[str, int]]:
    """The files' records with `_file`, `_landing_date` and `_row` (1-based physical line number), and the records
    per file.

    Blank lines and the header are not records. A cheap first pass counts the lines of every file split; a line's
    number is the lines in earlier splits of its file plus its position in its split (the monotonically increasing
    id is ordered within a split, and both passes read the same files the same way). With a CSV `quote`, a quoted
    field may hold line breaks: the lines of such a record are joined into one record numbered by its first line,
    and `_open_quote` is true for a record whose quote never closes before the end of the file.
    """
    lines = read_lines(spark, [f.uri for f in files], encoding)
    blank = F.trim(F.col(LINE)) == F.lit("")
    opens: Column = F.lit(False)
    if quote:
        opens, _ = quote_transitions(F.col(LINE), quote, delimiter)
    blocks = (
        lines.groupBy(PATH, BLOCK)
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.min(MID).alias("first"),
            F.sum(blank.cast("int")).alias("blank"),
            F.sum(opens.cast("int")).alias("opens"),
        )
        .collect()
    )
    by_uri = {normalise_uri(f.uri): f for f in files}
    offsets: dict[str, int] = {}
    records: dict[str, int] = {}
    spanning: set[str] = set()  # files where a quoted field may span lines (rare: most files never open one)
    rows = []
    for b in sorted(blocks, key=lambda r: (r[PATH], r[BLOCK])):
        path, before = b[PATH], offsets.get(b[PATH], 0)
        f = by_uri[normalise_uri(path)]
        rows.append((path, b[BLOCK], before + 1 - b["first"], f.relative, f.landing_date))
        offsets[path] = before + b["n"]
        records[f.relative] = records.get(f.relative, 0) + int(b["n"]) - int(b["blank"] or 0)
        if b["opens"]:
            spanning.add(path)
    if header:
        records = {k: max(v - 1, 0) for k, v in records.items()}
    meta = spark.createDataFrame(rows, f"{PATH} STRING, {BLOCK} BIGINT, _base BIGINT, _file STRING, _landing_date DATE")
    numbered = lines.join(F.broadcast(meta), [PATH, BLOCK]).withColumn("_row", F.col(MID) + F.col("_base"))
    numbered = numbered.drop("_base", BLOCK)
    first = 2 if header else 1
    simple = numbered.where(~blank & (F.col("_row") >= first)).withColumn(OPEN_QUOTE, F.lit(False))
    if not spanning or not quote:
        return simple, records
    in_spanning = F.col(PATH).isin(sorted(spanning))
    joined = join_quoted_lines(numbered.where(in_spanning), quote, delimiter, first)
    # In these files a record spanning lines is one record: count records, not lines (an extra pass over them only).
    counted = {r["_file"]: int(r["n"]) for r in joined.groupBy("_file").agg(F.count(F.lit(1)).alias("n")).collect()}
    for path in spanning:
        relative = by_uri[normalise_uri(path)].relative
        records[relative] = counted.get(relative, 0)
    return simple.where(~in_spanning).unionByName(joined), records


def quote_transitions(line: Column, quote: str, delimiter: str) -> tuple[Column, Column]:
    """(ends inside a quoted field if the line starts outside one, ends inside if it starts inside one).

    RFC 4180 with the quote as its own escape: a doubled quote never changes the state; outside a field a quote
    opens one only at the start of a field (a quote inside an unquoted value is a literal, as Spark reads it);
    inside, a quote closes the field.
    """
    q = re.escape(quote)
    # Prefixing a delimiter makes "the line's start" one more field start.
    parts = F.split(F.concat(F.lit(delimiter), F.regexp_replace(line, q + q, "")), q)
    before_quotes = F.slice(parts, 1, F.greatest(F.size(parts) - 1, F.lit(1)))
    # Most lines hold no quote: `contains` spares them the split and the walk.
    has_quote = line.contains(quote)

    def ends_inside(start: bool) -> Column:
        walked = F.aggregate(
            before_quotes,
            F.lit(start),
            lambda inside, text: F.when(inside, F.lit(False)).otherwise(text.endswith(delimiter)),
        )
        return F.when(has_quote, walked).otherwise(F.lit(start))

    return ends_inside(False), ends_inside(True)


def join_quoted_lines(numbered: DataFrame, quote: str, delimiter: str, first: int) -> DataFrame:
    """Lines joined into records where a quoted field spans lines, each numbered by its first line.

    The quote state at the start of each line is a scan over the file's lines: a line either keeps the state,
    flips it, or sets it whatever it was (e.g. `a;"b"` always ends outside), so the state before a line is the value
    set by the last setting line, flipped once per flipping line since. Blank lines outside a record are dropped.
    """
    from_out, from_in = quote_transitions(F.col(LINE), quote, delimiter)
    lines = numbered.withColumns({"_from_out": from_out, "_from_in": from_in})
    sets = F.col("_from_out") == F.col("_from_in")
    flips = F.col("_from_out") & ~F.col("_from_in")
    by_line = Window.partitionBy(PATH).orderBy("_row")
    upto = by_line.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    before = by_line.rowsBetween(Window.unboundedPreceding, -1)
    lines = lines.withColumn("_flips", F.sum(flips.cast("int")).over(upto))
    lines = lines.withColumns(
        {
            "_set": F.last(F.when(sets, F.col("_from_out")), ignorenulls=True).over(before),
            "_flips_at_set": F.last(F.when(sets, F.col("_flips")), ignorenulls=True).over(before),
        }
    )
    flipped = ((F.col("_flips") - flips.cast("int") - F.coalesce(F.col("_flips_at_set"), F.lit(0))) % 2) == 1
    inside = F.coalesce(F.col("_set"), F.lit(False)) != flipped  # the state at the start of the line
    lines = lines.withColumn("_inside", inside)
    lines = lines.withColumn("_after", F.when(F.col("_inside"), F.col("_from_in")).otherwise(F.col("_from_out")))
    # The first line after the header starts a record whatever state the header left (nothing is dropped).
    starts = (
        (~F.col("_inside") | (F.col("_row") == first)) & (F.trim(F.col(LINE)) != F.lit("")) & (F.col("_row") >= first)
    )
    lines = lines.withColumn("_start", F.when(starts, F.col("_row")))
    lines = lines.withColumn("_record", F.last("_start", ignorenulls=True).over(upto))
    members = lines.where(F.col("_start").isNotNull() | (F.col("_inside") & F.col("_record").isNotNull()))
    ordered = F.array_sort(F.collect_list(F.struct("_row", LINE, "_after")))
    return (
        members.groupBy(PATH, "_file", "_landing_date", F.col("_record").alias("_row"))
        .agg(
            ordered.alias("_parts"),
            F.max(UNDECODABLE).alias(UNDECODABLE),
            F.min(MID).alias(MID),
        )
        .select(
            F.array_join(F.transform("_parts", lambda p: p[LINE]), "\n").alias(LINE),
            UNDECODABLE,
            PATH,
            MID,
            "_file",
            "_landing_date",
            "_row",
            F.element_at("_parts", -1)["_after"].alias(OPEN_QUOTE),
        )
    )


def fast_formats(schema: T.StructType, formats: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    """Reader options for the typed parse, and the date/time columns it cannot parse (kept as text, typed later).

    Spark's readers take one `dateFormat` and one `timestampFormat`; a contract that gives DATE (or TIMESTAMP)
    columns different patterns has those columns converted by `try_to_timestamp` instead.
    """
    options: dict[str, str] = {}
    as_text: set[str] = set()
    for kind, option in ((T.DateType, "dateFormat"), (T.TimestampType, "timestampFormat")):
        cols = [f.name for f in schema.fields if isinstance(f.dataType, kind)]
        patterns = {formats.get(c, ISO8601) for c in cols}
        if len(patterns) > 1:
            as_text.update(cols)
        elif patterns and (pattern := patterns.pop()) != ISO8601:
            options[option] = pattern
    return options, as_text


def _fast_type(field: T.StructField, as_text: set[str]) -> T.DataType:
    return T.StringType() if field.name in as_text else field.dataType


def parse_csv(lines: DataFrame, header: Sequence[str], contract: SourceContract, schema: T.StructType) -> DataFrame:
    """Split each line under the file's header into the contract's columns (missing ones are null).

    Columns in the header that the contract does not know are collected in `_unknown_fields`/`_rescued_data`.
    """
    columns = schema.fieldNames()
    types = {f.name: f for f in schema.fields}
    formats, as_text = fast_formats(schema, dict(contract.formats))
    base = {
        "sep": contract.delimiter,
        "quote": contract.options.get("quote", '"'),
        "escape": contract.options.get("escape", '"'),
        "mode": "PERMISSIVE",
        "columnNameOfCorruptRecord": CORRUPT,
    }
    typed = T.StructType(
        [
            T.StructField(f"c{i}", _fast_type(types[h], as_text) if h in types else T.StringType())
            for i, h in enumerate(header)
        ]
        + [T.StructField(CORRUPT, T.StringType())]
    )
    text = T.StructType([T.StructField(f"c{i}", T.StringType()) for i in range(len(header))])
    text = T.StructType([*text.fields, T.StructField(CORRUPT, T.StringType())])
    fast = F.from_csv(F.col(LINE), typed.simpleString(), {**base, **formats})
    parsed = lines.withColumn("_fast", fast).withColumn(IS_CORRUPT, F.col(f"_fast.{CORRUPT}").isNotNull())
    slow = F.when(F.col(IS_CORRUPT), F.from_csv(F.col(LINE), text.simpleString(), base))
    parsed = parsed.withColumn("_slow", slow)
    position = {name: i for i, name in enumerate(header)}

    def pick(struct: str, c: str, dtype: T.DataType) -> Column:
        return F.col(f"{struct}.c{position[c]}") if c in position else F.lit(None).cast(dtype)

    values = [pick("_fast", c, _fast_type(types[c], as_text)).alias(c) for c in columns]
    text_struct = F.when(
        F.col(IS_CORRUPT), F.struct(*[pick("_slow", c, T.StringType()).alias(c) for c in columns])
    ).alias(TEXT)
    extra = [name for name in header if name not in columns]
    rescued: Column = F.lit(None).cast("string")
    unknown: Column = F.lit(None).cast("array<string>")
    if extra:
        rescued = F.to_json(F.create_map(*[x for n in extra for x in (F.lit(n), F.col(f"_fast.c{position[n]}"))]))
        unknown = F.array(*[F.lit(n) for n in extra])
    message = f"malformed CSV row: the number of fields differs from the header ({len(header)} fields)"
    unterminated = (
        "malformed CSV row: a quoted field opened on this line never closes (the row runs to the end of the file)"
    )
    repeated = "repeated header: the line repeats the file's header (line 1)"
    problems = csv_header_problems(header, columns, contract.required, contract.delimiter)
    # A header without a required column makes every row fail the same way: one reason naming the header, not a
    # cascade of "required column … is empty".
    bad_header = F.lit(bool(problems)) if problems else F.lit(False)
    malformed = (
        F.when(bad_header, reason("bad_header", f"bad header: {problems[0]}" if problems else ""))
        .when(F.col(OPEN_QUOTE), reason("unterminated_quote", unterminated))
        .when(
            is_header_line(F.col(LINE), header, contract.delimiter, base["quote"]), reason("repeated_header", repeated)
        )
        .when(F.col(f"_slow.{CORRUPT}").isNotNull(), reason("malformed_csv", message))
    )
    return parsed.select(
        "*", *values, text_struct, malformed.alias(MALFORMED), unknown.alias(UNKNOWN_FIELDS), rescued.alias(RESCUED)
    ).drop("_fast", "_slow")


def is_header_line(line: Column, header: Sequence[str], delimiter: str, quote: str) -> Column:
    """True when the line holds the header's names (a header repeated inside the file, e.g. two files concatenated):
    in an all-text source it would otherwise land as data."""
    q = re.escape(quote)
    fields = F.split(line, re.escape(delimiter), -1)
    names = F.transform(fields, lambda x: F.regexp_replace(F.trim(x), f"^{q}|{q}$", ""))
    # The cheap `contains` spares the split on every other line.
    same = F.when(line.contains(header[0]), names == F.array(*[F.lit(h) for h in header]))
    return F.coalesce(same, F.lit(False))


def text_schema(schema: T.StructType) -> T.StructType:
    """Top-level scalars as text (typed later with diagnostics), nested types as declared."""
    fields = [T.StructField(f.name, f.dataType if _is_nested(f.dataType) else T.StringType()) for f in schema.fields]
    return T.StructType(fields)


def parse_json(lines: DataFrame, schema: T.StructType, formats: dict[str, str]) -> DataFrame:
    """Parse each line as one JSON object under the contract's schema (typed), keeping unknown fields apart."""
    reader, as_text = fast_formats(schema, formats)
    fast_schema = T.StructType(
        [T.StructField(f.name, _fast_type(f, as_text)) for f in schema.fields]
        + [T.StructField(CORRUPT, T.StringType())]
    )
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    parsed = lines.withColumn("_fast", F.from_json(F.col(LINE), fast_schema, {**options, **reader}))
    parsed = parsed.withColumn(IS_CORRUPT, F.col("_fast").isNull() | F.col(f"_fast.{CORRUPT}").isNotNull())
    text_fields = T.StructType([*text_schema(schema).fields, T.StructField(CORRUPT, T.StringType())])
    parsed = parsed.withColumn("_slow", F.when(F.col(IS_CORRUPT), F.from_json(F.col(LINE), text_fields, options)))
    keys = F.json_object_keys(F.col(LINE))
    known = schema.fieldNames()
    unknown = F.array_except(keys, F.array(*[F.lit(n) for n in known]))
    has_unknown = F.coalesce(F.size(unknown) > 0, F.lit(False))
    as_map = F.from_json(F.col(LINE), "MAP<STRING, STRING>")
    rescued = F.when(has_unknown, F.to_json(F.map_filter(as_map, lambda k, _v: ~k.isin(known))))
    # Spark's JSON parser reads the first value of a line and ignores what follows it; as the elements of an array,
    # a line with anything after its object (`{..}{..}`, `{..},{..}`, `{..} x`) is not exactly one value.
    values = F.from_json(F.concat(F.lit("["), F.col(LINE), F.lit("]")), "ARRAY<STRING>")
    several = F.coalesce(F.size(values) != 1, F.lit(True))
    malformed = (
        F.when(
            F.col(IS_CORRUPT) & keys.isNull(),
            reason("malformed_json", "malformed JSON: the line is not one complete JSON object"),
        )
        .when(
            several,
            reason(
                "json_several_values", "malformed JSON: the line holds more than one JSON value (or text after one)"
            ),
        )
        .when(
            F.col(IS_CORRUPT) & F.col(f"_slow.{CORRUPT}").isNotNull(),
            reason("json_schema_mismatch", "JSON does not match the contract schema (a nested field's type)"),
        )
    )
    text_struct = F.when(F.col(IS_CORRUPT), F.struct(*[F.col(f"_slow.{n}").alias(n) for n in known])).alias(TEXT)
    return parsed.select(
        "*",
        *[F.col(f"_fast.{n}").alias(n) for n in known],
        text_struct,
        malformed.alias(MALFORMED),
        F.when(has_unknown, unknown).alias(UNKNOWN_FIELDS),
        rescued.alias(RESCUED),
    ).drop("_fast", "_slow")


def read_parquet(
    spark: SparkSession, files: Sequence[RawFile], schema: T.StructType
) -> tuple[DataFrame, dict[str, int]]:
    """Parquet rows with `_file`, `_landing_date` and the 1-based row number `_row`, and the rows per file."""
    df = spark.read.format("parquet").schema(schema).load([f.uri for f in files])
    by_uri = {normalise_uri(f.uri): f for f in files}
    counts = df.groupBy(F.col("_metadata.file_path").alias(PATH)).agg(F.count(F.lit(1)).alias("n")).collect()
    records = {by_uri[normalise_uri(r[PATH])].relative: int(r["n"]) for r in counts}
    paths = [r[PATH] for r in counts]
    meta_rows = [(p, by_uri[normalise_uri(p)].relative, by_uri[normalise_uri(p)].landing_date) for p in paths]
    meta = spark.createDataFrame(meta_rows, f"{PATH} STRING, _file STRING, _landing_date DATE")
    rows = df.select(
        "*",
        F.to_json(F.struct(*[F.col(n) for n in schema.fieldNames()])).alias(LINE),
        F.col("_metadata.file_path").alias(PATH),
        (F.col("_metadata.row_index") + F.lit(1)).alias("_row"),
        F.monotonically_increasing_id().alias(MID),
        F.lit(False).alias(IS_CORRUPT),
        F.lit(None).cast(text_schema(schema)).alias(TEXT),
        F.lit(None).cast("struct<code:string,message:string>").alias(MALFORMED),
        F.lit(None).cast("array<string>").alias(UNKNOWN_FIELDS),
        F.lit(None).cast("string").alias(RESCUED),
    )
    return rows.join(F.broadcast(meta), PATH), records


def _is_nested(dtype: T.DataType) -> bool:
    return isinstance(dtype, (T.StructType, T.ArrayType, T.MapType))
