"""Preflight: every documented Amazon Personalize rule (reference/personalize.md §1-2), checked before an import.

Input is one `DatasetInput` per dataset — a gold table, or a folder of CSV files (udp/gold/csvinput.py) — with its
Avro schema. Output is one `Check` per rule per dataset: severity (error | warning), passed, the measured value, the
limit, a message in words and up to 5 offending rows. Errors fail `udp validate` and block `udp export`.

Spark work per dataset is one aggregation pass that computes every row-level rule at once (interactions: grouped by
(USER_ID, ITEM_ID, TIMESTAMP), then by USER_ID, then overall, which also yields duplicates and interactions per
user), plus one small pass for event types / distinct items, one for referential integrity across datasets, and
one that fetches samples for the failed rules only.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import Any, Literal

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from udp.gold.csvformat import csv_line
from udp.gold.schemas import (
    DATASETS,
    ID_FIELDS,
    NAMESPACE,
    RECORD_NAMES,
    REQUIRED_FIELDS,
    RESERVED_FIELDS,
    RESERVED_KEYWORDS,
    TIMESTAMP_FIELDS,
    Field,
    parse_fields,
)
from udp.gold.settings import PreflightSettings

Severity = Literal["error", "warning"]
AVRO_PRIMITIVES = ("string", "int", "long", "float", "double", "boolean")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MILLISECONDS_FROM = 100_000_000_000  # 1e11 s is the year 5138; epoch milliseconds since 1973 are above it
# Interactions fields that do not count as "optional columns" (EVENT_TYPE and EVENT_VALUE do).
NOT_OPTIONAL = ("USER_ID", "ITEM_ID", "TIMESTAMP", "IMPRESSION", "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE")
V2_RECIPES = ("aws-user-personalization-v2", "aws-personalized-ranking-v2")


@dataclass(frozen=True)
class Limits:
    """Personalize's documented limits (reference/personalize.md §2). Tests may shrink the huge ones."""

    min_interactions: int = 1000
    min_interactions_per_import: int = 1000
    min_users_with_2: int = 25
    min_share_users_with_2: float = 0.01
    max_interactions: int = 500_000_000
    max_interactions_v2: int = 3_000_000_000
    max_items: int = 750_000
    max_items_v2: int = 5_000_000
    max_interaction_metadata: int = 5
    max_event_types_and_optional: int = 10
    max_user_metadata: int = 25
    max_item_metadata: int = 100
    max_id_length: int = 256
    max_categorical_length: int = 1000
    max_textual_length: int = 20_000
    max_field_name_length: int = 150
    max_schema_chars: int = 20_000
    max_import_bytes_full: int = 100 * 1000**3
    max_import_bytes_incremental: int = 1000**3


LIMITS = Limits()


@dataclass(frozen=True)
class Check:
    """The outcome of one rule on one dataset."""

    dataset: str
    rule: str
    severity: Severity
    passed: bool
    value: str
    limit: str
    message: str
    samples: tuple[str, ...] = ()

    @property
    def failed_error(self) -> bool:
        return not self.passed and self.severity == "error"


@dataclass(frozen=True)
class DatasetInput:
    """One dataset to check: its rows (columns named as the schema's fields) and its schema.

    `from_text`: values are CSV text (all strings) that must parse as their schema types; a `_corrupt` column marks
    malformed lines. `file_bytes`: the size of the import files (None: estimated from the CSV rendering).
    `frame` is None when the files could not be read under the schema (see `file_checks`).
    """

    dataset: str
    frame: DataFrame | None
    schema: Mapping[str, Any]
    location: str
    from_text: bool = False
    file_bytes: int | None = None
    file_checks: tuple[Check, ...] = ()


@dataclass
class _SchemaChecks:
    """Collects the schema checks of one dataset: a rule fails when its list of offending items is not empty."""

    dataset: str
    checks: list[Check] = field(default_factory=list)

    def add(
        self, rule: str, bad: Sequence[str], *, value: str, limit: str, message: str, severity: Severity = "error"
    ) -> None:
        if bad:
            self.checks.append(Check(self.dataset, rule, severity, False, value, limit, message, tuple(bad[:5])))
        else:
            self.checks.append(Check(self.dataset, rule, severity, True, value, limit, "ok"))


# ---------------------------------------------------------------------------------------------------------------------
# Schema rules (no Spark)
# ---------------------------------------------------------------------------------------------------------------------


