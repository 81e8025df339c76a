"""Personalize's offline metrics against the documentation's worked examples and hand-computed cases."""

from __future__ import annotations

import math

import pytest

from udp.personalize.metrics import coverage, ndcg_at_k, precision_at_k, reciprocal_rank, solution_metrics
from udp.settings.metric_keys import METRIC_KEYS


def test_mean_reciprocal_rank_matches_the_documentation_example() -> None:
    # first relevant item at ranks 4, 2 and 6 for three users: (1/4 + 1/2 + 1/6) / 3 = 0.3056
    cases = [
        (["a", "b", "c", "hit", "hit2"], {"hit", "hit2"}),
        (["a", "hit", "hit2"], {"hit", "hit2"}),
        (["a", "b", "c", "d", "e", "hit"], {"hit"}),
    ]
    mrr = sum(reciprocal_rank(r, rel, 25) for r, rel in cases) / 3
    assert round(mrr, 4) == 0.3056


def test_ndcg_matches_the_documentation_example_and_the_textbook_variant() -> None:
    recs = ["a", "hit1", "b", "c", "hit2"]  # hits at ranks 2 and 5, K = 5
    relevant = {"hit1", "hit2", "missed"}
    assert round(ndcg_at_k(recs, relevant, 5, "hits"), 4) == 0.6241
    assert round(ndcg_at_k(recs, relevant, 5, "relevant"), 4) == 0.4776


def test_precision_divides_by_k_even_for_short_lists() -> None:
    assert precision_at_k(["x", "y"], {"x", "y"}, 5) == pytest.approx(0.4)
    assert precision_at_k(["a", "x", "b", "y", "c", "z"], {"x", "y", "z"}, 5) == pytest.approx(0.4)


def test_reciprocal_rank_ignores_hits_beyond_k_and_later_hits() -> None:
    recs = [f"i{n}" for n in range(30)]
    assert reciprocal_rank(recs, {"i26"}, 25) == 0.0
    assert reciprocal_rank(recs, {"i2", "i0"}, 25) == 1.0


def test_ndcg_is_zero_without_hits_and_one_for_a_perfect_top() -> None:
    assert ndcg_at_k(["a", "b"], {"z"}, 5) == 0.0
    assert ndcg_at_k(["z", "y", "a"], {"z", "y"}, 5, "relevant") == pytest.approx(1.0)
    # a single hit at rank 3, one relevant item: (1/log2 4) / (1/log2 2) = 0.5
    assert ndcg_at_k(["a", "b", "z"], {"z"}, 5, "relevant") == pytest.approx(0.5)
    assert ndcg_at_k(["a", "b", "z"], {"z"}, 5, "hits") == pytest.approx(0.5)


def test_coverage_counts_distinct_recommended_items_over_the_catalog() -> None:
    assert coverage([["a", "b"], ["b", "c"]], 10) == pytest.approx(0.3)
    assert coverage([], 0) == 0.0


def test_solution_metrics_averages_over_test_users_by_hand() -> None:
    results = [
        (["x", "a", "b", "c", "d"], {"x"}),  # hit at 1
        (["a", "b", "y", "c", "d"], {"y", "q"}),  # hit at 3, one relevant missed
    ]
    m = solution_metrics(results, catalog_size=20)
    assert set(METRIC_KEYS) <= set(m)
    assert m["precision_at_5"] == pytest.approx((1 / 5 + 1 / 5) / 2)
    assert m["precision_at_25"] == pytest.approx((1 / 25 + 1 / 25) / 2)
    assert m["mean_reciprocal_rank_at_25"] == pytest.approx((1 + 1 / 3) / 2, abs=1e-6)
    # hit-based ideal: user 2's one hit at rank 3 is compared with one hit at rank 1 -> 0.5
    assert m["normalized_discounted_cumulative_gain_at_5"] == pytest.approx((1.0 + 0.5) / 2)
    standard = (1.0 + (1 / math.log2(4)) / (1 + 1 / math.log2(3))) / 2
    assert m["normalized_discounted_cumulative_gain_standard_at_5"] == pytest.approx(standard, abs=1e-6)
    assert m["coverage"] == pytest.approx(6 / 20)


def test_solution_metrics_without_test_users_is_all_zero() -> None:
    assert solution_metrics([], 5) == dict.fromkeys(METRIC_KEYS, 0.0)
