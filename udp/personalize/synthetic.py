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
    """A retailer's interactions, items and users with planted category/brand preferences."""
    rng = np.random.default_rng(seed)
    n_l2 = len(L1) * L2_PER_L1
    l2_names = [f"{L1[i // L2_PER_L1]}/{i % L2_PER_L1 + 1}" for i in range(n_l2)]
    brand_names = [f"Brand{b:02d}" for b in range(BRANDS)]

    # items: a category (L3 -> L2 -> L1), a brand, a Zipf-like appeal; the last `cold_items` launched lately
    item_ids = [f"SKU{i:06d}" for i in range(items)]
    l3 = rng.integers(0, n_l2 * L3_PER_L2, size=items)
    l2 = l3 // L3_PER_L2
    brand = rng.integers(0, BRANDS, size=items)
    appeal = 1.0 / (1 + rng.permutation(items)) ** 0.8
    price = np.round(rng.lognormal(3.2, 0.6, size=items), 2)
    end = start + days * DAY
    created = start - rng.integers(30, 720, size=items) * DAY
    cold = np.arange(items - min(cold_items, items), items)
    created[cold] = end - rng.integers(1, 4, size=len(cold)) * DAY
    appeal[cold] = 0.0  # cold items get (almost) no organic interactions
    by_l2 = [np.flatnonzero(l2 == c) for c in range(n_l2)]

    # users: two favourite categories, two favourite brands, a lognormal activity level
    user_ids = [f"U{u:06d}" for u in range(users)]
    fav_l2 = np.stack([rng.choice(n_l2, size=2, replace=False) for _ in range(users)])
    fav_brand = np.stack([rng.choice(BRANDS, size=2, replace=False) for _ in range(users)])
    activity = rng.lognormal(0.0, 0.8, size=users)

    events_per_session = 1 + 0.3 + 0.3 * 0.4
    sessions = max(users, int(interactions / events_per_session))
    session_user = rng.choice(users, size=sessions, p=activity / activity.sum())
    session_user[:users] = np.arange(users)  # every user at least one session
    session_time = rng.integers(start, end - 3600, size=sessions)

    rows: list[tuple[Any, ...]] = []
    devices = ("web", "ios", "android")
    channels = ("web", "app")
    for s in range(sessions):
        u = int(session_user[s])
        if rng.random() < FAVOURITE_SHARE:
            cat = int(fav_l2[u, 0] if rng.random() < 0.65 else fav_l2[u, 1])
        else:
            cat = int(rng.integers(0, n_l2))
        pool = by_l2[cat]
        weights = appeal[pool] * np.where(np.isin(brand[pool], fav_brand[u]), BRAND_BOOST, 1.0)
        if weights.sum() <= 0:
            continue
        item = int(pool[np.searchsorted(np.cumsum(weights), rng.random() * weights.sum())])
        t = int(session_time[s])
        device = devices[int(rng.integers(0, 3))]
        channel = "web" if device == "web" else channels[1]
        rows.append((user_ids[u], item_ids[item], t, "View", None, device, channel))
        if rng.random() < 0.3:
            rows.append((user_ids[u], item_ids[item], t + 60, "AddToCart", None, device, channel))
            if rng.random() < 0.4:
                rows.append((user_ids[u], item_ids[item], t + 180, "Purchase", float(price[item]), device, channel))

    # a handful of interactions for the cold items, so they exist in Interactions but stay cold
    for item in cold[: len(cold) // 2]:
        u = int(rng.integers(0, users))
        rows.append((user_ids[u], item_ids[int(item)], int(end - 3600), "View", None, "web", "web"))
    rows.sort(key=lambda r: (r[2], r[0]))

    item_rows = [
        (
            item_ids[i],
            L1[int(l2[i]) // L2_PER_L1],
            l2_names[int(l2[i])],
            f"{l2_names[int(l2[i])]}/{int(l3[i]) % L3_PER_L2 + 1}",
            brand_names[int(brand[i])],
            float(price[i]),
            int(created[i]),
            f'{brand_names[int(brand[i])]} "{l2_names[int(l2[i])]}" item {i}, 100% cotton \\ soft',
        )
        for i in range(items)
    ]
    bands = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
    tiers = ("bronze", "silver", "gold", None)
    regions = ("London", "North West", "Scotland", "Wales", "South East")
    user_rows = [
        (
            user_ids[u],
            bands[int(rng.integers(0, len(bands)))],
            tiers[int(rng.integers(0, len(tiers)))],
            regions[int(rng.integers(0, len(regions)))],
            ("low", "medium", "high")[int(rng.integers(0, 3))],
            ("urban", "rural")[int(rng.integers(0, 2))],
        )
        for u in range(users)
    ]
    return SyntheticRetail(
        interactions=rows,
        items=item_rows,
        users=user_rows,
        favourite_categories={
            user_ids[u]: (l2_names[int(fav_l2[u, 0])], l2_names[int(fav_l2[u, 1])]) for u in range(users)
        },
        favourite_brands={
            user_ids[u]: (brand_names[int(fav_brand[u, 0])], brand_names[int(fav_brand[u, 1])]) for u in range(users)
        },
        cold_items=tuple(item_ids[int(i)] for i in cold),
    )


def write(export: str | Path, snapshot_id: str, data: SyntheticRetail, *, rows_per_file: int = 0) -> Path:
    """Write `data` as an export snapshot `<export>/personalize/<snapshot_id>/`."""
    return write_snapshot(export, snapshot_id, data.datasets(), rows_per_file=rows_per_file)