def check_schema(dataset: str, schema: Mapping[str, Any], limits: Limits = LIMITS) -> list[Check]:
    """Form, field types and names, required fields, reserved keywords, metadata counts, flags and size."""
    raw = [f for f in schema.get("fields") or [] if isinstance(f, Mapping)]
    names = [str(f.get("name")) for f in raw]
    fields = parse_fields(schema)
    by_name = {f.name: f for f in fields}
    out = _SchemaChecks(dataset)

    form = [
        f"{key} is {schema.get(key)!r}, expected {want!r}"
        for key, want in (
            ("type", "record"),
            ("name", RECORD_NAMES[dataset]),
            ("namespace", NAMESPACE),
            ("version", "1.0"),
        )
        if schema.get(key) != want
    ] + ([] if raw else ["no fields"])
    out.add(
        "schema_form",
        form,
        value="; ".join(form) or "valid",
        limit="Avro record in Personalize's form",
        message=f"the schema is not in Personalize's form: {'; '.join(form)}",
    )

    bad_types = [f"{f.get('name')}: {json.dumps(f.get('type'))}" for f in raw if not _valid_type(f.get("type"))]
    out.add(
        "schema_field_types",
        bad_types,
        value=str(len(bad_types)),
        limit=f'one of {", ".join(AVRO_PRIMITIVES)}, or ["null", type]',
        message=f"{len(bad_types)} field(s) have a type Personalize does not accept: {', '.join(bad_types)}",
    )

    bad_names = [n for n in names if not FIELD_NAME.match(n) or len(n) > limits.max_field_name_length]
    out.add(
        "schema_field_names",
        bad_names,
        value=str(len(bad_names)),
        limit=f"[A-Za-z_][A-Za-z0-9_]*, at most {limits.max_field_name_length} characters",
        message=f"field name(s) not allowed: {', '.join(bad_names)}",
    )

    seen: dict[str, str] = {}
    clashes = []
    for n in names:
        key = re.sub(r"[^A-Za-z0-9]", "", n).upper()
        if key in seen:
            clashes.append(f"{seen[key]} / {n}")
        seen.setdefault(key, n)
    out.add(
        "schema_field_names_unique",
        clashes,
        value=str(len(clashes)),
        limit="unique ignoring non-alphanumeric characters and case",
        message=f"field names that are the same alphanumerically: {', '.join(clashes)}",
    )

    missing = []
    for name, kind in REQUIRED_FIELDS[dataset].items():
        f = by_name.get(name)
        if f is None or f.type != kind or f.nullable:
            found = "missing" if f is None else json.dumps(f.to_avro()["type"])
            missing.append(f"{name} ({kind}, not null): {found}")
    out.add(
        "schema_required_fields",
        missing,
        value=str(len(missing)),
        limit=", ".join(f"{n} {t}" for n, t in REQUIRED_FIELDS[dataset].items()),
        message=f"required field(s) missing or of the wrong type: {'; '.join(missing)}",
    )

    wrong = []
    for name, allowed in RESERVED_FIELDS[dataset].items():
        f = by_name.get(name)
        if f is not None and (
            f.type not in allowed or (f.nullable and "null" not in allowed) or f.categorical or f.textual
        ):
            wrong.append(f"{name}: {json.dumps(f.to_avro()['type'])}{' categorical' if f.categorical else ''}")
    out.add(
        "schema_reserved_keywords",
        wrong,
        value=str(len(wrong)),
        limit=", ".join(f"{n} {'/'.join(a)}" for n, a in RESERVED_FIELDS[dataset].items()) or "none",
        message="reserved keyword field(s) with the wrong type (no categorical/textual flags allowed): "
        + "; ".join(wrong),
    )

    metadata = _metadata_fields(dataset, names)
    low, high = {
        "interactions": (0, limits.max_interaction_metadata),
        "users": (1, limits.max_user_metadata),
        "items": (1, limits.max_item_metadata),
    }[dataset]
    out.add(
        "schema_metadata_fields",
        [] if low <= len(metadata) <= high else metadata or ["(none)"],
        value=str(len(metadata)),
        limit=f"{low}..{high}",
        message=f"{len(metadata)} metadata fields; Personalize allows {low} to {high} in a {dataset} schema",
    )

    textual = [f.name for f in fields if f.textual]
    max_textual = 1 if dataset == "items" else 0
    non_string = [f.name for f in fields if (f.textual or f.categorical) and f.type != "string"]
    out.add(
        "schema_textual_fields",
        (textual if len(textual) > max_textual else []) + non_string,
        value=str(len(textual)),
        limit=f"at most {max_textual} textual field(s); flags only on strings",
        message=f"{len(textual)} textual field(s) ({', '.join(textual)}); only Items may have one"
        + (f"; categorical/textual on non-strings: {', '.join(non_string)}" if non_string else ""),
    )

    plain = [f.name for f in fields if f.name in metadata and f.type == "string" and not (f.categorical or f.textual)]
    out.add(
        "schema_string_flags",
        plain,
        value=str(len(plain)),
        limit="categorical or textual on strings",
        message=f"string field(s) without categorical/textual are ignored by Personalize: {', '.join(plain)}",
        severity="warning",
    )

    booleans = [f.name for f in fields if f.type == "boolean"]
    out.add(
        "schema_boolean_fields",
        booleans,
        value=str(len(booleans)),
        limit="no boolean fields",
        message=f"boolean field(s) are ignored for training and filtering: {', '.join(booleans)} "
        "(use the strings True/False or the ints 0/1)",
        severity="warning",
    )

    size = len(json.dumps(schema))
    out.add(
        "schema_size",
        [str(size)] if size > limits.max_schema_chars else [],
        value=str(size),
        limit=f"{limits.max_schema_chars:,} characters",
        message=f"the schema JSON is {size:,} characters; create_schema takes at most {limits.max_schema_chars:,}",
    )
    return out.checks


