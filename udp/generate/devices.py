"""Devices: the phones and computers persons browse on, and those of anonymous visitors who never log in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from udp.generate.ids import splitmix64

DEVICE_TYPES: tuple[str, ...] = ("web", "ios", "android")


@dataclass(frozen=True)
class Devices:
    """Persons' devices (a person's are consecutive, from `person_start`) and visitors' devices; types index
    DEVICE_TYPES; ids are the 64-bit anonymous ids the clickstream shows."""

    person_count: np.ndarray  # per person: one or two devices
    person_start: np.ndarray  # per person: their first device (persons + 1 entries)
    person: np.ndarray  # per device: its owner
    type: np.ndarray
    id: np.ndarray
    n_visitors: int
    visitor_type: np.ndarray
    visitor_id: np.ndarray


def draw_devices(rng: np.random.Generator, n: int) -> Devices:
    """One or two devices per person, plus one device per anonymous visitor (a quarter as many as persons)."""
    person_count = 1 + (rng.random(n) < 0.35).astype(np.int64)
    person_start = np.concatenate([[0], np.cumsum(person_count)]).astype(np.int64)
    d = int(person_start[-1])
    device_type: np.ndarray = rng.choice(3, p=[0.5, 0.25, 0.25], size=d)
    salt = int(rng.integers(0, 2**40))
    n_visitors = max(100, n // 4)
    visitor_type: np.ndarray = rng.choice(3, p=[0.6, 0.2, 0.2], size=n_visitors)
    return Devices(
        person_count=person_count,
        person_start=person_start,
        person=np.repeat(np.arange(n), person_count),
        type=device_type,
        id=splitmix64(np.arange(d, dtype=np.uint64) + np.uint64(salt)),
        n_visitors=n_visitors,
        visitor_type=visitor_type,
        visitor_id=splitmix64(np.arange(d, d + n_visitors, dtype=np.uint64) + np.uint64(salt)),
    )
