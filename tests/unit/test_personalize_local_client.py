"""The local backend's `personalize` client: botocore's model validation, Personalize's errors and lifecycle."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from udp.personalize.backends import local_clients
from udp.personalize.backends.local.personalize import LocalPersonalize
from udp.personalize.snapshot import SchemaField, format_csv, schema_json
from udp.settings.personalize import LocalSettings, PersonalizeSettings
from udp.settings.recipes import recipe_arn

INTERACTIONS = (SchemaField("USER_ID", "string"), SchemaField("ITEM_ID", "string"), SchemaField("TIMESTAMP", "long"))
TERMINAL = {"ACTIVE", "CREATE FAILED"}


def client(tmp_path: Path) -> LocalPersonalize:
    return LocalPersonalize(LocalSettings(state_dir=str(tmp_path / "state")))


def until_done(describe: Callable[[], dict[str, Any]]) -> list[str]:
    seen = []
    for _ in range(10):
        seen.append(describe()["status"])
        if seen[-1] in TERMINAL:
            return seen
    raise AssertionError(f"never finished: {seen}")


def group_with_interactions(p: LocalPersonalize, name: str = "g") -> tuple[str, str]:
    group = p.create_dataset_group(name=name)["datasetGroupArn"]
    until_done(lambda: p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    schema = p.create_schema(name=f"{name}-interactions", schema=schema_json("interactions", INTERACTIONS))["schemaArn"]
    dataset = p.create_dataset(
        name=f"{name}-interactions", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    until_done(lambda: p.describe_dataset(datasetArn=dataset)["dataset"])
    return group, dataset


def interactions_csv(users: int, per_user: int) -> bytes:
    rows = [(f"u{u}", f"i{(u + k) % 50}", 1_700_000_000 + k) for u in range(users) for k in range(per_user)]
    return format_csv(INTERACTIONS, rows).encode()


def run_import(p: LocalPersonalize, dataset: str, data: bytes, job: str = "job1") -> dict[str, Any]:
    p.files.write_bytes(f"s3://bucket/{job}/interactions.csv", data)
    arn = p.create_dataset_import_job(
        jobName=job, datasetArn=dataset, dataSource={"dataLocation": f"s3://bucket/{job}/"}
    )["datasetImportJobArn"]
    until_done(lambda: p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"])
    return dict(p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"])


def test_requests_are_validated_by_botocores_own_model(tmp_path: Path) -> None:
    p = client(tmp_path)
    with pytest.raises(ParamValidationError, match='Missing required parameter in input: "name"'):
        p.create_dataset_group()
    with pytest.raises(ParamValidationError, match="Unknown parameter in input"):
        p.create_dataset_group(name="g", colour="blue")
    with pytest.raises(ParamValidationError, match="Invalid type for parameter schema"):
        p.create_schema(name="s", schema={"type": "record"})
    with pytest.raises(ParamValidationError, match="Invalid length for parameter name"):
        p.create_dataset_group(name="")
    with pytest.raises(TypeError, match="only accepts keyword arguments"):
        p.create_dataset_group("g")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: p.create_dataset_group(name="my group!"), r"at 'name' failed to satisfy constraint: Member must "
         r"satisfy regular expression pattern"),
        (lambda p: p.create_dataset_group(name="g" * 70), r"Member must have length less than or equal to 63"),
        (lambda p: p.create_dataset_import_job(jobName="j", datasetArn="arn:aws:personalize:r:1:dataset/g/X",
         dataSource={"dataLocation": "s3://b/"}, importMode="APPEND"), r"enum value set: \[FULL, INCREMENTAL\]"),
        (lambda p: p.create_solution_version(solutionArn="arn:aws:personalize:r:1:solution/s", trainingMode="INCR"),
         r"at 'trainingMode'.*enum value set"),
    ],
)  # fmt: skip
def test_rules_botocore_leaves_to_the_service_are_invalid_input(
    tmp_path: Path, call: Callable[[LocalPersonalize], Any], message: str
) -> None:
    p = client(tmp_path)
    with pytest.raises(p.exceptions.InvalidInputException, match=message):
        call(p)


def test_put_events_of_eleven_events_is_invalid_input(tmp_path: Path) -> None:
    clients = local_clients(PersonalizeSettings(local=LocalSettings(state_dir=str(tmp_path / "s"))))
    event = {"eventType": "View", "itemId": "i1", "sentAt": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}
    with pytest.raises(clients.events.exceptions.InvalidInputException, match="less than or equal to 10"):
        clients.events.put_events(trackingId="t", sessionId="s", eventList=[event] * 11)


def test_errors_are_client_error_subclasses_caught_as_client_exceptions(tmp_path: Path) -> None:
    p = client(tmp_path)
    p.create_dataset_group(name="g")
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException) as exists:
        p.create_dataset_group(name="g")
    assert isinstance(exists.value, ClientError)
    assert exists.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    assert exists.value.operation_name == "CreateDatasetGroup"
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_solution(solutionArn="arn:aws:personalize:us-east-1:000000000000:solution/nope")


def test_status_moves_through_the_lifecycle_one_describe_at_a_time(tmp_path: Path) -> None:
    p = client(tmp_path)
    arn = p.create_dataset_group(name="g")["datasetGroupArn"]
    seen = until_done(lambda: p.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])
    assert seen == ["CREATE IN_PROGRESS", "ACTIVE"]
    assert p.list_dataset_groups()["datasetGroups"][0]["status"] == "ACTIVE"
    p.delete_dataset_group(datasetGroupArn=arn)
    assert p.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "DELETE IN_PROGRESS"
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_dataset_group(datasetGroupArn=arn)


def test_state_survives_a_new_client_in_another_process(tmp_path: Path) -> None:
    arn = client(tmp_path).create_dataset_group(name="g")["datasetGroupArn"]
    again = client(tmp_path)
    assert again.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["name"] == "g"


def test_dependencies_and_quotas_answer_like_personalize(tmp_path: Path) -> None:
    p = client(tmp_path)
    missing = "arn:aws:personalize:us-east-1:000000000000:dataset-group/none"
    schema = p.create_schema(name="s", schema=schema_json("interactions", INTERACTIONS))["schemaArn"]
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.create_dataset(name="d", schemaArn=schema, datasetGroupArn=missing, datasetType="Interactions")
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    with pytest.raises(p.exceptions.ResourceInUseException, match="must be ACTIVE"):
        p.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")
    group, _ = group_with_interactions(p, "h")
    with pytest.raises(p.exceptions.ResourceInUseException, match="still has resources"):
        p.delete_dataset_group(datasetGroupArn=group)
    for n in range(3):
        p.create_dataset_group(name=f"more{n}")
    with pytest.raises(p.exceptions.LimitExceededException):
        p.create_dataset_group(name="sixth")


def test_solutions_default_to_auto_training_like_personalize(tmp_path: Path) -> None:
    p = client(tmp_path)
    group, _ = group_with_interactions(p)
    arn = p.create_solution(name="s", datasetGroupArn=group, recipeArn=recipe_arn("aws-popularity-count"))[
        "solutionArn"
    ]
    assert p.describe_solution(solutionArn=arn)["solution"]["performAutoTraining"] is True
    with pytest.raises(p.exceptions.ResourceNotFoundException, match="Recipe"):
        p.create_solution(name="t", datasetGroupArn=group, recipeArn=recipe_arn("aws-hrnn"))


def test_import_reads_the_csv_and_becomes_active(tmp_path: Path) -> None:
    p = client(tmp_path)
    _, dataset = group_with_interactions(p)
    job = run_import(p, dataset, interactions_csv(users=100, per_user=12))
    assert job["status"] == "ACTIVE"
    assert len(p.datasets.interactions(p.describe_dataset(datasetArn=dataset)["dataset"]["datasetGroupArn"])) == 1200


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (interactions_csv(users=50, per_user=10), r"at least 1000 interactions; found 500"),
        (interactions_csv(users=1000, per_user=1) + b"u1,i1,5\n" * 20,
         r"at least 25 users \(and 1 % of users\) with 2 or more interactions; found 1 of 1000 users"),
        (b"USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000000\n", r"TIMESTAMP 1700000000000 at line 2 .* looks like "
         r"milliseconds"),
        (b"USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,yesterday\n", r"Value 'yesterday' of field TIMESTAMP is not a long"),
        (b"ITEM_ID,USER_ID,TIMESTAMP\ni1,u1,1\n", r"header of interactions\.csv \(ITEM_ID,USER_ID,TIMESTAMP\) does "
         r"not match the schema fields"),
        (b"USER_ID,ITEM_ID,TIMESTAMP\nu1,,1\n", r"Field ITEM_ID is required \(not nullable\) but empty at line 2"),
    ],
)  # fmt: skip
def test_imports_personalize_would_reject_fail_with_a_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    p = client(tmp_path)
    _, dataset = group_with_interactions(p)
    job = run_import(p, dataset, data)
    assert job["status"] == "CREATE FAILED"
    assert re.search(reason, job["failureReason"]), job["failureReason"]


def test_incremental_import_needs_an_earlier_bulk_import(tmp_path: Path) -> None:
    p = client(tmp_path)
    _, dataset = group_with_interactions(p)
    with pytest.raises(p.exceptions.InvalidInputException, match="earlier bulk import"):
        p.create_dataset_import_job(
            jobName="j", datasetArn=dataset, dataSource={"dataLocation": "s3://b/x/"}, importMode="INCREMENTAL"
        )


def test_popularity_training_evaluates_and_answers_metrics(tmp_path: Path) -> None:
    p = client(tmp_path)
    group, dataset = group_with_interactions(p)
    run_import(p, dataset, interactions_csv(users=120, per_user=12))
    solution = p.create_solution(
        name="pop", datasetGroupArn=group, recipeArn=recipe_arn("aws-popularity-count"), performAutoTraining=False
    )["solutionArn"]
    until_done(lambda: p.describe_solution(solutionArn=solution)["solution"])
    version = p.create_solution_version(solutionArn=solution, name="v1")["solutionVersionArn"]
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.get_solution_metrics(solutionVersionArn=version)
    seen = until_done(lambda: p.describe_solution_version(solutionVersionArn=version)["solutionVersion"])
    assert seen == ["CREATE IN_PROGRESS", "ACTIVE"]
    metrics = p.get_solution_metrics(solutionVersionArn=version)["metrics"]
    assert 0 < metrics["precision_at_10"] <= 1
    assert 0 < metrics["coverage"] <= 1
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        p.create_solution_version(solutionArn=solution, name="v1")


def test_training_on_too_few_events_of_a_type_fails_with_personalizes_reason(tmp_path: Path) -> None:
    p = client(tmp_path)
    group, dataset = group_with_interactions(p)
    run_import(p, dataset, interactions_csv(users=120, per_user=12))
    solution = p.create_solution(
        name="pop", datasetGroupArn=group, recipeArn=recipe_arn("aws-popularity-count"), eventType="Purchase"
    )["solutionArn"]
    until_done(lambda: p.describe_solution(solutionArn=solution)["solution"])
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    until_done(lambda: p.describe_solution_version(solutionVersionArn=version)["solutionVersion"])
    described = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert described["status"] == "CREATE FAILED"
    assert described["failureReason"] == (
        "Dataset has fewer than 1000 interactions after filtering by event type: Purchase"
    )