def _valid_type(kind: Any) -> bool:
    if isinstance(kind, str):
        return kind in AVRO_PRIMITIVES
    if isinstance(kind, list):
        others = [k for k in kind if k != "null"]
        return "null" in kind and len(kind) == 2 and len(others) == 1 and others[0] in AVRO_PRIMITIVES
    return False


def _metadata_fields(dataset: str, names: Sequence[str]) -> list[str]:
    fixed = set(REQUIRED_FIELDS[dataset]) | set(RESERVED_FIELDS[dataset])
    return [n for n in names if n not in fixed]


# ---------------------------------------------------------------------------------------------------------------------
# Data rules (one aggregation pass per dataset)
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class _Rule:
    """A data rule: metrics for the aggregation pass, how to judge them, and where its offending rows are."""

    rule: str
    severity: Severity
    judge: Callable[[Mapping[str, Any]], tuple[bool, str, str, str]]  # -> passed, value, limit, message
    metrics: dict[str, Column] = field(default_factory=dict)  # name -> per-row count (0/1 or a number), summed
    violation: Column | None = None
    samples: Callable[[], DataFrame] | None = None


def _count(cond: Column) -> Column:
    return F.when(cond, 1).otherwise(0).cast("long")


def _n(metrics: Mapping[str, Any], key: str) -> int:
    return int(metrics.get(key) or 0)


def _per_field(metrics: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, int]:
    return {name: _n(metrics, key) for name, key in keys.items() if _n(metrics, key)}


def _field_rule(
    rule: str,
    severity: Severity,
    conditions: Mapping[str, Column],
    limit: str,
    what: str,
) -> _Rule | None:
    """A rule violated by individual values; the message lists the count per field."""
    if not conditions:
        return None
    keys = {name: f"{rule}:{name}" for name in conditions}

    def judge(m: Mapping[str, Any]) -> tuple[bool, str, str, str]:
        counts = _per_field(m, keys)
        total = sum(counts.values())
        parts = "; ".join(f"{n:,} {name} value{'s' if n != 1 else ''}" for name, n in counts.items())
        return total == 0, str(total), limit, f"{parts} {'is' if total == 1 else 'are'} {what}"

    violation = reduce(lambda a, b: a | b, [F.coalesce(c, F.lit(False)) for c in conditions.values()])
    metrics = {keys[name]: _count(cond) for name, cond in conditions.items()}
    return _Rule(rule, severity, judge, metrics, violation)


def _epoch(day: dt.date) -> int:
    return calendar.timegm(day.timetuple())


@dataclass
class _Prepared:
    """A dataset ready for checking: typed columns, the raw text (CSV) and the valid schema fields."""

    input: DatasetInput
    frame: DataFrame
    fields: list[Field]
    sample_row: Column

    @property
    def dataset(self) -> str:
        return self.input.dataset

    def has(self, *names: str) -> bool:
        return all(any(f.name == n for f in self.fields) for n in names)


def _prepare(item: DatasetInput) -> _Prepared | None:
    if item.frame is None:
        return None
    present = set(item.frame.columns)
    fields = [f for f in parse_fields(item.schema) if f.name in present and f.type in AVRO_PRIMITIVES]
    if not fields:
        return None
    cols: list[Column] = []
    for f in fields:
        c = F.col(f"`{f.name}`")
        if item.from_text and f.type != "string":
            cols.append(F.expr(f"try_cast(`{f.name}` AS {f.spark_type.upper()})").alias(f.name))
        else:
            cols.append(c.alias(f.name))
    raw = [F.col(f"`{f.name}`").cast("string").alias(f"_raw_{f.name}") for f in fields] if item.from_text else []
    corrupt = [F.col("_corrupt")] if item.from_text and "_corrupt" in present else []
    frame = item.frame.select(*cols, *raw, *corrupt)
    shown = [F.col(f"`_raw_{f.name}`" if item.from_text else f"`{f.name}`").alias(f.name) for f in fields]
    sample = F.substring(F.to_json(F.struct(*shown)), 1, 1000)
    return _Prepared(item, frame, fields, sample)


