"""The aws backend end to end with botocore's Stubber (Personalize) and moto (S3): every call, in order."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from udp.config import Config
from udp.personalize import job
from udp.personalize.backends import Clients, aws_clients
from udp.personalize.driver import Driver
from udp.personalize.errors import DefinitionMismatchError, QuotaError, ResourceFailedError
from udp.personalize.manifest import Entry, RunManifest
from udp.personalize.resources import Resource, VersionMetrics
from udp.personalize.snapshot import SchemaField, Snapshot, load_snapshot, write_snapshot
from udp.personalize.storage import S3Files
from udp.personalize.teardown import teardown
from udp.runner import fail
from udp.settings.personalize import PersonalizeSettings
from udp.settings.recipes import recipe_arn

ACCOUNT = "arn:aws:personalize:us-east-1:123456789012"
GROUP = f"{ACCOUNT}:dataset-group/udp-test"
SCHEMA = f"{ACCOUNT}:schema/udp-test-interactions"
DATASET = f"{ACCOUNT}:dataset/udp-test/INTERACTIONS"
JOB = f"{ACCOUNT}:dataset-import-job/udp-test-interactions-snap1"
SOLUTION = f"{ACCOUNT}:solution/udp-test-popularity"
VERSION = f"{SOLUTION}/0a1b2c3d"
ROLE = "arn:aws:iam::123456789012:role/personalize"
BUCKET = "udp-test-bucket"
FIELDS = (SchemaField("USER_ID", "string"), SchemaField("ITEM_ID", "string"), SchemaField("TIMESTAMP", "long"))
T0 = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


class Sink:
    location = "memory://leaderboard"

    def __init__(self) -> None:
        self.rows: list[VersionMetrics] = []

    def write(self, versions: list[VersionMetrics]) -> None:
        self.rows.extend(versions)


@pytest.fixture
def aws_config(config: Config) -> Config:
    """One popularity solution, interactions only, no filter/tags/deploy: the shortest complete call sequence."""
    overrides = [
        "personalize.backend=aws",
        "personalize.dataset_group=udp-test",
        f"personalize.role_arn={ROLE}",
        f"personalize.bucket={BUCKET}",
        "personalize.filters={}",
        "personalize.tags={}",
        *(
            f"personalize.solutions.{k}.enabled=false"
            for k in ("user-personalization", "similar-items", "ranking", "trending")
        ),
    ]
    return config.with_overrides(*overrides)


@pytest.fixture
def snapshot(aws_config: Config) -> Snapshot:
    rows = [(f"u{n % 40}", f"i{n % 30}", 1_775_000_000 + n) for n in range(1200)]
    write_snapshot(aws_config.paths.export, "snap1", {"interactions": (FIELDS, rows)})
    return load_snapshot(S3Files(None), aws_config.paths.export, "snap1")


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    """A stubbed personalize client and a moto S3 client with the import bucket."""
    with mock_aws():
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
        s3 = session.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        yield session.client("personalize"), s3


class Harness:
    def __init__(self, config: Config, snapshot: Snapshot, aws: tuple[Any, Any]) -> None:
        personalize, s3 = aws
        self.config = config
        self.snapshot = snapshot
        self.s3 = s3
        self.stub = Stubber(personalize)
        self.sleeps: list[float] = []
        self.lines: list[str] = []
        self.sink = Sink()
        self.clients = Clients("aws", personalize, None, None, S3Files(s3), "us-east-1", sleep=self.sleeps.append)

    def manifest(self) -> RunManifest:
        return RunManifest.load(self.clients.files, self.snapshot.run_manifest_uri, "snap1", "aws", "udp-test")

    def record(self, *rows: tuple[str, str, str, str, str], status: str = "") -> RunManifest:
        """The run manifest with these (kind, key, name, arn, action) entries recorded."""
        manifest = self.manifest()
        for kind, key, name, arn, action in rows:
            manifest.record(self.clients.files, kind, key, name, arn=arn, status=status, action=action)
        return manifest

    def entry(self, kind: str, key: str) -> Entry:
        found = self.manifest().get(kind, key)
        assert found is not None, (kind, key)
        return found

    def driver(self, **kwargs: Any) -> Driver:
        return Driver(
            self.clients,
            self.config.personalize,
            self.snapshot,
            self.manifest(),
            out=self.lines.append,
            leaderboard=self.sink,
            **kwargs,
        )

    def expect(self, op: str, response: dict[str, Any], **params: Any) -> None:
        self.stub.add_response(op, response, params)

    def expect_error(self, op: str, code: str, message: str = "", **params: Any) -> None:
        self.stub.add_client_error(op, code, message, expected_params=params or None)

    # the resources, as describe_* returns them
    def group(self, status: str) -> None:
        body = {"name": "udp-test", "datasetGroupArn": GROUP, "status": status}
        self.expect("describe_dataset_group", {"datasetGroup": body}, datasetGroupArn=GROUP)

    def dataset(self, status: str) -> None:
        body = {"name": "udp-test-interactions", "datasetArn": DATASET, "schemaArn": SCHEMA, "status": status}
        self.expect("describe_dataset", {"dataset": body}, datasetArn=DATASET)

    def import_job(self, status: str, reason: str = "", arn: str = JOB) -> None:
        body = {"jobName": arn.rsplit("/", 1)[-1], "datasetImportJobArn": arn, "status": status}
        if reason:
            body["failureReason"] = reason
        self.expect("describe_dataset_import_job", {"datasetImportJob": body}, datasetImportJobArn=arn)

    def solution(self, status: str) -> None:
        body = {"name": "udp-test-popularity", "solutionArn": SOLUTION, "status": status, "performAutoTraining": False,
                "recipeArn": recipe_arn("aws-popularity-count")}  # fmt: skip
        self.expect("describe_solution", {"solution": body}, solutionArn=SOLUTION)

    def version(self, status: str) -> None:
        body = {"name": "udp-test-popularity-snap1", "solutionVersionArn": VERSION, "status": status,
                "lastUpdatedDateTime": T0}  # fmt: skip
        self.expect("describe_solution_version", {"solutionVersion": body}, solutionVersionArn=VERSION)

    # the call sequences
    def group_created(self) -> None:
        self.expect("list_dataset_groups", {"datasetGroups": []})
        self.expect("create_dataset_group", {"datasetGroupArn": GROUP}, name="udp-test")
        self.group("CREATE IN_PROGRESS")
        self.group("ACTIVE")

    def schema_and_dataset_created(self) -> None:
        self.expect("list_schemas", {"schemas": []})
        self.expect("create_schema", {"schemaArn": SCHEMA}, name="udp-test-interactions", schema=self.snapshot_schema())
        self.expect("list_datasets", {"datasets": []}, datasetGroupArn=GROUP)
        self.expect(
            "create_dataset",
            {"datasetArn": DATASET},
            name="udp-test-interactions",
            schemaArn=SCHEMA,
            datasetGroupArn=GROUP,
            datasetType="Interactions",
        )
        self.dataset("ACTIVE")

    def import_created(self, name: str = "udp-test-interactions-snap1", arn: str = JOB) -> None:
        self.expect(
            "create_dataset_import_job",
            {"datasetImportJobArn": arn},
            jobName=name,
            datasetArn=DATASET,
            dataSource={"dataLocation": f"s3://{BUCKET}/personalize/snap1/interactions/"},
            roleArn=ROLE,
            importMode="FULL",
        )

    def training(self) -> None:
        self.expect("list_solutions", {"solutions": []}, datasetGroupArn=GROUP)
        self.expect(
            "create_solution",
            {"solutionArn": SOLUTION},
            name="udp-test-popularity",
            datasetGroupArn=GROUP,
            recipeArn=recipe_arn("aws-popularity-count"),
            performAutoTraining=False,
        )
        self.solution("ACTIVE")
        self.expect("list_solution_versions", {"solutionVersions": []}, solutionArn=SOLUTION)
        self.expect(
            "create_solution_version",
            {"solutionVersionArn": VERSION},
            solutionArn=SOLUTION,
            name="udp-test-popularity-snap1",
            trainingMode="FULL",
        )
        self.version("CREATE PENDING")
        self.version("CREATE IN_PROGRESS")
        self.version("ACTIVE")
        metrics = {"coverage": 0.1, "precision_at_10": 0.02, "normalized_discounted_cumulative_gain_at_10": 0.1}
        self.expect(
            "get_solution_metrics", {"solutionVersionArn": VERSION, "metrics": metrics}, solutionVersionArn=VERSION
        )
        self.version("ACTIVE")

    def snapshot_schema(self) -> str:
        return self.snapshot.datasets["interactions"].schema


@pytest.fixture
def h(aws_config: Config, snapshot: Snapshot, aws: tuple[Any, Any]) -> Harness:
    return Harness(aws_config, snapshot, aws)


def test_apply_from_nothing_creates_everything_in_dependency_order(h: Harness) -> None:
    h.group_created()
    h.schema_and_dataset_created()
    h.expect("list_dataset_import_jobs", {"datasetImportJobs": []}, datasetArn=DATASET)
    h.import_created()
    h.import_job("CREATE IN_PROGRESS")
    h.import_job("ACTIVE")
    h.training()
    with h.stub:
        resources = h.driver().apply()
        h.stub.assert_no_pending_responses()
    assert [r.action for r in resources] == ["create", "create", "create", "upload", "create", "create", "create"]
    manifest = h.manifest()
    assert [(e.kind, e.action, e.status) for e in manifest.entries] == [
        ("dataset-group", "created", "ACTIVE"),
        ("schema", "created", "ACTIVE"),
        ("dataset", "created", "ACTIVE"),
        ("upload", "created", "ACTIVE"),
        ("import-job", "created", "ACTIVE"),
        ("solution", "created", "ACTIVE"),
        ("solution-version", "created", "ACTIVE"),
    ]
    assert h.entry("solution-version", "popularity").extra["metrics"]["precision_at_10"] == 0.02
    assert [(m.recipe, m.version_arn, m.trained_at) for m in h.sink.rows] == [("aws-popularity-count", VERSION, T0)]
    head = h.s3.head_object(Bucket=BUCKET, Key="personalize/snap1/interactions/part-00000.csv")
    assert head["Metadata"]["sha256"] == h.snapshot.datasets["interactions"].files[0].sha256
    # polling backs off: 15 s, then x1.5 for the version that needed three looks
    assert h.sleeps == [15.0, 15.0, 15.0, 22.5]
    assert any("waiting solution version" in line and "CREATE IN_PROGRESS" in line for line in h.lines)


def test_apply_resumes_a_half_built_run_from_the_manifest(h: Harness) -> None:
    files = h.clients.files
    manifest = h.manifest()
    for kind, key, name, arn in [
        ("dataset-group", "udp-test", "udp-test", GROUP),
        ("schema", "interactions", "udp-test-interactions", SCHEMA),
        ("dataset", "interactions", "udp-test-interactions", DATASET),
        ("import-job", "interactions", "udp-test-interactions-snap1", JOB),
    ]:
        manifest.record(files, kind, key, name, arn=arn, status="CREATE IN_PROGRESS", action="created")
    ds = h.snapshot.datasets["interactions"]
    files.put(ds.files[0].uri, f"s3://{BUCKET}/personalize/snap1/interactions/part-00000.csv", ds.files[0].sha256)
    h.group("ACTIVE")
    h.expect(
        "describe_schema",
        {"schema": {"name": "udp-test-interactions", "schemaArn": SCHEMA, "schema": h.snapshot_schema()}},
        schemaArn=SCHEMA,
    )
    h.dataset("ACTIVE")
    h.import_job("CREATE IN_PROGRESS")  # found through the manifest: no list, no create
    h.import_job("ACTIVE")
    h.training()
    with h.stub:
        resources = h.driver().apply()
        h.stub.assert_no_pending_responses()
    assert [r.action for r in resources] == ["reuse", "reuse", "reuse", "skip", "reuse", "create", "create"]
    assert {e.action for e in h.manifest().entries if e.kind != "upload"} == {"created"}


def test_failed_import_stops_with_the_resource_its_reason_and_the_fix(
    h: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    h.group_created()
    h.schema_and_dataset_created()
    h.expect("list_dataset_import_jobs", {"datasetImportJobs": []}, datasetArn=DATASET)
    h.import_created()
    h.import_job("CREATE FAILED", "Input CSV is missing the following columns: [EVENT_TYPE].")
    with h.stub, pytest.raises(ResourceFailedError) as failed:
        h.driver().apply()
    message = str(failed.value)
    assert message.startswith(
        "import job udp-test-interactions-snap1 is CREATE FAILED: Input CSV is missing the following columns: "
        "[EVENT_TYPE]. What to do: fix the data"
    )
    assert "--retry-failed" in message
    assert fail(failed.value) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("udp: error: import job udp-test-interactions-snap1 is CREATE FAILED")
    assert h.entry("import-job", "interactions").failure_reason.startswith("Input CSV is missing")


def test_retry_failed_replaces_a_failed_import_with_a_new_job(h: Harness) -> None:
    manifest = h.manifest()
    files = h.clients.files
    for kind, key, name, arn in [
        ("dataset-group", "udp-test", "udp-test", GROUP),
        ("schema", "interactions", "udp-test-interactions", SCHEMA),
        ("dataset", "interactions", "udp-test-interactions", DATASET),
        ("import-job", "interactions", "udp-test-interactions-snap1", JOB),
    ]:
        manifest.record(files, kind, key, name, arn=arn, status="ACTIVE", action="created")
    ds = h.snapshot.datasets["interactions"]
    files.put(ds.files[0].uri, f"s3://{BUCKET}/personalize/snap1/interactions/part-00000.csv", ds.files[0].sha256)
    h.group("ACTIVE")
    h.expect(
        "describe_schema",
        {"schema": {"name": "s", "schemaArn": SCHEMA, "schema": h.snapshot_schema()}},
        schemaArn=SCHEMA,
    )
    h.dataset("ACTIVE")
    h.import_job("CREATE FAILED", "Access denied to s3://udp-test-bucket")
    retry = f"{ACCOUNT}:dataset-import-job/udp-test-interactions-snap1-r2"
    h.expect("list_dataset_import_jobs", {"datasetImportJobs": []}, datasetArn=DATASET)
    h.import_created("udp-test-interactions-snap1-r2", retry)
    h.import_job("ACTIVE", arn=retry)
    h.training()
    with h.stub:
        h.driver(retry_failed=True).apply()
        h.stub.assert_no_pending_responses()
    entry = h.entry("import-job", "interactions")
    assert (entry.name, entry.arn, entry.status) == ("udp-test-interactions-snap1-r2", retry, "ACTIVE")


def test_throttling_and_quota_errors_back_off_and_retry(h: Harness) -> None:
    h.expect("list_dataset_groups", {"datasetGroups": []})
    h.expect_error("create_dataset_group", "LimitExceededException", "Rate exceeded")
    h.expect_error("create_dataset_group", "ThrottlingException", "Rate exceeded")
    h.expect("create_dataset_group", {"datasetGroupArn": GROUP}, name="udp-test")
    with h.stub:
        assert h.driver().dataset_group().arn == GROUP
        h.stub.assert_no_pending_responses()
    assert h.sleeps == [15.0, 22.5]
    assert [line for line in h.lines if "retry" in line] == [
        "  create_dataset_group: LimitExceededException (Rate exceeded); retry 1 in 15s",
        "  create_dataset_group: ThrottlingException (Rate exceeded); retry 2 in 22s",
    ]


def test_a_quota_that_outlasts_the_retries_is_one_clear_error(h: Harness) -> None:
    h.config = h.config.with_overrides("personalize.poll.quota_retries=1")
    h.expect("list_dataset_groups", {"datasetGroups": []})
    h.expect_error("create_dataset_group", "LimitExceededException", "The limit of 5 dataset groups was reached")
    h.expect_error("create_dataset_group", "LimitExceededException", "The limit of 5 dataset groups was reached")
    with h.stub, pytest.raises(QuotaError, match=r"create_dataset_group was refused with LimitExceededException .* 2 "
                               r"times: wait for pending Personalize jobs"):  # fmt: skip
        h.driver().dataset_group()


def test_a_create_retried_after_a_lost_response_finds_the_resource_by_name(h: Harness) -> None:
    driver = h.driver()
    h.expect("list_solutions", {"solutions": []}, datasetGroupArn=GROUP)
    h.expect_error("create_solution", "ResourceAlreadyExistsException", "Solution udp-test-popularity already exists")
    h.expect(
        "list_solutions",
        {"solutions": [{"name": "udp-test-popularity", "solutionArn": SOLUTION}]},
        datasetGroupArn=GROUP,
    )
    parent = Resource("dataset-group", "udp-test", "udp-test", GROUP, "ACTIVE")
    with h.stub:
        res = driver.solution("popularity", h.config.personalize.solutions["popularity"], parent)
        h.stub.assert_no_pending_responses()
    assert (res.arn, res.action) == (SOLUTION, "create")
    assert h.entry("solution", "popularity").action == "created"


def test_an_existing_schema_with_other_fields_is_an_error_that_says_so(h: Harness) -> None:
    other = json.dumps({"type": "record", "name": "Interactions", "fields": [{"name": "USER_ID", "type": "string"}]})
    h.expect("list_schemas", {"schemas": [{"name": "udp-test-interactions", "schemaArn": SCHEMA}]})
    h.expect(
        "describe_schema",
        {"schema": {"name": "udp-test-interactions", "schemaArn": SCHEMA, "schema": other}},
        schemaArn=SCHEMA,
    )
    with h.stub, pytest.raises(DefinitionMismatchError, match=r"schema udp-test-interactions already exists with a "
                               r"different definition \(fields USER_ID; the snapshot's interactions schema has "
                               r"USER_ID,ITEM_ID,TIMESTAMP\)"):  # fmt: skip
        h.driver().schema(h.snapshot.datasets["interactions"])


def test_plan_prints_every_call_and_creates_nothing(h: Harness) -> None:
    h.expect("list_dataset_groups", {"datasetGroups": []})
    h.expect("list_schemas", {"schemas": []})
    driver = h.driver()
    with h.stub:
        resources = driver.plan()
        h.stub.assert_no_pending_responses()
    assert {r.action for r in resources} == {"create", "upload"}
    assert "create  dataset group        udp-test  create_dataset_group(name=udp-test) - not found" in h.lines
    assert any(line.startswith("create  import job") and "importMode=FULL" in line for line in h.lines)
    assert any("training ~" in n for n in driver.notes)
    assert h.manifest().entries == []
    assert h.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0


def test_teardown_deletes_what_apply_created_in_reverse_order(h: Harness) -> None:
    files = h.clients.files
    ds = h.snapshot.datasets["interactions"]
    uploaded = f"s3://{BUCKET}/personalize/snap1/interactions/part-00000.csv"
    files.put(ds.files[0].uri, uploaded, ds.files[0].sha256)
    manifest = h.record(
        ("dataset-group", "udp-test", "udp-test", GROUP, "created"),
        ("schema", "interactions", "udp-test-interactions", SCHEMA, "created"),
        ("dataset", "interactions", "udp-test-interactions", DATASET, "created"),
        ("import-job", "interactions", "udp-test-interactions-snap1", JOB, "created"),
        ("solution", "popularity", "udp-test-popularity", SOLUTION, "created"),
        ("solution-version", "popularity", "udp-test-popularity-snap1", VERSION, "created"),
        ("filter", "shared", "shared-filter", f"{ACCOUNT}:filter/shared", "reused"),
        status="ACTIVE",
    )
    manifest.record(
        files, "upload", "snapshot", "s3://x/", status="ACTIVE", action="created", extra={"objects": [uploaded]}
    )
    h.expect("delete_solution", {}, solutionArn=SOLUTION)
    h.expect_error("describe_solution", "ResourceNotFoundException")
    h.expect("delete_dataset", {}, datasetArn=DATASET)
    h.dataset("DELETE IN_PROGRESS")
    h.expect_error("describe_dataset", "ResourceNotFoundException")
    h.expect("delete_dataset_group", {}, datasetGroupArn=GROUP)
    h.expect_error("describe_dataset_group", "ResourceNotFoundException")
    h.expect("delete_schema", {}, schemaArn=SCHEMA)
    with h.stub:
        done = teardown(h.driver(), [h.manifest()]).resources
        h.stub.assert_no_pending_responses()
    assert [(r.kind, r.status) for r in done] == [
        ("solution", "DELETED"),
        ("dataset", "DELETED"),
        ("dataset-group", "DELETED"),
        ("schema", "DELETED"),
        ("upload", "DELETED"),
    ]
    assert not files.exists(uploaded)
    assert {e.kind for e in h.manifest().entries if e.action == "deleted"} == {
        "solution", "dataset", "dataset-group", "schema", "upload"
    }  # fmt: skip
    assert h.entry("filter", "shared").action == "reused"  # never deleted: udp did not create it
    assert any("skip    solution version" in line for line in h.lines)


def test_backend_aws_without_credentials_is_one_clear_sentence(
    aws_config: Config, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    args = ["plan", "--set", f"paths.export={aws_config.paths.export}", "--set", "personalize.backend=aws",
            "--set", f"personalize.role_arn={ROLE}", "--set", f"personalize.bucket={BUCKET}"]  # fmt: skip
    assert job.main(args) == 2
    err = capsys.readouterr().err
    assert err == (
        "udp: error: backend aws found no AWS credentials in the default chain (environment, ~/.aws config or SSO, "
        "instance or job role): configure them, or run with --set personalize.backend=local\n"
    )
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert job.main(args) == 2
    assert capsys.readouterr().err.startswith("udp: error: backend aws has no region:")


def test_clients_follow_boto3s_standard_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_RETRY_MODE", raising=False)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", "http://localhost:4566")
    session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="eu-west-1")
    clients = aws_clients(PersonalizeSettings(backend="aws"), session)
    assert clients.personalize.meta.endpoint_url == "http://localhost:4566"  # never hard-coded: the user's endpoint
    assert clients.personalize.meta.config.retries == {"mode": "standard", "total_max_attempts": 11}
    assert clients.region == "eu-west-1"
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")  # the user's own retry configuration wins
    assert aws_clients(PersonalizeSettings(backend="aws"), session).personalize.meta.config.retries == {
        "mode": "adaptive"
    }


def test_teardown_outwaits_a_campaign_update_finds_a_lost_create_by_name_and_reports_what_is_left(h: Harness) -> None:
    campaign = f"{ACCOUNT}:campaign/udp-test-popularity"
    files = h.clients.files
    manifest = h.record(
        ("dataset-group", "udp-test", "udp-test", GROUP, "created"),
        ("schema", "interactions", "udp-test-interactions", SCHEMA, "created"),
        ("solution", "popularity", "udp-test-popularity", SOLUTION, "created"),
        ("campaign", "popularity", "udp-test-popularity", campaign, "created"),
        ("filter", "shared", "udp-test-shared", "", "creating"),  # killed before the answer was recorded
    )
    batch = f"s3://{BUCKET}/personalize/snap1/batch/popularity"
    h.s3.put_object(Bucket=BUCKET, Key="personalize/snap1/batch/popularity/input.json", Body=b"{}")
    h.s3.put_object(Bucket=BUCKET, Key="personalize/snap1/batch/popularity/output/input.json.out", Body=b"{}")
    manifest.record(
        files, "batch-inference-job", "popularity", "udp-test-popularity-snap1", arn=f"{ACCOUNT}:batch-inference-job/b",
        action="created", extra={"objects": [f"{batch}/input.json"], "prefixes": [f"{batch}/output/"]},
    )  # fmt: skip
    filter_arn = f"{ACCOUNT}:filter/udp-test-shared"
    h.expect("list_filters", {"Filters": [{"name": "udp-test-shared", "filterArn": filter_arn}]}, datasetGroupArn=GROUP)
    updating = {"campaignArn": campaign, "status": "ACTIVE", "latestCampaignUpdate": {"status": "CREATE IN_PROGRESS"}}
    # round 1: the campaign is being updated, so it and everything above it are in use
    h.expect_error("delete_campaign", "ResourceInUseException", "Campaign is being updated", campaignArn=campaign)
    h.expect("describe_campaign", {"campaign": updating}, campaignArn=campaign)
    h.expect("delete_filter", {}, filterArn=filter_arn)
    h.expect_error("describe_filter", "ResourceNotFoundException")
    h.expect_error("delete_solution", "ResourceInUseException", "Solution has a campaign", solutionArn=SOLUTION)
    h.solution("ACTIVE")
    h.expect("list_solution_versions", {"solutionVersions": []}, solutionArn=SOLUTION)
    h.expect_error("delete_dataset_group", "ResourceInUseException", "Group has a solution", datasetGroupArn=GROUP)
    h.group("ACTIVE")
    h.expect_error("delete_schema", "AccessDeniedException", "not authorized to DeleteSchema", schemaArn=SCHEMA)
    # round 2, after a pause: the update is done and the rest follows in order
    h.expect("delete_campaign", {}, campaignArn=campaign)
    h.expect_error("describe_campaign", "ResourceNotFoundException")
    h.expect("delete_solution", {}, solutionArn=SOLUTION)
    h.expect_error("describe_solution", "ResourceNotFoundException")
    h.expect("delete_dataset_group", {}, datasetGroupArn=GROUP)
    h.expect_error("describe_dataset_group", "ResourceNotFoundException")
    with h.stub:
        summary = job.run(h.config, "teardown", clients=h.clients, leaderboard=h.sink, out=h.lines.append)
        h.stub.assert_no_pending_responses()
    assert len(h.sleeps) == 1
    assert h.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0  # batch input and output removed
    assert h.entry("filter", "shared").action == "deleted"  # found by name, known to be udp's
    assert {e.kind for e in h.manifest().entries if e.action == "deleted"} == {
        "filter", "campaign", "solution", "dataset-group"
    }  # fmt: skip
    assert h.entry("schema", "interactions").action == "created"  # still there, still udp's for the next teardown
    assert summary.failure is not None
    assert summary.failure.exit_code == 1
    assert str(summary.failure) == (
        "teardown left 1 resource(s): schema udp-test-interactions (AccessDeniedException: not authorized to "
        "DeleteSchema); fix what keeps them and run teardown again (it retries only what is left)"
    )
