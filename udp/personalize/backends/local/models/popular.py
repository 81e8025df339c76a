"""The popular-items recipes: popularity count (items by unique users) and trending now (items by growth in unique
users, the last window against the one before).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from udp.personalize.backends.local.data import Interactions
from udp.personalize.backends.local.models.base import Model
from udp.personalize.backends.local.models.space import DAY, ItemSpace, unique_users_per_item


class PopularityModel(Model):
    kind = "popularity"


class TrendingModel(Model):
    """Items ranked by growth in unique users: the last window against the one before (then by popularity)."""

    kind = "trending"

    def __init__(self, space: ItemSpace, trend: np.ndarray, meta: Mapping[str, Any] | None = None) -> None:
        super().__init__(space, meta)
        self.trend = trend

    @classmethod
    def train(cls, inter: Interactions, space: ItemSpace, window_days: float) -> TrendingModel:
        window = int(window_days * DAY)
        idx = space.indices(inter.items.tolist())
        recent = _window_users(inter, idx, len(space), space.now - window, space.now)
        before = _window_users(inter, idx, len(space), space.now - 2 * window, space.now - window)
        growth = recent - before
        order = np.lexsort((np.arange(len(space)), -space.popularity, -recent, -growth))
        trend = np.empty(len(space))
        trend[order] = np.linspace(1.0, 0.0, num=len(space), endpoint=False)
        return cls(space, trend, {"window_days": window_days})

    def scores_for_user(self, user_id: str | None, history: Sequence[str] | None) -> np.ndarray:
        return self.trend

    def scores_for_item(self, item_id: str) -> np.ndarray:
        return self.trend

    def arrays(self) -> dict[str, np.ndarray]:
        return {"trend": self.trend}


def _window_users(inter: Interactions, idx: np.ndarray, n: int, start: int, end: int) -> np.ndarray:
    mask = (inter.timestamps > start) & (inter.timestamps <= end)
    return unique_users_per_item(inter.users[mask], idx[mask], n)
