"""The local backend end to end with Spark: every recipe trained through the driver, served, compared.

One apply per module (ALS trains twice per solution: on 90 % of users for the metrics, then on everyone).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from pyspark.sql import SparkSession

from udp.config import Config
from udp.lake import Lake
from udp.personalize import synthetic
from udp.personalize.backends import Clients, local_clients
from udp.personalize.backends.local.data import interactions_from_rows, items_from_rows
from udp.personalize.backends.local.models.als import AlsModel
from udp.personalize.backends.local.models.space import ItemSpace
from udp.personalize.job import run
from udp.personalize.leaderboard import LEADERBOARD
from udp.personalize.snapshot import write_snapshot
from udp.settings.personalize import LocalSettings

SNAPSHOT = "20260401T000000Z"
CAMPAIGN = "arn:aws:personalize:us-east-1:000000000000:campaign/udp-retail-{}"


@dataclass
class Applied:
    config: Config
    data: synthetic.SyntheticRetail
    clients: Clients
    lines: list[str]


@pytest.fixture(scope="module")
def applied(spark: SparkSession, base_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Applied:
    root = tmp_path_factory.mktemp("personalize-local")
    config = base_config.with_overrides(
        f"paths.lake={root / 'lake'}",
        f"paths.export={root / 'export'}",
        f"personalize.local.state_dir={root / 'state'}",
        "personalize.local.als.rank=12",
        "personalize.local.als.max_iter=5",
        "personalize.solutions.user-personalization.deploy.mode=campaign",
        "personalize.solutions.user-personalization.deploy.exploration_weight=0.3",
        "personalize.solutions.ranking.deploy.mode=campaign",
        "personalize.event_tracker=true",
    )
    data = synthetic.generate(users=500, items=240, interactions=8000, seed=5, cold_items=24)
    synthetic.write(config.paths.export, SNAPSHOT, data)
    lines: list[str] = []
    run(config, "apply", spark=lambda: spark, out=lines.append)
    return Applied(config, data, local_clients(config.personalize), lines)


def unique_users(data: synthetic.SyntheticRetail) -> dict[str, int]:
    users: dict[str, set[str]] = {}
    for user, item, *_ in data.interactions:
        users.setdefault(item, set()).add(user)
    return {item: len(u) for item, u in users.items()}


def test_apply_trains_every_recipe_and_fills_the_leaderboard(applied: Applied, spark: SparkSession) -> None:
    rows = Lake(spark, applied.config).read(LEADERBOARD).collect()
    assert sorted(r["recipe"] for r in rows) == [
        "aws-personalized-ranking",
        "aws-popularity-count",
        "aws-similar-items",
        "aws-trending-now",
        "aws-user-personalization",
    ]
    assert all(r["snapshot"] == SNAPSHOT and r["backend"] == "local" and r["trained_at"] for r in rows)
    by_recipe = {r["recipe"]: r for r in rows}
    als, pop = by_recipe["aws-user-personalization"], by_recipe["aws-popularity-count"]
    assert als["normalized_discounted_cumulative_gain_at_10"] > pop["normalized_discounted_cumulative_gain_at_10"]
    assert '"normalized_discounted_cumulative_gain_standard_at_10"' in als["extra_metrics_json"]


def test_compare_names_the_best_recipe_per_metric_against_popularity(applied: Applied, spark: SparkSession) -> None:
    summary = run(applied.config, "compare", spark=lambda: spark, out=applied.lines.append).render()
    assert f"recipe leaderboard: snapshot {SNAPSHOT}, backend local" in summary
    assert "best recipe per metric" in summary
    line = next(x for x in summary.splitlines() if x.startswith("normalized_discounted_cumulative_gain_at_10 "))
    assert "aws-user-personalization" in line or "aws-personalized-ranking" in line
    assert "%" in line  # the lift over aws-popularity-count


def test_a_second_apply_reuses_everything_and_rewrites_nothing(applied: Applied, spark: SparkSession) -> None:
    lake = Lake(spark, applied.config)
    version = lake.version(LEADERBOARD)
    lines: list[str] = []
    run(applied.config, "apply", spark=lambda: spark, out=lines.append)
    assert not [x for x in lines if x.startswith(("create", "update", "  wrote"))]
    assert lake.version(LEADERBOARD) == version


def test_an_unknown_user_gets_the_popular_items(applied: Applied) -> None:
    got = applied.clients.runtime.get_recommendations(
        campaignArn=CAMPAIGN.format("user-personalization"), userId="never-seen", numResults=10
    )
    counts = unique_users(applied.data)
    got_counts = [counts[i["itemId"]] for i in got["itemList"]]
    assert got_counts == sorted(counts.values(), reverse=True)[:10]  # the most unique users, in order


def test_a_new_item_of_a_users_favourite_category_reaches_them_through_its_metadata(applied: Applied) -> None:
    data = applied.data
    items = {row[0]: row for row in data.items}
    cold = set(data.cold_items)
    history: dict[str, list[str]] = {}
    for user, item, *_ in data.interactions:
        history.setdefault(user, []).append(item)
    # a user with history whose favourite category has a brand-new item
    user, new_item = next(
        (u, i)
        for u in sorted(history)
        if len(history[u]) >= 10
        for i in sorted(cold)
        if items[i][2] == data.favourite_categories[u][0] and i not in history[u]
    )
    got = applied.clients.runtime.get_recommendations(
        campaignArn=CAMPAIGN.format("user-personalization"), userId=user, numResults=25
    )
    recommended = [i["itemId"] for i in got["itemList"]]
    explored = [i for i in recommended if i in cold]
    assert new_item in recommended
    seen_l1 = {items[i][1] for i in history[user]}
    assert explored
    assert all(items[i][1] in seen_l1 for i in explored)


def test_ranking_puts_the_users_taste_first_and_unknown_items_last(applied: Applied) -> None:
    data = applied.data
    items = {row[0]: row for row in data.items}
    user = "U000003"
    favourite = data.favourite_categories[user][0]
    liked = next(i for i, row in items.items() if row[2] == favourite and i not in data.cold_items)
    other = next(
        i for i, row in items.items() if row[2] not in data.favourite_categories[user] and i not in data.cold_items
    )
    got = applied.clients.runtime.get_personalized_ranking(
        campaignArn=CAMPAIGN.format("ranking"), userId=user, inputList=["NOT-IN-CATALOG", other, liked]
    )
    assert [i["itemId"] for i in got["personalizedRanking"]] == [liked, other, "NOT-IN-CATALOG"]


def test_events_sent_with_put_events_change_a_new_users_recommendations(applied: Applied) -> None:
    clients = applied.clients
    tracker = clients.personalize.list_event_trackers()["eventTrackers"][0]["eventTrackerArn"]
    tracking_id = clients.personalize.describe_event_tracker(eventTrackerArn=tracker)["eventTracker"]["trackingId"]
    items = {row[0]: row for row in applied.data.items}
    category = "Sport/2"
    viewed = [i for i, row in items.items() if row[2] == category and i not in applied.data.cold_items][:6]
    now = dt.datetime.now(dt.UTC)
    events = [{"eventType": "View", "itemId": i, "sentAt": now} for i in viewed]
    clients.events.put_events(trackingId=tracking_id, userId="new-shopper", sessionId="s-1", eventList=events)
    got = clients.runtime.get_recommendations(
        campaignArn=CAMPAIGN.format("user-personalization"), userId="new-shopper", numResults=10
    )
    categories = Counter(items[i["itemId"]][2] for i in got["itemList"])
    assert categories.most_common(1)[0][0] == category


def test_fold_in_reproduces_sparks_user_factors(spark: SparkSession) -> None:
    data = synthetic.generate(users=200, items=100, interactions=3000, seed=9, cold_items=0)
    inter = interactions_from_rows(synthetic.INTERACTION_FIELDS, data.interactions)
    space = ItemSpace.build(inter, items_from_rows(synthetic.ITEM_FIELDS, data.items))
    settings = LocalSettings(content_weight=0.0)
    model = AlsModel.train(inter, space, settings, spark)
    for user in ("U000001", "U000050", "U000150"):
        folded = model.fold_in(space.indices(model.stored_history(user)))
        stored = model.user_factors[model.user_index[user]]
        assert folded is not None
        np.testing.assert_allclose(folded, stored, rtol=1e-3, atol=1e-4)


def test_state_is_shared_with_another_process(applied: Applied) -> None:
    again = local_clients(applied.config.personalize)
    campaigns = again.personalize.list_campaigns()["campaigns"]
    assert {c["name"] for c in campaigns} == {"udp-retail-user-personalization", "udp-retail-ranking"}
    assert Path(applied.config.personalize.local.state_dir, "resources.json").exists()


def test_day_two_imports_the_increment_trains_an_update_version_and_the_leaderboard_keeps_both(
    applied: Applied, spark: SparkSession
) -> None:
    day2 = "20260402T000000Z"
    config = applied.config.with_overrides(
        *(f"personalize.solutions.{s}.training.full_every=2" for s in applied.config.personalize.solutions),
        "personalize.solutions.user-personalization.training.between=update",
    )
    more = synthetic.generate(users=500, items=240, interactions=1500, seed=6).datasets()
    write_snapshot(config.paths.export, day2, {**applied.data.datasets(), "interactions": more["interactions"]},
                   since=SNAPSHOT)  # fmt: skip
    lines: list[str] = []
    run(config, "apply", spark=lambda: spark, out=lines.append)
    trained = [x for x in lines if x.startswith("create  solution version")]
    assert len(trained) == 1
    assert f"udp-retail-user-personalization-{day2} - not found; trains (UPDATE) on this snapshot" in trained[0]
    assert sum(x.startswith("keep    solution version") for x in lines) == 4  # FULL every second snapshot
    assert any(x.startswith("create  import job") and "INCREMENTAL" in x for x in lines)
    versions = applied.clients.personalize.list_solution_versions()["solutionVersions"]
    assert Counter(v["trainingMode"] for v in versions) == {"FULL": 5, "UPDATE": 1}
    update = next(v["solutionVersionArn"] for v in versions if v["trainingMode"] == "UPDATE")
    described = applied.clients.personalize.describe_solution_version(solutionVersionArn=update)["solutionVersion"]
    assert described["name"] == f"udp-retail-user-personalization-{day2}"
    board = Lake(spark, config).read(LEADERBOARD).where("recipe = 'aws-user-personalization'").collect()
    assert sorted(r["snapshot"] for r in board) == [SNAPSHOT, day2]  # the trend: one row per trained version
    assert any(x.startswith(("gate", "hold")) and "user-personalization" in x for x in lines)
    compared = run(config, "compare", spark=lambda: spark, out=lines.append).render()
    trend = compared[compared.index("ndcg@10 per snapshot (the trend)") :].splitlines()
    assert trend[1].split() == ["solution", SNAPSHOT, day2]
    up = next(line for line in trend if line.startswith("udp-retail-user-personalization "))
    assert len(up.split()) == 3  # a figure for each snapshot: trained FULL, then UPDATE
    assert len(next(line for line in trend if line.startswith("udp-retail-popularity ")).split()) == 2  # kept
