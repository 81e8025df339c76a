"""The names of Personalize's offline metrics: the keys a solution version reports, a leaderboard column each,
and what `personalize.gate.metric` may name. Their formulas are udp/personalize/metrics.py."""

from __future__ import annotations

METRIC_KEYS = (
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
)
