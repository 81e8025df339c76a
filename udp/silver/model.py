"""Fellegi-Sunter match weights: u from random record pairs, m (and the match prior) by EM on candidate pairs.

For a comparison at level k: weight_k = log2(m_k / u_k), where m_k = P(level k | same person) and u_k = P(level k |
different people). A pair's match weight is log2(prior / (1 - prior)) + the sum of its comparisons' weights (a null
comparison adds 0), and its probability is 2^w / (1 + 2^w). Exact agreement on a name is adjusted by how common the
name is (term frequency): 'Søndergaard' counts for more than 'Smith'.

EM runs on the histogram of comparison vectors: candidate pairs counted by (the blocking rules that found them,
comparison levels), collected to the driver. Its size is the number of distinct such patterns, not of pairs — cheap
at any data size. The trained model is a small table (silver.match_model) so later runs score with the same weights
and clusters that new data does not touch stay exactly as they were.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from udp.silver.compare import MISSING, NULL, Comparison, with_comparison_levels

EPSILON = 1e-6


@dataclass(frozen=True)
class Model:
    """m and u per comparison level (index = level, the last being `else`), and the prior match probability."""

    prior: float
    m: Mapping[str, tuple[float, ...]]
    u: Mapping[str, tuple[float, ...]]
    labels: Mapping[str, tuple[str, ...]]
    iterations: int = 0

    def weight(self, comparison: str, level: int) -> float:
        return math.log2(max(self.m[comparison][level], EPSILON) / max(self.u[comparison][level], EPSILON))

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def to_rows(self, version: str) -> list[tuple[str, str, int, str, float, float, float]]:
        """Rows of silver.match_model: (version, comparison, level, label, m, u, weight); the prior is level -1."""
        rows = [(version, "_prior", -1, "prior", self.prior, 1 - self.prior, self.prior_weight)]
        for name, labels in self.labels.items():
            for i, label in enumerate(labels):
                rows.append((version, name, i, label, self.m[name][i], self.u[name][i], self.weight(name, i)))
        return rows

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, object]]) -> Model:
        prior = 0.0
        m: dict[str, list[float]] = {}
        u: dict[str, list[float]] = {}
        labels: dict[str, list[str]] = {}
        for r in sorted(rows, key=lambda r: (str(r["comparison"]), int(str(r["level"])))):
            name = str(r["comparison"])
            if name == "_prior":
                prior = float(str(r["m"]))
            else:
                m.setdefault(name, []).append(float(str(r["m"])))
                u.setdefault(name, []).append(float(str(r["u"])))
                labels.setdefault(name, []).append(str(r["label"]))
        return cls(
            prior,
            {k: tuple(v) for k, v in m.items()},
            {k: tuple(v) for k, v in u.items()},
            {k: tuple(v) for k, v in labels.items()},
        )


MODEL_SCHEMA = "version STRING, comparison STRING, level INT, label STRING, m DOUBLE, u DOUBLE, weight DOUBLE"


def prefixed(records: DataFrame, side: str) -> DataFrame:
    return records.select([F.col(c).alias(f"{side}_{c}") for c in records.columns])


def estimate_u(
    records: DataFrame, total: int, comparisons: Sequence[Comparison], pairs: int, seed: int
) -> dict[str, tuple[float, ...]]:
    """u per level from about `pairs` random pairs of the `total` records (two independent samples, crossed; same
    record excluded).

    Random pairs are almost all different people, so their level frequencies estimate u. Counts are smoothed
    (+1) so no level has u = 0. The samples are chosen by a hash of the record id, not by `DataFrame.sample`, whose
    draw depends on how the records are partitioned: the same records give the same u on a laptop and on a cluster.
    """
    side = max(2, min(total, math.ceil(math.sqrt(pairs))))
    fraction = min(1.0, side / max(total, 1))
    left = prefixed(records.where(_sampled(fraction, seed)), "l")
    right = prefixed(records.where(_sampled(fraction, seed + 1)), "r")
    crossed = left.crossJoin(right).where(F.col("l_record_id") != F.col("r_record_id"))
    levels = crossed.transform(with_comparison_levels(tuple(comparisons)))
    counts = _level_counts(levels, comparisons)
    return {c.name: _smoothed(counts.get(c.name, {}), len(c.labels)) for c in comparisons}


def _sampled(fraction: float, seed: int) -> Column:
    """True for about `fraction` of records, decided by their id alone (independent of partitioning and order)."""
    buckets = 1 << 20
    return F.pmod(F.xxhash64(F.col("record_id"), F.lit(seed)), F.lit(buckets)) < F.lit(math.ceil(fraction * buckets))


def _level_counts(levels: DataFrame, comparisons: Sequence[Comparison]) -> dict[str, dict[int, int]]:
    """Counts of each (comparison, level) in one aggregation."""
    stacked = levels.select(
        F.explode(
            F.array(*[F.struct(F.lit(c.name).alias("name"), F.col(f"c_{c.name}").alias("level")) for c in comparisons])
        ).alias("x")
    ).select("x.name", "x.level")
    out: dict[str, dict[int, int]] = {}
    for r in stacked.groupBy("name", "level").count().collect():
        out.setdefault(r["name"], {})[int(r["level"])] = int(r["count"])
    return out


def _smoothed(counts: Mapping[int, int], n_levels: int) -> tuple[float, ...]:
    values = [counts.get(i, 0) + 1 for i in range(n_levels)]
    total = sum(values)
    return tuple(v / total for v in values)


def pattern_counts(levels: DataFrame, comparisons: Sequence[Comparison]) -> list[tuple[int, tuple[int, ...], int]]:
    """(rule_bits, comparison vector, pairs) for every distinct pair of them among the candidate pairs: one
    aggregation serves the histogram of every training rule and of all candidate pairs (`histogram`)."""
    columns = [f"c_{c.name}" for c in comparisons]
    rows = levels.groupBy("rule_bits", *columns).count().collect()
    return [(int(r["rule_bits"]), tuple(int(r[c]) for c in columns), int(r["count"])) for r in rows]


def histogram(
    counts: Sequence[tuple[int, tuple[int, ...], int]], rule: int | None = None
) -> list[tuple[tuple[int, ...], int]]:
    """Distinct comparison vectors and how many pairs have each, from `pattern_counts`: over the pairs blocking rule
    number `rule` found (bit `rule` of their rule bits), or over all candidate pairs; sorted by vector.

    Sorted because EM sums over the histogram in its order: a shuffle returns groups in an order that varies from run
    to run, and floating-point sums in another order give another model in the last bits.
    """
    pairs: Counter[tuple[int, ...]] = Counter()
    for bits, vector, n in counts:
        if rule is None or bits >> rule & 1:
            pairs[vector] += n
    return sorted(pairs.items())


def initial_m(n_levels: int) -> tuple[float, ...]:
    """A starting point for EM: most matches agree exactly, few disagree."""
    raw = [0.9 * (0.35**i) for i in range(n_levels - 1)] + [0.02]
    total = sum(raw)
    return tuple(v / total for v in raw)


def train_m(
    histogram: Sequence[tuple[tuple[int, ...], int]],
    comparisons: Sequence[Comparison],
    u: Mapping[str, tuple[float, ...]],
    *,
    prior: float = 0.1,
    max_iterations: int = 40,
    tolerance: float = 1e-5,
    fixed_m: Mapping[str, Mapping[str, float]] | None = None,
    ignore: frozenset[str] = frozenset(),
) -> tuple[dict[str, tuple[float, ...]], float, int]:
    """Expectation-maximisation of m and the in-sample match share with u fixed; returns (m, share, iterations).

    Comparisons in `ignore` are left out (their levels count as null): pairs found by a blocking rule agree on the
    rule's fields by construction, so those fields say nothing about matching within that sample.
    """
    names = [c.name for c in comparisons]
    if ignore:
        keep = [i for i, n in enumerate(names) if n not in ignore]
        histogram = [(tuple(v if i in keep else NULL for i, v in enumerate(vec)), n) for vec, n in histogram]
    m = {c.name: initial_m(len(c.labels)) for c in comparisons}
    fixed = fixed_levels(comparisons, fixed_m or {})
    for name, values in fixed.items():
        m[name] = values
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - the count is returned
        sums = {n: [0.0] * len(m[n]) for n in names}
        matched = 0.0
        total = 0.0
        for vector, count in histogram:
            p_m, p_u = prior, 1 - prior
            for name, level in zip(names, vector, strict=True):
                if level == NULL:
                    continue
                p_m *= m[name][level]
                p_u *= u[name][level]
            g = p_m / (p_m + p_u) if p_m + p_u > 0 else 0.0
            matched += g * count
            total += count
            for name, level in zip(names, vector, strict=True):
                if level != NULL:
                    sums[name][level] += g * count
        new_prior = min(max(matched / total, EPSILON), 1 - EPSILON) if total else prior
        new_m = {}
        for name in names:
            if name in fixed or name in ignore:
                new_m[name] = m[name]
                continue
            s = [v + EPSILON for v in sums[name]]
            new_m[name] = tuple(v / sum(s) for v in s)
        change = max(abs(a - b) for n in names for a, b in zip(m[n], new_m[n], strict=True))
        change = max(change, abs(new_prior - prior))
        m, prior = new_m, new_prior
        if change < tolerance:
            break
    return m, prior, iterations


def train_by_blocking_rules(
    histograms: Mapping[str, Sequence[tuple[tuple[int, ...], int]]],
    ignored: Mapping[str, frozenset[str]],
    comparisons: Sequence[Comparison],
    u: Mapping[str, tuple[float, ...]],
    *,
    max_iterations: int,
    tolerance: float,
    fixed_m: Mapping[str, Mapping[str, float]] | None = None,
) -> tuple[dict[str, tuple[float, ...]], int]:
    """m per comparison: EM on each training rule's pairs (its own fields left out), averaged over the rules that
    could estimate it. Returns (m, total iterations)."""
    estimates: dict[str, list[tuple[float, ...]]] = {}
    total = 0
    for rule, histogram in histograms.items():
        if not histogram:
            continue
        m, _share, iterations = train_m(
            histogram,
            comparisons,
            u,
            prior=0.5,
            max_iterations=max_iterations,
            tolerance=tolerance,
            fixed_m=fixed_m,
            ignore=ignored[rule],
        )
        total += iterations
        for c in comparisons:
            if c.name not in ignored[rule]:
                estimates.setdefault(c.name, []).append(m[c.name])
    out = {}
    for c in comparisons:
        values = estimates.get(c.name) or [initial_m(len(c.labels))]
        averaged = [sum(v[i] for v in values) / len(values) for i in range(len(c.labels))]
        out[c.name] = tuple(averaged)
    return out, total


def estimate_prior(
    histogram: Sequence[tuple[tuple[int, ...], int]],
    comparisons: Sequence[Comparison],
    m: Mapping[str, tuple[float, ...]],
    u: Mapping[str, tuple[float, ...]],
    records: int,
    *,
    max_iterations: int = 200,
    tolerance: float = 1e-7,
) -> float:
    """P(two random records match): EM of the match share among the candidate pairs with m and u fixed, times the
    candidate pairs, over all possible pairs (floor: one match among them).

    Needs no particular field: whatever comparisons a source mix has, their fitted m and u say how many of the
    candidate pairs are matches. Matches that blocking never proposes are not counted, so this slightly
    underestimates the prior, the safe direction for precision.
    """
    possible = records * (records - 1) / 2
    if possible <= 0:
        return 0.5
    names = [c.name for c in comparisons]
    ratios = []
    total = 0
    for vector, count in histogram:
        p_m, p_u = 1.0, 1.0
        for name, level in zip(names, vector, strict=True):
            if level != NULL:
                p_m *= max(m[name][level], EPSILON)
                p_u *= max(u[name][level], EPSILON)
        ratios.append((p_m / p_u, count))
        total += count
    if not total:
        return min(max(1 / possible, EPSILON), 0.5)
    share = 0.5
    for _ in range(max_iterations):
        odds = share / (1 - share)
        new = sum(count * (odds * r) / (1 + odds * r) for r, count in ratios) / total
        new = min(max(new, 1e-12), 1 - 1e-12)
        done = abs(new - share) < tolerance
        share = new
        if done:
            break
    return min(max(share * total / possible, 1 / possible), 1 - EPSILON)


def fixed_levels(
    comparisons: Sequence[Comparison], fixed: Mapping[str, Mapping[str, float]]
) -> dict[str, tuple[float, ...]]:
    """Per comparison named in `fixed` (matching.training.fixed_m / fixed_u: comparison -> level -> probability), its
    probabilities in level order; a level not named gets EPSILON."""
    out = {}
    for c in comparisons:
        if c.name in fixed:
            values = fixed[c.name]
            out[c.name] = tuple(float(values.get(label, EPSILON)) for label in c.labels)
    return out


def term_frequencies(records: DataFrame, column: str) -> DataFrame:
    """(value, tf): the share of records (with a value) holding each value of `column`."""
    present = records.where(F.col(column).isNotNull())
    counts = present.groupBy(F.col(column).alias("value")).agg(F.count(F.lit(1)).alias("n"))
    # The total as a one-row broadcast, not an unpartitioned window (which would pull every value into one task).
    total = present.agg(F.count(F.lit(1)).alias("_total"))
    return counts.crossJoin(F.broadcast(total)).select("value", (F.col("n") / F.col("_total")).alias("tf"))


def match_weight(model: Model, comparisons: Sequence[Comparison], tf_comparisons: Sequence[str]) -> Column:
    """The match weight of a pair frame with `c_*` levels and, for `tf_comparisons`, `tf_<name>` frequencies."""
    total: Column = F.lit(model.prior_weight)
    for c in comparisons:
        level = F.col(f"c_{c.name}")
        w = F.lit(0.0)
        for i in range(len(c.labels)):
            w = F.when(level == i, F.lit(model.weight(c.name, i))).otherwise(w)
        if c.name in tf_comparisons:
            # Exact agreement: replace the average u of exact agreement by the value's own frequency.
            ref = model.u[c.name][0]
            adjust = F.log2(F.lit(ref) / F.greatest(F.col(f"tf_{c.name}"), F.lit(EPSILON)))
            w = w + F.when((level == 0) & F.col(f"tf_{c.name}").isNotNull(), adjust).otherwise(F.lit(0.0))
        total = total + w
    return total


def probability(weight: Column) -> Column:
    return F.lit(1.0) / (F.lit(1.0) + F.pow(F.lit(2.0), -weight))


def evidence(model: Model, comparisons: Sequence[Comparison]) -> Column:
    """Per comparison: the level's label and the weight it added — why two records matched, or did not."""
    fields = []
    for c in comparisons:
        level = F.col(f"c_{c.name}")
        label = F.lit(MISSING)
        weight = F.lit(0.0)
        for i, lab in enumerate(c.labels):
            label = F.when(level == i, F.lit(lab)).otherwise(label)
            weight = F.when(level == i, F.lit(round(model.weight(c.name, i), 3))).otherwise(weight)
        fields.append(F.struct(label.alias("level"), weight.alias("weight")).alias(c.name))
    return F.struct(*fields)


def model_frame(spark: SparkSession, model: Model, version: str) -> DataFrame:
    return spark.createDataFrame(model.to_rows(version), MODEL_SCHEMA)
