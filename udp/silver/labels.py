"""Human labels on record pairs (silver.match_labels) and how silver honours them.

A person labels a pair `yes` (same customer) or `no` (different customers) in a file written by `udp review
export`; `udp review apply` records the labels. On every silver run each labelled pair is scored again with the model
and then decided by its label: `yes` always links (decision `match`), `no` never links (decision `rejected`, which
keeps the pair and its evidence in silver.customer_links so `udp explain` shows it). The rule says why and what the
model alone would have decided: `label no (model: match)`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from udp import tables
from udp.errors import InputPathError, UdpError

Transform = Callable[[DataFrame], DataFrame]

LABELS = tables.MATCH_LABELS
LABELS_SCHEMA = "left_id STRING, right_id STRING, label STRING, labelled_at TIMESTAMP, source_file STRING"
LABELS_COMMENT = "People's verdicts on record pairs (udp review apply): one row per pair, the latest label wins"
# column -> comment; types in LABELS_SCHEMA. The Delta column comments and docs/tables.md (`udp docs`) use these.
LABELS_COLUMNS = {
    "left_id": "The pair's first record (silver.customer_records.record_id; canonical order, left_id < right_id)",
    "right_id": "The pair's second record (silver.customer_records.record_id)",
    "label": "yes: the same customer, always linked; no: different customers, never linked",
    "labelled_at": "When the label was applied (UTC)",
    "source_file": "The labelled file it was applied from",
}
PAIR_KEYS = tables.keys(LABELS)
YES, NO = "yes", "no"
REJECTED = "rejected"
# The rule of a labelled pair: `label <yes|no> (model: <decision>)`.
RULE_PREFIX = "label "
MODEL_DECISION = r"\(model: (\w+)\)"


class LabelError(UdpError):
    """A labelled file cannot be read: a missing column, a bad label value, a pair labelled twice differently."""


@dataclass(frozen=True)
class Label:
    """One labelled pair, its ids in canonical order (left_id < right_id, as silver.customer_links keeps them)."""

    left_id: str
    right_id: str
    label: str


def canonical(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def parse_labels(rows: Iterable[Mapping[str, object]], where: str, first: int = 2, unit: str = "row") -> list[Label]:
    """Labels from the rows of a labelled export (dicts with left_id, right_id, label); blank labels are skipped.

    `where` names the file in errors; rows are numbered from `first` (2 in a CSV: the header is row 1)."""
    found: dict[tuple[str, str], tuple[str, int]] = {}
    for number, row in enumerate(rows, start=first):
        value = str(row.get("label") or "").strip().lower()
        if not value:
            continue
        if value not in (YES, NO):
            raise LabelError(
                f"{where} {unit} {number}: label {row.get('label')!r} is not yes or no (leave it blank to skip it)"
            )
        left, right = (str(row.get(k) or "").strip() for k in PAIR_KEYS)
        if not left or not right or left == right:
            raise LabelError(f"{where} {unit} {number}: left_id and right_id must name two different records")
        pair = canonical(left, right)
        if pair in found and found[pair][0] != value:
            raise LabelError(
                f"{where} {unit} {number}: pair {pair[0]} ~ {pair[1]} is labelled {value}, but {found[pair][0]} "
                f"in {unit} {found[pair][1]}"
            )
        found[pair] = (value, number)
    return [Label(left, right, value) for (left, right), (value, _) in found.items()]


def read_label_file(path: str) -> list[Label]:
    """The labels of a CSV or JSON file written by `udp review export` (format by extension: .json, else CSV)."""
    file = Path(path)
    if not file.is_file():
        raise InputPathError(f"labelled file not found: {path}")
    with file.open(newline="", encoding="utf-8-sig") as handle:  # -sig: spreadsheets save CSV with a BOM
        if file.suffix.lower() == ".json":
            try:
                rows = json.load(handle)
            except json.JSONDecodeError as error:
                raise LabelError(f"{path}: not valid JSON ({error})") from None
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise LabelError(f"{path}: expected a JSON array of objects, as `udp review export` writes")
            return parse_labels(rows, path, first=1, unit="item")
        reader = csv.DictReader(handle)
        missing = [c for c in (*PAIR_KEYS, "label") if c not in (reader.fieldnames or [])]
        if missing:
            raise LabelError(
                f"{path}: column(s) {', '.join(missing)} missing; expected the file `udp review export` wrote"
            )
        return parse_labels(reader, path)


def label_frame(spark: SparkSession, labels: Iterable[Label], source_file: str, now: dt.datetime) -> DataFrame:
    """Rows for silver.match_labels, all labelled `now` from `source_file`."""
    at = now.astimezone(dt.UTC).replace(tzinfo=None)
    rows = [(x.left_id, x.right_id, x.label, at, source_file) for x in labels]
    return spark.createDataFrame(rows, LABELS_SCHEMA)


def changed_labels(existing: DataFrame | None) -> Transform:
    """Only the labels that are new or differ (label or source file) from `existing`: re-applying a file is a no-op,
    and a later label for a pair replaces the earlier one."""

    def transform(fresh: DataFrame) -> DataFrame:
        if existing is None:
            return fresh
        return fresh.join(
            existing.select(*PAIR_KEYS, "label", "source_file"), [*PAIR_KEYS, "label", "source_file"], "left_anti"
        )

    return transform


def labelled_pairs(labels: DataFrame, records: DataFrame) -> DataFrame:
    """Candidate pairs (left_id, right_id, rule, rule_bits) for every labelled pair whose two records still exist, so
    each is scored and decided on every run, whether or not its records changed; no blocking rule found them."""
    live = records.select("record_id")
    pairs = labels.select(*PAIR_KEYS, F.lit("label").alias("rule"), F.lit(0).cast("bigint").alias("rule_bits"))
    for side in PAIR_KEYS:
        pairs = pairs.join(live.withColumnRenamed("record_id", side), side, "left_semi")
    return pairs


def with_labelled_pairs(labelled: DataFrame) -> Transform:
    """Candidate pairs plus the labelled pairs blocking did not produce (one row per pair)."""

    def transform(pairs: DataFrame) -> DataFrame:
        return pairs.unionByName(labelled.join(pairs.select(*PAIR_KEYS), list(PAIR_KEYS), "left_anti"))

    return transform


def with_labels(labels: DataFrame) -> Transform:
    """Decided pairs with labels applied: `yes` -> match, `no` -> rejected; the rule says the label and what the
    model alone decided, e.g. `label no (model: match)`."""

    def transform(pairs: DataFrame) -> DataFrame:
        given = F.broadcast(labels.select(*PAIR_KEYS, F.col("label").alias("_label")))
        joined = pairs.join(given, list(PAIR_KEYS), "left")
        label = F.col("_label")
        decision = F.when(label == YES, F.lit("match")).when(label == NO, F.lit(REJECTED)).otherwise(F.col("decision"))
        rule = F.when(
            label.isNotNull(), F.format_string(f"{RULE_PREFIX}%s (model: %s)", label, F.col("decision"))
        ).otherwise(F.col("rule"))
        return joined.withColumns({"decision": decision, "rule": rule}).drop("_label")

    return transform


def honoured(links: DataFrame) -> DataFrame:
    """(label, count): the links decided by a label this run, by label (labels whose records are gone do not count)."""
    labelled = links.where(F.col("rule").startswith(RULE_PREFIX))
    return labelled.groupBy(F.split(F.col("rule"), " ")[1].alias("label")).count()


def model_decision(links: DataFrame) -> DataFrame:
    """(left_id, right_id, model_decision): what the model alone decided for each link, labelled or not."""
    from_rule = F.regexp_extract(F.col("rule"), MODEL_DECISION, 1)
    decided = F.when(F.col("rule").startswith(RULE_PREFIX), from_rule).otherwise(F.col("decision"))
    return links.select(*PAIR_KEYS, decided.alias("model_decision"))


def contradicted(labels: DataFrame, xref: DataFrame) -> DataFrame:
    """Pairs labelled `no` whose records still ended in one customer, through a chain of other links:
    (left_id, right_id, customer_id)."""
    ids = xref.select("record_id", "customer_id")
    left = ids.select(F.col("record_id").alias("left_id"), "customer_id")
    right = ids.select(F.col("record_id").alias("right_id"), F.col("customer_id").alias("_other"))
    return (
        labels.where(F.col("label") == NO)
        .join(left, "left_id")
        .join(right, "right_id")
        .where(F.col("customer_id") == F.col("_other"))
        .select(*PAIR_KEYS, "customer_id")
    )
