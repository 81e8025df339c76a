"""Training the match model: u from random record pairs, m by EM on each training rule's pairs, the prior from all
candidate pairs, and the guards the fitted model supports."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame

from udp.settings.matching import MatchingSettings
from udp.silver import blocking, match, model
from udp.silver.compare import Comparison


def train_model(
    current: DataFrame,
    n_records: int,
    levels: DataFrame,
    settings: MatchingSettings,
    comparisons: Sequence[Comparison],
) -> model.Model:
    """A model fitted to `current` records (`n_records` of them) and all their candidate pairs `levels` (with `c_*`
    columns and the `rule_bits` of the blocking rules that found each pair).

    u: random record pairs (but where matching.training.fixed_u sets it); m: EM on each training rule's pairs, its
    own fields left out; the prior: EM of the match share of all candidate pairs with m and u fixed (no field is
    assumed to exist). One aggregation of `levels` gives every histogram: a rule's pairs are those its bit marks.
    """
    training = settings.training
    items = tuple(comparisons)
    u = model.estimate_u(current.select(*match.MATCH_COLUMNS), n_records, items, training.u_sample_pairs, training.seed)
    u |= model.fixed_levels(items, training.fixed_u)
    index = {r.name: i for i, r in enumerate(settings.blocking.rules)}  # known: silver.checks refuses others
    counts = model.pattern_counts(levels, items)
    histograms, ignored = {}, {}
    for name in training.blocking_rules:
        histograms[name] = model.histogram(counts, index[name])
        ignored[name] = blocking.rule_comparisons(settings.blocking.rules[index[name]])
    m, iterations = model.train_by_blocking_rules(
        histograms,
        ignored,
        items,
        u,
        max_iterations=training.max_iterations,
        tolerance=training.tolerance,
        fixed_m=training.fixed_m,
    )
    prior = model.estimate_prior(model.histogram(counts), items, m, u, n_records)
    return model.Model(prior, m, u, {c.name: c.labels for c in items}, iterations)
