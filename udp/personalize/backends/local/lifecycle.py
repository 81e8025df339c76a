# ruff: noqa: N803 - method parameters are the Personalize API's own (camelCase) names
"""The local `personalize` client's core: where its resources live (a `StateStore` folder, so `status` and a resumed
`apply` in another process see them), the helpers every operation shares (names, quotas, pages), and the lifecycle —
each `describe_*` moves a resource one step, and the work (an import, a training, a batch job) runs at the step that
leaves IN_PROGRESS.
"""

from __future__ import annotations

import copy
import functools
import shutil
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from udp.personalize.backends.local.groupdata import GroupData, records
from udp.personalize.backends.local.service import LocalService, ServiceError
from udp.personalize.backends.local.serving import Serving
from udp.personalize.backends.local.state import Record, StateStore
from udp.personalize.storage import Files, LocalFiles, s3_api_files

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from udp.settings.personalize import LocalSettings

CREATE_PENDING, CREATE_IN_PROGRESS, ACTIVE, CREATE_FAILED = (
    "CREATE PENDING",
    "CREATE IN_PROGRESS",
    "ACTIVE",
    "CREATE FAILED",
)
DELETE_PENDING, DELETE_IN_PROGRESS = "DELETE PENDING", "DELETE IN_PROGRESS"
CREATE_STOPPING, CREATE_STOPPED = "CREATE STOPPING", "CREATE STOPPED"
BATCH_PENDING, BATCH_IN_PROGRESS = "PENDING", "IN PROGRESS"
DATASET_TYPES = {"INTERACTIONS": "interactions", "ITEMS": "items", "USERS": "users"}
LIMITS = {
    "dataset-groups": 5,
    "pending-import-jobs": 5,
    "solutions": 10,
    "pending-solution-versions": 20,
    "campaigns": 5,
    "filters": 30,
    "pending-batch-jobs": 5,
}


# Operations that only read one kind of resource, answered by `Lifecycle._describe` and `_list`: the operation ->
# the resource kind and the response's key. A describe moves the resource one step (`_advance`); a list filters on the
# parent ARN it is given (the record holds it under the same name) and pages.
DESCRIBED = {
    "describe_dataset_group": ("dataset-group", "datasetGroup"),
    "describe_dataset": ("dataset", "dataset"),
    "describe_dataset_import_job": ("dataset-import-job", "datasetImportJob"),
    "describe_solution_version": ("solution-version", "solutionVersion"),
    "describe_filter": ("filter", "filter"),
    "describe_campaign": ("campaign", "campaign"),
    "describe_batch_inference_job": ("batch-inference-job", "batchInferenceJob"),
    "describe_event_tracker": ("event-tracker", "eventTracker"),
}
LISTED = {
    "list_dataset_groups": ("dataset-group", "datasetGroups"),
    "list_schemas": ("schema", "schemas"),
    "list_datasets": ("dataset", "datasets"),
    "list_dataset_import_jobs": ("dataset-import-job", "datasetImportJobs"),
    "list_solutions": ("solution", "solutions"),
    "list_solution_versions": ("solution-version", "solutionVersions"),
    "list_filters": ("filter", "Filters"),
    "list_batch_inference_jobs": ("batch-inference-job", "batchInferenceJobs"),
    "list_event_trackers": ("event-tracker", "eventTrackers"),
}


def clock() -> float:
    return time.time()


