"""Identifiers that look random but can never collide: bijections from a record index into an id space."""

from __future__ import annotations

import numpy as np

CRM_ID_BASE, CRM_ID_SPACE, CRM_BAD_ID_BASE = 10_000_000, 80_000_000, 90_000_000
CARD_PREFIX, CARD_SPACE = "6339", 10**12
ACCOUNT_SPACE = 1 << 39  # valid account ids < 2**39; planted bad rows use ids above
MOBILE_SPACE = 600_000_000  # 07 + [4-9] + 8 digits
UNKNOWN_SKU_LIMIT = 9_000_000  # unknown SKUs are drawn from (skus, 9_000_000); bad ERP rows use 9_000_000+


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A bijection on uint64 that scatters consecutive integers (used for ids that look random, never collide)."""
    z = np.asarray(x, dtype=np.uint64).copy()
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def affine(index: np.ndarray, mult: int, add: int, space: int) -> np.ndarray:
    """index -> (index * mult + add) mod space: a bijection on [0, space) when gcd(mult, space) == 1."""
    return (np.asarray(index, dtype=np.int64) * mult + add) % space


def mix40(index: np.ndarray) -> np.ndarray:
    """A bijection on [0, 2**39) for account ids."""
    mask = ACCOUNT_SPACE - 1
    x = (np.asarray(index, dtype=np.int64) * 0x5DEECE66D + 0xB) & mask
    x ^= x >> 19
    return (x * 0x2545F491) & mask
