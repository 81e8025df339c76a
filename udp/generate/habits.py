"""How each person shops: what they favour (categories, brands, a price band) and how often they come online and in
store.

Both are drawn from one random stream, preferences first, so `draw_activity` follows `draw_preferences`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from udp.generate import vocab as V
from udp.generate.sampler import ItemSampler
from udp.generate.sampling import cdf, draw
from udp.generate.taxonomy import TAXONOMY as T


@dataclass(frozen=True)
class Preferences:
    """Per person: favourite L1 (and a second, -1: none), L2, brand (and a second), price band, and the five item
    sampler groups their preferred interactions come from."""

    fav_l1: np.ndarray
    fav_l1b: np.ndarray
    fav_l2: np.ndarray
    fav_brand: np.ndarray
    fav_brand2: np.ndarray
    band: np.ndarray
    groups: np.ndarray  # (n, 5) sampler group keys


@dataclass(frozen=True)
class Activity:
    """Who shops: cumulative weights of persons for web sessions and till transactions (`pos_w` unnormalised)."""

    web_cdf: np.ndarray
    pos_w: np.ndarray
    pos_cdf: np.ndarray


def draw_preferences(rng: np.random.Generator, male: np.ndarray, sampler: ItemSampler) -> Preferences:
    """Favourites skewed by sex (Women's and Men's departments), brands from the favourite departments."""
    n = male.shape[0]
    base = np.array([V.L1_WEIGHT[x] for x in T.l1_names], dtype=np.float64)
    women, men = T.l1_names.index("Women"), T.l1_names.index("Men")
    wf, wm = base.copy(), base.copy()
    wf[women] *= 3.0
    wf[men] *= 0.2
    wm[men] *= 3.0
    wm[women] *= 0.2
    fav1 = np.where(male, draw(cdf(wm), rng, n), draw(cdf(wf), rng, n))
    fav2 = np.where(male, draw(cdf(wm), rng, n), draw(cdf(wf), rng, n))
    fav2 = np.where((rng.random(n) < 0.45) & (fav2 != fav1), fav2, -1)
    nl2 = np.diff(T.l2_start)
    fav_l2 = T.l2_start[fav1] + (rng.random(n) * nl2[fav1]).astype(np.int64)
    cnt = np.diff(T.l1_brand_start)
    br1 = T.l1_brands[T.l1_brand_start[fav1] + (rng.random(n) * cnt[fav1]).astype(np.int64)]
    l1b = np.where(fav2 >= 0, fav2, fav1)
    br2 = T.l1_brands[T.l1_brand_start[l1b] + (rng.random(n) * cnt[l1b]).astype(np.int64)]
    br2 = np.where((rng.random(n) < 0.5) & (br2 != br1), br2, -1)
    band = np.asarray(rng.choice(3, p=[0.35, 0.45, 0.20], size=n))
    return Preferences(
        fav_l1=fav1,
        fav_l1b=fav2,
        fav_l2=fav_l2,
        fav_brand=br1,
        fav_brand2=br2,
        band=band,
        groups=_groups(sampler, fav1=fav1, l1b=l1b, fav_l2=fav_l2, br1=br1, br2=br2, band=band),
    )


def _groups(
    s: ItemSampler,
    *,
    fav1: np.ndarray,
    l1b: np.ndarray,
    fav_l2: np.ndarray,
    br1: np.ndarray,
    br2: np.ndarray,
    band: np.ndarray,
) -> np.ndarray:
    """Five sampler groups per person, each falling back to a wider group when it holds no active item."""
    n = fav1.shape[0]

    def resolve(*candidates: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        done = np.zeros(n, dtype=bool)
        for cand in candidates:
            ok = ~done & (s.group_size[cand] > 0)
            out[ok] = cand[ok]
            done |= ok
        return out

    l1band_a = s.g_l1band + fav1 * 3 + band
    l1band_b = s.g_l1band + l1b * 3 + band
    brand2 = np.where(br2 >= 0, br2, br1)
    return np.stack(
        [
            resolve(s.g_l2band + fav_l2 * 3 + band, l1band_a),
            resolve(l1band_a, s.g_l1band + fav1 * 3 + 1),
            resolve(l1band_b, l1band_a),
            resolve(s.g_brandband + br1 * 3 + band, s.g_brand + br1, l1band_a),
            resolve(s.g_brandband + brand2 * 3 + band, s.g_brand + brand2, l1band_a),
        ],
        axis=1,
    )


def draw_activity(rng: np.random.Generator, n: int) -> Activity:
    """Overall activity (lognormal) split between online and in store by a per-person online affinity."""
    act = rng.lognormal(0.0, 0.9, n)
    online = rng.beta(2.0, 2.0, n)
    pos_w = act * (1.3 - online)
    return Activity(web_cdf=cdf(act * (0.3 + online)), pos_w=pos_w, pos_cdf=cdf(pos_w))
