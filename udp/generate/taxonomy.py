"""The category tree (L1 > L2 > leaf), the brands selling in each L1 and the materials of each L1, as index tables.

Built once from vocab.py at import: every table depends on the vocabulary only, never on the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from udp.generate import vocab as V


@dataclass(frozen=True)
class Taxonomy:
    """Category, brand and material tables; the `*_start` arrays are offsets into a flat table, one row per L1."""

    l1_names: tuple[str, ...]
    l2_names: tuple[str, ...]
    l2_l1: np.ndarray  # per L2: its L1
    l2_start: np.ndarray  # per L1: first L2 (L2s are listed L1 by L1)
    leaf_label: tuple[str, ...]
    leaf_noun: tuple[str, ...]
    leaf_path: tuple[str, ...]  # "L1 > L2 > label"
    leaf_l2: np.ndarray  # per leaf: its L2
    brand_names: tuple[str, ...]
    brand_tier: np.ndarray  # per brand: its usual price band
    l1_brand_start: np.ndarray
    l1_brands: np.ndarray  # brands selling in each L1
    materials: tuple[str, ...]
    material_start: np.ndarray
    material_count: np.ndarray

    @property
    def n_l1(self) -> int:
        return len(self.l1_names)

    @property
    def n_l2(self) -> int:
        return len(self.l2_names)

    @property
    def n_leaf(self) -> int:
        return len(self.leaf_noun)

    @property
    def n_brand(self) -> int:
        return len(self.brand_names)


def _flatten() -> Taxonomy:
    l1_names = tuple(V.CATEGORY_TREE)
    l2_names: list[str] = []
    l2_l1: list[int] = []
    leaf_label: list[str] = []
    leaf_noun: list[str] = []
    leaf_l2: list[int] = []
    leaf_path: list[str] = []
    for i1, (l1, l2s) in enumerate(V.CATEGORY_TREE.items()):
        for l2, leaves in l2s.items():
            l2_names.append(l2)
            l2_l1.append(i1)
            for label, noun in leaves:
                leaf_label.append(label)
                leaf_noun.append(noun)
                leaf_l2.append(len(l2_names) - 1)
                leaf_path.append(f"{l1} > {l2} > {label}")
    l2_start = np.zeros(len(l1_names) + 1, dtype=np.int64)
    for i1 in range(len(l1_names)):
        l2_start[i1 + 1] = l2_start[i1] + l2_l1.count(i1)
    per_l1 = [[i for i, b in enumerate(V.BRANDS) if l1 in b[1]] for l1 in l1_names]
    material_count = np.array([len(V.L1_MATERIALS[x]) for x in l1_names], dtype=np.int64)
    return Taxonomy(
        l1_names=l1_names,
        l2_names=tuple(l2_names),
        l2_l1=np.array(l2_l1, dtype=np.int64),
        l2_start=l2_start,
        leaf_label=tuple(leaf_label),
        leaf_noun=tuple(leaf_noun),
        leaf_path=tuple(leaf_path),
        leaf_l2=np.array(leaf_l2, dtype=np.int64),
        brand_names=tuple(b[0] for b in V.BRANDS),
        brand_tier=np.array([b[2] for b in V.BRANDS], dtype=np.int64),
        l1_brand_start=np.cumsum([0, *[len(x) for x in per_l1]]).astype(np.int64),
        l1_brands=np.array([b for x in per_l1 for b in x], dtype=np.int64),
        materials=tuple(s for x in l1_names for s in V.L1_MATERIALS[x]),
        material_start=np.concatenate([[0], np.cumsum(material_count)]),
        material_count=material_count,
    )


TAXONOMY = _flatten()
