"""Fellegi-Sunter training: EM recovers m from comparison vectors; the prior from the candidate pairs."""

from __future__ import annotations

import math

from pyspark.sql import SparkSession

from udp.silver.compare import comparisons
from udp.silver.model import Model, estimate_prior, histogram, pattern_counts, train_m


def test_em_recovers_the_m_probabilities_of_a_known_mixture(spark: SparkSession) -> None:
    items = comparisons()[:2]  # first_name (6 levels), last_name (4 levels)
    m_true = {"first_name": (0.9, 0.05, 0.02, 0.01, 0.0, 0.02), "last_name": (0.95, 0.03, 0.01, 0.01)}
    u = {"first_name": (0.004, 0.001, 0.001, 0.003, 0.0001, 0.9909), "last_name": (0.009, 0.001, 0.003, 0.987)}
    matches, non_matches = 2000, 8000
    histogram: dict[tuple[int, ...], float] = {}
    for a in range(6):
        for b in range(4):
            histogram[(a, b)] = matches * m_true["first_name"][a] * m_true["last_name"][b]
            histogram[(a, b)] += non_matches * u["first_name"][a] * u["last_name"][b]
    pairs = [(k, round(v)) for k, v in histogram.items() if round(v) > 0]
    m, share, _ = train_m(pairs, items, u, prior=0.5, max_iterations=200, tolerance=1e-9)
    assert abs(share - 0.2) < 0.01
    assert abs(m["first_name"][0] - 0.9) < 0.02
    assert abs(m["last_name"][0] - 0.95) < 0.02


def test_ignored_comparisons_do_not_move_their_m(spark: SparkSession) -> None:
    items = comparisons()[:2]
    u = {"first_name": (0.004, 0.001, 0.001, 0.003, 0.0001, 0.9909), "last_name": (0.009, 0.001, 0.003, 0.987)}
    m, _, _ = train_m([((0, 0), 100), ((5, 0), 5)], items, u, ignore=frozenset({"last_name"}))
    untouched = train_m([], items, u, ignore=frozenset({"last_name"}), max_iterations=0)[0]
    assert m["last_name"] == untouched["last_name"]


def test_one_aggregation_gives_each_blocking_rules_histogram_and_that_of_all_candidate_pairs(
    spark: SparkSession,
) -> None:
    items = comparisons()[:2]
    # rule_bits: bit 0 = rule 0 found the pair, bit 1 = rule 1; 0 = no rule (a labelled pair blocking missed)
    levels = spark.createDataFrame(
        [(0b01, 0, 0), (0b01, 0, 0), (0b11, 0, 0), (0b10, 5, 3), (0b00, 1, 3)],
        "rule_bits BIGINT, c_first_name INT, c_last_name INT",
    )
    counts = pattern_counts(levels, items)
    assert histogram(counts, 0) == [((0, 0), 3)]
    assert histogram(counts, 1) == [((0, 0), 1), ((5, 3), 1)]
    assert histogram(counts) == [((0, 0), 3), ((1, 3), 1), ((5, 3), 1)]


def test_prior_is_the_fitted_match_share_of_candidate_pairs_over_all_possible_pairs() -> None:
    items = comparisons()[:2]
    m = {"first_name": (0.9, 0.05, 0.02, 0.01, 0.0, 0.02), "last_name": (0.95, 0.03, 0.01, 0.01)}
    u = {"first_name": (0.004, 0.001, 0.001, 0.003, 0.0001, 0.9909), "last_name": (0.009, 0.001, 0.003, 0.987)}
    histogram: dict[tuple[int, ...], float] = {}
    for a in range(6):
        for b in range(4):
            histogram[(a, b)] = (
                300 * m["first_name"][a] * m["last_name"][b] + 9700 * u["first_name"][a] * u["last_name"][b]
            )
    pairs = [(k, round(v)) for k, v in histogram.items() if round(v) > 0]
    prior = estimate_prior(pairs, items, m, u, records=2001)
    assert math.isclose(prior, 300 / (2001 * 2000 / 2), rel_tol=0.05)


def test_prior_needs_no_particular_field_and_has_a_floor_of_one_pair() -> None:
    items = comparisons()[:2]
    m = {"first_name": (0.9, 0.05, 0.02, 0.01, 0.0, 0.02), "last_name": (0.95, 0.03, 0.01, 0.01)}
    u = {"first_name": (0.004, 0.001, 0.001, 0.003, 0.0001, 0.9909), "last_name": (0.009, 0.001, 0.003, 0.987)}
    assert estimate_prior([((5, 3), 1000)], items, m, u, records=1001) == 1 / (1001 * 1000 / 2)


def test_model_survives_a_round_trip_through_its_table_rows(spark: SparkSession) -> None:
    items = comparisons()[:1]
    m = {"first_name": (0.9, 0.05, 0.02, 0.01, 0.0, 0.02)}
    u = {"first_name": (0.004, 0.001, 0.001, 0.003, 0.0001, 0.9909)}
    model = Model(0.001, m, u, {"first_name": items[0].labels})
    rows = [dict(zip(("version", "comparison", "level", "label", "m", "u", "weight"), r, strict=True))
            for r in model.to_rows("v1")]  # fmt: skip
    again = Model.from_rows(rows)
    assert again.m == model.m
    assert math.isclose(again.prior, model.prior)
    assert again.weight("first_name", 0) == model.weight("first_name", 0)
