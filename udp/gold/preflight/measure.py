"""How data rules are measured: a dataset prepared for checking, a rule's metrics summed in one aggregation pass over
it, and how the rule judges them.

Spark work per dataset is one aggregation pass that computes every rule's metrics at once (interactions: grouped by
(USER_ID, ITEM_ID, TIMESTAMP), then by USER_ID, then overall, which also yields duplicates and interactions per user;
items and users: grouped by their id).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from udp.gold.preflight.outcome import DatasetInput
from udp.gold.preflight.schema_rules import AVRO_PRIMITIVES
from udp.gold.schemas import ID_FIELDS, Field, parse_fields

Judgement = tuple[bool, str, str, str]  # passed, value, limit, message


@dataclass
class Rule:
    """A data rule: metrics for the aggregation pass, how to judge them, and where its offending rows are."""

    rule: str
    judge: Callable[[Mapping[str, Any]], Judgement]
    metrics: dict[str, Column] = field(default_factory=dict)  # name -> per-row count (0/1 or a number), summed
    violation: Column | None = None
    samples: Callable[[], DataFrame] | None = None


def count(cond: Column) -> Column:
    """1 where `cond` holds, else 0: a metric that sums to the number of rows matching it."""
    return F.when(cond, 1).otherwise(0).cast("long")


def metric(metrics: Mapping[str, Any], key: str) -> int:
    """A summed metric (0 when absent or null)."""
    return int(metrics.get(key) or 0)


@dataclass
class Prepared:
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

    @property
    def malformed(self) -> bool:
        """True for CSV input, whose `_corrupt` column marks lines that did not split into the header's fields."""
        return "_corrupt" in self.frame.columns

    def ok_row(self) -> Column:
        """True for rows that are not malformed lines."""
        return F.col("_corrupt").isNull() if self.malformed else F.lit(True)

    def rows(self) -> DataFrame:
        """The frame without malformed lines."""
        return self.frame.where(self.ok_row()) if self.malformed else self.frame


def prepare(item: DatasetInput) -> Prepared | None:
    """The dataset with its schema's fields typed (CSV text cast with try_cast, its raw text kept as `_raw_<field>`),
    or None when it has no usable field."""
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
    return Prepared(item, frame, fields, sample)


def aggregate(p: Prepared, rules: Sequence[Rule]) -> dict[str, Any]:
    """One pass: every rule's metrics, plus rows, users with >= 2 interactions, duplicates and distinct ids."""
    metrics = {k: v for r in rules for k, v in r.metrics.items()}
    frame = p.frame.select("*", *[expr.alias(key) for key, expr in metrics.items()])

    def up() -> list[Column]:
        return [F.sum(F.col(f"`{key}`")).alias(key) for key in metrics]

    one = F.count(F.lit(1)).alias("_n")
    if p.dataset == "interactions" and p.has("USER_ID", "ITEM_ID", "TIMESTAMP"):
        keyed = frame.withColumn("_ok", p.ok_row().cast("int"))
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
