"""Typed settings of the gold layer (conf/gold.yaml): what goes into each Personalize dataset, layout, preflight,
export.

Which silver column feeds which Personalize field is configuration; PII never is. A field that maps a PII column
(names, email, phone, address, postcode, date of birth itself, ...) into a Personalize dataset is a `ConfigError`
naming the key. The only way a PII column may feed a dataset is through a generalising derivation (`age_band` of
`date_of_birth`), which yields a coarse, non-identifying value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from udp.errors import ConfigError
from udp.models import PII_FIELDS

FieldType = Literal["categorical", "textual", "float", "double", "int", "long", "boolean"]
Derivation = Literal["none", "age_band", "epoch_seconds"]

# Derivations that turn a PII value into a coarse, non-identifying one.
GENERALISING: frozenset[str] = frozenset({"age_band"})

# The customer model's PII (udp/models.py); conf/gold.yaml `pii_columns` adds to it and can never remove from it.
DEFAULT_PII_COLUMNS = PII_FIELDS


@dataclass(frozen=True)
class FieldSpec:
    """One Personalize field: the silver column it comes from, its Personalize type, an optional derivation.

    `categorical` and `textual` are strings with Personalize's flag; the others are numeric (or boolean, which
    Personalize ignores). `required` fields are non-null in the Avro schema; the others are `["null", type]` unions.
    """

    column: str
    type: FieldType = "categorical"
    derive: Derivation = "none"
    required: bool = False
    comment: str = ""


@dataclass(frozen=True)
class EventValueSettings:
    """EVENT_VALUE: `column` of silver.touchpoints for the listed (silver) event types, null for the others."""

    column: str = ""
    event_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class InteractionsSettings:
    """gold.personalize_interactions from silver.touchpoints."""

    event_types: Mapping[str, str] = field(default_factory=dict)
    event_value: EventValueSettings = field(default_factory=EventValueSettings)
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)
    partition: Literal["day", "month"] = "month"
    zorder_by: tuple[str, ...] = ("ITEM_ID", "USER_ID")


@dataclass(frozen=True)
class ItemsSettings:
    """gold.personalize_items from silver.items."""

    fields: Mapping[str, FieldSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class UsersSettings:
    """gold.personalize_users from silver.customers."""

    fields: Mapping[str, FieldSpec] = field(default_factory=dict)
    age_bands: tuple[int, ...] = (18, 25, 35, 45, 55, 65)


@dataclass(frozen=True)
class Customer360Settings:
    """gold.customer_360: golden record + lifetime figures + touches per channel."""

    channels: tuple[str, ...] = ("web", "app", "online", "store", "support")
    purchase_event_types: tuple[str, ...] = ("purchase",)
    include_pii: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreflightSettings:
    """How the datasets will be used, which decides some limits (see udp/gold/preflight/)."""

    recipe: str = "aws-user-personalization-v2"
    import_mode: Literal["FULL", "INCREMENTAL"] = "FULL"
    training_event_types: tuple[str, ...] = ()
    event_value_threshold: float | None = None
    min_timestamp: str = "2000-01-01"
    max_future_days: int = 1
    samples: int = 5


@dataclass(frozen=True)
class ExportSettings:
    """udp export: CSV files per dataset of at most `max_file_mb`, schema names `<prefix>-<dataset>-<hash>`."""

    max_file_mb: int = 256
    schema_name_prefix: str = "udp"
    # true: interactions are written as the rows added since the previous snapshot (an INCREMENTAL import) when every
    # row of that snapshot is still there; otherwise, and always for items and users, the whole dataset (FULL)
    incremental: bool = False


@dataclass(frozen=True)
class GoldSettings:
    """The gold layer's configuration (`gold:` in conf/gold.yaml)."""

    interactions: InteractionsSettings = field(default_factory=InteractionsSettings)
    items: ItemsSettings = field(default_factory=ItemsSettings)
    users: UsersSettings = field(default_factory=UsersSettings)
    customer_360: Customer360Settings = field(default_factory=Customer360Settings)
    preflight: PreflightSettings = field(default_factory=PreflightSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    pii_columns: tuple[str, ...] = ()

    @property
    def pii(self) -> tuple[str, ...]:
        """Every PII column: the model's own (national_id, names, ...) and any this configuration adds."""
        return (*DEFAULT_PII_COLUMNS, *[c for c in self.pii_columns if c.lower() not in DEFAULT_PII_COLUMNS])

    def __post_init__(self) -> None:
        pii = {c.lower() for c in self.pii}
        datasets = {"interactions": self.interactions.fields, "items": self.items.fields, "users": self.users.fields}
        for dataset, fields in datasets.items():
            for name, spec in fields.items():
                key = f"gold.{dataset}.fields.{name}"
                if spec.column.lower() in pii and spec.derive not in GENERALISING:
                    raise ConfigError(
                        f"key '{key}' maps PII column '{spec.column}' into the Personalize {dataset} dataset; "
                        "PII never goes to Personalize (remove the key, or use a generalising derivation such as "
                        "derive: age_band for date_of_birth)"
                    )
                _check_derivation(key, spec)
        value = self.interactions.event_value
        if value.column.lower() in pii:
            raise ConfigError(f"key 'gold.interactions.event_value.column' maps PII column '{value.column}'")
        for name in self.customer_360.include_pii:
            if name.lower() not in pii:
                raise ConfigError(
                    f"key 'gold.customer_360.include_pii' lists {name!r}, which is not a PII column "
                    f"(PII columns: {', '.join(self.pii)})"
                )
        if self.export.max_file_mb <= 0:
            raise ConfigError("key 'gold.export.max_file_mb' must be a positive number of megabytes")


def _check_derivation(key: str, spec: FieldSpec) -> None:
    if spec.derive == "age_band" and spec.type != "categorical":
        raise ConfigError(f"key '{key}': derive: age_band yields a categorical field (set type: categorical)")
    if spec.derive == "epoch_seconds" and spec.type != "long":
        raise ConfigError(f"key '{key}': derive: epoch_seconds yields a long field (set type: long)")
