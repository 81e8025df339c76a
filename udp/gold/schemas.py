"""Personalize's dataset schemas: the Avro record of each dataset, generated from the gold table and the config.

A schema is an Avro `record` named `Interactions` / `Items` / `Users` in namespace `com.amazonaws.personalize.schema`
with `"version": "1.0"`; its field order is the CSV column order. Strings carry `"categorical": true` or
`"textual": true` (Personalize ignores a string with neither); nullable fields are `["null", <type>]` unions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from udp import tables
from udp.errors import UdpError
from udp.settings.gold import FieldSpec, GoldSettings

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

NAMESPACE = "com.amazonaws.personalize.schema"
DATASETS = ("interactions", "items", "users")
RECORD_NAMES = {"interactions": "Interactions", "items": "Items", "users": "Users"}
TABLES = {d: tables.PERSONALIZE_DATASETS[d] for d in DATASETS}

# Required fields of each dataset type and their Avro types (never null).
REQUIRED_FIELDS: dict[str, dict[str, str]] = {
    "interactions": {"USER_ID": "string", "ITEM_ID": "string", "TIMESTAMP": "long"},
    "items": {"ITEM_ID": "string"},
    "users": {"USER_ID": "string"},
}
# Reserved keywords: their allowed Avro types (a "null" entry means the field may be a nullable union).
RESERVED_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "interactions": {
        "EVENT_TYPE": ("string",),
        "EVENT_VALUE": ("float", "null"),
        "IMPRESSION": ("string", "null"),
        "RECOMMENDATION_ID": ("string", "null"),
        "EVENT_ATTRIBUTION_SOURCE": ("string", "null"),
    },
    "items": {"CREATION_TIMESTAMP": ("long",)},
    "users": {},
}
RESERVED_KEYWORDS = frozenset(
    {"USER_ID", "ITEM_ID", "TIMESTAMP", "CREATION_TIMESTAMP"} | set(RESERVED_FIELDS["interactions"])
)
ID_FIELDS = {"interactions": ("USER_ID", "ITEM_ID"), "items": ("ITEM_ID",), "users": ("USER_ID",)}
TIMESTAMP_FIELDS = ("TIMESTAMP", "CREATION_TIMESTAMP")

# Spark SQL type <-> Avro primitive type of a Personalize field.
SPARK_TO_AVRO = {"string": "string", "bigint": "long", "int": "int", "float": "float", "double": "double"}
SPARK_TO_AVRO["boolean"] = "boolean"
AVRO_TO_SPARK = {v: k for k, v in SPARK_TO_AVRO.items()}
FIELD_TYPE_TO_AVRO = {
    "categorical": "string",
    "textual": "string",
    "float": "float",
    "double": "double",
    "int": "int",
    "long": "long",
    "boolean": "boolean",
}


class SchemaError(UdpError):
    """A gold table or a schema file cannot be turned into a Personalize schema."""


@dataclass(frozen=True)
class Field:
    """One field of a Personalize schema, as the checks and the CSV writer see it."""

    name: str
    type: str
    nullable: bool = True
    categorical: bool = False
    textual: bool = False

    @property
    def spark_type(self) -> str:
        return AVRO_TO_SPARK.get(self.type, "string")

    def to_avro(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": ["null", self.type] if self.nullable else self.type}
        if self.categorical:
            out["categorical"] = True
        if self.textual:
            out["textual"] = True
        return out


def dataset_fields(settings: GoldSettings, dataset: str) -> list[Field]:
    """The fields of `dataset` as configured, in CSV/schema order (also the gold table's column order)."""
    out: list[Field] = []
    if dataset == "interactions":
        out += [Field("USER_ID", "string", False), Field("ITEM_ID", "string", False), Field("TIMESTAMP", "long", False)]
        out.append(Field("EVENT_TYPE", "string", False))
        if settings.interactions.event_value.column:
            out.append(Field("EVENT_VALUE", "float", True))
        specs: Mapping[str, FieldSpec] = settings.interactions.fields
    elif dataset == "items":
        out.append(Field("ITEM_ID", "string", False))
        specs = settings.items.fields
    elif dataset == "users":
        out.append(Field("USER_ID", "string", False))
        specs = settings.users.fields
    else:
        raise SchemaError(f"unknown dataset {dataset!r}; datasets: {', '.join(DATASETS)}")
    out += [field_of(name, spec) for name, spec in specs.items()]
    return out


def field_of(name: str, spec: FieldSpec) -> Field:
    return Field(
        name=name,
        type=FIELD_TYPE_TO_AVRO[spec.type],
        nullable=not spec.required,
        categorical=spec.type == "categorical",
        textual=spec.type == "textual",
    )


def personalize_schema(dataset: str, table_schema: StructType, settings: GoldSettings) -> dict[str, Any]:
    """The Avro schema of `dataset` from its gold table's columns (order, types) and the config (flags, nulls).

    Columns that are not Personalize fields (the partition column) are left out.
    """
    configured = {f.name: f for f in dataset_fields(settings, dataset)}
    fields = []
    for column in table_schema.fields:
        spec = configured.get(column.name)
        if spec is None:
            continue
        avro_type = SPARK_TO_AVRO.get(column.dataType.simpleString())
        if avro_type is None:
            raise SchemaError(
                f"{TABLES[dataset]}: column {column.name} has type {column.dataType.simpleString()}, which has no "
                f"Personalize type (use one of {', '.join(SPARK_TO_AVRO)})"
            )
        fields.append(Field(column.name, avro_type, spec.nullable, spec.categorical, spec.textual))
    return record(dataset, fields)


def record(dataset: str, fields: Sequence[Field]) -> dict[str, Any]:
    """The Avro record for `fields`, in Personalize's exact form."""
    return {
        "type": "record",
        "name": RECORD_NAMES[dataset],
        "namespace": NAMESPACE,
        "fields": [f.to_avro() for f in fields],
        "version": "1.0",
    }


def schema_json(schema: Mapping[str, Any]) -> str:
    """The schema as Personalize's `create_schema` takes it (a JSON string), in a stable form."""
    return json.dumps(schema, indent=2) + "\n"


def schema_name(prefix: str, dataset: str, schema: Mapping[str, Any]) -> str:
    """A deterministic Personalize schema name: the same schema always gets the same name (idempotent creates)."""
    digest = hashlib.sha256(json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"{prefix}-{dataset}-{digest[:8]}"


def parse_fields(schema: Mapping[str, Any]) -> list[Field]:
    """The usable fields of a schema (those with a name and a primitive or `["null", primitive]` type)."""
    out = []
    for raw in schema.get("fields") or []:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            continue
        kind = raw.get("type")
        nullable = False
        if isinstance(kind, list):
            others = [k for k in kind if k != "null"]
            nullable = "null" in kind
            kind = others[0] if len(others) == 1 else None
        if not isinstance(kind, str):
            continue
        out.append(Field(raw["name"], kind, nullable, bool(raw.get("categorical")), bool(raw.get("textual"))))
    return out


def default_schema(dataset: str, header: Sequence[str]) -> dict[str, Any]:
    """A schema for CSV columns when none is given: required and reserved fields get their types, others are
    nullable categorical strings (pass the real schema to check textual fields and numbers)."""
    fields = []
    for name in header:
        if name in REQUIRED_FIELDS[dataset]:
            fields.append(Field(name, REQUIRED_FIELDS[dataset][name], False))
        elif name in RESERVED_FIELDS[dataset]:
            allowed = RESERVED_FIELDS[dataset][name]
            fields.append(Field(name, allowed[0], "null" in allowed))
        else:
            fields.append(Field(name, "string", True, categorical=True))
    return record(dataset, fields)
