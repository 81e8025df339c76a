"""The local backend through the same driver code as AWS: idempotent, resumable, torn down (no Spark recipes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from udp import cli
from udp.config import Config
from udp.personalize import synthetic
from udp.personalize.backends import Clients, local_clients
from udp.personalize.backends.local.personalize import LocalPersonalize
from udp.personalize.errors import PersonalizeError
from udp.personalize.job import run
from udp.personalize.manifest import RunManifest
from udp.personalize.resources import VersionMetrics
from udp.personalize.snapshot import load_snapshot, write_snapshot
from udp.summary import Summary

SNAPSHOT = "20260401T000000Z"


@pytest.fixture
def local_config(config: Config, tmp_path: Path) -> Config:
    """Recipes that train without Spark: popularity (batch), similar items (campaign), trending."""
    return config.with_overrides(
        f"personalize.local.state_dir={tmp_path / 'state'}",
        "personalize.solutions.user-personalization.enabled=false",
        "personalize.solutions.ranking.enabled=false",
        "personalize.solutions.popularity.deploy.mode=batch",
        "personalize.solutions.popularity.deploy.num_results=5",
        "personalize.solutions.similar-items.deploy.mode=campaign",
        "personalize.event_tracker=true",
    )


@pytest.fixture
def data(local_config: Config) -> synthetic.SyntheticRetail:
    generated = synthetic.generate(users=150, items=60, interactions=2500, seed=11, cold_items=4)
    synthetic.write(local_config.paths.export, SNAPSHOT, generated)
    return generated


def no_spark() -> Any:
    raise AssertionError("these recipes must not need Spark")


class Sink:
    location = "memory://leaderboard"

    def __init__(self) -> None:
        self.rows: list[VersionMetrics] = []

    def write(self, versions: list[VersionMetrics]) -> None:
        self.rows.extend(versions)


def apply(config: Config, clients: Clients | None = None, sink: Sink | None = None) -> list[str]:
    lines: list[str] = []
    run(config, "apply", spark=no_spark, clients=clients, leaderboard=sink or Sink(), out=lines.append)
    return lines


def resources(config: Config) -> dict[str, dict[str, Any]]:
    state = Path(config.personalize.local.state_dir) / "resources.json"
    return dict(json.loads(state.read_text())["resources"])


class CrashAfter:
    """A personalize client that dies right after `op` succeeded: the response is lost with the process."""

    def __init__(self, inner: LocalPersonalize, op: str) -> None:
        self.inner = inner
        self.op = op
        self.exceptions = inner.exceptions

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name != self.op:
            return method

        def crash(**params: Any) -> Any:
            method(**params)
            raise KeyboardInterrupt

        return crash


def apply_killed_after(config: Config, op: str) -> None:
    """An apply whose process dies right after the `op` call succeeded."""
    clients = local_clients(config.personalize)
    clients.personalize = CrashAfter(clients.personalize, op)
    with pytest.raises(KeyboardInterrupt):
        apply(config, clients)


def test_apply_twice_creates_nothing_the_second_time(local_config: Config, data: synthetic.SyntheticRetail) -> None:
    sink = Sink()
    apply(local_config, sink=sink)
    first = resources(local_config)
    lines = apply(local_config, sink=sink)
    assert sorted(m.recipe for m in sink.rows) == ["aws-popularity-count", "aws-similar-items", "aws-trending-now"]
    assert resources(local_config).keys() == first.keys()
    assert not [line for line in lines if line.startswith("create")]
    assert {line.split()[0] for line in lines} == {"reuse", "skip", "gate"}
    kinds = sorted(r["_kind"] for r in first.values())
    assert kinds.count("solution-version") == 3
    assert kinds.count("campaign") == 1
    assert kinds.count("event-tracker") == 1


def test_apply_resumes_after_a_crash_that_lost_a_create_response(
    local_config: Config, data: synthetic.SyntheticRetail
) -> None:
    apply_killed_after(local_config, "create_solution")
    assert sum(r["_kind"] == "solution" for r in resources(local_config).values()) == 1
    apply(local_config)  # a new process: state and manifest from disk
    state = resources(local_config)
    assert sum(r["_kind"] == "solution" for r in state.values()) == 3
    assert all(r.get("status") in (None, "ACTIVE") for r in state.values())
    manifest = json.loads(
        (Path(local_config.paths.export) / "personalize" / SNAPSHOT / "personalize-run.json").read_text()
    )
    assert {r["kind"] for r in manifest["resources"]} >= {"dataset-group", "solution", "solution-version", "campaign"}


def test_apply_resumes_a_wait_interrupted_mid_import(local_config: Config, data: synthetic.SyntheticRetail) -> None:
    clients = local_clients(local_config.personalize)
    clients.personalize = CrashAfter(clients.personalize, "describe_dataset_import_job")
    with pytest.raises(KeyboardInterrupt):
        apply(local_config, clients)
    lines = apply(local_config)
    assert any(line.startswith("reuse   import job") for line in lines)
    assert sum(r["_kind"] == "dataset-import-job" for r in resources(local_config).values()) == 3


def test_batch_inference_writes_personalizes_output_lines(
    local_config: Config, data: synthetic.SyntheticRetail
) -> None:
    apply(local_config)
    root = Path(local_config.personalize.local.state_dir) / "s3" / "udp-local" / "personalize" / SNAPSHOT / "batch"
    queries = (root / "popularity" / "input.json").read_text().splitlines()
    output = [json.loads(line) for line in (root / "popularity" / "output" / "input.json.out").read_text().splitlines()]
    assert len(queries) == len(output) == 150
    assert output[0]["input"] == json.loads(queries[0]) == {"userId": "U000000"}
    assert output[0]["error"] is None
    assert len(output[0]["output"]["recommendedItems"]) == len(output[0]["output"]["scores"]) == 5


def test_similar_items_of_an_unknown_item_are_the_popular_items(
    local_config: Config, data: synthetic.SyntheticRetail
) -> None:
    apply(local_config)
    clients = local_clients(local_config.personalize)
    campaign = clients.personalize.list_campaigns()["campaigns"][0]["campaignArn"]
    got = clients.runtime.get_recommendations(campaignArn=campaign, itemId="NOT-A-SKU", numResults=5)
    users_per_item: dict[str, set[str]] = {}
    for user, item, *_ in data.interactions:
        users_per_item.setdefault(item, set()).add(user)
    top = sorted(users_per_item, key=lambda i: -len(users_per_item[i]))[:5]
    assert {i["itemId"] for i in got["itemList"]} == set(top)
    with pytest.raises(clients.runtime.exceptions.InvalidInputException, match="itemId is required"):
        clients.runtime.get_recommendations(campaignArn=campaign, userId="U000001")


def test_a_cold_items_similar_items_share_its_metadata(local_config: Config, data: synthetic.SyntheticRetail) -> None:
    apply(local_config)
    clients = local_clients(local_config.personalize)
    campaign = clients.personalize.list_campaigns()["campaigns"][0]["campaignArn"]
    items = {row[0]: row for row in data.items}
    cold = data.cold_items[-1]  # no interactions at all: similar items come from its category and brand
    got = clients.runtime.get_recommendations(campaignArn=campaign, itemId=cold, numResults=3)["itemList"]
    assert got
    assert all(items[i["itemId"]][2] == items[cold][2] or items[i["itemId"]][4] == items[cold][4] for i in got)


CREATES = (
    "create_dataset_group",
    "create_schema",
    "create_dataset",
    "create_dataset_import_job",
    "create_solution",
    "create_solution_version",
    "create_filter",
    "create_batch_inference_job",
    "create_campaign",
    "create_event_tracker",
)


def teardown(config: Config, *args: str) -> tuple[Summary, list[str]]:
    lines: list[str] = []
    summary = run(config, "teardown", spark=no_spark, leaderboard=Sink(), out=lines.append, dry_run="--dry-run" in args)
    return summary, lines


def left_behind(config: Config) -> tuple[list[str], list[str]]:
    """What udp made that is still there: Personalize resources (batch inference jobs aside: they have no delete call
    and the service keeps them as history) and objects in the backend's S3."""
    kinds = sorted(r["_kind"] for r in resources(config).values() if r["_kind"] != "batch-inference-job")
    s3 = Path(config.personalize.local.state_dir) / "s3"
    return kinds, sorted(str(p.relative_to(s3)) for p in s3.rglob("*") if p.is_file())