def _row_rules(p: _Prepared, settings: PreflightSettings, now: dt.datetime, limits: Limits) -> list[_Rule]:
    ds = p.dataset
    fields = p.fields
    ok_row = F.col("_corrupt").isNull() if "_corrupt" in p.frame.columns else F.lit(True)
    rules: list[_Rule | None] = []

    def col(name: str) -> Column:
        return F.col(f"`{name}`")

    def raw(name: str) -> Column:
        return F.col(f"`_raw_{name}`") if p.input.from_text else col(name)

    if "_corrupt" in p.frame.columns:
        rules.append(
            _Rule(
                "csv_rows_well_formed",
                "error",
                lambda m: (
                    _n(m, "corrupt") == 0,
                    str(_n(m, "corrupt")),
                    "every line has the header's field count",
                    f"{_n(m, 'corrupt'):,} line(s) do not split into the header's fields "
                    "(a stray comma, an unescaped quote or a line break inside a value)",
                ),
                {"corrupt": _count(F.col("_corrupt").isNotNull())},
                F.col("_corrupt").isNotNull(),
            )
        )

    types: dict[str, Column] = {}
    for f in fields:
        bad = F.lit(False)
        if p.input.from_text and f.type != "string":
            bad = raw(f.name).isNotNull() & col(f.name).isNull()
        if f.type in ("float", "double"):
            bad = bad | F.isnan(col(f.name)) | (F.abs(col(f.name)) == F.lit(float("inf")))
        if p.input.from_text or f.type in ("float", "double"):
            types[f.name] = ok_row & bad
    rules.append(
        _field_rule(
            "value_types",
            "error",
            types,
            "values parse as the schema's types (finite numbers)",
            "not valid for the schema type ("
            + ", ".join(f"{f.name} {f.type}" for f in fields if f.name in types)
            + ")",
        )
    )

    required = {f.name: ok_row & raw(f.name).isNull() for f in fields if not f.nullable and f.name != "EVENT_TYPE"}
    rules.append(
        _field_rule(
            "required_not_null",
            "error",
            required,
            "0 nulls in non-null fields",
            "empty in a field the schema declares not null",
        )
    )

    if ds == "interactions" and p.has("EVENT_TYPE"):
        rules.append(
            _field_rule(
                "event_type_not_null",
                "error",
                {"EVENT_TYPE": ok_row & raw("EVENT_TYPE").isNull()},
                "0 nulls",
                "empty; every interaction needs an event type when the schema has EVENT_TYPE",
            )
        )

    ids = {n: ok_row & (F.length(raw(n)) > limits.max_id_length) for n in ID_FIELDS[ds] if p.has(n)}
    rules.append(
        _field_rule(
            "id_length",
            "error",
            ids,
            f"{limits.max_id_length} characters",
            f"longer than {limits.max_id_length} characters (Personalize's maximum ID length)",
        )
    )

    special = {
        n: ok_row & (raw(n).rlike(r'[",\\\r\n]') | (raw(n) != F.trim(raw(n)))) for n in ID_FIELDS[ds] if p.has(n)
    }
    rules.append(
        _field_rule(
            "id_special_characters",
            "warning",
            special,
            "no quotes, commas, backslashes, line breaks or surrounding spaces",
            "unusual: it has a quote, comma, backslash, line break or surrounding spaces "
            "(Personalize advises plain IDs)",
        )
    )

    categorical = {
        f.name: ok_row & (F.length(raw(f.name)) > limits.max_categorical_length)
        for f in fields
        if f.type == "string"
        and f.name not in ID_FIELDS[ds]
        and (f.categorical or f.name == "IMPRESSION" or (ds == "items" and not f.textual))
    }
    rules.append(
        _field_rule(
            "categorical_length",
            "error",
            categorical,
            f"{limits.max_categorical_length:,} characters",
            f"longer than {limits.max_categorical_length:,} characters (categorical and impression "
            "values, and any non-textual Items string; the import fails)",
        )
    )

    textual = {f.name: ok_row & (F.length(raw(f.name)) > limits.max_textual_length) for f in fields if f.textual}
    rules.append(
        _field_rule(
            "textual_length",
            "warning",
            textual,
            f"{limits.max_textual_length:,} characters",
            f"longer than {limits.max_textual_length:,} characters and will be truncated",
        )
    )

    reserved = {
        f.name: ok_row & F.upper(F.trim(raw(f.name))).isin(sorted(RESERVED_KEYWORDS))
        for f in fields
        if f.type == "string"
    }
    rules.append(
        _field_rule(
            "reserved_keyword_values",
            "error",
            reserved,
            "no reserved keyword as a value",
            "a reserved keyword (" + ", ".join(sorted(RESERVED_KEYWORDS)) + "), e.g. a repeated header line",
        )
    )

    stamps = [n for n in TIMESTAMP_FIELDS if p.has(n)]
    millis = {n: ok_row & (col(n) >= MILLISECONDS_FROM) for n in stamps}
    rules.append(
        _field_rule(
            "timestamp_in_seconds",
            "error",
            millis,
            f"< {MILLISECONDS_FROM:,} (epoch seconds)",
            f"in epoch milliseconds (>= {MILLISECONDS_FROM:,}); Personalize needs epoch seconds (divide by 1000)",
        )
    )

    low_day = dt.date.fromisoformat(settings.min_timestamp)
    low = _epoch(low_day)
    high_time = now + dt.timedelta(days=settings.max_future_days)
    high = calendar.timegm(high_time.utctimetuple())
    window = f"{low_day.isoformat()} .. {high_time.strftime('%Y-%m-%d %H:%M')} UTC ({low} .. {high})"
    ranges = {n: ok_row & ((col(n) < low) | ((col(n) > high) & (col(n) < MILLISECONDS_FROM))) for n in stamps}
    rules.append(
        _field_rule(
            "timestamp_range", "error" if ds == "interactions" else "warning", ranges, window, f"outside {window}"
        )
    )
    return [r for r in rules if r is not None]


