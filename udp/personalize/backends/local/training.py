"""Training a local solution version, and Personalize's offline evaluation of it.

Evaluation follows Personalize's documentation: the users are split 90/10 (deterministically: users ordered by
sha256(seed:user_id), the first 10 % are test users); the model is trained on the 90 % (all their interactions);
each test user's oldest 90 % of interactions is the input, and the top 25 recommendations are scored against the
items of their newest 10 % (at least one interaction is held out). Recommendations are not filtered (items the user
already interacted with may be recommended, as Personalize does without a filter) and exploration is off. The served
model is then trained on all users.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from udp.personalize.backends.local.data import MIN_INTERACTIONS, ImportRejectedError, Interactions, ItemsTable
from udp.personalize.backends.local.data import check_interactions as check_minimums
from udp.personalize.backends.local.models.als import AlsModel
from udp.personalize.backends.local.models.base import Model
from udp.personalize.backends.local.models.popular import PopularityModel, TrendingModel
from udp.personalize.backends.local.models.sims import SimsModel
from udp.personalize.backends.local.models.space import ItemSpace
from udp.personalize.metrics import solution_metrics
from udp.settings.recipes import Recipe

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from udp.settings.personalize import LocalSettings

SparkProvider = Callable[[], "SparkSession"]
TEST_SHARE = 0.1
HOLDOUT_SHARE = 0.1
EVAL_K = 25


class TrainingFailedError(Exception):
    """The solution version cannot be trained; the message is its failureReason."""


@dataclass(frozen=True)
class TrainingResult:
    model: Model
    metrics: dict[str, float]
    seconds: float


def filter_events(inter: Interactions, event_type: str = "", threshold: str = "") -> Interactions:
    """The interactions a solution trains on: one event type (or all) with EVENT_VALUE >= threshold (if set)."""
    mask = np.ones(len(inter), dtype=bool)
    if event_type:
        mask &= inter.event_types == event_type
    if threshold:
        with np.errstate(invalid="ignore"):
            mask &= inter.event_values >= float(threshold)
    return inter.select(mask)


def check_trainable(inter: Interactions, event_type: str = "", threshold: str = "") -> None:
    """Personalize's minimums, counted after event filtering; raises `TrainingFailedError` with its wording."""
    if len(inter) < MIN_INTERACTIONS:
        if event_type:
            raise TrainingFailedError(
                f"Dataset has fewer than {MIN_INTERACTIONS} interactions after filtering by event type: {event_type}"
            )
        if threshold:
            raise TrainingFailedError(
                f"Dataset has fewer than {MIN_INTERACTIONS} interactions after filtering by event value threshold: "
                f"{threshold}"
            )
        raise TrainingFailedError(f"Dataset has fewer than {MIN_INTERACTIONS} interactions ({len(inter)})")
    try:
        check_minimums(inter.users)
    except ImportRejectedError as e:
        raise TrainingFailedError(str(e)) from None


def split_test_users(users: np.ndarray, seed: int, share: float = TEST_SHARE) -> np.ndarray:
    """The evaluation's test users: the first `share` of users ordered by sha256(seed:user) (at least one)."""
    unique = np.unique(users)
    keys = [hashlib.sha256(f"{seed}:{u}".encode()).hexdigest() for u in unique.tolist()]
    order = np.argsort(np.asarray(keys), kind="stable")
    n = max(1, math.floor(len(unique) * share + 0.5))
    return np.asarray(unique[order[:n]])


def holdout(inter: Interactions, test: np.ndarray) -> tuple[Interactions, list[tuple[list[str], set[str]]]]:
    """Training interactions (other users) and, per test user, (oldest 90 % items, items of the newest 10 %)."""
    is_test = np.isin(inter.users, test)
    train = inter.select(~is_test)
    rows = np.flatnonzero(is_test)
    order = rows[np.lexsort((rows, inter.timestamps[rows], inter.users[rows]))]
    users = inter.users[order]
    bounds = np.flatnonzero(users[1:] != users[:-1]) + 1
    cases: list[tuple[list[str], set[str]]] = []
    for group in np.split(order, bounds):
        if len(group) == 0:
            continue
        held = max(1, math.floor(len(group) * HOLDOUT_SHARE + 0.5))
        items = [str(i) for i in inter.items[group].tolist()]
        cases.append((items[: len(items) - held], set(items[len(items) - held :])))
    return train, cases


def build_model(
    recipe: Recipe,
    inter: Interactions,
    items: ItemsTable,
    settings: LocalSettings,
    *,
    hyperparameters: Mapping[str, str],
    spark: SparkProvider,
) -> Model:
    """Train the local model of `recipe` on `inter`."""
    space = ItemSpace.build(inter, items)
    if recipe.local_model == "als":
        return AlsModel.train(inter, space, settings, spark())
    if recipe.local_model == "sims":
        return SimsModel.train(
            inter,
            space,
            use_metadata=recipe.name == "aws-similar-items",
            cold_threshold=settings.cold_item_interactions,
            popularity_discount=float(hyperparameters.get("popularity_discount_factor", 0.5)),
            min_cointeraction=int(hyperparameters.get("min_cointeraction_count", 1)),
        )
    if recipe.local_model == "trending":
        return TrendingModel.train(inter, space, settings.trending_window_days)
    return PopularityModel(space)


def evaluate(
    recipe: Recipe,
    inter: Interactions,
    items: ItemsTable,
    settings: LocalSettings,
    *,
    hyperparameters: Mapping[str, str],
    spark: SparkProvider,
) -> dict[str, float]:
    """Personalize's offline metrics of `recipe` on `inter` (see the module docstring for the protocol)."""
    train, cases = holdout(inter, split_test_users(inter.users, settings.seed))
    model = build_model(recipe, train, items, settings, hyperparameters=hyperparameters, spark=spark)
    results = [([item for item, _ in model.recommend(None, given, EVAL_K)], relevant) for given, relevant in cases]
    catalog = len(np.union1d(np.unique(inter.items), items.ids))
    return solution_metrics(results, catalog)


def train(
    recipe: Recipe,
    inter: Interactions,
    items: ItemsTable,
    settings: LocalSettings,
    *,
    event_type: str = "",
    event_value_threshold: str = "",
    hyperparameters: Mapping[str, str] | None = None,
    spark: SparkProvider,
) -> TrainingResult:
    """Filter, check, evaluate on the 90/10 user split, then train the served model on every user."""
    started = time.monotonic()
    hyper = hyperparameters or {}
    data = filter_events(inter, event_type, event_value_threshold)
    check_trainable(data, event_type, event_value_threshold)
    metrics = evaluate(recipe, data, items, settings, hyperparameters=hyper, spark=spark)
    model = build_model(recipe, data, items, settings, hyperparameters=hyper, spark=spark)
    model.meta["recipe"] = recipe.name
    return TrainingResult(model, metrics, time.monotonic() - started)