def run_manifest(config: Config) -> RunManifest:
    files = local_clients(config.personalize).files
    snap = load_snapshot(files, config.paths.export, SNAPSHOT)
    return RunManifest.load(files, snap.run_manifest_uri, SNAPSHOT, "local", "udp-retail")


def test_teardown_dry_run_lists_what_teardown_then_deletes_and_status_shows_it(
    local_config: Config, data: synthetic.SyntheticRetail
) -> None:
    apply(local_config)
    made = left_behind(local_config)
    summary, lines = teardown(local_config, "--dry-run")
    assert left_behind(local_config) == made  # nothing deleted
    listed = sorted(line.split()[1] for line in lines if line.startswith("delete"))
    assert (
        listed
        == ["campaign", "dataset", "dataset", "dataset", "dataset", "event", "filter", "s3", "s3"]
        + ["schema"] * 3
        + ["solution"] * 3
    )
    assert "would delete" in summary.render()
    summary, _ = teardown(local_config)
    assert summary.failure is None
    assert left_behind(local_config) == ([], [])
    status = run(local_config, "status", spark=no_spark, leaderboard=Sink(), out=lines.append)
    assert "DELETED" in status.render()
    assert {
        e.action for e in run_manifest(local_config).entries if e.kind in ("campaign", "solution", "dataset-group")
    } == {"deleted"}


