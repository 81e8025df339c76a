"""Synthetic Personalize datasets with planted preferences (tests, the benchmark, offline demos).

Each user has two favourite categories (CATEGORY_L2) and two favourite brands: 85 % of their sessions are in a
favourite category, and within a category items of a favourite brand are four times as likely. Item popularity is
Zipf-like, so the popularity baseline is reasonable but blind to the planted tastes — a personalised recipe should
beat it. A few items are launched in the last days with almost no interactions: the cold items.

    data = generate(users=3000, items=1500, interactions=80000, seed=7)
    write(export_dir, "20260401T000000Z", data)     # an export snapshot folder (udp/personalize/snapshot.py)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from udp.personalize.snapshot import SchemaField, write_snapshot

DAY = 86400
START = 1_767_225_600  # 2026-01-01T00:00:00Z

INTERACTION_FIELDS = (
    SchemaField("USER_ID", "string"),
    SchemaField("ITEM_ID", "string"),
    SchemaField("TIMESTAMP", "long"),
    SchemaField("EVENT_TYPE", "string"),
    SchemaField("EVENT_VALUE", "float", nullable=True),
    SchemaField("DEVICE", "string", nullable=True, categorical=True),
    SchemaField("CHANNEL", "string", nullable=True, categorical=True),
)
ITEM_FIELDS = (
    SchemaField("ITEM_ID", "string"),
    SchemaField("CATEGORY_L1", "string", nullable=True, categorical=True),
    SchemaField("CATEGORY_L2", "string", nullable=True, categorical=True),
    SchemaField("CATEGORY_L3", "string", nullable=True, categorical=True),
    SchemaField("BRAND", "string", nullable=True, categorical=True),
    SchemaField("PRICE", "float", nullable=True),
    SchemaField("CREATION_TIMESTAMP", "long"),
    SchemaField("DESCRIPTION", "string", nullable=True, textual=True),
)
USER_FIELDS = (
    SchemaField("USER_ID", "string"),
    SchemaField("AGE_BAND", "string", nullable=True, categorical=True),
    SchemaField("LOYALTY_TIER", "string", nullable=True, categorical=True),
    SchemaField("REGION", "string", nullable=True, categorical=True),
    SchemaField("INCOME_BAND", "string", nullable=True, categorical=True),
    SchemaField("URBAN_RURAL", "string", nullable=True, categorical=True),
)

L1 = ("Women", "Men", "Kids", "Home", "Beauty", "Sport")
L2_PER_L1 = 4
L3_PER_L2 = 3
BRANDS = 30
FAVOURITE_SHARE = 0.85
BRAND_BOOST = 4.0
N_L2 = len(L1) * L2_PER_L1
L2_NAMES = tuple(f"{L1[i // L2_PER_L1]}/{i % L2_PER_L1 + 1}" for i in range(N_L2))
BRAND_NAMES = tuple(f"Brand{b:02d}" for b in range(BRANDS))


@dataclass(frozen=True)
class SyntheticRetail:
    """Rows in the schemas' column order, plus the planted truth."""

    interactions: list[tuple[Any, ...]]
    items: list[tuple[Any, ...]]
    users: list[tuple[Any, ...]]
    favourite_categories: dict[str, tuple[str, str]] = field(default_factory=dict)
    favourite_brands: dict[str, tuple[str, str]] = field(default_factory=dict)
    cold_items: tuple[str, ...] = ()

    def datasets(self) -> dict[str, tuple[tuple[SchemaField, ...], list[tuple[Any, ...]]]]:
        return {
            "interactions": (INTERACTION_FIELDS, self.interactions),
            "items": (ITEM_FIELDS, self.items),
            "users": (USER_FIELDS, self.users),
        }


