"""The local backend's recipes: real, small models that answer like Personalize's.

- popularity (aws-popularity-count): items ranked by the number of unique users who interacted with them.
- trending (aws-trending-now): items ranked by their growth in unique users, last window vs the window before.
- als (aws-user-personalization(-v2), aws-personalized-ranking(-v2)): Spark MLlib ALS on implicit feedback
  (interaction counts as confidence), blended with a content score — the share of the user's history in each item's
  category/brand values — so items of a user's favourite categories rise, and cold items can be explored.
- sims (aws-similar-items, aws-sims): item-to-item cosine over co-occurrence in users' histories; a cold item
  (fewer than `cold_item_interactions`) gets items sharing its metadata (aws-similar-items), an unknown one popular
  items.

Cold start, as Personalize documents it: an unknown user gets popular items; an unknown item's similar items are
popular items; a new item with few interactions reaches users through its metadata (exploration slots filled with the
cold items that best match the user's category/brand profile).

Every model scores the whole item space (the items of the training interactions and of the Items dataset) with
numpy; only ALS training uses Spark. Models are saved as one `model.npz` + `meta.json` and served without Spark.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from udp.personalize.backends.local.data import Interactions, ItemsTable

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from udp.personalize.settings import LocalSettings

DAY = 86400
NEIGHBOURS = 100  # similar items kept per item
MAX_ITEMS_PER_USER_SIMS = 100  # a user's latest items used for co-occurrence (bounds the pair count)


# ----------------------------------------------------------------------------------------------------------------
# The item space shared by every model
# ----------------------------------------------------------------------------------------------------------------


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
        popularity = _unique_users_per_item(inter.users, item_idx, len(ids))
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


def _unique_users_per_item(users: np.ndarray, item_idx: np.ndarray, n_items: int) -> np.ndarray:
    if len(users) == 0:
        return np.zeros(n_items)
    _, user_idx = np.unique(users, return_inverse=True)
    pairs = np.unique(user_idx.astype(np.int64) * n_items + item_idx)
    return np.bincount(pairs % n_items, minlength=n_items).astype(np.float64)


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


# ----------------------------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------------------------


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
    return _unique_users_per_item(inter.users[mask], idx[mask], n)


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


_FITS: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def clear_fit_cache() -> None:
    """Forget memoised ALS fits (benchmarks time every fit)."""
    _FITS.clear()


def fit_als(
    spark: SparkSession,
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    *,
    n_users: int,
    n_items: int,
    settings: LocalSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Spark MLlib ALS (implicit preferences) on (user, item, count) triples; factors as dense arrays.

    Fits are memoised per process on (data, settings): user personalization and personalized ranking of one
    dataset group train the same factorisation, and ALS with a fixed seed is deterministic.
    """
    key = hashlib.sha256(
        b"".join(np.ascontiguousarray(a).tobytes() for a in (users, items, ratings))
        + repr((n_users, n_items, settings.als, settings.seed)).encode()
    ).hexdigest()
    if key in _FITS:
        uf, itf = _FITS[key]
        return uf.copy(), itf.copy()
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import types as T

    schema = T.StructType(
        [
            T.StructField("user", T.IntegerType(), False),
            T.StructField("item", T.IntegerType(), False),
            T.StructField("rating", T.FloatType(), False),
        ]
    )
    rows = list(zip(users.tolist(), items.tolist(), ratings.tolist(), strict=True))
    frame = spark.createDataFrame(rows, schema)
    blocks = max(1, min(4, spark.sparkContext.defaultParallelism))
    als = ALS(
        rank=settings.als.rank,
        maxIter=settings.als.max_iter,
        regParam=settings.als.reg_param,
        alpha=settings.als.alpha,
        implicitPrefs=True,
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        seed=settings.seed,
        numUserBlocks=blocks,
        numItemBlocks=blocks,
    )
    fitted = als.fit(frame)
    user_factors = np.zeros((n_users, settings.als.rank), dtype=np.float64)
    item_factors = np.zeros((n_items, settings.als.rank), dtype=np.float64)
    for row in fitted.userFactors.collect():
        user_factors[row["id"]] = row["features"]
    for row in fitted.itemFactors.collect():
        item_factors[row["id"]] = row["features"]
    if len(_FITS) >= 8:
        _FITS.clear()
    _FITS[key] = (user_factors.copy(), item_factors.copy())
    return user_factors, item_factors


def load_model(folder: Path) -> Model:
    """A model saved by `Model.save`."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    with np.load(folder / "model.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    space = ItemSpace.from_arrays({k[6:]: v for k, v in arrays.items() if k.startswith("space.")}, meta["space"])
    kind = meta.pop("kind")
    meta.pop("space")
    if kind == "popularity":
        return PopularityModel(space, meta)
    if kind == "trending":
        return TrendingModel(space, arrays["trend"], meta)
    if kind == "sims":
        return SimsModel(space, arrays["neighbours"], arrays["neighbour_scores"], meta)
    if kind == "als":
        keys = ("item_factors", "user_ids", "user_factors", "hist_ptr", "hist_items")
        return AlsModel(space, **{k: arrays[k] for k in keys}, meta=meta)
    raise ValueError(f"unknown model kind {kind!r} in {folder}")
