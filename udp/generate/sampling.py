"""Weighted sampling: Zipf-like weights, normalised cumulative arrays and draws from them."""

from __future__ import annotations

import numpy as np


def zipf_weights(n: int, exponent: float, offset: float) -> np.ndarray:
    return 1.0 / np.power(np.arange(1, n + 1, dtype=np.float64) + offset, exponent)


def cdf(weights: np.ndarray) -> np.ndarray:
    c = np.cumsum(np.asarray(weights, dtype=np.float64))
    return c / c[-1]


def draw(cum: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """Indices drawn with probabilities given by a normalised cumulative array."""
    return np.minimum(np.searchsorted(cum, rng.random(size), side="right"), len(cum) - 1)
