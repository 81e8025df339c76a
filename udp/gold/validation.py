"""Running preflight on the gold tables (or on CSV folders), recording the results and rendering them.

Used by `udp run gold` (after the build), `udp validate` and `udp export` (the gate before writing files).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pyspark.sql import DataFrame

from udp.config import Config
from udp.gold.build import GOLD_PROPERTIES, with_column_comments
from udp.gold.preflight import Check, DatasetInput, checks_frame, errors, run_preflight, warnings
from udp.gold.schemas import DATASETS, TABLES, personalize_schema
from udp.gold.tables import PREFLIGHT, preflight_table
from udp.lake import Lake, LakeError
from udp.summary import Summary


def run_id(now: dt.datetime) -> str:
    """A run or snapshot id: the UTC time as `YYYYMMDDTHHMMSSZ`."""
    return now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class GoldSnapshot:
    """The gold Personalize tables at one version each: what preflight checks and export writes."""

    inputs: tuple[DatasetInput, ...]
    versions: Mapping[str, int]

    def frame(self, dataset: str) -> DataFrame:
        for item in self.inputs:
            if item.dataset == dataset and item.frame is not None:
                return item.frame
        raise KeyError(dataset)


def gold_snapshot(lake: Lake, config: Config) -> GoldSnapshot:
    """The gold datasets that exist, each read at its latest version with only its Personalize fields."""
    inputs = []
    versions = {}
    for dataset in DATASETS:
        table = TABLES[dataset]
        if not lake.exists(table):
            continue
        version = lake.version(table)
        df = lake.read(table, version=version)
        schema = personalize_schema(dataset, df.schema, config.gold)
        names = [f"`{f['name']}`" for f in schema["fields"]]
        inputs.append(DatasetInput(dataset, df.select(*names), schema, f"{table}@v{version}"))
        versions[dataset] = version
    if "interactions" not in versions:
        raise LakeError(
            f"table {TABLES['interactions']} does not exist at {lake.path(TABLES['interactions'])} "
            "(run `udp run gold` first)"
        )
    return GoldSnapshot(tuple(inputs), versions)


def check_and_record(
    lake: Lake,
    config: Config,
    inputs: Sequence[DatasetInput],
    *,
    now: dt.datetime,
    source: str,
    run: str,
    snapshot: str | None = None,
) -> list[Check]:
    """Preflight every input, write the results to gold.personalize_preflight (replacing this run's rows)."""
    checks = run_preflight(inputs, config.gold.preflight, now=now)
    locations = {i.dataset: i.location for i in inputs}
    rows = checks_frame(
        lake.spark, checks, run_id=run, source=source, locations=locations, checked_at=now, snapshot=snapshot
    )
    doc = preflight_table()
    rows = rows.transform(with_column_comments(doc.comments()))
    lake.replace_where(rows, PREFLIGHT, f"run_id = '{run}'", properties=GOLD_PROPERTIES)
    lake.register(PREFLIGHT)
    lake.document(PREFLIGHT, doc.comment, doc.comments())
    return checks


def add_report(summary: Summary, checks: Sequence[Check], *, verbose: bool = False) -> Summary:
    """The preflight outcome: counts, then every failed rule with its value, limit, message and a sample."""
    bad, warned = errors(checks), warnings(checks)
    outcome = "FAILED" if bad else "passed"
    summary.fact("preflight", f"{outcome}: {len(checks)} rules, {len(bad)} errors, {len(warned)} warnings")
    rows = [
        [c.dataset, c.rule, c.severity, "ok" if c.passed else "FAIL", _short(c.value, 24), _short(c.limit, 40)]
        for c in checks
        if verbose or not c.passed
    ]
    if rows:
        title = "preflight rules" if verbose else "preflight failures"
        summary.table(title, ["dataset", "rule", "severity", "result", "value", "limit"], rows)
    failed = [c for c in checks if not c.passed]
    if failed:
        lines = []
        for c in failed:
            lines.append(f"{c.dataset}.{c.rule} ({c.severity}): {c.message}")
            lines += [f"    e.g. {_short(s, 200)}" for s in c.samples[:2]]
        summary.text("what failed", "\n".join(lines))
    return summary


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