class Lifecycle(LocalService):
    """The local `personalize` client's state and lifecycle: records in a `StateStore`, one step per describe."""

    service_name = "personalize"

    # The work each kind runs when it leaves IN_PROGRESS, defined by the resource families' classes.
    _run_import: Callable[[Record], tuple[Record, dict[str, Record]]]
    _run_training: Callable[[Record], Record]
    _run_batch: Callable[[Record], Record]

    def __init__(self, settings: LocalSettings, spark: Callable[[], SparkSession] | None = None) -> None:
        super().__init__(region=settings.region)
        self.settings = settings
        self.store = StateStore(settings.state_dir)
        # Where the "S3" this stand-in reads imports from and writes batch output to: a local folder, or a real S3 API.
        self.files: Files = (
            s3_api_files() if settings.s3 == "api" else LocalFiles(settings.s3_root or self.store.root / "s3")
        )
        self.spark = spark
        self.datasets = GroupData(self.store)
        self.serving = Serving(self.datasets)

    # ------------------------------------------------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------------------------------------------------

    def arn(self, kind: str, *parts: str) -> str:
        return f"arn:aws:personalize:{self.settings.region}:{self.settings.account_id}:{kind}/{'/'.join(parts)}"

    @staticmethod
    def _get(data: dict[str, Record], arn: str, kind: str) -> Record:
        rec = data.get(arn)
        if rec is None or rec.get("_kind") != kind:
            raise ServiceError("ResourceNotFoundException", f"Resource {arn} does not exist.")
        return rec

    _all = staticmethod(records)

    @staticmethod
    def _new(kind: str, status: str | None = CREATE_PENDING, **fields: Any) -> Record:
        now = clock()
        rec: Record = {"_kind": kind, "creationDateTime": now, "lastUpdatedDateTime": now, **fields}
        if status is not None:
            rec["status"] = status
        return rec

    @staticmethod
    def _unique(data: dict[str, Record], kind: str, key: str, value: str, what: str, **scope: Any) -> None:
        for r in data.values():
            if r.get("_kind") == kind and r.get(key) == value and all(r.get(k) == v for k, v in scope.items()):
                raise ServiceError("ResourceAlreadyExistsException", f"{what} with name {value} already exists.")

    @staticmethod
    def _active(rec: Record, what: str) -> None:
        if rec.get("status") != ACTIVE:
            raise ServiceError(
                "ResourceInUseException",
                f"{what} {rec.get('name') or rec.get('jobName')} is {rec.get('status')}; it must be ACTIVE.",
            )

    @staticmethod
    def _limit(count: int, limit: str) -> None:
        if count >= LIMITS[limit]:
            raise ServiceError("LimitExceededException", f"The limit of {LIMITS[limit]} {limit} has been reached.")

    def _implementation(self, method: str) -> Callable[..., dict[str, Any] | None] | None:
        if method in DESCRIBED:
            return functools.partial(self._describe, *DESCRIBED[method])
        if method in LISTED:
            return functools.partial(self._list, *LISTED[method])
        return super()._implementation(method)

    def _describe(self, kind: str, key: str, **params: str) -> dict[str, Any]:
        (arn,) = params.values()  # the one ARN a describe takes (the request is validated against the model)
        return {key: self._advance(arn, kind)}

    def _list(
        self, kind: str, key: str, nextToken: str | None = None, maxResults: int | None = None, **parent: str
    ) -> dict[str, Any]:
        match = {name: arn for name, arn in parent.items() if arn}
        return self._page(self._all(self.store.snapshot(), kind, **match), key, nextToken, maxResults)

    @staticmethod
    def _page(items: list[Record], key: str, next_token: str | None, max_results: int | None) -> dict[str, Any]:
        ordered = sorted(items, key=lambda r: (-float(r.get("creationDateTime", 0)), str(r)))
        start = int(next_token) if next_token and next_token.isdigit() else 0
        size = max_results or 100
        out: dict[str, Any] = {key: ordered[start : start + size]}
        if start + size < len(ordered):
            out["nextToken"] = str(start + size)
        return out

    def _create(self, rec: Record, arn: str) -> None:
        with self.store.transaction() as data:
            data[arn] = rec

    # ------------------------------------------------------------------------------------------------------------
    # lifecycle: each describe moves a resource one step; work runs when it leaves IN_PROGRESS
    # ------------------------------------------------------------------------------------------------------------

    def _advance(self, arn: str, kind: str) -> Record:
        removed: list[Record] = []
        with self.store.transaction() as data:
            rec = self._get(data, arn, kind)
            status = rec.get("status")
            update = rec.get("latestCampaignUpdate") or rec.get("latestDatasetUpdate")
            if status == DELETE_IN_PROGRESS:
                removed = [data.pop(a) for a in [arn, *self._children(data, rec)] if a in data]
            elif status == CREATE_STOPPING:
                rec["status"] = CREATE_STOPPED
                rec["lastUpdatedDateTime"] = clock()
                return copy.deepcopy(rec)
            elif status in (CREATE_PENDING, BATCH_PENDING, DELETE_PENDING):
                rec["status"] = {CREATE_PENDING: CREATE_IN_PROGRESS, BATCH_PENDING: BATCH_IN_PROGRESS}.get(
                    status, DELETE_IN_PROGRESS
                )
                rec["lastUpdatedDateTime"] = clock()
                return copy.deepcopy(rec)
            elif isinstance(update, dict) and update.get("status") == CREATE_PENDING:
                update["status"] = CREATE_IN_PROGRESS
                return copy.deepcopy(rec)
            elif isinstance(update, dict) and update.get("status") == CREATE_IN_PROGRESS:
                update["status"] = ACTIVE
                update["lastUpdatedDateTime"] = rec["lastUpdatedDateTime"] = clock()
                for key in ("solutionVersionArn", "minProvisionedTPS", "campaignConfig", "schemaArn"):
                    if key in update:
                        rec[key] = update[key]
                return copy.deepcopy(rec)
            elif status not in (CREATE_IN_PROGRESS, BATCH_IN_PROGRESS):
                return copy.deepcopy(rec)
            snapshot = copy.deepcopy(rec)
        if removed:
            for r in removed:
                self._cleanup(r)
            raise ServiceError("ResourceNotFoundException", f"Resource {arn} does not exist.")
        updates, side = self._work(snapshot)
        with self.store.transaction() as data:
            rec = self._get(data, arn, kind)
            if rec.get("status") in (CREATE_IN_PROGRESS, BATCH_IN_PROGRESS):
                rec.update(updates)
                rec["lastUpdatedDateTime"] = clock()
                for other, changes in side.items():
                    if other in data:
                        data[other].update(changes)
            return copy.deepcopy(rec)

    def _work(self, rec: Record) -> tuple[Record, dict[str, Record]]:
        kind = rec["_kind"]
        if kind == "dataset-import-job":
            return self._run_import(rec)
        if kind == "solution-version":
            return self._run_training(rec), {}
        if kind == "batch-inference-job":
            return self._run_batch(rec), {}
        return {"status": ACTIVE}, {}

    @staticmethod
    def _children(data: dict[str, Record], rec: Record) -> list[str]:
        if rec["_kind"] == "solution":
            return [a for a, r in data.items() if r.get("solutionArn") == rec["solutionArn"] and r is not rec]
        if rec["_kind"] == "dataset":
            return [
                a
                for a, r in data.items()
                if r.get("_kind") == "dataset-import-job" and r.get("datasetArn") == rec["datasetArn"]
            ]
        return []

    def _cleanup(self, rec: Record) -> None:
        for key in ("_data_dir", "_model_dir"):
            if rec.get(key):
                shutil.rmtree(self.store.root / rec[key], ignore_errors=True)


def pick(source: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: source[k] for k in keys if source.get(k) is not None}
