"""Training the match model on tiny records: what the configuration fixes stays fixed."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tests.silver.pairs import ROOT, person, records
from udp.config import load_config
from udp.silver import blocking, match
from udp.silver.compare import comparisons, with_comparison_levels
from udp.silver.records import MATCH_KEYS
from udp.silver.train import train_model


def test_a_u_set_in_the_configuration_replaces_the_one_estimated_from_random_pairs(spark: SparkSession) -> None:
    fixed = ["matching.training.fixed_u.email.exact=0.25", "matching.training.fixed_u.email.else=0.75"]
    settings = load_config([str(ROOT / "conf" / "local.yaml")], fixed, env={}).matching
    current = records(
        spark,
        [
            person("a", first_name="Ann", last_name="Lee", email="ann@x.com"),
            person("b", first_name="Ann", last_name="Lee", email="ann@x.com"),
            person("c", first_name="Bob", last_name="Ray", email="bob@y.com"),
        ],
    ).localCheckpoint()  # as silver reads them: a table's rows, not the plan that standardised them
    items = comparisons()
    pairs, _ = blocking.candidate_pairs(current.select("record_id", *MATCH_KEYS.values()), settings.blocking)
    levels = match.pair_frame(pairs, current).transform(with_comparison_levels(items))
    fitted = train_model(current, 3, levels, settings, items)
    assert fitted.u["email"] == (0.25, 0.75)
    assert fitted.u["last_name"] != fitted.m["last_name"]  # the rest estimated as before
