"""The catalogue's items: category, brand, price band, list price, launch, popularity, looks and price changes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from udp.generate import vocab as V
from udp.generate.sampling import cdf, draw, zipf_weights
from udp.generate.taxonomy import TAXONOMY as T


@dataclass(frozen=True)
class Products:
    """Per item (index = SKU number - 1). Prices are in pence; days count from the first day of the period."""

    leaf: np.ndarray
    l2: np.ndarray
    l1: np.ndarray
    brand: np.ndarray
    band: np.ndarray  # price band 0..2
    price: np.ndarray  # list price before any change
    launch_day: np.ndarray  # negative: launched before the period
    active: np.ndarray
    pop: np.ndarray  # popularity weight
    adj: np.ndarray
    colour: np.ndarray
    material: np.ndarray
    opener: np.ndarray
    closer: np.ndarray
    collection: np.ndarray
    chg_item: np.ndarray  # price changes, sorted by day: item, day, new price
    chg_day: np.ndarray
    chg_price: np.ndarray
    safe_item: int  # the most popular active item launched before the period (planted bad records use it)

    def price_on(self, day: int) -> np.ndarray:
        """Each item's price in pence on a day (price changes take effect on their day)."""
        price = self.price.copy()
        upto = np.searchsorted(self.chg_day, day, side="right")
        price[self.chg_item[:upto]] = self.chg_price[:upto]
        return price


def draw_products(rng: np.random.Generator, m: int, days: int) -> Products:
    """`m` items of a period of `days` days; at most one price change each, on a day after its launch."""
    leaf, l2, l1, brand, band = _assortment(rng, m)
    price = _list_prices(rng, l1, band)
    cold = (rng.random(m) < 0.03) if days >= 2 else np.zeros(m, dtype=bool)
    launch_day = np.where(cold, rng.integers(1, max(days, 2), m), -rng.integers(1, 3 * 365, m))
    active = (rng.random(m) < 0.95) | cold
    rank = rng.permutation(m)
    pop = zipf_weights(m, 1.0, 10.0)[rank]
    adj = rng.integers(0, len(V.ADJECTIVES), m)
    colour = rng.integers(0, len(V.COLOURS), m)
    material = T.material_start[l1] + (rng.random(m) * T.material_count[l1]).astype(np.int64)
    opener = rng.integers(0, len(V.DESCRIPTION_OPENERS), m)
    closer = rng.integers(0, len(V.DESCRIPTION_CLOSERS), m)
    collection = rng.integers(0, len(V.COLLECTIONS), m)
    chg_item, chg_day, chg_price = _price_changes(rng, price, launch_day, active, days)
    return Products(
        leaf=leaf,
        l2=l2,
        l1=l1,
        brand=brand,
        band=band,
        price=price,
        launch_day=launch_day,
        active=active,
        pop=pop,
        adj=adj,
        colour=colour,
        material=material,
        opener=opener,
        closer=closer,
        collection=collection,
        chg_item=chg_item,
        chg_day=chg_day,
        chg_price=chg_price,
        safe_item=_safe_item(active, launch_day, pop),
    )


def _assortment(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(leaf, L2, L1, brand, price band) per item: L1s by weight, then a brand selling in the L1."""
    leaf_l1 = T.l2_l1[T.leaf_l2]
    leaf_w = np.array([V.L1_WEIGHT[T.l1_names[i]] for i in leaf_l1.tolist()], dtype=np.float64)
    leaf_w /= np.bincount(leaf_l1, minlength=T.n_l1)[leaf_l1]
    leaf_w *= rng.lognormal(0.0, 0.4, T.n_leaf)
    leaf = draw(cdf(leaf_w), rng, m)
    l2 = T.leaf_l2[leaf]
    l1 = T.l2_l1[l2]
    start, count = T.l1_brand_start[l1], np.diff(T.l1_brand_start)[l1]
    brand = T.l1_brands[start + (rng.random(m) * count).astype(np.int64)]
    own_tier = rng.random(m) < 0.65
    band = np.where(own_tier, T.brand_tier[brand], rng.integers(0, 3, m)).astype(np.int64)
    return leaf, l2, l1, brand, band


def _list_prices(rng: np.random.Generator, l1: np.ndarray, band: np.ndarray) -> np.ndarray:
    """Log-uniform within the L1's range for the band, then a retail ending (.99, .49, .95...)."""
    m = l1.shape[0]
    lo = np.empty(m)
    hi = np.empty(m)
    for i1, name in enumerate(T.l1_names):
        for b in range(3):
            sel = (l1 == i1) & (band == b)
            lo[sel], hi[sel] = V.L1_PRICES[name][b]
    price = np.exp(np.log(lo) + rng.random(m) * (np.log(hi) - np.log(lo)))
    return price_pence(price, rng)


def price_pence(price: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pounds (float) -> pence with a drawn retail ending."""
    pounds = np.maximum(np.floor(price).astype(np.int64), 1)
    ending = np.array([99, 99, 99, 49, 0, 50, 95])[rng.integers(0, 7, price.shape[0])]
    return pounds * 100 + ending


def _price_changes(
    rng: np.random.Generator, price: np.ndarray, launch_day: np.ndarray, active: np.ndarray, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item, day, new price) of each price change, sorted by day then item."""
    m = price.shape[0]
    n_changes = int(m * 0.0005 * max(days - 1, 0))
    cand = rng.choice(m, size=min(n_changes, m), replace=False) if n_changes else np.zeros(0, dtype=np.int64)
    cday = np.asarray(rng.integers(1, max(days, 2), cand.shape[0]))
    ok = (launch_day[cand] < cday) & active[cand]
    cand, cday = cand[ok], cday[ok]
    factor = rng.choice(np.array([0.7, 0.8, 0.85, 0.9, 1.1, 1.15, 1.2]), size=cand.shape[0])
    order = np.lexsort((cand, cday))
    chg_item = cand[order]
    return chg_item, cday[order], price_pence(price[chg_item] / 100.0 * factor[order], rng)


def _safe_item(active: np.ndarray, launch_day: np.ndarray, pop: np.ndarray) -> int:
    active_items = np.flatnonzero(active)
    launched = active_items[launch_day[active_items] < 0]
    return int(launched[np.argmax(pop[launched])]) if launched.size else int(active_items[0])