def generate(
    *,
    users: int = 3000,
    items: int = 1500,
    interactions: int = 80000,
    days: int = 90,
    seed: int = 7,
    cold_items: int = 24,
    start: int = START,
) -> SyntheticRetail:
    """A retailer's interactions, items and users with planted category/brand preferences.

    One generator feeds every step, in this order, so a seed gives the same data on every run.
    """
    rng = np.random.default_rng(seed)
    end = start + days * DAY
    catalogue = _plant_items(rng, items, cold_items, start, end)
    people = _plant_users(rng, users)
    rows = _interaction_rows(rng, catalogue, people, interactions, start=start, end=end)
    item_rows = _item_rows(catalogue)
    user_rows = _user_rows(rng, people.ids)
    return SyntheticRetail(
        interactions=rows,
        items=item_rows,
        users=user_rows,
        favourite_categories={
            people.ids[u]: (L2_NAMES[int(people.fav_l2[u, 0])], L2_NAMES[int(people.fav_l2[u, 1])])
            for u in range(users)
        },
        favourite_brands={
            people.ids[u]: (BRAND_NAMES[int(people.fav_brand[u, 0])], BRAND_NAMES[int(people.fav_brand[u, 1])])
            for u in range(users)
        },
        cold_items=tuple(catalogue.ids[int(i)] for i in catalogue.cold),
    )


@dataclass(frozen=True)
class _PlantedItems:
    """Per item index: its category (L3, and the L2 above it), brand, appeal, price and creation time."""

    ids: list[str]
    l3: np.ndarray
    l2: np.ndarray
    brand: np.ndarray
    appeal: np.ndarray
    price: np.ndarray
    created: np.ndarray
    cold: np.ndarray  # indices of the items launched lately
    by_l2: list[np.ndarray]  # item indices per L2 category


@dataclass(frozen=True)
class _PlantedUsers:
    """Per user index: two favourite categories (L2), two favourite brands and an activity level."""

    ids: list[str]
    fav_l2: np.ndarray
    fav_brand: np.ndarray
    activity: np.ndarray


def _plant_items(rng: np.random.Generator, items: int, cold_items: int, start: int, end: int) -> _PlantedItems:
    """Items: a category (L3 -> L2 -> L1), a brand, a Zipf-like appeal; the last `cold_items` launched lately."""
    ids = [f"SKU{i:06d}" for i in range(items)]
    l3 = rng.integers(0, N_L2 * L3_PER_L2, size=items)
    l2 = l3 // L3_PER_L2
    brand = rng.integers(0, BRANDS, size=items)
    appeal = 1.0 / (1 + rng.permutation(items)) ** 0.8
    price = np.round(rng.lognormal(3.2, 0.6, size=items), 2)
    created = start - rng.integers(30, 720, size=items) * DAY
    cold = np.arange(items - min(cold_items, items), items)
    created[cold] = end - rng.integers(1, 4, size=len(cold)) * DAY
    appeal[cold] = 0.0  # cold items get (almost) no organic interactions
    by_l2 = [np.flatnonzero(l2 == c) for c in range(N_L2)]
    return _PlantedItems(ids, l3, l2, brand, appeal, price, created, cold, by_l2)


def _plant_users(rng: np.random.Generator, users: int) -> _PlantedUsers:
    """Users: two favourite categories, two favourite brands, a lognormal activity level."""
    ids = [f"U{u:06d}" for u in range(users)]
    fav_l2 = np.stack([rng.choice(N_L2, size=2, replace=False) for _ in range(users)])
    fav_brand = np.stack([rng.choice(BRANDS, size=2, replace=False) for _ in range(users)])
    activity = rng.lognormal(0.0, 0.8, size=users)
    return _PlantedUsers(ids, fav_l2, fav_brand, activity)