@pytest.mark.parametrize("op", CREATES)
def test_a_kill_after_any_create_then_teardown_leaves_nothing(
    local_config: Config, data: synthetic.SyntheticRetail, op: str
) -> None:
    apply_killed_after(local_config, op)  # the resource exists, its ARN never reached the manifest
    summary, lines = teardown(local_config)
    assert summary.failure is None, lines
    assert left_behind(local_config) == ([], []), lines


@pytest.mark.parametrize("op", CREATES)
def test_a_resource_whose_create_answer_was_lost_is_udps_after_the_resumed_apply(
    local_config: Config, data: synthetic.SyntheticRetail, op: str
) -> None:
    apply_killed_after(local_config, op)
    apply(local_config)  # resumes, finds the resource by name
    assert {e.action for e in run_manifest(local_config).entries} == {"created"}  # never "reused": udp made it
    summary, _ = teardown(local_config)
    assert summary.failure is None
    assert left_behind(local_config) == ([], [])


def test_teardown_waits_out_a_campaign_update_and_a_training(
    local_config: Config, data: synthetic.SyntheticRetail
) -> None:
    apply(local_config)
    p = local_clients(local_config.personalize).personalize
    campaign = p.list_campaigns()["campaigns"][0]["campaignArn"]
    p.update_campaign(campaignArn=campaign, minProvisionedTPS=2)
    solution = p.list_solutions()["solutions"][0]["solutionArn"]
    p.create_solution_version(solutionArn=solution, name="trained-by-hand")  # in the solution's way, not udp's
    summary, lines = teardown(local_config)
    assert summary.failure is None, lines
    assert any(line.split()[:2] == ["in", "use"] and "campaign" in line for line in lines)
    assert any(line.split()[:3] == ["stop", "solution", "version"] for line in lines)
    assert left_behind(local_config) == ([], [])


def test_cli_plan_on_the_local_backend(
    local_config: Config, data: synthetic.SyntheticRetail, capsys: pytest.CaptureFixture[str]
) -> None:
    state = local_config.personalize.local.state_dir
    args = ["personalize", "plan", "--set", f"paths.export={local_config.paths.export}"]
    args += ["--set", f"personalize.local.state_dir={state}", "--snapshot", SNAPSHOT]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "create  dataset group        udp-retail  create_dataset_group(name=udp-retail" in out
    assert "== personalize plan ==" in out
    assert "training ~" in out
    gate = "udp-retail-user-personalization-20260401T000000Z - deployed only if its normalized_discounted_cumulative_"
    assert f"gate    solution version     {gate}gain_at_10 beats popularity (decided after training)" in out
    # every billable item it would start is priced, batch inference too, with the assumptions stated
    batch = "batch udp-retail-user-personalization-20260401T000000Z: ~150 queries x 25 = 3,750 recommendations ~$0.25"
    assert f"{batch} (if the gate passes)" in out
    assert "assumptions: us-east-1 list prices" in out


