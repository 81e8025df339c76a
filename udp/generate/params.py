"""The arguments every output byte depends on, and the independent random stream of each piece of work.

Random streams are `default_rng([seed, source, day, chunk])`; the world itself uses source 0 with one "day" number
per component (see world.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

SOURCES: tuple[str, ...] = ("crm", "ecom", "oms", "pos", "clickstream", "support", "erp", "thirdparty")
SOURCE_INDEX: dict[str, int] = {"world": 0, **{name: i + 1 for i, name in enumerate(SOURCES)}}

MAX_SKUS = 5_000_000
MAX_CUSTOMERS = 5_000_000


@dataclass(frozen=True)
class Params:
    """The arguments every output byte depends on."""

    customers: int
    skus: int
    days: int
    seed: int
    end_date: dt.date

    @property
    def day0(self) -> dt.date:
        return self.end_date - dt.timedelta(days=self.days - 1)

    def date(self, day: int) -> dt.date:
        return self.day0 + dt.timedelta(days=day)


def rng_for(params: Params, source: str, day: int, chunk: int) -> np.random.Generator:
    """The random stream of one (source, day, chunk): independent of every other, so work can be split freely."""
    return np.random.default_rng([params.seed, SOURCE_INDEX[source], day, chunk])
