"""Personalize's offline evaluation protocol (90/10 users, oldest 90 % in, newest 10 % scored), without Spark."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from udp.personalize import synthetic
from udp.personalize.backends.local.data import Interactions, interactions_from_rows, items_from_rows
from udp.personalize.backends.local.models.popular import PopularityModel, TrendingModel
from udp.personalize.backends.local.models.sims import SimsModel
from udp.personalize.backends.local.models.space import ItemSpace
from udp.personalize.backends.local.training import (
    TrainingFailedError,
    evaluate,
    filter_events,
    holdout,
    split_test_users,
    train,
)
from udp.settings.metric_keys import METRIC_KEYS
from udp.settings.personalize import LocalSettings
from udp.settings.recipes import RECIPES


def inter(rows: list[tuple[str, str, int]]) -> Interactions:
    return interactions_from_rows(synthetic.INTERACTION_FIELDS[:3], rows)


def no_spark() -> Any:
    raise AssertionError("not needed")


def test_test_users_are_a_deterministic_tenth_chosen_by_seeded_hash() -> None:
    users = np.asarray([f"u{n}" for n in range(1000)])
    first = split_test_users(users, seed=42)
    assert len(first) == 100
    assert list(first) == list(split_test_users(users[::-1], seed=42))  # order of the data does not matter
    assert set(first) != set(split_test_users(users, seed=7))


def test_each_test_user_keeps_the_oldest_90_percent_as_input_and_the_newest_10_percent_as_relevant() -> None:
    rows = [("a", f"i{k}", 100 - k) for k in range(20)]  # newest first in the file
    rows += [("b", "x", 5), ("b", "y", 6), ("c", "solo", 1), ("d", "i1", 1)]
    train_rows, cases = holdout(inter(rows), np.asarray(["a", "b", "c"]))
    assert sorted(set(train_rows.users.tolist())) == ["d"]
    by_first = {tuple(given[:1]): (given, relevant) for given, relevant in cases}
    a_given, a_relevant = by_first[("i19",)]  # a's oldest item first
    assert len(a_given) == 18
    assert a_relevant == {"i1", "i0"}
    assert by_first[("x",)] == (["x"], {"y"})
    assert by_first[()] == ([], {"solo"})  # a single interaction is held out: the input is empty


def test_event_type_and_value_threshold_filter_the_training_data() -> None:
    rows = [("u", "i", 1, "View", None), ("u", "i", 2, "Purchase", 5.0), ("u", "j", 3, "Purchase", 50.0)]
    data = interactions_from_rows(synthetic.INTERACTION_FIELDS[:5], rows)
    assert len(filter_events(data, "Purchase")) == 2
    assert filter_events(data, "", "10").items.tolist() == ["j"]


def test_training_below_the_minimum_fails_with_personalizes_reason() -> None:
    data = inter([(f"u{n % 30}", f"i{n % 7}", n) for n in range(999)])
    with pytest.raises(TrainingFailedError, match="fewer than 1000 interactions"):
        train(RECIPES["aws-popularity-count"], data, items_from_rows(synthetic.ITEM_FIELDS, []), LocalSettings(),
              spark=no_spark)  # fmt: skip


@pytest.fixture(scope="module")
def retail() -> synthetic.SyntheticRetail:
    return synthetic.generate(users=400, items=200, interactions=6000, seed=2, cold_items=8)


def test_every_recipe_reports_personalizes_metric_keys(
    retail: synthetic.SyntheticRetail,
) -> None:
    data = interactions_from_rows(synthetic.INTERACTION_FIELDS, retail.interactions)
    items = items_from_rows(synthetic.ITEM_FIELDS, retail.items)
    metrics = {
        name: evaluate(RECIPES[name], data, items, LocalSettings(), hyperparameters={}, spark=no_spark)
        for name in ("aws-popularity-count", "aws-similar-items", "aws-trending-now")
    }
    assert metrics["aws-popularity-count"]["coverage"] == pytest.approx(25 / 200)  # the same 25 items for everyone
    assert metrics["aws-similar-items"]["coverage"] > 0.5  # neighbours differ per user
    for m in metrics.values():
        assert set(METRIC_KEYS) <= set(m)
        assert all(0 <= m[k] <= 1 for k in METRIC_KEYS)


def test_models_round_trip_through_their_saved_folder(retail: synthetic.SyntheticRetail, tmp_path: object) -> None:
    from pathlib import Path

    from udp.personalize.backends.local.models.loading import load_model

    data = interactions_from_rows(synthetic.INTERACTION_FIELDS, retail.interactions)
    items = items_from_rows(synthetic.ITEM_FIELDS, retail.items)
    space = ItemSpace.build(data, items)
    for model in (
        PopularityModel(space),
        TrendingModel.train(data, space, 7),
        SimsModel.train(data, space, use_metadata=True, cold_threshold=5),
    ):
        folder = Path(str(tmp_path)) / model.kind
        model.save(folder)
        again = load_model(folder)
        assert again.recommend("U000001", None, 10) == model.recommend("U000001", None, 10)
        assert again.related("SKU000003", 5) == model.related("SKU000003", 5)
