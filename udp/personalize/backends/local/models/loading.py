"""A saved model folder (`model.npz` + `meta.json`, written by `Model.save`) back to its model, by its kind."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from udp.personalize.backends.local.models.als import AlsModel
from udp.personalize.backends.local.models.base import Model
from udp.personalize.backends.local.models.popular import PopularityModel, TrendingModel
from udp.personalize.backends.local.models.sims import SimsModel
from udp.personalize.backends.local.models.space import ItemSpace


def load_model(folder: Path) -> Model:
    """A model saved by `Model.save`."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    with np.load(folder / "model.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    space = ItemSpace.from_arrays({k[6:]: v for k, v in arrays.items() if k.startswith("space.")}, meta["space"])
    kind = meta.pop("kind")
    meta.pop("space")
    if kind == "popularity":
        return PopularityModel(space, meta)
    if kind == "trending":
        return TrendingModel(space, arrays["trend"], meta)
    if kind == "sims":
        return SimsModel(space, arrays["neighbours"], arrays["neighbour_scores"], meta)
    if kind == "als":
        keys = ("item_factors", "user_ids", "user_factors", "hist_ptr", "hist_items")
        return AlsModel(space, **{k: arrays[k] for k in keys}, meta=meta)
    raise ValueError(f"unknown model kind {kind!r} in {folder}")