def _group_rules(p: _Prepared, settings: PreflightSettings, limits: Limits, bytes_key: str | None) -> list[_Rule]:
    ds = p.dataset
    v2 = settings.recipe in V2_RECIPES
    rules: list[_Rule] = []
    if ds == "interactions" and p.has("USER_ID", "ITEM_ID", "TIMESTAMP"):
        need = limits.min_interactions
        types = ", ".join(settings.training_event_types) or "all event types"
        threshold = settings.event_value_threshold

        def training(m: Mapping[str, Any]) -> tuple[bool, str, str, str]:
            n = _n(m, "training")
            scope = types + (f", EVENT_VALUE >= {threshold}" if threshold is not None else "")
            return (
                n >= need,
                str(n),
                f">= {need:,}",
                (
                    f"{n:,} interactions after event-type filtering ({scope}); Personalize needs at least {need:,} "
                    "to train"
                ),
            )

        keep = F.lit(True)
        if settings.training_event_types:
            keep = (
                F.col("EVENT_TYPE").isin(list(settings.training_event_types)) if p.has("EVENT_TYPE") else F.lit(False)
            )
        if threshold is not None:
            keep = keep & (F.col("EVENT_VALUE") >= threshold) if p.has("EVENT_VALUE") else F.lit(False)
        rules.append(_Rule("min_interactions_for_training", "error", training, {"training": _count(keep)}))

        per_import = limits.min_interactions_per_import
        rules.append(
            _Rule(
                "min_interactions_per_import",
                "error",
                lambda m: (
                    _n(m, "_rows") >= per_import,
                    str(_n(m, "_rows")),
                    f">= {per_import:,}",
                    f"{_n(m, '_rows'):,} interactions in this import; every import job needs at least {per_import:,}",
                ),
            )
        )

        need_users = limits.min_users_with_2
        rules.append(
            _Rule(
                "min_users_with_2_interactions",
                "error",
                lambda m: (
                    _n(m, "_users2") >= need_users,
                    str(_n(m, "_users2")),
                    f">= {need_users}",
                    f"{_n(m, '_users2'):,} users have 2 or more interactions; Personalize needs at least {need_users}",
                ),
            )
        )

        share = limits.min_share_users_with_2

        def share_rule(m: Mapping[str, Any]) -> tuple[bool, str, str, str]:
            users, users2 = _n(m, "_users"), _n(m, "_users2")
            got = users2 / users if users else 0.0
            return (
                got >= share,
                f"{got:.4f}",
                f">= {share}",
                (
                    f"{got:.2%} of users ({users2:,} of {users:,}) have 2 or more interactions; Personalize needs at "
                    f"least {share:.0%}"
                ),
            )

        rules.append(_Rule("min_share_users_with_2_interactions", "error", share_rule))

        cap = limits.max_interactions_v2 if v2 else limits.max_interactions
        rules.append(
            _Rule(
                "max_interactions_considered",
                "warning",
                lambda m: (
                    _n(m, "_rows") <= cap,
                    str(_n(m, "_rows")),
                    f"<= {cap:,} ({settings.recipe})",
                    f"{_n(m, '_rows'):,} interactions; Personalize trains on the latest {cap:,} only",
                ),
            )
        )

        keys = [F.col("USER_ID"), F.col("ITEM_ID"), F.col("TIMESTAMP")]
        frame = p.frame.where(F.col("_corrupt").isNull()) if "_corrupt" in p.frame.columns else p.frame

        def duplicates() -> DataFrame:
            groups = frame.groupBy(*keys).agg(F.count(F.lit(1)).alias("rows")).where(F.col("rows") > 1)
            return groups.select(F.to_json(F.struct("USER_ID", "ITEM_ID", "TIMESTAMP", "rows")))

        rules.append(
            _Rule(
                "duplicate_interactions",
                "warning",
                lambda m: (
                    _n(m, "_dup_groups") == 0,
                    str(_n(m, "_dup_rows")),
                    "0 repeated (USER_ID, ITEM_ID, TIMESTAMP)",
                    f"{_n(m, '_dup_rows'):,} row(s) repeat the (USER_ID, ITEM_ID, TIMESTAMP) of another row "
                    f"({_n(m, '_dup_groups'):,} key(s)); Personalize keeps only one of them",
                ),
                samples=duplicates,
            )
        )

    if ds in ("items", "users") and p.has(ID_FIELDS[ds][0]):
        id_name = ID_FIELDS[ds][0]
        frame = p.frame

        def repeated() -> DataFrame:
            groups = frame.groupBy(id_name).agg(F.count(F.lit(1)).alias("rows")).where(F.col("rows") > 1)
            return groups.select(F.to_json(F.struct(id_name, "rows")))

        rules.append(
            _Rule(
                "duplicate_ids",
                "warning",
                lambda m: (
                    _n(m, "_dup_ids") == 0,
                    str(_n(m, "_dup_ids")),
                    f"one row per {id_name}",
                    f"{_n(m, '_dup_ids'):,} {id_name}s appear on more than one row; Personalize keeps one of them",
                ),
                samples=repeated,
            )
        )

    if ds == "items" and p.has("ITEM_ID"):
        cap = limits.max_items_v2 if v2 else limits.max_items
        rules.append(
            _Rule(
                "max_items",
                "warning",
                lambda m: (
                    _n(m, "_ids") <= cap,
                    str(_n(m, "_ids")),
                    f"<= {cap:,} ({settings.recipe})",
                    f"{_n(m, '_ids'):,} items; {settings.recipe} considers at most {cap:,}",
                ),
            )
        )

    max_bytes = limits.max_import_bytes_full if settings.import_mode == "FULL" else limits.max_import_bytes_incremental
    size = p.input.file_bytes

    def import_size(m: Mapping[str, Any]) -> tuple[bool, str, str, str]:
        got = size if size is not None else _n(m, bytes_key or "")
        how = "" if size is not None else " (estimated CSV size)"
        return (
            got <= max_bytes,
            str(got),
            f"<= {max_bytes:,} bytes ({settings.import_mode})",
            (f"{got:,} bytes{how}; a {settings.import_mode} import takes at most {max_bytes:,} bytes"),
        )

    rules.append(_Rule("import_size", "error", import_size))
    return rules


