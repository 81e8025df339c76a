"""The deploy gate: a trained solution version is deployed only if it beats its rivals on the configured metric.

The rivals are the baseline recipe's version trained on the same snapshot (AWS's advice: compare recipes on the
same data, against popularity count) when the recipe answers the same query as the baseline (items for a user: user
personalization, trending; a related-items or ranking recipe answers another question), and, for a campaign, the
version the campaign serves now. A version beats a
rival when its metric exceeds the rival's by more than `personalize.gate.margin`; a rival without the metric (a
training that failed) is not counted; a version without the metric is held back. `deploy.gate: false` on a solution
deploys its versions whatever their metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from udp.personalize.leaderboard import SHORT


@dataclass(frozen=True)
class Verdict:
    deploy: bool
    why: str


def judge(metric: str, margin: float, value: float | None, rivals: Sequence[tuple[str, float | None]]) -> Verdict:
    """Deploy only if `value` exceeds every rival's value of `metric` by more than `margin`."""
    name = SHORT.get(metric, metric)
    if value is None:
        return Verdict(False, f"held back: this version reports no {name}")
    over = f" by more than {margin:g}" if margin else ""
    counted = [(label, v) for label, v in rivals if v is not None]
    for label, v in counted:
        if not value > v + margin:
            return Verdict(False, f"held back: {name} {value:.4f} does not beat {label}'s {v:.4f}{over}")
    if not counted:
        return Verdict(True, f"{name} {value:.4f}; no rival to beat")
    return Verdict(True, f"{name} {value:.4f} beats " + ", ".join(f"{label}'s {v:.4f}" for label, v in counted) + over)
