"""The related-items recipes (aws-similar-items, aws-sims): item-to-item cosine over co-occurrence in users' latest
items; a cold item answered from its metadata (aws-similar-items), an unknown one with popular items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from udp.personalize.backends.local.data import Interactions
from udp.personalize.backends.local.models.base import Model
from udp.personalize.backends.local.models.space import ItemSpace

NEIGHBOURS = 100  # similar items kept per item
MAX_ITEMS_PER_USER_SIMS = 100  # a user's latest items used for co-occurrence (bounds the pair count)


class SimsModel(Model):
    """Item-to-item cosine over co-occurrence; cold items answered from metadata when `use_metadata`."""

    kind = "sims"

    def __init__(
        self,
        space: ItemSpace,
        neighbours: np.ndarray,
        neighbour_scores: np.ndarray,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(space, meta)
        self.neighbours = neighbours
        self.neighbour_scores = neighbour_scores

    @classmethod
    def train(
        cls,
        inter: Interactions,
        space: ItemSpace,
        *,
        use_metadata: bool,
        cold_threshold: int,
        popularity_discount: float = 0.5,
        min_cointeraction: int = 1,
    ) -> SimsModel:
        n = len(space)
        item_idx = space.indices(inter.items.tolist())
        _, user_idx = np.unique(inter.users, return_inverse=True)
        # each user's distinct items, latest interaction first, capped
        order = np.lexsort((-inter.timestamps, user_idx))
        pairs_u, pairs_i = user_idx[order], item_idx[order]
        keys = pairs_u.astype(np.int64) * n + pairs_i
        _, first = np.unique(keys, return_index=True)
        first.sort()
        pairs_u, pairs_i = pairs_u[first], pairs_i[first]
        bounds = np.flatnonzero(np.diff(pairs_u)) + 1
        chunks_a: list[np.ndarray] = []
        chunks_b: list[np.ndarray] = []
        for group in np.split(pairs_i, bounds):
            g = group[:MAX_ITEMS_PER_USER_SIMS]
            if len(g) < 2:
                continue
            a, b = np.repeat(g, len(g)), np.tile(g, len(g))
            keep = a != b
            chunks_a.append(a[keep])
            chunks_b.append(b[keep])
        neighbours = np.full((n, NEIGHBOURS), -1, dtype=np.int32)
        scores = np.zeros((n, NEIGHBOURS), dtype=np.float32)
        if chunks_a:
            co_keys, co = np.unique(np.concatenate(chunks_a) * n + np.concatenate(chunks_b), return_counts=True)
            a, b = co_keys // n, co_keys % n
            keep = co >= min_cointeraction
            a, b, co = a[keep], b[keep], co[keep]
            pop = np.maximum(space.popularity, 1.0)
            sim = co / (np.sqrt(pop[a]) * pop[b] ** popularity_discount)
            order = np.lexsort((b, -sim, a))
            a, b, sim = a[order], b[order], sim[order]
            starts = np.searchsorted(a, np.arange(n))
            rank = np.arange(len(a)) - starts[a]
            top = rank < NEIGHBOURS
            neighbours[a[top], rank[top]] = b[top]
            scores[a[top], rank[top]] = sim[top]
        meta = {"use_metadata": use_metadata, "cold_threshold": cold_threshold}
        return cls(space, neighbours, scores, meta)

    def scores_for_item(self, item_id: str) -> np.ndarray:
        q = self.space.index.get(item_id)
        if q is None:
            return self.space.popularity_scores()  # unknown item: popular items
        pop = self.space.popularity_scores()
        cold = self.space.counts[q] < int(self.meta.get("cold_threshold", 5))
        if cold and self.meta.get("use_metadata") and self.space.fields:
            scores = self.space.content_similarity(q) + 1e-3 * pop
        else:
            scores = -2.0 + 1e-3 * pop  # fallback order after the neighbours: popular items
            if self.meta.get("use_metadata") and self.space.fields:
                scores = scores + self.space.content_similarity(q)
            nbr = self.neighbours[q]
            valid = nbr >= 0
            scores[nbr[valid]] = self.neighbour_scores[q][valid] + 10.0
        scores[q] = -np.inf
        return scores

    def scores_for_user(self, user_id: str | None, history: Sequence[str] | None) -> np.ndarray:
        """For evaluation: items similar to the user's latest known item (popular items without one)."""
        for item in reversed(list(history or [])):
            if item in self.space.index:
                return self.scores_for_item(item)
        return self.space.popularity_scores()

    def arrays(self) -> dict[str, np.ndarray]:
        return {"neighbours": self.neighbours, "neighbour_scores": self.neighbour_scores}
