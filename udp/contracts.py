"""Source contracts (conf/sources.yaml): how each system's raw files are read, typed, checked and mapped.

The YAML is loaded into the frozen dataclasses below as part of `Config`; `check_contracts` then checks what types
alone cannot (columns that exist, formats for every date column, references to known sources) and names the source
and the field in every error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from udp.errors import ContractError, unknown_name
from udp.models import MODELS, TOUCHPOINT_FIELDS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType

ISO8601 = "iso8601"
READER_OPTIONS = ("delimiter", "encoding", "quote", "escape", "header")
SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# The columns bronze adds to every source's rows (mapping expressions may read them).
BRONZE_METADATA = (
    "_source STRING, _file STRING, _row BIGINT, _landing_date DATE, _ingested_at TIMESTAMP, _batch_id STRING, "
    "_record_hash BIGINT"
)


@dataclass(frozen=True)
class Check:
    """A SQL rule every row must satisfy; a row for which it is false is quarantined with `reason`."""

    rule: str
    reason: str


@dataclass(frozen=True)
class Reference:
    """Values of `expr` (a column or an array of values) must exist as `key` in bronze.<source>."""

    expr: str
    source: str
    key: str
    reason: str


@dataclass(frozen=True)
class Explode:
    """A touch-point source whose rows hold an array of lines: one touch point per element."""

    column: str
    alias: str = "line"


@dataclass(frozen=True)
class CustomerKey:
    """How a touch point's key field finds its customer: the record of `source` whose canonical `field` equals it."""

    source: str
    field: str = "source_key"


@dataclass(frozen=True)
class SourceContract:
    """One source system's contract."""

    entity: Literal["customer", "touchpoint", "item", "enrichment"]
    path: str
    format: Literal["csv", "jsonl", "parquet"]
    schema: str
    key: tuple[str, ...]
    description: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    formats: Mapping[str, str] = field(default_factory=dict)
    event_time: str | None = None
    required: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    references: tuple[Reference, ...] = ()
    drift: Literal["fail", "rescue", "evolve"] = "rescue"
    mapping: Mapping[str, str] = field(default_factory=dict)
    explode: Explode | None = None
    touchpoint: Mapping[str, str] = field(default_factory=dict)
    customer_keys: Mapping[str, CustomerKey] = field(default_factory=dict)

    @property
    def encoding(self) -> str:
        return self.options.get("encoding", "UTF-8")

    @property
    def delimiter(self) -> str:
        return self.options.get("delimiter", ",")

    @property
    def has_header(self) -> bool:
        return self.options.get("header", "true").lower() == "true"


def check_contracts(sources: Mapping[str, SourceContract], spark: SparkSession) -> dict[str, StructType]:
    """Check every contract; returns each source's parsed schema. Raises ContractError naming source and field."""
    schemas: dict[str, StructType] = {}
    for name, contract in sources.items():
        schemas[name] = check_contract(name, contract, spark)
    for name, contract in sources.items():
        for i, ref in enumerate(contract.references):
            where = f"source {name!r}: references[{i}]"
            if ref.source not in sources:
                raise ContractError(f"{where}.source: {unknown_name('source', ref.source, list(sources))}")
            if ref.source == name:
                raise ContractError(f"{where}.source: a source cannot reference itself")
            if ref.key not in schemas[ref.source].fieldNames():
                raise ContractError(f"{where}.key: column {ref.key!r} is not in source {ref.source!r}'s schema")
        for key_field, key in contract.customer_keys.items():
            where = f"source {name!r}: customer_keys.{key_field}"
            if key.source not in sources or sources[key.source].entity != "customer":
                customers = ", ".join(n for n, c in sources.items() if c.entity == "customer")
                raise ContractError(f"{where}.source: {key.source!r} is not a customer source ({customers})")
    dependency_order(sources)
    return schemas


