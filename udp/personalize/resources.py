"""The vocabulary of a Personalize run: the kinds of resource udp manages, one resource's record, a version's metrics.

Each kind names its describe and delete calls, the ARN parameter and the response key, so the driver, `status` and
`teardown` handle every resource the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import ClientError

ACTIVE = "ACTIVE"
FAILED = ("CREATE FAILED", "CREATE STOPPED", "UPDATE FAILED")


@dataclass(frozen=True)
class Kind:
    label: str
    describe: str
    arn_param: str
    response_key: str
    delete: str | None = None
    has_status: bool = True


KINDS: dict[str, Kind] = {
    "dataset-group": Kind(
        "dataset group", "describe_dataset_group", "datasetGroupArn", "datasetGroup", "delete_dataset_group"
    ),
    "schema": Kind("schema", "describe_schema", "schemaArn", "schema", "delete_schema", has_status=False),
    "dataset": Kind("dataset", "describe_dataset", "datasetArn", "dataset", "delete_dataset"),
    "upload": Kind("s3 upload", "", "", ""),
    "import-job": Kind("import job", "describe_dataset_import_job", "datasetImportJobArn", "datasetImportJob"),
    "solution": Kind("solution", "describe_solution", "solutionArn", "solution", "delete_solution"),
    "solution-version": Kind("solution version", "describe_solution_version", "solutionVersionArn", "solutionVersion"),
    "filter": Kind("filter", "describe_filter", "filterArn", "filter", "delete_filter"),
    "batch-inference-job": Kind(
        "batch inference job", "describe_batch_inference_job", "batchInferenceJobArn", "batchInferenceJob"
    ),
    "campaign": Kind("campaign", "describe_campaign", "campaignArn", "campaign", "delete_campaign"),
    "event-tracker": Kind(
        "event tracker", "describe_event_tracker", "eventTrackerArn", "eventTracker", "delete_event_tracker"
    ),
}
TEARDOWN_ORDER = ("event-tracker", "campaign", "filter", "solution", "dataset", "dataset-group", "schema", "upload")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


@dataclass
class Resource:
    """One resource of a run: what the driver decided (action), and its state."""

    kind: str
    key: str
    name: str
    arn: str = ""
    status: str = ""
    action: str = ""  # create | reuse | update | skip | failed
    why: str = ""
    failure_reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return bool(self.arn)


class MetricsSink(Protocol):
    """Where trained versions' metrics go (gold.recipe_leaderboard): `location` identifies it."""

    location: str

    def write(self, versions: list[VersionMetrics]) -> None: ...


@dataclass(frozen=True)
class VersionMetrics:
    """A trained solution version's metrics: one row of gold.recipe_leaderboard."""

    recipe: str
    solution: str
    solution_key: str
    version_name: str
    version_arn: str
    snapshot: str
    metrics: dict[str, float]
    trained_at: dt.datetime | None


def status_of(kind: str, desc: dict[str, Any]) -> tuple[str, str]:
    """(status, failure reason); a campaign or dataset being updated reports its update's state."""
    if not KINDS[kind].has_status:
        return ACTIVE, ""
    update = desc.get({"campaign": "latestCampaignUpdate", "dataset": "latestDatasetUpdate"}.get(kind, ""))
    if update and desc.get("status") == ACTIVE and update.get("status") not in (None, ACTIVE):
        status = "UPDATE FAILED" if update["status"] == "CREATE FAILED" else f"UPDATE {update['status']}"
        return status, str(update.get("failureReason", ""))
    return str(desc.get("status", "")), str(desc.get("failureReason", ""))
