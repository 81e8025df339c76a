"""What preflight checks against and what it reports: Personalize's limits, one `Check` per rule per dataset, and
the input it is given (`DatasetInput`: a gold table or a folder of CSV files, with its Avro schema)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from udp.gold.preflight.catalogue import Severity, severity

V2_RECIPES = ("aws-user-personalization-v2", "aws-personalized-ranking-v2")


@dataclass(frozen=True)
class Limits:
    """Personalize's documented limits (docs/gold.md, from the Amazon Personalize developer guide's "Service quotas"
    and "Preparing training data" pages). Tests may shrink the huge ones."""

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

    def items_cap(self, recipe: str) -> int:
        """How many items `recipe` considers."""
        return self.max_items_v2 if recipe in V2_RECIPES else self.max_items


LIMITS = Limits()


@dataclass(frozen=True)
class Check:
    """The outcome of one rule on one dataset."""

    dataset: str
    rule: str
    passed: bool
    value: str
    limit: str
    message: str
    samples: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity:
        """The rule's severity on this dataset, from the catalogue (udp/gold/preflight/catalogue.py)."""
        return severity(self.rule, self.dataset)

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


def errors(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if c.failed_error]


def warnings(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if not c.passed and c.severity == "warning"]


def failure_line(checks: Sequence[Check]) -> str:
    """One line naming every failed error rule, for `udp: error: ...`."""
    bad = errors(checks)
    names = ", ".join(f"{c.dataset}.{c.rule}" for c in bad[:8]) + (" ..." if len(bad) > 8 else "")
    return f"preflight failed: {len(bad)} error(s): {names}"


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
