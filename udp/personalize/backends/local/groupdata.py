"""A local dataset group's data as the models see it: the imported datasets, then the events sent with PutEvents.

Read by training (interactions, items), serving (a user's recent events, item attributes for filters) and the
runtime's PutEvents (`record_events`); interactions and attributes are cached until the files under them change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from udp.personalize.backends.local.data import (
    Interactions,
    append_events,
    load_interactions,
    load_item_attributes,
    load_items,
)
from udp.personalize.backends.local.service import ServiceError
from udp.personalize.backends.local.state import Record, StateStore
from udp.personalize.snapshot import SchemaField, parse_schema

ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class _GroupData:
    inter: Interactions
    received: np.ndarray  # when each row arrived through PutEvents (0 for bulk imports)
    rows: dict[str, np.ndarray]  # user -> row indices, oldest first


def records(data: dict[str, Record], kind: str, **match: Any) -> list[Record]:
    """The records of one kind whose fields equal `match`."""
    return [r for r in data.values() if r.get("_kind") == kind and all(r.get(k) == v for k, v in match.items())]


class GroupData:
    """The data of every local dataset group, read from the state store's files."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self._cache: dict[str, tuple[Any, _GroupData]] = {}
        self._attributes: dict[str, tuple[Any, dict[str, dict[str, Any]]]] = {}

    def dataset(self, group: str, dtype: str) -> Record | None:
        found = records(self.store.snapshot(), "dataset", datasetGroupArn=group, datasetType=dtype)
        return found[0] if found else None

    def events_path(self, dataset: Record) -> Path:
        return self.store.root / dataset["_data_dir"] / "events.jsonl"

    def _group(self, group: str) -> _GroupData:
        """Interactions of the group (bulk imports, then PutEvents events), cached until the data changes."""
        dataset = self.dataset(group, "INTERACTIONS")
        if dataset is None:
            return _GroupData(load_interactions([]), np.zeros(0), {})
        paths = [self.store.root / f for f in dataset.get("_files", [])]
        events = self.events_path(dataset)
        stat = events.stat() if events.exists() else None
        key = (tuple(str(p) for p in paths), (stat.st_size, stat.st_mtime_ns) if stat else None)
        cached = self._cache.get(group)
        if cached is not None and cached[0] == key:
            return cached[1]
        inter = load_interactions(paths, events)
        received = np.zeros(len(inter))
        if stat is not None:
            at = [float(json.loads(x).get("_at", 0)) for x in events.read_text(encoding="utf-8").splitlines()]
            received[len(inter) - len(at) :] = at
        order = np.lexsort((np.arange(len(inter)), inter.timestamps, inter.users))
        users = inter.users[order]
        bounds = np.flatnonzero(users[1:] != users[:-1]) + 1 if len(users) else np.zeros(0, dtype=np.int64)
        rows = {
            str(g[0]): idx for g, idx in zip(np.split(users, bounds), np.split(order, bounds), strict=True) if len(g)
        }
        data = _GroupData(inter, received, rows)
        self._cache[group] = (key, data)
        return data

    def interactions(self, group: str) -> Interactions:
        """The dataset group's interactions: bulk imports, then events sent with PutEvents."""
        return self._group(group).inter

    def items(self, group: str) -> Any:
        dataset = self.dataset(group, "ITEMS")
        if dataset is None:
            return load_items([], [])
        schema = self.store.snapshot()[dataset["schemaArn"]]
        fields: tuple[SchemaField, ...] = parse_schema(schema["schema"], "items", schema["name"])
        return load_items([self.store.root / f for f in dataset.get("_files", [])], fields)

    def item_attributes(self, dataset_group_arn: str) -> dict[str, dict[str, Any]]:
        dataset = self.dataset(dataset_group_arn, "ITEMS")
        if dataset is None:
            return {}
        files = tuple(dataset.get("_files", []))
        cached = self._attributes.get(dataset_group_arn)
        if cached is None or cached[0] != files:
            cached = (files, load_item_attributes([self.store.root / f for f in files]))
            self._attributes[dataset_group_arn] = cached
        return cached[1]

    def user_events(self, dataset_group_arn: str, user_id: str) -> list[dict[str, Any]]:
        """A user's interactions (imports and PutEvents), oldest first; `_at` is when an event was received."""
        data = self._group(dataset_group_arn)
        rows = data.rows.get(user_id)
        if rows is None:
            return []
        inter = data.inter
        return [
            {"ITEM_ID": str(inter.items[r]), "EVENT_TYPE": str(inter.event_types[r]), "_at": float(data.received[r])}
            for r in rows.tolist()
        ]

    def record_events(self, tracking_id: str, events: list[dict[str, Any]]) -> None:
        """Append PutEvents events to the Interactions dataset of the tracker's dataset group."""
        trackers = records(self.store.snapshot(), "event-tracker", trackingId=tracking_id)
        if not trackers or trackers[0]["status"] != ACTIVE:
            raise ServiceError(
                "InvalidInputException", f"Tracking ID {tracking_id} does not match an ACTIVE event tracker."
            )
        dataset = self.dataset(trackers[0]["datasetGroupArn"], "INTERACTIONS")
        if dataset is None:
            raise ServiceError("InvalidInputException", "The dataset group has no Interactions dataset.")
        append_events(self.events_path(dataset), events)