def test_cli_configuration_mistake_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["personalize", "plan", "--set", "personalize.solutions.x.recipe=aws-nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("udp: error: key 'personalize.solutions.x.recipe': unknown recipe 'aws-nope'; recipes: ")


def test_the_gate_holds_back_a_version_that_loses_to_popularity_unless_its_solution_opts_out(
    local_config: Config, data: synthetic.SyntheticRetail
) -> None:
    config = local_config.with_overrides("personalize.solutions.trending.deploy.mode=campaign")
    lines: list[str] = []
    summary = run(config, "apply", spark=no_spark, leaderboard=Sink(), out=lines.append)
    campaigns = {r["name"] for r in resources(config).values() if r["_kind"] == "campaign"}
    assert campaigns == {"udp-retail-similar-items"}  # related items: the user baseline is not its rival
    held = [line for line in lines if line.startswith("hold")]
    assert len(held) == 1
    assert "held back: ndcg@10 0.0401 does not beat popularity (aws-popularity-count)'s 0.1835" in held[0]
    assert "udp-retail-trending-20260401T000000Z" in summary.render()
    opted_out = config.with_overrides("personalize.solutions.trending.deploy.gate=false")
    apply(opted_out)
    assert "udp-retail-trending" in {r["name"] for r in resources(config).values() if r["_kind"] == "campaign"}


def test_a_retrain_that_does_not_beat_the_version_in_service_leaves_the_campaign_on_it(
    local_config: Config, data: synthetic.SyntheticRetail
) -> None:
    apply(local_config)
    campaign = next(r for r in resources(local_config).values() if r["_kind"] == "campaign")
    synthetic.write(local_config.paths.export, "20260402T000000Z", data)  # the same data again: an equal retrain
    lines = apply(local_config)
    assert any(line.startswith("create  solution version") and "20260402T000000Z" in line for line in lines)
    held = next(line for line in lines if line.startswith("hold    campaign"))
    assert "does not beat the campaign's current version's" in held
    now = next(r for r in resources(local_config).values() if r["_kind"] == "campaign")
    assert now["solutionVersionArn"] == campaign["solutionVersionArn"]
    assert "latestCampaignUpdate" not in now


def test_day_two_imports_the_new_interactions_incrementally_and_trains_per_cadence(local_config: Config) -> None:
    """Day one: every row (FULL). Day two: the newer rows since day one (INCREMENTAL); popularity keeps its version
    (FULL every second snapshot), the others retrain. Day three: nothing new, no import; popularity trains FULL."""
    config = local_config.with_overrides("personalize.solutions.popularity.training.full_every=2")
    data = synthetic.generate(users=150, items=60, interactions=2500, seed=11, cold_items=4).datasets()
    fields, rows = data["interactions"]
    at = [f.name for f in fields].index("TIMESTAMP")
    rows = sorted(rows, key=lambda r: r[at])
    days = ("20260401T000000Z", "20260402T000000Z", "20260403T000000Z")
    cut = len(rows) * 4 // 5
    write_snapshot(config.paths.export, days[0], {**data, "interactions": (fields, rows[:cut])})
    apply(config)
    unchanged = {"items": days[0], "users": days[0]}
    day2 = {**data, "interactions": (fields, rows[cut:])}
    write_snapshot(config.paths.export, days[1], day2, since=days[0], unchanged=unchanged)
    lines = apply(config)
    assert sum(line.startswith("skip    import job") and "UNCHANGED" in line for line in lines) == 2
    job = next(r for r in resources(config).values() if r.get("jobName") == f"udp-retail-interactions-{days[1]}")
    assert job["importMode"] == "INCREMENTAL"
    p = local_clients(config.personalize).personalize
    group = p.list_dataset_groups()["datasetGroups"][0]["datasetGroupArn"]
    assert len(p.datasets.interactions(group)) == len(rows)  # day one's rows and day two's, once each
    kept = next(line for line in lines if line.startswith("keep    solution version"))
    assert f"udp-retail-popularity-{days[0]}" in kept
    assert "1 snapshot(s) since the last FULL training, FULL every 2" in kept
    trained = [line.split()[3] for line in lines if line.startswith("create  solution version")]
    assert trained == [f"udp-retail-similar-items-{days[1]}", f"udp-retail-trending-{days[1]}"]
    write_snapshot(config.paths.export, days[2], {**data, "interactions": (fields, [])}, since=days[1])
    lines = apply(config)
    assert any(line.startswith("skip    import job") and "no interactions added since" in line for line in lines)
    trained = [line.split()[3] for line in lines if line.startswith("create  solution version")]
    assert f"udp-retail-popularity-{days[2]}" in trained


def test_an_increment_whose_base_was_never_imported_is_refused(local_config: Config) -> None:
    data = synthetic.generate(users=50, items=20, interactions=500, seed=3).datasets()
    write_snapshot(local_config.paths.export, "20260402T000000Z", data, since="20260401T000000Z")
    with pytest.raises(PersonalizeError, match="rows added since 20260401T000000Z, which dataset group udp-retail"):
        apply(local_config)
    assert all(r["_kind"] != "dataset-import-job" for r in resources(local_config).values())
