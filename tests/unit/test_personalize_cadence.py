"""Day two's training cadence: FULL every N applied snapshots, UPDATE or keep in between."""

from __future__ import annotations

import pytest

from udp.config import Config
from udp.errors import ConfigError
from udp.personalize.cadence import training_mode
from udp.personalize.leaderboard import trend_report
from udp.personalize.manifest import Entry


def version(name: str, mode: str = "FULL", kept_from: str = "") -> Entry:
    extra = {"training_mode": mode, **({"kept_from": kept_from} if kept_from else {})}
    return Entry("solution-version", "up", name, arn=f"arn:{name}", status="ACTIVE", extra=extra)


def test_the_first_snapshot_and_every_one_with_full_every_1_train_full() -> None:
    assert training_mode([], 7, "update") == ("FULL", None, 0)
    s1 = version("s1")
    assert training_mode([s1], 1, "keep") == ("FULL", s1, 1)


def test_between_full_trainings_a_solution_keeps_its_version_or_trains_an_update() -> None:
    s1 = version("s1")
    assert training_mode([s1], 3, "keep") == ("KEEP", s1, 1)
    s2 = version("s1", kept_from="s1")  # s2 kept s1's version: it does not count as a training
    assert training_mode([s2, s1], 3, "keep") == ("KEEP", s2, 2)
    assert training_mode([s2, s2, s1], 3, "keep")[0] == "FULL"  # third snapshot since the FULL one
    u2 = version("s2", "UPDATE")
    assert training_mode([u2, s1], 3, "update") == ("UPDATE", u2, 2)
    assert training_mode([version("s3", "UPDATE"), u2, s1], 3, "update")[0] == "FULL"


def test_update_between_full_trainings_needs_user_personalization(config: Config) -> None:
    with pytest.raises(ConfigError, match=r"'personalize.solutions.popularity.training.between': trainingMode UPDATE"):
        config.with_overrides("personalize.solutions.popularity.training.between=update")
    with pytest.raises(ConfigError, match=r"training.full_every' must be at least 1"):
        config.with_overrides("personalize.solutions.popularity.training.full_every=0")
    config.with_overrides("personalize.solutions.user-personalization.training.between=update")


def test_the_trend_shows_each_solutions_metric_per_snapshot_and_blanks_where_it_kept_a_version() -> None:
    ndcg = "normalized_discounted_cumulative_gain_at_10"
    rows = [
        {"solution": "g-up", "snapshot": "s1", ndcg: 0.21},
        {"solution": "g-pop", "snapshot": "s1", ndcg: 0.12},
        {"solution": "g-up", "snapshot": "s2", ndcg: 0.23},  # g-pop kept its s1 version on s2
    ]
    assert trend_report(rows[:2], ndcg) == ""  # one snapshot: no trend yet
    assert trend_report(rows, ndcg).splitlines() == [
        "ndcg@10 per snapshot (the trend)",
        "solution     s1  s2",
        "--------  -----  -----",
        "g-pop     0.120",
        "g-up      0.210  0.230",
    ]
