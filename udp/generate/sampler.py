"""The item sampler: one flat table of (group, cumulative popularity) so any mix of groups samples in one call.

Group 0 is every active item; then one group per (L2, price band), (L1, band), (brand, band) and brand. A person's
preferences (habits.py) are five such groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from udp.generate.products import Products
from udp.generate.taxonomy import TAXONOMY as T


@dataclass(frozen=True)
class ItemSampler:
    """Sorted group keys plus within-group cumulative popularity (`ckey`), and the item of each entry."""

    g_l2band: int  # first group key of each kind: + index * 3 + band (or + brand for g_brand)
    g_l1band: int
    g_brandband: int
    g_brand: int
    n_groups: int
    group_size: np.ndarray
    ckey: np.ndarray
    item: np.ndarray
    launch_day: np.ndarray
    safe_item: int

    def draw_group(self, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        pos = np.searchsorted(self.ckey, groups + rng.random(groups.shape[0]), side="right")
        return self.item[np.minimum(pos, self.item.shape[0] - 1)]

    def sample(self, person_groups: np.ndarray, persons: np.ndarray, day: int, rng: np.random.Generator) -> np.ndarray:
        """Items for interactions of `persons` (-1: an unknown visitor) on `day`: ~70% from the person's preferences
        (`person_groups`, five per person), the rest by overall popularity; never an item launched on or after
        `day`."""
        n = persons.shape[0]
        known = persons >= 0
        pref = known & (rng.random(n) < 0.7)
        slot = np.asarray(np.searchsorted(np.array([0.3, 0.45, 0.6, 0.85, 1.0]), rng.random(n), side="right"))
        groups = np.zeros(n, dtype=np.int64)
        groups[pref] = person_groups[persons[pref], np.minimum(slot[pref], 4)]
        items = self.draw_group(groups, rng)
        for _ in range(3):
            late = self.launch_day[items] >= day
            if not late.any():
                break
            items[late] = self.draw_group(groups[late], rng)
        late = self.launch_day[items] >= day
        if late.any():
            items[late] = self.draw_group(np.zeros(int(late.sum()), dtype=np.int64), rng)
            items[self.launch_day[items] >= day] = self.safe_item
        return items


def build_sampler(products: Products) -> ItemSampler:
    """The sampling table of the active items (no random draws)."""
    p = products
    active = np.flatnonzero(p.active)
    g_l2band = 1
    g_l1band = g_l2band + T.n_l2 * 3
    g_brandband = g_l1band + T.n_l1 * 3
    g_brand = g_brandband + T.n_brand * 3
    n_groups = g_brand + T.n_brand
    band = p.band[active]
    keys = np.concatenate(
        [
            np.zeros(active.shape[0], dtype=np.int64),
            g_l2band + p.l2[active] * 3 + band,
            g_l1band + p.l1[active] * 3 + band,
            g_brandband + p.brand[active] * 3 + band,
            g_brand + p.brand[active],
        ]
    )
    items = np.tile(active, 5)
    order = np.argsort(keys, kind="stable")
    keys, items = keys[order], items[order]
    weight = p.pop[items]
    csum = np.cumsum(weight)
    group_size = np.bincount(keys, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(group_size)])
    before = np.concatenate([[0.0], csum])[starts[:-1]]
    total = csum[np.maximum(starts[1:] - 1, 0)] - before
    within = (csum - before[keys]) / np.where(total[keys] > 0, total[keys], 1.0)
    last = starts[1:][group_size > 0] - 1
    within[last] = 1.0
    return ItemSampler(
        g_l2band=g_l2band,
        g_l1band=g_l1band,
        g_brandband=g_brandband,
        g_brand=g_brand,
        n_groups=n_groups,
        group_size=group_size,
        ckey=keys + within,
        item=items.astype(np.int64),
        launch_day=p.launch_day,
        safe_item=p.safe_item,
    )
