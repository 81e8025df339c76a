"""The user-personalization and personalized-ranking model: implicit ALS factors blended with the user's
category/brand profile; users not seen in training folded in from their history; exploration slots for cold items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from udp.personalize.backends.local.data import Interactions
from udp.personalize.backends.local.models.als_fit import fit_als
from udp.personalize.backends.local.models.base import Exploration, Model, top_k
from udp.personalize.backends.local.models.space import DAY, ItemSpace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from udp.settings.personalize import LocalSettings


class AlsModel(Model):
    """Implicit ALS factors + a content blend; users not seen in training are folded in from their history."""

    kind = "als"

    def __init__(
        self,
        space: ItemSpace,
        *,
        item_factors: np.ndarray,
        user_ids: np.ndarray,
        user_factors: np.ndarray,
        hist_ptr: np.ndarray,
        hist_items: np.ndarray,
        meta: Mapping[str, Any],
    ) -> None:
        super().__init__(space, meta)
        self.item_factors = item_factors
        self.user_ids = user_ids
        self.user_factors = user_factors
        self.hist_ptr = hist_ptr
        self.hist_items = hist_items
        self.user_index = {str(u): i for i, u in enumerate(user_ids.tolist())}
        self.yty = item_factors.T @ item_factors
        self.has_factor = np.abs(item_factors).sum(axis=1) > 0

    @classmethod
    def train(
        cls,
        inter: Interactions,
        space: ItemSpace,
        settings: LocalSettings,
        spark: SparkSession,
    ) -> AlsModel:
        item_idx = space.indices(inter.items.tolist())
        user_ids, user_idx = np.unique(inter.users, return_inverse=True)
        keys, counts = np.unique(user_idx.astype(np.int64) * len(space) + item_idx, return_counts=True)
        u, i = keys // len(space), keys % len(space)
        uf, itf = fit_als(
            spark, u, i, counts.astype(np.float64), n_users=len(user_ids), n_items=len(space), settings=settings
        )
        order = np.lexsort((-inter.timestamps, user_idx))  # history: latest first within each user
        hist_ptr = np.concatenate([[0], np.cumsum(np.bincount(user_idx, minlength=len(user_ids)))]).astype(np.int64)
        meta = {
            "rank": settings.als.rank,
            "reg_param": settings.als.reg_param,
            "alpha": settings.als.alpha,
            "content_weight": settings.content_weight,
            "cold_threshold": settings.cold_item_interactions,
        }
        return cls(
            space,
            item_factors=itf,
            user_ids=user_ids,
            user_factors=uf,
            hist_ptr=hist_ptr,
            hist_items=item_idx[order],
            meta=meta,
        )

    def stored_history(self, user_id: str) -> list[str]:
        """The user's training interactions, oldest first."""
        u = self.user_index.get(user_id)
        if u is None:
            return []
        latest_first = self.hist_items[self.hist_ptr[u] : self.hist_ptr[u + 1]]
        return [str(x) for x in self.space.ids[latest_first[::-1]]]

    def fold_in(self, history: np.ndarray) -> np.ndarray | None:
        """The user factor ALS would compute from `history` with the item factors fixed (Spark's implicit solve)."""
        known = history[self.has_factor[history]]
        if len(known) == 0:
            return None
        items, counts = np.unique(known, return_counts=True)
        y = self.item_factors[items].astype(np.float64)
        c1 = float(self.meta["alpha"]) * counts
        a = self.yty + (y.T * c1) @ y + float(self.meta["reg_param"]) * len(items) * np.eye(y.shape[1])
        b = ((1.0 + c1)[:, None] * y).sum(axis=0)
        return np.asarray(np.linalg.solve(a, b))

    def _vector_and_history(self, user_id: str | None, history: Sequence[str] | None) -> tuple[Any, np.ndarray]:
        if history is not None:
            idx = self.space.indices(history)
            return self.fold_in(idx), idx
        u = self.user_index.get(user_id or "")
        if u is None:
            return None, np.asarray([], dtype=np.int64)
        return self.user_factors[u], self.hist_items[self.hist_ptr[u] : self.hist_ptr[u + 1]]

    def scores_for_user(self, user_id: str | None, history: Sequence[str] | None) -> np.ndarray:
        vector, hist = self._vector_and_history(user_id, history)
        if vector is None:
            return self.space.popularity_scores()  # cold user: popular items
        als = self.item_factors @ vector
        top = als[self.has_factor].max() if self.has_factor.any() else 0.0
        als = np.where(self.has_factor, als / top if top > 0 else als, 0.0)
        beta = float(self.meta["content_weight"])
        if beta > 0 and self.space.fields:
            return (1 - beta) * als + beta * self.space.content_profile(hist)
        return np.asarray(als)

    def recommend(
        self,
        user_id: str | None,
        history: Sequence[str] | None,
        k: int,
        allowed: np.ndarray | None = None,
        exploration: Exploration | None = None,
    ) -> list[tuple[str, float]]:
        scores = self.scores_for_user(user_id, history)
        chosen = top_k(scores, k, allowed)
        if exploration is None or exploration.slots(k) == 0 or not self.space.fields:
            return self._items(chosen, scores)
        _, hist = self._vector_and_history(user_id, history)
        if len(hist) == 0:
            return self._items(chosen, scores)
        content = self.space.content_profile(hist)
        young = (self.space.created < 0) | (self.space.now - self.space.created <= exploration.age_cutoff_days * DAY)
        cold = (self.space.counts < int(self.meta["cold_threshold"])) & young & (content > 0)
        cold[chosen] = False
        if allowed is not None:
            cold &= allowed
        candidates = np.flatnonzero(cold)
        # best profile match first, then the newest
        ranked = candidates[np.lexsort((candidates, -self.space.created[candidates], -content[candidates]))]
        explore = ranked[: exploration.slots(k)]
        if len(explore) == 0:
            return self._items(chosen, scores)
        keep = chosen[: max(k - len(explore), 0)]
        return self._items(keep, scores) + [(str(self.space.ids[i]), round(float(content[i]), 6)) for i in explore]

    def rank(self, user_id: str | None, history: Sequence[str] | None, items: Sequence[str]) -> list[tuple[str, float]]:
        """Personalized ranking: the input items by score; items the model does not know last, in input order."""
        scores = self.scores_for_user(user_id, history)
        known = [(i, float(scores[self.space.index[i]])) for i in items if i in self.space.index]
        known.sort(key=lambda pair: -pair[1])
        unknown = [(i, 0.0) for i in items if i not in self.space.index]
        return [(i, round(s, 6)) for i, s in known] + unknown

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "item_factors": self.item_factors,
            "user_ids": self.user_ids,
            "user_factors": self.user_factors,
            "hist_ptr": self.hist_ptr,
            "hist_items": self.hist_items,
        }
