"""What every gold table is: its comment, columns (type and meaning) and layout — the one source for the Delta table
and column comments, docs/tables.md (`udp docs`) and the Athena DDL (`udp athena-ddl`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

from udp import tables
from udp.config import Config
from udp.errors import InputPathError
from udp.gold.customer360 import PROFILE_COLUMNS, channel_prefix
from udp.gold.datasets import partition_column
from udp.gold.schemas import DATASETS, TABLES, dataset_fields
from udp.models import SILVER_CUSTOMERS_DDL
from udp.settings.gold import FieldSpec, GoldSettings

INTERACTIONS, ITEMS, USERS = (TABLES[d] for d in DATASETS)
CUSTOMER_360 = tables.CUSTOMER_360
PREFLIGHT = tables.PERSONALIZE_PREFLIGHT

PREFLIGHT_DDL = (
    "run_id STRING, snapshot STRING, source STRING, location STRING, checked_at TIMESTAMP, dataset STRING, "
    "rule STRING, severity STRING, passed BOOLEAN, value STRING, limit_value STRING, message STRING, "
    "samples ARRAY<STRING>"
)


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    type: str
    comment: str


@dataclass(frozen=True)
class TableDoc:
    name: str
    comment: str
    layout: str
    columns: tuple[ColumnDoc, ...]

    def comments(self) -> dict[str, str]:
        return {c.name: c.comment for c in self.columns}


_FIXED = {
    "USER_ID": "The customer's golden id (silver.customers.customer_id)",
    "ITEM_ID": "The item's SKU (silver.items.item_id)",
    "TIMESTAMP": "When the interaction happened, Unix epoch seconds (UTC)",
    "EVENT_TYPE": "Personalize event type, mapped from silver.touchpoints.event_type (gold.interactions.event_types)",
    "EVENT_VALUE": "The touch point's value for valued event types (e.g. the purchase value); null otherwise",
}
_PREFLIGHT_COMMENTS = {
    "run_id": "The check run: the export snapshot id, or the time of a build/validate run (YYYYMMDDTHHMMSSZ)",
    "snapshot": "The export snapshot the run gated; null for build and validate runs",
    "source": "gold (the gold tables) or csv (a folder of Personalize CSV files)",
    "location": "The table or the CSV location checked",
    "checked_at": "When the rule was checked (UTC)",
    "dataset": "interactions, items or users",
    "rule": "The rule's id (see docs/gold.md, Preflight rules)",
    "severity": "error (fails validate and blocks export) or warning",
    "passed": "Whether the data satisfies the rule",
    "value": "The measured value (a count, a size, a field list)",
    "limit_value": "The limit the value is compared with",
    "message": "What was found, in words, with the limit",
    "samples": "Up to 5 offending rows (JSON) or values",
}
_C360_COMMENTS = {
    "customer_id": "The customer's golden id (silver.customers.customer_id)",
    "age_band": "Age band from date_of_birth, e.g. 25-34 (the date itself is not kept)",
    "country": "Country (ISO-3166 alpha-2)",
    "gender": "Gender as recorded by the surviving source",
    "loyalty_tier": "Loyalty tier",
    "marketing_consent": "Marketing consent of the surviving source",
    "region": "Region (enrichment by postcode district)",
    "income_band": "Income band (enrichment by postcode district)",
    "urban_rural": "Urban or rural (enrichment by postcode district)",
    "record_count": "Source records merged into this customer",
    "sources": "Sources the customer was seen in",
    "first_seen_at": "Earliest record of the customer in any source",
    "updated_at": "Latest update of the golden record",
    "touches": "Touch points of the customer (all channels, all event types)",
    "purchases": "Touch points of the purchase event types",
    "lifetime_value": "Sum of the values of the purchase event types (0 when none)",
    "first_touch_at": "Earliest touch point",
    "last_touch_at": "Latest touch point",
}


def _silver_customer_types() -> dict[str, str]:
    out = {}
    for part in SILVER_CUSTOMERS_DDL.split(", "):
        name, _, kind = part.strip().partition(" ")
        out[name] = kind
    return out


def _field_comment(name: str, spec: FieldSpec, source: str) -> str:
    if spec.comment:
        return spec.comment
    derived = f" ({spec.derive})" if spec.derive != "none" else ""
    return f"From {source}.{spec.column}{derived}"


def personalize_table(settings: GoldSettings, dataset: str) -> TableDoc:
    """The gold table of one Personalize dataset."""
    specs: Mapping[str, FieldSpec]
    if dataset == "interactions":
        specs, source = settings.interactions.fields, tables.TOUCHPOINTS
    elif dataset == "items":
        specs, source = settings.items.fields, tables.ITEMS
    else:
        specs, source = settings.users.fields, tables.CUSTOMERS
    columns = []
    for f in dataset_fields(settings, dataset):
        kind = f.spark_type.upper()
        flags = " [categorical]" if f.categorical else " [textual]" if f.textual else ""
        comment = _field_comment(f.name, specs[f.name], source) if f.name in specs else _FIXED[f.name]
        columns.append(ColumnDoc(f.name, kind, f"{comment}{flags}"))
    if dataset == "interactions":
        part = partition_column(settings.interactions)
        zorder = ", ".join(settings.interactions.zorder_by)
        what = "UTC day" if part == "event_date" else "first day of the UTC month"
        columns.append(ColumnDoc(part, "DATE", f"Partition: the {what} of TIMESTAMP (not exported)"))
        layout = f"partitioned by {part}; OPTIMIZE ZORDER BY ({zorder}) on rebuilt partitions"
        comment = "Amazon Personalize Interactions dataset: one row per (USER_ID, ITEM_ID, TIMESTAMP, EVENT_TYPE)"
    elif dataset == "items":
        layout = "unpartitioned; OPTIMIZE ZORDER BY (ITEM_ID)"
        comment = "Amazon Personalize Items dataset: one row per ITEM_ID, non-PII catalogue metadata"
    else:
        layout = "unpartitioned; OPTIMIZE ZORDER BY (USER_ID)"
        comment = "Amazon Personalize Users dataset: one row per USER_ID, non-PII metadata only"
    return TableDoc(TABLES[dataset], comment, layout, tuple(columns))


def customer_360_table(settings: GoldSettings) -> TableDoc:
    types = _silver_customer_types()
    s = settings.customer_360
    columns = [ColumnDoc("customer_id", "STRING", _C360_COMMENTS["customer_id"])]
    columns += [
        ColumnDoc(c, types[c], "Raw PII, copied because gold.customer_360.include_pii lists it") for c in s.include_pii
    ]
    columns.append(ColumnDoc("age_band", "STRING", _C360_COMMENTS["age_band"]))
    columns += [ColumnDoc(c, types[c], _C360_COMMENTS[c]) for c in PROFILE_COLUMNS]
    columns += [
        ColumnDoc("touches", "BIGINT", _C360_COMMENTS["touches"]),
        ColumnDoc("purchases", "BIGINT", _C360_COMMENTS["purchases"]),
        ColumnDoc("lifetime_value", "DOUBLE", _C360_COMMENTS["lifetime_value"]),
        ColumnDoc("first_touch_at", "TIMESTAMP", _C360_COMMENTS["first_touch_at"]),
        ColumnDoc("last_touch_at", "TIMESTAMP", _C360_COMMENTS["last_touch_at"]),
    ]
    for channel in s.channels:
        p = channel_prefix(channel)
        columns += [
            ColumnDoc(f"{p}_touches", "BIGINT", f"Touch points in channel '{channel}'"),
            ColumnDoc(f"{p}_first_touch_at", "TIMESTAMP", f"First touch point in channel '{channel}'"),
            ColumnDoc(f"{p}_last_touch_at", "TIMESTAMP", f"Last touch point in channel '{channel}'"),
        ]
    return TableDoc(
        CUSTOMER_360,
        "Customer 360: golden record (no raw PII unless configured), lifetime value, touches per channel",
        "unpartitioned; OPTIMIZE ZORDER BY (customer_id)",
        tuple(columns),
    )


def preflight_table() -> TableDoc:
    columns = []
    for part in PREFLIGHT_DDL.split(", "):
        name, _, kind = part.partition(" ")
        columns.append(ColumnDoc(name, kind, _PREFLIGHT_COMMENTS[name]))
    return TableDoc(
        PREFLIGHT,
        "Personalize preflight: one row per rule checked per run (udp run gold, udp validate, udp export)",
        "unpartitioned; each run's rows are replaced by run_id (re-running a check is idempotent)",
        tuple(columns),
    )


def gold_tables(settings: GoldSettings) -> list[TableDoc]:
    """Every gold table udp builds, in documentation order."""
    return [
        *(personalize_table(settings, d) for d in DATASETS),
        customer_360_table(settings),
        preflight_table(),
    ]


def render_tables_md(settings: GoldSettings) -> str:
    """docs/tables.md: every gold table and column."""
    out = [
        "# Gold tables",
        "",
        "<!-- Generated by `udp docs` from udp/gold/tables.py and conf/gold.yaml; do not edit by hand. -->",
        "",
        "Every table is a Delta table at `<paths.lake>/gold/<table>`, registered in the catalog as "
        "`<prefix>gold.<table>` with these table and column comments. Athena: `udp athena-ddl`. Design and "
        "layout choices: [gold.md](gold.md).",
        "",
    ]
    for table in gold_tables(settings):
        out += [f"## {table.name}", "", table.comment + ".", "", f"Layout: {table.layout}.", ""]
        out += _columns_md(table.columns)
    out += [
        "# Silver tables people write",
        "",
        "Silver's own tables are described in [matching.md](matching.md); this one holds input from people, so its "
        "columns are a contract. The review loop: [matching.md](matching.md#the-review-loop-people-decide-what-the-"
        "model-is-unsure-of).",
        "",
    ]
    labels_doc = labels_table()
    out += [f"## {labels_doc.name}", "", labels_doc.comment + ".", "", f"Layout: {labels_doc.layout}.", ""]
    out += _columns_md(labels_doc.columns)
    return "\n".join(out)


def _columns_md(columns: tuple[ColumnDoc, ...]) -> list[str]:
    rows = [f"| `{c.name}` | {c.type} | {c.comment.replace('|', '/')} |" for c in columns]
    return ["| column | type | description |", "|---|---|---|", *rows, ""]


def labels_table() -> TableDoc:
    """silver.match_labels, documented from udp/silver/labels.py."""
    from udp.silver import labels

    types = dict(part.strip().split(" ", 1) for part in labels.LABELS_SCHEMA.split(","))
    columns = tuple(ColumnDoc(n, types[n], text) for n, text in labels.LABELS_COLUMNS.items())
    return TableDoc(labels.LABELS, labels.LABELS_COMMENT, "unpartitioned; MERGE on (left_id, right_id)", columns)


def athena_ddl(config: Config, lake_root: str | None = None) -> str:
    """Athena (engine v3) DDL registering every gold table in Glue by its S3 location (reference/lakehouse.md §1)."""
    root = (lake_root or config.paths.lake).rstrip("/")
    if root.startswith(("s3a://", "s3n://")):
        root = "s3://" + root.split("://", 1)[1]
    if not root.startswith("s3://"):
        raise InputPathError(
            f"Athena reads Delta tables from S3, but the lake is {root}: use --conf conf/emr.yaml or --lake s3://..."
        )
    database = f"{config.catalog.database_prefix}gold"
    out = [f"CREATE DATABASE IF NOT EXISTS `{database}`;", ""]
    for table in gold_tables(config.gold):
        name = table.name.split(".", 1)[1]
        location = posixpath.join(root, "gold", name) + "/"
        out += [
            f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{name}`",
            f"LOCATION '{location}'",
            "TBLPROPERTIES ('table_type' = 'DELTA');",
            "",
        ]
    return "\n".join(out)
