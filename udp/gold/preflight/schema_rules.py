"""Schema rules: a dataset's Avro schema against Personalize's form, field types and names, required and reserved
fields, metadata counts, flags and size. No Spark."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from udp.gold.preflight.outcome import LIMITS, Check, Limits, Severity
from udp.gold.schemas import NAMESPACE, RECORD_NAMES, REQUIRED_FIELDS, RESERVED_FIELDS, parse_fields

AVRO_PRIMITIVES = ("string", "int", "long", "float", "double", "boolean")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
