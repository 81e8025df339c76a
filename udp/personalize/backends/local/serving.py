"""Answering queries with a trained local solution version: the runtime's get_* calls and batch inference.

A user's events sent with PutEvents after the version was trained are folded into their history (ALS models), the
way Personalize's user-personalization reacts to real-time events. Filters are evaluated on the dataset group's
current data (udp/personalize/backends/local/filters.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from udp.personalize.backends.local.filters import FilterContext, allowed_items
from udp.personalize.backends.local.models.als import AlsModel
from udp.personalize.backends.local.models.base import Exploration, Model
from udp.personalize.backends.local.models.loading import load_model
from udp.settings.recipes import Recipe


class DatasetAccess(Protocol):
    """What serving needs from the local service's stored data."""

    def user_events(self, dataset_group_arn: str, user_id: str) -> list[dict[str, Any]]: ...
    def item_attributes(self, dataset_group_arn: str) -> dict[str, dict[str, Any]]: ...


class Serving:
    """Models loaded once per process (keyed by folder), queried with numpy."""

    def __init__(self, data: DatasetAccess) -> None:
        self.data = data
        self._models: dict[str, Model] = {}

    def model(self, folder: Path) -> Model:
        key = str(folder)
        if key not in self._models:
            self._models[key] = load_model(folder)
        return self._models[key]

    def _history(self, model: Model, group: str, user_id: str | None) -> list[str] | None:
        """None (use what the model knows) unless the user sent events after training."""
        if not user_id or not isinstance(model, AlsModel):
            return None
        trained_at = float(model.meta.get("trained_at", 0))
        new = [e["ITEM_ID"] for e in self.data.user_events(group, user_id) if float(e.get("_at", 0)) > trained_at]
        if not new:
            return None
        return model.stored_history(user_id) + new

    def _allowed(
        self, model: Model, group: str, user_id: str | None, expression: str | None, values: Mapping[str, str]
    ) -> np.ndarray | None:
        if not expression:
            return None
        events: dict[str, set[str]] = {}
        if user_id:
            for e in self.data.user_events(group, user_id):
                events.setdefault(str(e.get("EVENT_TYPE") or ""), set()).add(str(e["ITEM_ID"]))
        ctx = FilterContext([str(i) for i in model.space.ids.tolist()], self.data.item_attributes(group), events)
        return allowed_items(expression, values, ctx)

    def recommend(
        self,
        folder: Path,
        recipe: Recipe,
        group: str,
        *,
        user_id: str | None = None,
        item_id: str | None = None,
        num_results: int = 25,
        filter_expression: str | None = None,
        filter_values: Mapping[str, str] | None = None,
        exploration: Exploration | None = None,
    ) -> list[tuple[str, float]]:
        model = self.model(folder)
        allowed = self._allowed(model, group, user_id, filter_expression, filter_values or {})
        if recipe.type == "RELATED_ITEMS":
            return model.related(item_id or "", num_results, allowed)
        history = self._history(model, group, user_id)
        return model.recommend(user_id, history, num_results, allowed, exploration)

    def rank(
        self,
        folder: Path,
        group: str,
        user_id: str,
        items: Sequence[str],
        *,
        filter_expression: str | None = None,
        filter_values: Mapping[str, str] | None = None,
    ) -> list[tuple[str, float]]:
        model = self.model(folder)
        if not isinstance(model, AlsModel):
            raise TypeError("personalized ranking needs a ranking model")
        ranked = model.rank(user_id, self._history(model, group, user_id), items)
        allowed = self._allowed(model, group, user_id, filter_expression, filter_values or {})
        if allowed is None:
            return ranked
        ok = {str(i) for i in model.space.ids[allowed].tolist()}
        return [(i, s) for i, s in ranked if i in ok or i not in model.space.index]


def batch_output_line(query: Mapping[str, Any], items: Sequence[tuple[str, float]] | None, error: str | None) -> str:
    """One line of Personalize's batch inference output (JSON Lines)."""
    output = None if items is None else {"recommendedItems": [i for i, _ in items], "scores": [s for _, s in items]}
    return json.dumps({"input": dict(query), "output": output, "error": error}, separators=(",", ":"))
