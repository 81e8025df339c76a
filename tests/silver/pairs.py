"""Helpers to build tiny customer records and pair frames for silver tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from udp.config import load_config
from udp.contracts import SourceContract
from udp.settings.matching import StandardiseSettings
from udp.silver.records import to_canonical, with_standardised_fields

ROOT = Path(__file__).resolve().parents[2]
SETTINGS: StandardiseSettings = load_config([str(ROOT / "conf" / "local.yaml")], env={}).matching.standardise
CONTRACT = SourceContract(
    entity="customer",
    path="x/*.csv",
    format="csv",
    schema="k STRING",
    key=("source_key",),
    mapping={
        "source_key": "source_key",
        "first_name": "first_name",
        "last_name": "last_name",
        "full_name": "full_name",
        "email": "email",
        "phone": "phone",
        "address_line1": "address_line1",
        "postcode": "postcode",
        "date_of_birth": "date_of_birth",
        "loyalty_id": "loyalty_id",
        "national_id": "national_id",
        "updated_at": "updated_at",
        "created_at": "updated_at",
    },
)
COLUMNS = (
    "source_key STRING, first_name STRING, last_name STRING, full_name STRING, email STRING, phone STRING, "
    "address_line1 STRING, postcode STRING, date_of_birth DATE, loyalty_id STRING, national_id STRING, "
    "updated_at TIMESTAMP, "
    "_file STRING, _row BIGINT"
)


def person(key: str, **fields: Any) -> dict[str, Any]:
    """A raw customer row; unspecified fields are null."""
    row: dict[str, Any] = {c.split()[0]: None for c in COLUMNS.split(", ")}
    row.update(source_key=key, updated_at=dt.datetime(2026, 1, 1), _file="f", _row=1)
    row.update(fields)
    return row


def records(spark: SparkSession, rows: list[dict[str, Any]], source: str = "crm") -> DataFrame:
    """Standardised customer records (as in silver.customer_records) from raw rows."""
    raw = spark.createDataFrame([tuple(r[c.split()[0]] for c in COLUMNS.split(", ")) for r in rows], COLUMNS)
    return raw.transform(to_canonical(source, CONTRACT)).transform(with_standardised_fields(SETTINGS))