def _aggregate(p: _Prepared, rules: Sequence[_Rule]) -> dict[str, Any]:
    """One pass: every rule's metrics, plus rows, users with >= 2 interactions, duplicates and distinct ids."""
    metrics = {k: v for r in rules for k, v in r.metrics.items()}
    frame = p.frame.select("*", *[expr.alias(key) for key, expr in metrics.items()])

    def up() -> list[Column]:
        return [F.sum(F.col(f"`{key}`")).alias(key) for key in metrics]

    one = F.count(F.lit(1)).alias("_n")
    if p.dataset == "interactions" and p.has("USER_ID", "ITEM_ID", "TIMESTAMP"):
        ok = F.col("_corrupt").isNull() if "_corrupt" in p.frame.columns else F.lit(True)
        keyed = frame.withColumn("_ok", ok.cast("int"))
        l1 = keyed.groupBy("USER_ID", "ITEM_ID", "TIMESTAMP").agg(one, F.sum("_ok").alias("_okn"), *up())
        full_key = F.col("ITEM_ID").isNotNull() & F.col("TIMESTAMP").isNotNull() & F.col("USER_ID").isNotNull()
        l2 = l1.groupBy("USER_ID").agg(
            F.sum("_n").alias("_n"),
            F.sum(F.when(full_key & (F.col("_okn") > 1), 1).otherwise(0)).alias("_dup_groups"),
            F.sum(F.when(full_key & (F.col("_okn") > 1), F.col("_okn") - 1).otherwise(0)).alias("_dup_rows"),
            *up(),
        )
        out = l2.agg(
            F.sum("_n").alias("_rows"),
            F.sum(F.when(F.col("USER_ID").isNotNull(), 1).otherwise(0)).alias("_users"),
            F.sum(F.when(F.col("USER_ID").isNotNull() & (F.col("_n") >= 2), 1).otherwise(0)).alias("_users2"),
            F.sum("_dup_groups").alias("_dup_groups"),
            F.sum("_dup_rows").alias("_dup_rows"),
            *up(),
        )
    elif p.dataset in ("items", "users") and p.has(ID_FIELDS[p.dataset][0]):
        id_col = F.col(ID_FIELDS[p.dataset][0])
        l1 = frame.groupBy(id_col.alias("_id")).agg(one, *up())
        out = l1.agg(
            F.sum("_n").alias("_rows"),
            F.sum(F.when(F.col("_id").isNotNull(), 1).otherwise(0)).alias("_ids"),
            F.sum(F.when(F.col("_id").isNotNull() & (F.col("_n") > 1), 1).otherwise(0)).alias("_dup_ids"),
            *up(),
        )
    else:
        out = frame.agg(F.count(F.lit(1)).alias("_rows"), *up())
    row = out.first()
    return row.asDict() if row else {}


