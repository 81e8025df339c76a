"""gold.recipe_leaderboard: one row per trained solution version, so recipes can be compared on the same data.

Written with a MERGE on `solution_version_arn` (udp/lake.py), so re-running `apply` changes nothing. `compare`
reads it and names the best recipe per metric against the popularity-count baseline (AWS's advice: compare models
on the same data — rows are filtered to one snapshot, backend and dataset group).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from udp import tables
from udp.settings.metric_keys import METRIC_KEYS
from udp.settings.recipes import BASELINE
from udp.summary import format_table

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

    from udp.lake import Lake
    from udp.personalize.resources import VersionMetrics

LEADERBOARD = tables.RECIPE_LEADERBOARD
COMMENT = "One row per trained Personalize solution version: recipe, snapshot, Personalize's offline metrics"
SHORT = {
    "coverage": "coverage",
    "mean_reciprocal_rank_at_25": "mrr@25",
    "normalized_discounted_cumulative_gain_at_5": "ndcg@5",
    "normalized_discounted_cumulative_gain_at_10": "ndcg@10",
    "normalized_discounted_cumulative_gain_at_25": "ndcg@25",
    "precision_at_5": "p@5",
    "precision_at_10": "p@10",
    "precision_at_25": "p@25",
}


def schema() -> StructType:
    from pyspark.sql import types as T

    fields = [
        T.StructField("solution_version_arn", T.StringType(), False),
        T.StructField("backend", T.StringType(), False),
        T.StructField("dataset_group", T.StringType(), False),
        T.StructField("recipe", T.StringType(), False),
        T.StructField("solution", T.StringType(), False),
        T.StructField("solution_version", T.StringType(), False),
        T.StructField("snapshot", T.StringType(), False),
        *(T.StructField(key, T.DoubleType(), True) for key in METRIC_KEYS),
        T.StructField("extra_metrics_json", T.StringType(), True),
        T.StructField("trained_at", T.TimestampType(), True),
    ]
    return T.StructType(fields)


def leaderboard_rows(backend: str, dataset_group: str, versions: Sequence[VersionMetrics]) -> list[dict[str, Any]]:
    """The leaderboard rows of trained versions (metrics outside Personalize's standard set go to JSON)."""
    rows = []
    for v in versions:
        extra = {k: x for k, x in sorted(v.metrics.items()) if k not in METRIC_KEYS}
        rows.append(
            {
                "solution_version_arn": v.version_arn,
                "backend": backend,
                "dataset_group": dataset_group,
                "recipe": v.recipe,
                "solution": v.solution,
                "solution_version": v.version_name,
                "snapshot": v.snapshot,
                **{key: v.metrics.get(key) for key in METRIC_KEYS},
                "extra_metrics_json": json.dumps(extra, sort_keys=True) if extra else None,
                "trained_at": v.trained_at.astimezone(dt.UTC) if v.trained_at else None,
            }
        )
    return rows


def write_leaderboard(lake: Lake, rows: Sequence[Mapping[str, Any]]) -> None:
    """MERGE the rows into gold.recipe_leaderboard on solution_version_arn and register the table."""
    if not rows:
        return
    frame = lake.spark.createDataFrame([dict(r) for r in rows], schema())
    lake.merge(frame, LEADERBOARD)
    lake.register(LEADERBOARD, COMMENT)


def read_leaderboard(lake: Lake) -> list[dict[str, Any]]:
    """Every row of the leaderboard (a small table), or [] before the first apply."""
    if not lake.exists(LEADERBOARD):
        return []
    return [r.asDict() for r in lake.read(LEADERBOARD).collect()]


@dataclass(frozen=True)
class Best:
    metric: str
    recipe: str
    solution: str
    value: float
    baseline: float | None

    @property
    def lift(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return (self.value - self.baseline) / self.baseline


def select_rows(
    rows: Sequence[Mapping[str, Any]], *, backend: str, dataset_group: str, snapshot: str = ""
) -> tuple[str, list[Mapping[str, Any]]]:
    """The rows of one snapshot (default: the newest trained) for one backend and dataset group."""
    mine = [r for r in rows if r["backend"] == backend and r["dataset_group"] == dataset_group]
    if not snapshot and mine:
        newest = max(mine, key=lambda r: (r.get("trained_at") or dt.datetime.min, r["snapshot"]))
        snapshot = str(newest["snapshot"])
    return snapshot, [r for r in mine if r["snapshot"] == snapshot]


def best_per_metric(rows: Sequence[Mapping[str, Any]]) -> list[Best]:
    """For each metric: the best solution, and the popularity-count baseline's value (None without one)."""
    out = []
    for metric in METRIC_KEYS:
        scored = [r for r in rows if r.get(metric) is not None]
        if not scored:
            continue
        best = max(scored, key=lambda r: (float(r[metric]), r["solution"]))
        baselines = [float(r[metric]) for r in scored if r["recipe"] == BASELINE]
        out.append(Best(metric, best["recipe"], best["solution"], float(best[metric]), max(baselines, default=None)))
    return out


def compare_report(rows: Sequence[Mapping[str, Any]], snapshot: str, backend: str, dataset_group: str) -> str:
    """The leaderboard of one snapshot and the best recipe per metric against the baseline, as text."""
    if not rows:
        return f"no trained solution versions in {LEADERBOARD} for {backend}/{dataset_group} (run apply first)"
    ordered = sorted(rows, key=lambda r: -(r.get("normalized_discounted_cumulative_gain_at_10") or 0.0))
    table = format_table(
        ["recipe", "solution", *(SHORT[k] for k in METRIC_KEYS)],
        [[r["recipe"], r["solution"], *(r.get(k) for k in METRIC_KEYS)] for r in ordered],
    )
    best = []
    for b in best_per_metric(rows):
        lift = "" if b.lift is None else f"{b.lift:+.0%}"
        best.append([b.metric, b.recipe, b.value, b.baseline, lift])
    verdict = format_table(["metric", "best recipe", "value", BASELINE, "vs baseline"], best)
    note = "" if any(r["recipe"] == BASELINE for r in rows) else f"\n(no {BASELINE} solution: add one as the baseline)"
    head = f"recipe leaderboard: snapshot {snapshot}, backend {backend}, dataset group {dataset_group}"
    return f"{head}\n{table}\n\nbest recipe per metric\n{verdict}{note}"


def trend_report(rows: Sequence[Mapping[str, Any]], metric: str, *, last: int = 8) -> str:
    """Each solution's `metric` per snapshot (the last `last` snapshots), oldest first: how retraining moved it. A
    snapshot that kept an earlier version, or did not train the solution, shows no figure."""
    snapshots = sorted({str(r["snapshot"]) for r in rows})[-last:]
    if len(snapshots) < 2:
        return ""
    values: dict[str, dict[str, float]] = {}
    for r in rows:
        if str(r["snapshot"]) in snapshots and r.get(metric) is not None:
            values.setdefault(str(r["solution"]), {})[str(r["snapshot"])] = float(r[metric])
    table = format_table(
        ["solution", *snapshots], [[name, *(by.get(s) for s in snapshots)] for name, by in sorted(values.items())]
    )
    return f"{SHORT.get(metric, metric)} per snapshot (the trend)\n{table}"
