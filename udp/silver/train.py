"""Training the match model: u from random record pairs, m by EM on each training rule's pairs, the prior from all
candidate pairs, and the guards the fitted model supports."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame

from udp.errors import ConfigError
from udp.settings.matching import BlockingSettings, MatchingSettings
from udp.silver import blocking, match, model, records
from udp.silver.compare import Comparison, with_comparison_levels


def train_model(
    current: DataFrame, levels: DataFrame, settings: MatchingSettings, comparisons: Sequence[Comparison]
) -> model.Model:
    """A model fitted to `current` records and their candidate pairs `levels` (with `c_*` columns).

    u: random record pairs; m: EM on each training rule's pairs, its own fields left out; the prior: EM of the
    match share of all candidate pairs with m and u fixed (no field is assumed to exist).
    """
    training = settings.training
    items = tuple(comparisons)
    u = model.estimate_u(current.select(*match.MATCH_COLUMNS), items, training.u_sample_pairs, training.seed)
    rules = {r.name: r for r in settings.blocking.rules}
    unknown = [n for n in training.blocking_rules if n not in rules]
    if unknown:
        raise ConfigError(f"matching.training.blocking_rules: unknown rule {unknown[0]!r}; rules: {', '.join(rules)}")
    keyed = current.select("record_id", *records.MATCH_KEYS.values())
    histograms, ignored = {}, {}
    for name in training.blocking_rules:
        only = BlockingSettings(settings.blocking.max_block_size, (rules[name],))
        rule_pairs, _ = blocking.candidate_pairs(keyed, only)
        rule_levels = match.pair_frame(rule_pairs, current).transform(with_comparison_levels(items))
        histograms[name] = model.pattern_histogram(rule_levels, items)
        ignored[name] = blocking.rule_comparisons(rules[name])
    m, iterations = model.train_by_blocking_rules(
        histograms,
        ignored,
        items,
        u,
        max_iterations=training.max_iterations,
        tolerance=training.tolerance,
        fixed_m=training.fixed_m,
    )
    candidates = model.pattern_histogram(levels, items)
    prior = model.estimate_prior(candidates, items, m, u, current.count())
    return model.Model(prior, m, u, {c.name: c.labels for c in items}, iterations)