def _event_types(p: _Prepared, limits: Limits) -> tuple[list[Check], dict[str, Any]]:
    """Distinct event types (+ optional columns) and distinct items, in one small pass."""
    if not p.has("ITEM_ID"):
        return [], {}
    frame = p.frame.where(F.col("_corrupt").isNull()) if "_corrupt" in p.frame.columns else p.frame
    items = frame.agg(F.count_distinct("ITEM_ID").alias("_items"))
    found: dict[str, int] = {}
    if p.has("EVENT_TYPE"):
        by_type = frame.groupBy("EVENT_TYPE").agg(F.count(F.lit(1)).alias("n")).limit(1001)
        rows = items.join(by_type, how="left").collect()  # one row per event type, each with the item count
        found = {r["EVENT_TYPE"]: int(r["n"]) for r in rows if r["EVENT_TYPE"] is not None}
    else:
        rows = items.collect()
    extra = {"_items": int(rows[0]["_items"]) if rows else 0}
    names = [f.name for f in p.fields]
    optional = [n for n in names if n not in NOT_OPTIONAL]
    total = len(found) + len(optional)
    cap = limits.max_event_types_and_optional
    shown = ", ".join(f"{k} ({v:,})" for k, v in sorted(found.items(), key=lambda kv: -kv[1])[:20])
    check = Check(
        p.dataset,
        "event_types_and_optional_columns",
        "error",
        total <= cap,
        str(total),
        f"<= {cap}",
        "ok"
        if total <= cap
        else f"{len(found)} distinct event types + {len(optional)} optional columns ({', '.join(optional)}) = "
        f"{total}; Personalize allows at most {cap} (event types: {shown})",
        () if total <= cap else tuple(sorted(found)[:5]),
    )
    return [check], extra


def run_preflight(
    inputs: Sequence[DatasetInput],
    settings: PreflightSettings,
    *,
    now: dt.datetime,
    limits: Limits = LIMITS,
) -> list[Check]:
    """Every rule on every dataset given (and referential integrity between them), in dataset order."""
    order = {d: i for i, d in enumerate(DATASETS)}
    checks: list[Check] = []
    samplers: list[tuple[str, str, Callable[[], DataFrame]]] = []
    prepared: dict[str, _Prepared] = {}
    for item in sorted(inputs, key=lambda i: order[i.dataset]):
        checks += check_schema(item.dataset, item.schema, limits)
        checks += item.file_checks
        p = _prepare(item)
        if p is None or not _schema_usable(checks, item.dataset):
            continue
        prepared[item.dataset] = p
        rules = _row_rules(p, settings, now, limits)
        bytes_key = None
        if item.file_bytes is None:
            bytes_key = "_bytes"
            line = csv_line(p.fields)
            rules.append(
                _Rule(
                    "_bytes",
                    "warning",
                    lambda m: (True, "", "", ""),
                    {"_bytes": (F.octet_length(line) + 1).cast("long")},
                )
            )
        rules += _group_rules(p, settings, limits, bytes_key)
        metrics = _aggregate(p, rules)
        extra_checks: list[Check] = []
        if item.dataset == "interactions":
            extra_checks, extra = _event_types(p, limits)
            metrics.update(extra)
            checks += _interaction_items_cap(p, settings, limits, metrics)
        for rule in rules:
            if rule.rule.startswith("_"):
                continue
            passed, value, limit, message = rule.judge(metrics)
            checks.append(
                Check(item.dataset, rule.rule, rule.severity, passed, value, limit, message if not passed else "ok")
            )
            if not passed:
                if rule.samples is not None:
                    samplers.append((item.dataset, rule.rule, rule.samples))
                elif rule.violation is not None:
                    frame, violation, sample = p.frame, rule.violation, p.sample_row
                    samplers.append((item.dataset, rule.rule, _where(frame, violation, sample)))
        checks += extra_checks
    checks += _referential(prepared, samplers)
    return _with_samples(checks, samplers, settings.samples)


def _where(frame: DataFrame, violation: Column, sample: Column) -> Callable[[], DataFrame]:
    return lambda: frame.where(violation).select(sample)