def check_contract(name: str, contract: SourceContract, spark: SparkSession) -> StructType:
    """Check one contract against itself; returns its schema."""
    if not SOURCE_NAME.match(name):
        raise ContractError(f"source {name!r}: name must be lower-case letters, digits and _ (it names a table)")
    parsed = _parsed_schema(name, contract, spark)
    _check_columns(name, contract, parsed)
    _check_reader(name, contract)
    _check_formats(name, contract, parsed)
    _check_targets(name, contract, parsed)
    empty = spark.createDataFrame([], parsed)
    _check_sql(empty, name, [("checks", c.rule) for c in contract.checks])
    _check_sql(empty, name, [("references", r.expr) for r in contract.references])
    mapped = [(f"mapping.{t}", e) for t, e in contract.mapping.items()]
    mapped += [(f"touchpoint.{t}", e) for t, e in contract.touchpoint.items()]
    _check_sql(_bronze_rows(spark, contract, parsed), name, mapped)
    return parsed


def _parsed_schema(name: str, contract: SourceContract, spark: SparkSession) -> StructType:
    from pyspark.sql.types import StructType

    try:
        parsed = spark.createDataFrame([], contract.schema).schema
    except Exception as exc:  # pyspark raises several parse exception types across versions
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ContractError(f"source {name!r}: field 'schema' is not valid Spark DDL: {first}") from None
    assert isinstance(parsed, StructType)
    return parsed


def _need_column(name: str, schema: StructType, field_name: str, column: str) -> None:
    columns = schema.fieldNames()
    if column not in columns:
        raise ContractError(
            f"source {name!r}: field {field_name!r} names column {column!r}, which is not in the schema "
            f"(columns: {', '.join(columns)})"
        )


def _check_columns(name: str, contract: SourceContract, schema: StructType) -> None:
    """The key, event time and required columns are in the schema."""
    if not contract.key:
        raise ContractError(f"source {name!r}: field 'key' must list at least one column")
    named = [("key", c) for c in contract.key]
    named += [("event_time", contract.event_time)] if contract.event_time else []
    named += [("required", c) for c in contract.required]
    for field_name, column in named:
        _need_column(name, schema, field_name, column)


def _check_reader(name: str, contract: SourceContract) -> None:
    """Reader options, encoding and delimiter are ones Spark's reader takes."""
    for option in contract.options:
        if option not in READER_OPTIONS:
            raise ContractError(
                f"source {name!r}: field 'options' has unknown option {option!r}; allowed: {', '.join(READER_OPTIONS)}"
            )
    if contract.format == "parquet" and contract.options:
        raise ContractError(f"source {name!r}: field 'options' does not apply to parquet sources")
    _check_encoding(name, contract.encoding)
    if len(contract.delimiter) != 1:
        raise ContractError(f"source {name!r}: option 'delimiter' must be a single character")


def _check_formats(name: str, contract: SourceContract, schema: StructType) -> None:
    """Every date and timestamp column of a text source has a pattern, and only those have one."""
    from pyspark.sql.types import DateType, TimestampType

    types = {f.name: f.dataType for f in schema.fields}
    for column in contract.formats:
        _need_column(name, schema, "formats", column)
        if not isinstance(types[column], (DateType, TimestampType)):
            raise ContractError(f"source {name!r}: field 'formats' has {column!r}, which is not a DATE or TIMESTAMP")
    if contract.format == "parquet":
        return
    for column, dtype in types.items():
        if isinstance(dtype, (DateType, TimestampType)) and column not in contract.formats:
            raise ContractError(
                f"source {name!r}: field 'formats' needs a pattern for {dtype.simpleString()} column {column!r} "
                f"(e.g. yyyy-MM-dd HH:mm:ss, or {ISO8601})"
            )


