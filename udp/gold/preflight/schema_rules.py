"""Schema rules: a dataset's Avro schema against Personalize's form, field types and names, required and reserved
fields, metadata counts, flags and size. No Spark.

One entry per rule in `SCHEMA_RULES`: its name, severity and the function that finds what breaks it; a rule fails
when what it finds is not empty (the first five items are the check's samples).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from udp.gold.preflight.outcome import LIMITS, Check, Limits
from udp.gold.schemas import NAMESPACE, RECORD_NAMES, REQUIRED_FIELDS, RESERVED_FIELDS, Field, parse_fields

AVRO_PRIMITIVES = ("string", "int", "long", "float", "double", "boolean")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Schema:
    """One dataset's schema as the rules read it."""

    dataset: str
    schema: Mapping[str, Any]
    raw: list[Mapping[str, Any]]  # the fields as written
    fields: list[Field]  # the fields that parse

    @classmethod
    def of(cls, dataset: str, schema: Mapping[str, Any]) -> Schema:
        raw = [f for f in schema.get("fields") or [] if isinstance(f, Mapping)]
        return cls(dataset, schema, raw, parse_fields(schema))

    @property
    def names(self) -> list[str]:
        return [str(f.get("name")) for f in self.raw]

    def field(self, name: str) -> Field | None:
        return next((f for f in reversed(self.fields) if f.name == name), None)  # the last, as a dict of them would

    @property
    def metadata(self) -> list[str]:
        """Fields that are neither required nor reserved keywords."""
        fixed = set(REQUIRED_FIELDS[self.dataset]) | set(RESERVED_FIELDS[self.dataset])
        return [n for n in self.names if n not in fixed]


@dataclass(frozen=True)
class Finding:
    """What a schema rule found: the offending items (none: passed), the measured value, the limit and a message."""

    bad: Sequence[str]
    value: str
    limit: str
    message: str


def _form(s: Schema, limits: Limits) -> Finding:
    want = (("type", "record"), ("name", RECORD_NAMES[s.dataset]), ("namespace", NAMESPACE), ("version", "1.0"))
    form = [f"{key} is {s.schema.get(key)!r}, expected {w!r}" for key, w in want if s.schema.get(key) != w]
    form += [] if s.raw else ["no fields"]
    found = "; ".join(form)
    return Finding(
        form, found or "valid", "Avro record in Personalize's form", f"the schema is not in Personalize's form: {found}"
    )


def _field_types(s: Schema, limits: Limits) -> Finding:
    bad = [f"{f.get('name')}: {json.dumps(f.get('type'))}" for f in s.raw if not _valid_type(f.get("type"))]
    return Finding(
        bad,
        str(len(bad)),
        f'one of {", ".join(AVRO_PRIMITIVES)}, or ["null", type]',
        f"{len(bad)} field(s) have a type Personalize does not accept: {', '.join(bad)}",
    )


def _field_names(s: Schema, limits: Limits) -> Finding:
    most = limits.max_field_name_length
    bad = [n for n in s.names if not FIELD_NAME.match(n) or len(n) > most]
    return Finding(
        bad,
        str(len(bad)),
        f"[A-Za-z_][A-Za-z0-9_]*, at most {most} characters",
        f"field name(s) not allowed: {', '.join(bad)}",
    )


def _field_names_unique(s: Schema, limits: Limits) -> Finding:
    seen: dict[str, str] = {}
    clashes = []
    for n in s.names:
        key = re.sub(r"[^A-Za-z0-9]", "", n).upper()
        if key in seen:
            clashes.append(f"{seen[key]} / {n}")
        seen.setdefault(key, n)
    return Finding(
        clashes,
        str(len(clashes)),
        "unique ignoring non-alphanumeric characters and case",
        f"field names that are the same alphanumerically: {', '.join(clashes)}",
    )


def _required_fields(s: Schema, limits: Limits) -> Finding:
    missing = []
    for name, kind in REQUIRED_FIELDS[s.dataset].items():
        f = s.field(name)
        if f is None or f.type != kind or f.nullable:
            found = "missing" if f is None else json.dumps(f.to_avro()["type"])
            missing.append(f"{name} ({kind}, not null): {found}")
    return Finding(
        missing,
        str(len(missing)),
        ", ".join(f"{n} {t}" for n, t in REQUIRED_FIELDS[s.dataset].items()),
        f"required field(s) missing or of the wrong type: {'; '.join(missing)}",
    )