def _interaction_rows(
    rng: np.random.Generator,
    catalogue: _PlantedItems,
    people: _PlantedUsers,
    interactions: int,
    *,
    start: int,
    end: int,
) -> list[tuple[Any, ...]]:
    """About `interactions` events in sessions spread over [start, end), plus a few for the cold items; by time."""
    users = len(people.ids)
    events_per_session = 1 + 0.3 + 0.3 * 0.4
    sessions = max(users, int(interactions / events_per_session))
    session_user = rng.choice(users, size=sessions, p=people.activity / people.activity.sum())
    session_user[:users] = np.arange(users)  # every user at least one session
    session_time = rng.integers(start, end - 3600, size=sessions)
    rows = _session_rows(rng, catalogue, people, session_user, session_time)

    # a handful of interactions for the cold items, so they exist in Interactions but stay cold
    for item in catalogue.cold[: len(catalogue.cold) // 2]:
        u = int(rng.integers(0, users))
        rows.append((people.ids[u], catalogue.ids[int(item)], int(end - 3600), "View", None, "web", "web"))
    rows.sort(key=lambda r: (r[2], r[0]))
    return rows


def _session_rows(
    rng: np.random.Generator,
    catalogue: _PlantedItems,
    people: _PlantedUsers,
    session_user: np.ndarray,
    session_time: np.ndarray,
) -> list[tuple[Any, ...]]:
    """Per session: a View of one item (mostly of a favourite category and brand), maybe AddToCart, then Purchase."""
    rows: list[tuple[Any, ...]] = []
    devices = ("web", "ios", "android")
    channels = ("web", "app")
    for s in range(len(session_user)):
        u = int(session_user[s])
        if rng.random() < FAVOURITE_SHARE:
            cat = int(people.fav_l2[u, 0] if rng.random() < 0.65 else people.fav_l2[u, 1])
        else:
            cat = int(rng.integers(0, N_L2))
        pool = catalogue.by_l2[cat]
        weights = catalogue.appeal[pool] * np.where(
            np.isin(catalogue.brand[pool], people.fav_brand[u]), BRAND_BOOST, 1.0
        )
        if weights.sum() <= 0:
            continue
        item = int(pool[np.searchsorted(np.cumsum(weights), rng.random() * weights.sum())])
        user_id, item_id, t = people.ids[u], catalogue.ids[item], int(session_time[s])
        device = devices[int(rng.integers(0, 3))]
        channel = "web" if device == "web" else channels[1]
        rows.append((user_id, item_id, t, "View", None, device, channel))
        if rng.random() < 0.3:
            rows.append((user_id, item_id, t + 60, "AddToCart", None, device, channel))
            if rng.random() < 0.4:
                price = float(catalogue.price[item])
                rows.append((user_id, item_id, t + 180, "Purchase", price, device, channel))
    return rows


def _item_rows(catalogue: _PlantedItems) -> list[tuple[Any, ...]]:
    """The Items dataset's rows, in ITEM_FIELDS order."""
    rows: list[tuple[Any, ...]] = []
    for i, item_id in enumerate(catalogue.ids):
        l2_name, brand_name = L2_NAMES[int(catalogue.l2[i])], BRAND_NAMES[int(catalogue.brand[i])]
        rows.append(
            (
                item_id,
                L1[int(catalogue.l2[i]) // L2_PER_L1],
                l2_name,
                f"{l2_name}/{int(catalogue.l3[i]) % L3_PER_L2 + 1}",
                brand_name,
                float(catalogue.price[i]),
                int(catalogue.created[i]),
                f'{brand_name} "{l2_name}" item {i}, 100% cotton \\ soft',
            )
        )
    return rows


def _user_rows(rng: np.random.Generator, user_ids: list[str]) -> list[tuple[Any, ...]]:
    """The Users dataset's rows, in USER_FIELDS order: demographic values drawn uniformly, user by user."""
    bands = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
    tiers = ("bronze", "silver", "gold", None)
    regions = ("London", "North West", "Scotland", "Wales", "South East")
    return [
        (
            user_id,
            bands[int(rng.integers(0, len(bands)))],
            tiers[int(rng.integers(0, len(tiers)))],
            regions[int(rng.integers(0, len(regions)))],
            ("low", "medium", "high")[int(rng.integers(0, 3))],
            ("urban", "rural")[int(rng.integers(0, 2))],
        )
        for user_id in user_ids
    ]


def write(export: str | Path, snapshot_id: str, data: SyntheticRetail, *, rows_per_file: int = 0) -> Path:
    """Write `data` as an export snapshot `<export>/personalize/<snapshot_id>/`."""
    return write_snapshot(export, snapshot_id, data.datasets(), rows_per_file=rows_per_file)