def _check_targets(name: str, contract: SourceContract, schema: StructType) -> None:
    """What the source maps onto exists: model fields, touch point fields, customer keys, the exploded array."""
    from pyspark.sql.types import ArrayType

    model = MODELS[contract.entity]
    unknown = [t for t in contract.mapping if model is not None and t not in model]
    if unknown and model is not None:
        raise ContractError(
            f"source {name!r}: field 'mapping' has {unknown[0]!r}, which is not a {contract.entity} field "
            f"(fields: {', '.join(model)})"
        )
    if contract.touchpoint and contract.entity != "customer":
        raise ContractError(f"source {name!r}: field 'touchpoint' is for customer sources that also record events")
    for target in contract.touchpoint:
        if target not in TOUCHPOINT_FIELDS:
            raise ContractError(
                f"source {name!r}: field 'touchpoint' has {target!r}, which is not a touchpoint field "
                f"(fields: {', '.join(TOUCHPOINT_FIELDS)})"
            )
    for key_field in contract.customer_keys:
        if key_field not in ("account_key", "loyalty_key"):
            raise ContractError(
                f"source {name!r}: field 'customer_keys' has {key_field!r}; allowed: account_key, loyalty_key"
            )
    if contract.explode is not None:
        if contract.entity != "touchpoint":
            raise ContractError(f"source {name!r}: field 'explode' applies only to touchpoint sources")
        _need_column(name, schema, "explode.column", contract.explode.column)
        if not isinstance(schema[contract.explode.column].dataType, ArrayType):
            raise ContractError(f"source {name!r}: field 'explode.column' must name an ARRAY column")


def dependency_order(sources: Mapping[str, SourceContract]) -> list[str]:
    """Sources ordered so that every referenced source comes first (e.g. erp before pos)."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ContractError(f"source {name!r}: field 'references' forms a cycle: {' -> '.join((*path, name))}")
        state[name] = "visiting"
        for ref in sources[name].references:
            if ref.source in sources:
                visit(ref.source, (*path, name))
        state[name] = "done"
        order.append(name)

    for name in sources:
        visit(name, ())
    return order


def is_temporal(dtype: DataType) -> bool:
    from pyspark.sql.types import DateType, TimestampType

    return isinstance(dtype, (DateType, TimestampType))


def _check_encoding(name: str, encoding: str) -> None:
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ContractError(f"source {name!r}: option 'encoding' {encoding!r} is not a known character set") from None


def _bronze_rows(spark: SparkSession, contract: SourceContract, schema: StructType) -> DataFrame:
    """An empty frame shaped as silver reads the source: its schema, bronze's metadata columns, and the exploded line
    of an `explode` source."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    metadata = spark.createDataFrame([], BRONZE_METADATA).schema
    frame = spark.createDataFrame([], StructType([*schema.fields, *metadata.fields]))
    if contract.explode is not None:
        frame = frame.select("*", F.explode(contract.explode.column).alias(contract.explode.alias))
    return frame


def _check_sql(frame: DataFrame, name: str, rules: list[tuple[str, str]]) -> None:
    """Analyse the SQL expressions against an empty frame, so typos fail before any data is read: all in one
    projection, and one at a time only to name the one that fails."""
    if not rules:
        return
    from pyspark.sql import functions as F

    with _quiet_analysis_log():
        try:
            frame.select(*[F.expr(rule) for _, rule in rules]).schema  # noqa: B018 - forces analysis
            return
        except Exception:  # found again below, expression by expression
            failed = _first_failure(frame, rules)
    if failed is not None:
        field_name, rule, exc = failed
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = f"source {name!r}: field {field_name!r} has an invalid expression {rule!r}: {first}"
        raise ContractError(message) from None


def _first_failure(frame: DataFrame, rules: list[tuple[str, str]]) -> tuple[str, str, Exception] | None:
    from pyspark.sql import functions as F

    for field_name, rule in rules:
        try:
            frame.select(F.expr(rule)).schema  # noqa: B018 - forces analysis
        except Exception as exc:
            return field_name, rule, exc
    return None


@contextmanager
def _quiet_analysis_log() -> Iterator[None]:
    """PySpark 4 logs every failed analysis as an ERROR record of its own (loggers SQLQueryContextLogger and
    DataFrameQueryContextLogger); the contract check reports the failure itself, as one line, so they are off while it
    analyses."""
    loggers = [logging.getLogger(n) for n in ("SQLQueryContextLogger", "DataFrameQueryContextLogger")]
    before = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        yield
    finally:
        for lg, was in zip(loggers, before, strict=True):
            lg.disabled = was
