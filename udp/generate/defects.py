"""The bad-record plan: which defects each source plants, how many per file, and the whole-file defects' days.

Every file gets a share of its rows as bad records, plus at least FORCED_PER_KIND of each kind over the period, on
days drawn from the seed, whatever the scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from udp.generate.ids import UNKNOWN_SKU_LIMIT

DEFECTS: dict[str, tuple[str, ...]] = {
    "crm": ("malformed_row", "bad_date"),
    "ecom": ("malformed_json",),
    "oms": ("negative_quantity", "unknown_sku"),
    "pos": ("negative_quantity", "unknown_sku", "bad_timestamp", "malformed_row"),
    "clickstream": ("malformed_json", "unknown_sku", "bad_timestamp"),
    "support": ("invalid_utf8",),
    "erp": ("negative_price",),
}
BAD_SHARE = 0.0015  # planted bad records per valid record, per source (split over its defect kinds)
FORCED_PER_KIND = 3  # at least this many of each defect kind, whatever the scale


@dataclass(frozen=True)
class BadPlan:
    """Forced bad records per (source, kind) and day, and the days of the empty till file and the truncated
    clickstream file."""

    forced: dict[tuple[str, str], np.ndarray]
    empty_pos_day: int
    empty_pos_file: int
    truncated_click_day: int

    def counts(
        self, rng: np.random.Generator, source: str, day: int, valid_rows: int, *, forced: bool = True
    ) -> dict[str, int]:
        """How many bad records of each kind a file gets: a share of its rows, plus the day's forced minimum when
        `forced` (a day with several files adds the minimum to one of them)."""
        kinds = DEFECTS[source]
        rate = BAD_SHARE / len(kinds)
        extra = {kind: int(self.forced[(source, kind)][day]) if forced else 0 for kind in kinds}
        return {kind: int(rng.binomial(valid_rows, rate)) + extra[kind] for kind in kinds}


def plan_bad_records(rng: np.random.Generator, days: int) -> BadPlan:
    forced: dict[tuple[str, str], np.ndarray] = {}
    for source, kinds in DEFECTS.items():
        for kind in kinds:
            on = rng.integers(0, days, FORCED_PER_KIND)
            forced[(source, kind)] = np.bincount(on, minlength=days)
    return BadPlan(
        forced=forced,
        empty_pos_day=int(rng.integers(1, days)) if days > 1 else 0,
        empty_pos_file=int(rng.integers(0, 2)),
        truncated_click_day=int(rng.integers(0, days)),
    )


def unknown_skus(rng: np.random.Generator, skus: int, size: int) -> np.ndarray:
    """SKU numbers above the catalogue's (and below the ERP's planted ones): items no system knows."""
    return rng.integers(skus + 1, UNKNOWN_SKU_LIMIT, size)
