"""silver.items: the conformed product catalogue — the latest ERP version of every SKU, with category levels."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from udp.contracts import SourceContract
from udp.models import ITEM_FIELDS
from udp.silver.records import latest_versions

CATEGORY_SEPARATOR = r"\s*>\s*"


def to_items(bronze: DataFrame, contract: SourceContract) -> DataFrame:
    """Latest version per key, mapped by the contract onto the item model, with category_l1..l3 split out."""
    latest = latest_versions(bronze, contract.key, contract.event_time)
    mapped = latest.select(
        *[
            (F.expr(contract.mapping[name]) if name in contract.mapping else F.lit(None)).cast(dtype).alias(name)
            for name, dtype in ITEM_FIELDS.items()
        ],
        F.col("_ingested_at").alias("updated_at"),
    )
    levels = F.split(F.trim(F.col("category_path")), CATEGORY_SEPARATOR)
    return mapped.where(F.col("item_id").isNotNull()).select(
        "item_id",
        "name",
        "description",
        "brand",
        "category_path",
        F.get(levels, 0).alias("category_l1"),
        F.get(levels, 1).alias("category_l2"),
        F.get(levels, 2).alias("category_l3"),
        "price",
        "currency",
        "launched_at",
        "active",
        "updated_at",
    )
