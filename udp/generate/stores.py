"""Stores: where they are, how many tills each has, and which of the day's two till files reports them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from udp.generate import vocab as V
from udp.generate.people import CITY_CDF
from udp.generate.sampling import draw


@dataclass(frozen=True)
class Stores:
    """Per store, sorted by city: city entry, store number (S1001...), tills, till file (0 or 1)."""

    city: np.ndarray
    num: np.ndarray
    tills: np.ndarray
    file: np.ndarray
    city_start: np.ndarray  # per city entry: its first store (cities + 1 entries)


def place_stores(rng: np.random.Generator, n: int) -> Stores:
    """One store per 5,000 persons (6 to 400), in cities weighted like where persons live."""
    k = int(np.clip(n // 5000, 6, 400))
    city = np.sort(draw(CITY_CDF, rng, k))
    tills: np.ndarray = rng.integers(2, 9, k)
    return Stores(
        city=city,
        num=1001 + np.arange(k),
        tills=tills,
        file=(np.arange(k) >= k // 2).astype(np.int64),  # two files a day: first and second half
        city_start=np.searchsorted(city, np.arange(len(V.CITIES) + 1), side="left"),
    )
