"""What every local model answers: scores over the item space, the top k of them (for a user, or related to an
item), and how it is saved; with `top_k` and `Exploration`, the campaign's itemExplorationConfig.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from udp.personalize.backends.local.models.space import ItemSpace


def top_k(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Indices of the `k` best scores (ties: lower index first), skipping items not `allowed`."""
    s = np.where(allowed, scores, -np.inf) if allowed is not None else scores
    order = np.lexsort((np.arange(len(s)), -s))
    order = order[np.isfinite(s[order])]
    return order[:k]


@dataclass(frozen=True)
class Exploration:
    """itemExplorationConfig: share of slots for cold items and how old (days) an explored item may be."""

    weight: float = 0.3
    age_cutoff_days: float = 30.0

    def slots(self, k: int) -> int:
        return 0 if self.weight <= 0 else max(1, round(k * self.weight / 2))

    @classmethod
    def configured(cls, explores: bool, config: Mapping[str, Any] | None) -> Exploration | None:
        """itemExplorationConfig of a campaign or batch job, for a recipe that explores (AWS's defaults otherwise)."""
        if not explores:
            return None
        values = (config or {}).get("itemExplorationConfig") or {}
        weight = float(values.get("explorationWeight", cls.weight))
        return cls(weight, float(values.get("explorationItemAgeCutOff", cls.age_cutoff_days)))


class Model:
    """A trained local model. `scores_for_user`/`scores_for_item` score every item of `space`."""

    kind: ClassVar[str]

    def __init__(self, space: ItemSpace, meta: Mapping[str, Any] | None = None) -> None:
        self.space = space
        self.meta: dict[str, Any] = dict(meta or {})

    def scores_for_user(self, user_id: str | None, history: Sequence[str] | None) -> np.ndarray:
        """Scores for a user; `history` (oldest first) replaces what the model knows about the user."""
        return self.space.popularity_scores()

    def scores_for_item(self, item_id: str) -> np.ndarray:
        scores = self.space.popularity_scores()
        if item_id in self.space.index:
            scores = scores.copy()
            scores[self.space.index[item_id]] = -np.inf
        return scores

    def recommend(
        self,
        user_id: str | None,
        history: Sequence[str] | None,
        k: int,
        allowed: np.ndarray | None = None,
        exploration: Exploration | None = None,
    ) -> list[tuple[str, float]]:
        scores = self.scores_for_user(user_id, history)
        return self._items(top_k(scores, k, allowed), scores)

    def related(self, item_id: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        scores = self.scores_for_item(item_id)
        return self._items(top_k(scores, k, allowed), scores)

    def _items(self, idx: np.ndarray, scores: np.ndarray) -> list[tuple[str, float]]:
        return [(str(self.space.ids[i]), round(float(scores[i]), 6)) for i in idx]

    # persistence
    def arrays(self) -> dict[str, np.ndarray]:
        return {}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {f"space.{k}": v for k, v in self.space.arrays().items()} | self.arrays()
        np.savez(folder / "model.npz", **arrays)  # type: ignore[arg-type]
        meta = {"kind": self.kind, "space": self.space.meta(), **self.meta}
        (folder / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