def _reserved_keywords(s: Schema, limits: Limits) -> Finding:
    wrong = []
    for name, allowed in RESERVED_FIELDS[s.dataset].items():
        f = s.field(name)
        if f is not None and (
            f.type not in allowed or (f.nullable and "null" not in allowed) or f.categorical or f.textual
        ):
            wrong.append(f"{name}: {json.dumps(f.to_avro()['type'])}{' categorical' if f.categorical else ''}")
    return Finding(
        wrong,
        str(len(wrong)),
        ", ".join(f"{n} {'/'.join(a)}" for n, a in RESERVED_FIELDS[s.dataset].items()) or "none",
        "reserved keyword field(s) with the wrong type (no categorical/textual flags allowed): " + "; ".join(wrong),
    )


def _metadata_fields(s: Schema, limits: Limits) -> Finding:
    metadata = s.metadata
    low, high = {
        "interactions": (0, limits.max_interaction_metadata),
        "users": (1, limits.max_user_metadata),
        "items": (1, limits.max_item_metadata),
    }[s.dataset]
    return Finding(
        [] if low <= len(metadata) <= high else metadata or ["(none)"],
        str(len(metadata)),
        f"{low}..{high}",
        f"{len(metadata)} metadata fields; Personalize allows {low} to {high} in a {s.dataset} schema",
    )


def _textual_fields(s: Schema, limits: Limits) -> Finding:
    textual = [f.name for f in s.fields if f.textual]
    most = 1 if s.dataset == "items" else 0
    non_string = [f.name for f in s.fields if (f.textual or f.categorical) and f.type != "string"]
    return Finding(
        (textual if len(textual) > most else []) + non_string,
        str(len(textual)),
        f"at most {most} textual field(s); flags only on strings",
        f"{len(textual)} textual field(s) ({', '.join(textual)}); only Items may have one"
        + (f"; categorical/textual on non-strings: {', '.join(non_string)}" if non_string else ""),
    )


def _string_flags(s: Schema, limits: Limits) -> Finding:
    metadata = s.metadata
    plain = [f.name for f in s.fields if f.name in metadata and f.type == "string" and not (f.categorical or f.textual)]
    return Finding(
        plain,
        str(len(plain)),
        "categorical or textual on strings",
        f"string field(s) without categorical/textual are ignored by Personalize: {', '.join(plain)}",
    )


def _boolean_fields(s: Schema, limits: Limits) -> Finding:
    booleans = [f.name for f in s.fields if f.type == "boolean"]
    return Finding(
        booleans,
        str(len(booleans)),
        "no boolean fields",
        f"boolean field(s) are ignored for training and filtering: {', '.join(booleans)} "
        "(use the strings True/False or the ints 0/1)",
    )


def _size(s: Schema, limits: Limits) -> Finding:
    size = len(json.dumps(s.schema))
    most = limits.max_schema_chars
    return Finding(
        [str(size)] if size > most else [],
        str(size),
        f"{most:,} characters",
        f"the schema JSON is {size:,} characters; create_schema takes at most {most:,}",
    )


SCHEMA_RULES: tuple[tuple[str, Callable[[Schema, Limits], Finding]], ...] = (
    ("schema_form", _form),
    ("schema_field_types", _field_types),
    ("schema_field_names", _field_names),
    ("schema_field_names_unique", _field_names_unique),
    ("schema_required_fields", _required_fields),
    ("schema_reserved_keywords", _reserved_keywords),
    ("schema_metadata_fields", _metadata_fields),
    ("schema_textual_fields", _textual_fields),
    ("schema_string_flags", _string_flags),
    ("schema_boolean_fields", _boolean_fields),
    ("schema_size", _size),
)


def check_schema(dataset: str, schema: Mapping[str, Any], limits: Limits = LIMITS) -> list[Check]:
    """Every schema rule on one dataset's schema, in `SCHEMA_RULES` order."""
    view = Schema.of(dataset, schema)
    checks = []
    for rule, find in SCHEMA_RULES:
        f = find(view, limits)
        if f.bad:
            checks.append(Check(dataset, rule, False, f.value, f.limit, f.message, tuple(f.bad[:5])))
        else:
            checks.append(Check(dataset, rule, True, f.value, f.limit, "ok"))
    return checks


def _valid_type(kind: Any) -> bool:
    if isinstance(kind, str):
        return kind in AVRO_PRIMITIVES
    if isinstance(kind, list):
        others = [k for k in kind if k != "null"]
        return "null" in kind and len(kind) == 2 and len(others) == 1 and others[0] in AVRO_PRIMITIVES
    return False
