"""Precision and recall estimated from people's labels, where no generator truth exists.

Precision: of the labelled pairs the model linked (decision `match` before any label), the share labelled yes.
Recall: of the pairs labelled yes, the share the model linked. Each figure comes with a Wilson 95 % score interval
and the number of labels behind it. The model's decision is the one silver recorded for the pair (a labelled pair
keeps it in its rule, `label no (model: match)`); a labelled pair with no link was not linked.

The figures describe the labelled pairs: review-band pairs are the hard ones, so recall from them is a lower bound
for the whole population; precision is representative only if the matches labelled are a random sample of them
(`udp review export --matches N`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from udp.silver import labels

Z_95 = 1.959964


@dataclass(frozen=True)
class Proportion:
    """`hits` of `n` labels, with its Wilson score interval (None without labels)."""

    hits: int
    n: int

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.hits, self.n) if self.n else None

    def render(self) -> str:
        if not self.n or self.value is None or self.interval is None:
            return "no labels"
        low, high = self.interval
        return f"{self.value:.3f} (95% CI {low:.3f}-{high:.3f}; {self.hits} of {self.n} labels)"


@dataclass(frozen=True)
class LabelEstimate:
    precision: Proportion
    recall: Proportion
    labels: int
    without_records: int


def wilson_interval(hits: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion `hits / n` (n > 0): sound near 0 and 1 and for small n."""
    if n <= 0 or not 0 <= hits <= n:
        raise ValueError(f"wilson_interval needs 0 <= hits <= n and n > 0, got {hits} of {n}")
    p = hits / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def label_outcomes(given: DataFrame, links: DataFrame, records: DataFrame) -> DataFrame:
    """(left_id, right_id, label, linked, present): each label with whether the model linked the pair and whether
    both of its records still exist."""
    decided = labels.model_decision(links)
    live = records.select("record_id")
    present = F.col("_l").isNotNull() & F.col("_r").isNotNull()
    return (
        given.select(*labels.PAIR_KEYS, "label")
        .join(decided, list(labels.PAIR_KEYS), "left")
        .join(live.select(F.col("record_id").alias("_l")), F.col("left_id") == F.col("_l"), "left")
        .join(live.select(F.col("record_id").alias("_r")), F.col("right_id") == F.col("_r"), "left")
        .select(
            *labels.PAIR_KEYS,
            "label",
            F.coalesce(F.col("model_decision") == "match", F.lit(False)).alias("linked"),
            present.alias("present"),
        )
    )


def estimate(counts: Mapping[tuple[str, bool], int], without_records: int = 0) -> LabelEstimate:
    """Precision and recall from label counts keyed by (label, linked by the model)."""
    yes_linked = counts.get((labels.YES, True), 0)
    no_linked = counts.get((labels.NO, True), 0)
    yes_missed = counts.get((labels.YES, False), 0)
    return LabelEstimate(
        precision=Proportion(yes_linked, yes_linked + no_linked),
        recall=Proportion(yes_linked, yes_linked + yes_missed),
        labels=sum(counts.values()),
        without_records=without_records,
    )


def estimate_from_labels(outcomes: DataFrame) -> LabelEstimate:
    """The estimate from `label_outcomes` rows; labels whose records are gone are counted, not used."""
    rows = outcomes.groupBy("label", "linked", "present").count().collect()
    counts: dict[tuple[str, bool], int] = {}
    gone = 0
    for r in rows:
        if r["present"]:
            key = (str(r["label"]), bool(r["linked"]))
            counts[key] = counts.get(key, 0) + int(r["count"])
        else:
            gone += int(r["count"])
    return estimate(counts, gone)
