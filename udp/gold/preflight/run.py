"""Running preflight: every rule on every dataset given, in dataset order, with samples of what failed.

Per dataset: the schema rules (no Spark), then — when the schema has the fields the data rules need — one
aggregation pass that measures every value and dataset rule at once, a small pass for event types and distinct
items, then one pass for referential integrity across datasets and one Spark job that fetches up to
`gold.preflight.samples` offending rows for every failed rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from udp.gold.csvformat import csv_line
from udp.gold.preflight.dataset_rules import Samplers, dataset_rules, event_types, interaction_items_cap, referential
from udp.gold.preflight.measure import Prepared, Rule, aggregate, prepare
from udp.gold.preflight.outcome import LIMITS, Check, DatasetInput, Limits
from udp.gold.preflight.schema_rules import check_schema
from udp.gold.preflight.value_rules import value_rules
from udp.gold.schemas import DATASETS
from udp.settings.gold import PreflightSettings


def run_preflight(
    inputs: Sequence[DatasetInput],
    settings: PreflightSettings,
    *,
    now: dt.datetime,
    limits: Limits = LIMITS,
) -> list[Check]:
    """Every rule on every dataset given (and referential integrity between them), in dataset order."""
    order = {d: i for i, d in enumerate(DATASETS)}
    checks: list[Check] = []
    samplers: Samplers = []
    prepared: dict[str, Prepared] = {}
    for item in sorted(inputs, key=lambda i: order[i.dataset]):
        checks += check_schema(item.dataset, item.schema, limits)
        checks += item.file_checks
        p = prepare(item)
        if p is None or not _schema_usable(checks, item.dataset):
            continue
        prepared[item.dataset] = p
        checks += _data_checks(p, settings, now, limits, samplers)
    checks += referential(prepared, samplers)
    return _with_samples(checks, samplers, settings.samples)


def _data_checks(
    p: Prepared, settings: PreflightSettings, now: dt.datetime, limits: Limits, samplers: Samplers
) -> list[Check]:
    """The value and dataset rules of one dataset, measured in one pass; failed rules' samplers go to `samplers`."""
    rules = value_rules(p, settings, now, limits)
    bytes_key = None
    if p.input.file_bytes is None:  # a table: the import's size is estimated from its CSV rendering
        bytes_key = "_bytes"
        line = F.octet_length(csv_line(p.fields)) + 1
        rules.append(Rule(bytes_key, lambda m: (True, "", "", ""), {bytes_key: line.cast("long")}))
    rules += dataset_rules(p, settings, limits, bytes_key)
    metrics = aggregate(p, rules)
    checks: list[Check] = []
    extra_checks: list[Check] = []
    if p.dataset == "interactions":
        extra_checks, extra = event_types(p, limits)
        metrics.update(extra)
        checks += interaction_items_cap(p, settings, limits, metrics)
    for rule in rules:
        if rule.rule.startswith("_"):
            continue
        passed, value, limit, message = rule.judge(metrics)
        checks.append(Check(p.dataset, rule.rule, passed, value, limit, message if not passed else "ok"))
        if not passed:
            if rule.samples is not None:
                samplers.append((p.dataset, rule.rule, rule.samples))
            elif rule.violation is not None:
                samplers.append((p.dataset, rule.rule, _where(p.frame, rule.violation, p.sample_row)))
    return checks + extra_checks


def _where(frame: DataFrame, violation: Column, sample: Column) -> Callable[[], DataFrame]:
    return lambda: frame.where(violation).select(sample)


def _schema_usable(checks: Sequence[Check], dataset: str) -> bool:
    """Data rules need the required fields; without them only the schema and file checks are reported."""
    return not any(
        c.dataset == dataset and c.failed_error and c.rule in ("schema_required_fields", "csv_header") for c in checks
    )


def _with_samples(checks: list[Check], samplers: Samplers, limit: int) -> list[Check]:
    """Fetch up to `limit` offending rows for every failed rule in one Spark job."""
    if not samplers or limit <= 0:
        return checks
    frames = [_sample_frame(make(), dataset, rule, limit) for dataset, rule, make in samplers]
    found: dict[tuple[str, str], list[str]] = {}
    for r in reduce(DataFrame.unionByName, frames).collect():
        found.setdefault((r["d"], r["r"]), []).append(str(r["s"]))
    out = []
    for c in checks:
        rows = found.get((c.dataset, c.rule))
        out.append(replace(c, samples=tuple(rows[:limit])) if rows and not c.passed else c)
    return out


def _sample_frame(frame: DataFrame, dataset: str, rule: str, limit: int) -> DataFrame:
    first = frame.columns[0]
    return frame.limit(limit).select(
        F.lit(dataset).alias("d"), F.lit(rule).alias("r"), F.col(f"`{first}`").cast("string").alias("s")
    )