def _interaction_items_cap(
    p: _Prepared, settings: PreflightSettings, limits: Limits, metrics: Mapping[str, Any]
) -> list[Check]:
    if "_items" not in metrics:
        return []
    cap = limits.max_items_v2 if settings.recipe in V2_RECIPES else limits.max_items
    n = int(metrics["_items"])
    return [
        Check(
            p.dataset,
            "max_items",
            "warning",
            n <= cap,
            str(n),
            f"<= {cap:,} ({settings.recipe})",
            "ok" if n <= cap else f"{n:,} distinct items in interactions; {settings.recipe} considers at most {cap:,}",
        )
    ]


def _schema_usable(checks: Sequence[Check], dataset: str) -> bool:
    """Data rules need the required fields; without them only the schema and file checks are reported."""
    return not any(
        c.dataset == dataset and c.failed_error and c.rule in ("schema_required_fields", "csv_header") for c in checks
    )


def _referential(
    prepared: Mapping[str, _Prepared], samplers: list[tuple[str, str, Callable[[], DataFrame]]]
) -> list[Check]:
    """Interactions whose ITEM_ID / USER_ID is not in the items / users dataset (allowed, so warnings)."""
    inter = prepared.get("interactions")
    pairs = [(d, ID_FIELDS[d][0]) for d in ("items", "users") if d in prepared and prepared[d].has(ID_FIELDS[d][0])]
    if inter is None or not pairs:
        return []
    pairs = [(d, key) for d, key in pairs if inter.has(key)]
    missing: dict[str, DataFrame] = {}
    for dataset, key in pairs:
        ids = inter.frame.select(key).where(F.col(key).isNotNull()).distinct()
        missing[dataset] = ids.join(prepared[dataset].frame.select(key), key, "left_anti")
    counts = [missing[d].agg(F.count(F.lit(1)).alias(d)) for d, _ in pairs]
    row = reduce(lambda a, b: a.crossJoin(b), counts).first()
    checks = []
    for dataset, key in pairs:
        n = int(row[dataset]) if row else 0
        rule = f"interaction_{key.lower().replace('_id', '')}s_in_{dataset}"
        checks.append(
            Check(
                "interactions",
                rule,
                "warning",
                n == 0,
                str(n),
                f"every {key} in the {dataset} dataset",
                "ok"
                if n == 0
                else f"{n:,} {key}s of interactions are not in the {dataset} dataset; Personalize "
                f"accepts them but has no metadata for them",
            )
        )
        if n:
            samplers.append(("interactions", rule, _ids_of(missing[dataset], key)))
    return checks


def _ids_of(frame: DataFrame, key: str) -> Callable[[], DataFrame]:
    return lambda: frame.select(F.col(key).cast("string"))


def _with_samples(
    checks: list[Check], samplers: Sequence[tuple[str, str, Callable[[], DataFrame]]], limit: int
) -> list[Check]:
    """Fetch up to `limit` offending rows for every failed rule in one Spark job."""
    if not samplers or limit <= 0:
        return checks
    frames = [_sample_frame(make(), dataset, rule, limit) for dataset, rule, make in samplers]
    found: dict[tuple[str, str], list[str]] = {}
    for r in reduce(DataFrame.unionByName, frames).collect():
        found.setdefault((r["d"], r["r"]), []).append(str(r["s"]))
    out = []
    for c in checks:
        rows = found.get((c.dataset, c.rule))
        out.append(replace(c, samples=tuple(rows[:limit])) if rows and not c.passed else c)
    return out


def _sample_frame(frame: DataFrame, dataset: str, rule: str, limit: int) -> DataFrame:
    first = frame.columns[0]
    return frame.limit(limit).select(
        F.lit(dataset).alias("d"), F.lit(rule).alias("r"), F.col(f"`{first}`").cast("string").alias("s")
    )


# ---------------------------------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------------------------------


def errors(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if c.failed_error]


def warnings(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if not c.passed and c.severity == "warning"]


def checks_frame(
    spark: SparkSession,
    checks: Sequence[Check],
    *,
    run_id: str,
    source: str,
    locations: Mapping[str, str],
    checked_at: dt.datetime,
    snapshot: str | None = None,
) -> DataFrame:
    """The rows of gold.personalize_preflight for one run."""
    from udp.gold.tables import PREFLIGHT_DDL

    rows = [
        (
            run_id,
            snapshot,
            source,
            locations.get(c.dataset, ""),
            checked_at,
            c.dataset,
            c.rule,
            c.severity,
            c.passed,
            c.value,
            c.limit,
            c.message,
            list(c.samples),
        )
        for c in checks
    ]
    return spark.createDataFrame(rows, PREFLIGHT_DDL)


def failure_line(checks: Sequence[Check]) -> str:
    """One line naming every failed error rule, for `udp: error: ...`."""
    bad = errors(checks)
    names = ", ".join(f"{c.dataset}.{c.rule}" for c in bad[:8]) + (" ..." if len(bad) > 8 else "")
    return f"preflight failed: {len(bad)} error(s): {names}"
