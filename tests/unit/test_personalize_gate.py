"""The deploy gate's rule: beat every rival that reports the metric, by more than the margin."""

from __future__ import annotations

import pytest

from udp.config import Config
from udp.errors import ConfigError
from udp.personalize.gate import judge

NDCG = "normalized_discounted_cumulative_gain_at_10"


def test_a_version_that_loses_to_the_baseline_is_held_back_with_both_figures() -> None:
    verdict = judge("precision_at_10", 0.0, 0.001, [("popularity (aws-popularity-count)", 0.062)])
    assert not verdict.deploy
    assert verdict.why == "held back: p@10 0.0010 does not beat popularity (aws-popularity-count)'s 0.0620"


def test_a_version_must_beat_every_rival_by_more_than_the_margin() -> None:
    rivals = [("popularity", 0.10), ("the campaign's current version", 0.20)]
    assert (
        judge(NDCG, 0.0, 0.25, rivals).why
        == "ndcg@10 0.2500 beats popularity's 0.1000, the campaign's current version's 0.2000"
    )
    assert judge(NDCG, 0.0, 0.25, rivals).deploy
    assert not judge(NDCG, 0.05, 0.25, rivals).deploy  # 0.25 is not more than 0.20 + 0.05
    assert not judge(NDCG, 0.0, 0.20, rivals).deploy  # a tie is not a win


def test_a_rival_without_the_metric_is_not_counted_and_a_version_without_it_is_held() -> None:
    assert judge(NDCG, 0.0, 0.1, [("popularity", None)]).why == "ndcg@10 0.1000; no rival to beat"
    assert judge(NDCG, 0.0, None, []).why == "held back: this version reports no ndcg@10"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("personalize.gate.metric=ndcg", "key 'personalize.gate.metric' must be one of coverage, "),
        ("personalize.gate.margin=-0.1", "key 'personalize.gate.margin' must be 0 or more"),
        ("personalize.gate.baseline=aws-popular", "key 'personalize.gate.baseline' must be a recipe name or empty"),
    ],
)
def test_gate_settings_are_checked_when_the_configuration_loads(config: Config, setting: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config.with_overrides(setting)
