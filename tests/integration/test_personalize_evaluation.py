"""On data with planted tastes, the local user-personalization recipe beats the popularity baseline (same protocol)."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from udp.personalize import synthetic
from udp.personalize.backends.local.data import interactions_from_rows, items_from_rows
from udp.personalize.backends.local.training import evaluate
from udp.settings.personalize import LocalSettings
from udp.settings.recipes import RECIPES


@pytest.mark.slow
def test_user_personalization_beats_popularity_on_planted_preferences(spark: SparkSession) -> None:
    data = synthetic.generate(users=2000, items=1000, interactions=50000, seed=21)
    inter = interactions_from_rows(synthetic.INTERACTION_FIELDS, data.interactions)
    items = items_from_rows(synthetic.ITEM_FIELDS, data.items)
    settings = LocalSettings()
    metrics = {
        name: evaluate(RECIPES[name], inter, items, settings, hyperparameters={}, spark=lambda: spark)
        for name in ("aws-popularity-count", "aws-user-personalization")
    }
    als, pop = metrics["aws-user-personalization"], metrics["aws-popularity-count"]
    for key in ("precision_at_10", "normalized_discounted_cumulative_gain_at_10"):
        assert als[key] > 1.5 * pop[key], (key, als[key], pop[key])
    assert als["coverage"] > pop["coverage"]
