"""Personalize's offline metrics, as pure functions (docs: working-with-training-metrics).

Each metric is computed per test user from their ranked recommendations and their relevant items (the items of their
newest 10 % of interactions), then averaged over test users. Rank 1 is the top; K is the cut-off.

- precision_at_K: hits in the top K / K (the divisor is always K).
- mean_reciprocal_rank_at_25: 1 / rank of the first hit in the top 25, 0 without one.
- normalized_discounted_cumulative_gain_at_K: binary gain, discount 1/log(1 + rank). Two ideals exist:
  `ideal="hits"` is the documentation's worked example (and AWS's sample code): the ideal DCG puts the *hits* at the
  top ranks, so hits at ranks 2 and 5 give 0.6241 whatever else is relevant. `ideal="relevant"` is the textbook
  NDCG: the ideal puts min(|relevant|, K) items at the top (0.4776 for that example with 3 relevant items).
  udp reports the documented one under Personalize's key and the textbook one under `..._standard_at_K`.
- coverage: distinct recommended items / distinct items in the catalog (Interactions and Items).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Literal

from udp.settings.metric_keys import METRIC_KEYS

KS = (5, 10, 25)


def precision_at_k(recommended: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of the top `k` recommendations that are relevant; the divisor is `k` even for shorter lists."""
    return sum(1 for item in recommended[:k] if item in relevant) / k


def reciprocal_rank(recommended: Sequence[str], relevant: Collection[str], k: int = 25) -> float:
    """1 / rank of the first relevant item within the top `k`, 0 when there is none (later hits are ignored)."""
    for rank, item in enumerate(recommended[:k], start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def _discount(rank: int) -> float:
    return 1.0 / math.log2(1 + rank)


def dcg_at_k(recommended: Sequence[str], relevant: Collection[str], k: int) -> float:
    return sum(_discount(rank) for rank, item in enumerate(recommended[:k], start=1) if item in relevant)


def ndcg_at_k(
    recommended: Sequence[str], relevant: Collection[str], k: int, ideal: Literal["hits", "relevant"] = "hits"
) -> float:
    """Normalised DCG at `k`; `ideal` picks the documented hit-based ideal or the textbook one (see module doc)."""
    dcg = dcg_at_k(recommended, relevant, k)
    if dcg == 0.0:
        return 0.0
    hits = sum(1 for item in recommended[:k] if item in relevant)
    n_ideal = hits if ideal == "hits" else min(len(set(relevant)), k)
    return dcg / sum(_discount(rank) for rank in range(1, n_ideal + 1))


def coverage(recommendations: Iterable[Sequence[str]], catalog_size: int) -> float:
    """Distinct recommended items / catalog size."""
    if catalog_size <= 0:
        return 0.0
    seen: set[str] = set()
    for recs in recommendations:
        seen.update(recs)
    return len(seen) / catalog_size


def solution_metrics(results: Sequence[tuple[Sequence[str], Collection[str]]], catalog_size: int) -> dict[str, float]:
    """Personalize's metric map over test users: `results` holds (top-25 recommendations, relevant items) per user.

    Besides Personalize's keys it adds `normalized_discounted_cumulative_gain_standard_at_K` (textbook ideal).
    """
    n = len(results)
    if n == 0:
        return dict.fromkeys(METRIC_KEYS, 0.0)

    def mean(values: Iterable[float]) -> float:
        return sum(values) / n

    out = {
        "coverage": coverage((recs[:25] for recs, _ in results), catalog_size),
        "mean_reciprocal_rank_at_25": mean(reciprocal_rank(r, rel, 25) for r, rel in results),
    }
    for k in KS:
        out[f"normalized_discounted_cumulative_gain_at_{k}"] = mean(ndcg_at_k(r, rel, k, "hits") for r, rel in results)
    for k in KS:
        out[f"precision_at_{k}"] = mean(precision_at_k(r, rel, k) for r, rel in results)
    for k in KS:
        out[f"normalized_discounted_cumulative_gain_standard_at_{k}"] = mean(
            ndcg_at_k(r, rel, k, "relevant") for r, rel in results
        )
    return {k: round(v, 6) for k, v in out.items()}


def metric_value(metrics: Mapping[str, float], key: str) -> float | None:
    value = metrics.get(key)
    return None if value is None else float(value)
