"""The item space every local model scores: each recommendable item with its popularity, creation time and
categorical metadata (CSR per field), and the content scores built on that metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from udp.personalize.backends.local.data import Interactions, ItemsTable

DAY = 86400


@dataclass
class ItemSpace:
    """Every recommendable item with its popularity and metadata (categorical values as CSR per field)."""

    ids: np.ndarray  # str
    popularity: np.ndarray  # unique users in training
    counts: np.ndarray  # interactions in training
    created: np.ndarray  # CREATION_TIMESTAMP, -1 when unknown
    now: int  # newest training timestamp: "now" for item age and trends
    fields: list[str]
    ptr: dict[str, np.ndarray]  # field -> CSR offsets (len n + 1)
    codes: dict[str, np.ndarray]  # field -> value codes
    n_codes: dict[str, int]

    def __post_init__(self) -> None:
        self.index = {str(item): i for i, item in enumerate(self.ids.tolist())}
        self.owner = {f: np.repeat(np.arange(len(self.ids)), np.diff(self.ptr[f])) for f in self.fields}

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, inter: Interactions, items: ItemsTable) -> ItemSpace:
        ids = np.unique(np.concatenate([inter.items, items.ids]).astype(str))
        index = {str(item): i for i, item in enumerate(ids.tolist())}
        item_idx = np.fromiter((index[i] for i in inter.items.tolist()), dtype=np.int64, count=len(inter))
        counts = np.bincount(item_idx, minlength=len(ids)).astype(np.int64)
        popularity = unique_users_per_item(inter.users, item_idx, len(ids))
        created = np.full(len(ids), -1, dtype=np.int64)
        for item, ts in items.created.items():
            created[index[item]] = ts
        ptr: dict[str, np.ndarray] = {}
        codes: dict[str, np.ndarray] = {}
        n_codes: dict[str, int] = {}
        for field, values in items.categorical.items():
            vocab: dict[str, int] = {}
            per_item: list[list[int]] = [[] for _ in range(len(ids))]
            for item, value in zip(items.ids.tolist(), values, strict=True):
                if value:
                    per_item[index[item]] = [vocab.setdefault(v, len(vocab)) for v in str(value).split("|") if v]
            ptr[field] = np.concatenate([[0], np.cumsum([len(c) for c in per_item])]).astype(np.int64)
            codes[field] = np.asarray([c for cs in per_item for c in cs], dtype=np.int64)
            n_codes[field] = len(vocab)
        now = int(inter.timestamps.max()) if len(inter) else 0
        return cls(ids, popularity, counts, created, now, list(ptr), ptr, codes, n_codes)

    def indices(self, items: Sequence[str]) -> np.ndarray:
        """Indices of the known items among `items` (unknown ones dropped), in order."""
        return np.asarray([self.index[i] for i in items if i in self.index], dtype=np.int64)

    def popularity_scores(self) -> np.ndarray:
        top = self.popularity.max() if len(self) else 0
        scores = self.popularity / top if top > 0 else np.zeros(len(self))
        return scores + 1e-9 * self.counts  # ties: more interactions first

    def content_profile(self, history: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per item: the mean over categorical fields of the share of the user's history with the item's value."""
        score = np.zeros(len(self))
        if not self.fields or len(history) == 0:
            return score
        w = np.ones(len(history)) if weights is None else weights
        used = 0
        for f in self.fields:
            ptr, codes = self.ptr[f], self.codes[f]
            lens = ptr[history + 1] - ptr[history]
            if lens.sum() == 0 or self.n_codes[f] == 0:
                continue
            hist_codes = np.concatenate([codes[ptr[h] : ptr[h + 1]] for h in history])
            share = np.bincount(hist_codes, weights=np.repeat(w, lens), minlength=self.n_codes[f])
            share = share / share.sum()
            per_item = np.zeros(len(self))
            np.maximum.at(per_item, self.owner[f], share[codes])
            score += per_item
            used += 1
        return score / used if used else score

    def content_similarity(self, item: int) -> np.ndarray:
        """Per item: the share of categorical fields on which it shares a value with `item`."""
        score = np.zeros(len(self))
        used = 0
        for f in self.fields:
            ptr, codes = self.ptr[f], self.codes[f]
            mine = codes[ptr[item] : ptr[item + 1]]
            if len(mine) == 0:
                continue
            match = np.zeros(len(self), dtype=bool)
            match[self.owner[f][np.isin(codes, mine)]] = True
            score += match
            used += 1
        return score / used if used else score

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"ids": self.ids, "popularity": self.popularity, "counts": self.counts, "created": self.created}
        for f in self.fields:
            out[f"ptr:{f}"] = self.ptr[f]
            out[f"codes:{f}"] = self.codes[f]
        return out

    def meta(self) -> dict[str, Any]:
        return {"now": self.now, "fields": self.fields, "n_codes": self.n_codes}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> ItemSpace:
        fields = list(meta["fields"])
        return cls(
            arrays["ids"],
            arrays["popularity"],
            arrays["counts"],
            arrays["created"],
            int(meta["now"]),
            fields,
            {f: arrays[f"ptr:{f}"] for f in fields},
            {f: arrays[f"codes:{f}"] for f in fields},
            {f: int(meta["n_codes"][f]) for f in fields},
        )


def unique_users_per_item(users: np.ndarray, item_idx: np.ndarray, n_items: int) -> np.ndarray:
    """Per item: the number of distinct users among the (user, item index) pairs."""
    if len(users) == 0:
        return np.zeros(n_items)
    _, user_idx = np.unique(users, return_inverse=True)
    pairs = np.unique(user_idx.astype(np.int64) * n_items + item_idx)
    return np.bincount(pairs % n_items, minlength=n_items).astype(np.float64)
