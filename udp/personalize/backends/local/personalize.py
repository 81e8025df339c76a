# ruff: noqa: N803 - method parameters are the Personalize API's own (camelCase) names
"""The local `personalize` client: the control-plane calls udp's driver makes, answered offline.

Resources live in a `StateStore` folder, so `status` and a resumed `apply` in another process see them. A resource
moves through Personalize's lifecycle one step per `describe_*` call — CREATE PENDING, CREATE IN_PROGRESS, then ACTIVE
or CREATE FAILED (batch inference jobs: PENDING, IN PROGRESS, ACTIVE) — and the work (an import, a training, a batch
job) runs at the step that leaves IN_PROGRESS. Deletes go DELETE PENDING, DELETE IN_PROGRESS, then the resource is
gone (ResourceNotFoundException). Names, dependencies, quotas and errors follow the service: a duplicate name is
ResourceAlreadyExistsException, a missing parent ResourceNotFoundException, a busy one ResourceInUseException, a quota
LimitExceededException.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from udp.personalize.backends.local.data import (
    ImportRejectedError,
    import_csv,
)
from udp.personalize.backends.local.filters import FilterValueError, UnsupportedFilterError
from udp.personalize.backends.local.groupdata import GroupData, records
from udp.personalize.backends.local.models import Exploration
from udp.personalize.backends.local.service import LocalService, ServiceError
from udp.personalize.backends.local.serving import Serving, batch_output_line
from udp.personalize.backends.local.state import Record, StateStore
from udp.personalize.backends.local.training import TrainingFailedError, train
from udp.personalize.recipes import RECIPES, Recipe, recipe_from_arn
from udp.personalize.snapshot import SnapshotError, parse_schema
from udp.personalize.storage import Files, LocalFiles, join, s3_api_files

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from udp.personalize.settings import LocalSettings

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


def _now() -> float:
    return time.time()


class LocalPersonalize(LocalService):
    """`boto3.client("personalize")`, offline. `spark` is called only when an ALS model trains."""

    service_name = "personalize"

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
        now = _now()
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
                rec["lastUpdatedDateTime"] = _now()
                return copy.deepcopy(rec)
            elif status in (CREATE_PENDING, BATCH_PENDING, DELETE_PENDING):
                rec["status"] = {CREATE_PENDING: CREATE_IN_PROGRESS, BATCH_PENDING: BATCH_IN_PROGRESS}.get(
                    status, DELETE_IN_PROGRESS
                )
                rec["lastUpdatedDateTime"] = _now()
                return copy.deepcopy(rec)
            elif isinstance(update, dict) and update.get("status") == CREATE_PENDING:
                update["status"] = CREATE_IN_PROGRESS
                return copy.deepcopy(rec)
            elif isinstance(update, dict) and update.get("status") == CREATE_IN_PROGRESS:
                update["status"] = ACTIVE
                update["lastUpdatedDateTime"] = rec["lastUpdatedDateTime"] = _now()
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
                rec["lastUpdatedDateTime"] = _now()
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

    # ------------------------------------------------------------------------------------------------------------
    # dataset groups, schemas, datasets
    # ------------------------------------------------------------------------------------------------------------

    def _create_dataset_group(self, name: str, **params: Any) -> dict[str, Any]:
        arn = self.arn("dataset-group", name)
        with self.store.transaction() as data:
            self._unique(data, "dataset-group", "name", name, "Dataset group")
            self._limit(len(self._all(data, "dataset-group")), "dataset-groups")
            data[arn] = self._new("dataset-group", name=name, datasetGroupArn=arn, **_pick(params, "roleArn", "domain"))
        return {"datasetGroupArn": arn, "domain": params.get("domain")}

    def _describe_dataset_group(self, datasetGroupArn: str) -> dict[str, Any]:
        return {"datasetGroup": self._advance(datasetGroupArn, "dataset-group")}

    def _list_dataset_groups(self, nextToken: str | None = None, maxResults: int | None = None) -> dict[str, Any]:
        return self._page(self._all(self.store.snapshot(), "dataset-group"), "datasetGroups", nextToken, maxResults)

    def _delete_dataset_group(self, datasetGroupArn: str) -> None:
        with self.store.transaction() as data:
            rec = self._get(data, datasetGroupArn, "dataset-group")
            users = [r for r in data.values() if r.get("datasetGroupArn") == datasetGroupArn and r is not rec]
            users = [r for r in users if r["_kind"] in ("dataset", "solution", "filter", "event-tracker")]
            if users:
                kinds = sorted({r["_kind"] for r in users})
                raise ServiceError(
                    "ResourceInUseException",
                    f"Dataset group {rec['name']} still has resources ({', '.join(kinds)}); delete them first.",
                )
            rec["status"] = DELETE_PENDING

    def _create_schema(self, name: str, schema: str, domain: str | None = None) -> dict[str, Any]:
        try:
            doc = json.loads(schema)
            dataset = {"Interactions": "interactions", "Items": "items", "Users": "users"}.get(doc.get("name"), "")
            parse_schema(schema, dataset or "items", "schema") if dataset else None
        except (ValueError, AttributeError, SnapshotError) as e:
            raise ServiceError("InvalidInputException", f"The schema is not a valid Avro record schema: {e}") from None
        arn = self.arn("schema", name)
        with self.store.transaction() as data:
            self._unique(data, "schema", "name", name, "Schema")
            data[arn] = self._new("schema", status=None, name=name, schemaArn=arn, schema=schema, domain=domain)
        return {"schemaArn": arn}

    def _describe_schema(self, schemaArn: str) -> dict[str, Any]:
        return {"schema": self._get(self.store.snapshot(), schemaArn, "schema")}

    def _list_schemas(self, nextToken: str | None = None, maxResults: int | None = None) -> dict[str, Any]:
        return self._page(self._all(self.store.snapshot(), "schema"), "schemas", nextToken, maxResults)

    def _delete_schema(self, schemaArn: str) -> None:
        with self.store.transaction() as data:
            self._get(data, schemaArn, "schema")
            if self._all(data, "dataset", schemaArn=schemaArn):
                raise ServiceError("ResourceInUseException", f"Schema {schemaArn} is used by a dataset.")
            del data[schemaArn]

    def _create_dataset(
        self, name: str, schemaArn: str, datasetGroupArn: str, datasetType: str, **params: Any
    ) -> dict[str, Any]:
        dtype = datasetType.upper()
        if dtype not in DATASET_TYPES:
            raise ServiceError(
                "InvalidInputException",
                f"Dataset type {datasetType} is not supported by the local backend (Interactions, Items, Users).",
            )
        with self.store.transaction() as data:
            group = self._get(data, datasetGroupArn, "dataset-group")
            self._active(group, "Dataset group")
            schema = self._get(data, schemaArn, "schema")
            try:
                parse_schema(schema["schema"], DATASET_TYPES[dtype], schema["name"])
            except SnapshotError as e:
                raise ServiceError("InvalidInputException", str(e)) from None
            if self._all(data, "dataset", datasetGroupArn=datasetGroupArn, datasetType=dtype):
                raise ServiceError(
                    "ResourceAlreadyExistsException", f"A {datasetType} dataset already exists in {group['name']}."
                )
            self._unique(data, "dataset", "name", name, "Dataset", datasetGroupArn=datasetGroupArn)
            arn = self.arn("dataset", group["name"], dtype)
            data_dir = f"data/{hashlib.sha256(arn.encode()).hexdigest()[:12]}"
            data[arn] = self._new(
                "dataset",
                name=name,
                datasetArn=arn,
                datasetGroupArn=datasetGroupArn,
                datasetType=dtype,
                schemaArn=schemaArn,
                _data_dir=data_dir,
                _files=[],
            )
        return {"datasetArn": arn}

    def _describe_dataset(self, datasetArn: str) -> dict[str, Any]:
        return {"dataset": self._advance(datasetArn, "dataset")}

    def _list_datasets(
        self, datasetGroupArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        match = {"datasetGroupArn": datasetGroupArn} if datasetGroupArn else {}
        return self._page(self._all(self.store.snapshot(), "dataset", **match), "datasets", nextToken, maxResults)

    def _update_dataset(self, datasetArn: str, schemaArn: str) -> dict[str, Any]:
        with self.store.transaction() as data:
            rec = self._get(data, datasetArn, "dataset")
            self._active(rec, "Dataset")
            schema = self._get(data, schemaArn, "schema")
            try:
                parse_schema(schema["schema"], DATASET_TYPES[rec["datasetType"]], schema["name"])
            except SnapshotError as e:
                raise ServiceError("InvalidInputException", str(e)) from None
            now = _now()
            rec["latestDatasetUpdate"] = {
                "schemaArn": schemaArn,
                "status": CREATE_PENDING,
                "creationDateTime": now,
                "lastUpdatedDateTime": now,
            }
        return {"datasetArn": datasetArn}

    def _delete_dataset(self, datasetArn: str) -> None:
        with self.store.transaction() as data:
            rec = self._get(data, datasetArn, "dataset")
            busy = [j for j in self._all(data, "dataset-import-job", datasetArn=datasetArn) if j["status"] != ACTIVE]
            if any(j["status"] in (CREATE_PENDING, CREATE_IN_PROGRESS) for j in busy):
                raise ServiceError("ResourceInUseException", f"Dataset {rec['name']} has an import in progress.")
            rec["status"] = DELETE_PENDING

    # ------------------------------------------------------------------------------------------------------------
    # import jobs
    # ------------------------------------------------------------------------------------------------------------

    def _create_dataset_import_job(
        self, jobName: str, datasetArn: str, dataSource: dict[str, Any], **params: Any
    ) -> dict[str, Any]:
        mode = params.get("importMode", "FULL")
        location = str(dataSource.get("dataLocation", ""))
        if not location.startswith("s3://"):
            raise ServiceError("InvalidInputException", f"dataLocation {location!r} must be an s3:// location.")
        arn = self.arn("dataset-import-job", jobName)
        with self.store.transaction() as data:
            dataset = self._get(data, datasetArn, "dataset")
            self._active(dataset, "Dataset")
            self._unique(data, "dataset-import-job", "jobName", jobName, "Dataset import job")
            jobs = self._all(data, "dataset-import-job")
            pending = [j for j in jobs if j["status"] in (CREATE_PENDING, CREATE_IN_PROGRESS)]
            if any(j["datasetArn"] == datasetArn for j in pending):
                raise ServiceError("ResourceInUseException", f"Dataset {dataset['name']} has an import in progress.")
            self._limit(len(pending), "pending-import-jobs")
            if mode == "INCREMENTAL" and not dataset.get("_files"):
                raise ServiceError(
                    "InvalidInputException", "An INCREMENTAL import needs an earlier bulk import into the dataset."
                )
            data[arn] = self._new(
                "dataset-import-job",
                jobName=jobName,
                datasetImportJobArn=arn,
                datasetArn=datasetArn,
                dataSource={"dataLocation": location},
                importMode=mode,
                **_pick(params, "roleArn", "publishAttributionMetricsToS3"),
            )
        return {"datasetImportJobArn": arn}

    def _describe_dataset_import_job(self, datasetImportJobArn: str) -> dict[str, Any]:
        return {"datasetImportJob": self._advance(datasetImportJobArn, "dataset-import-job")}

    def _list_dataset_import_jobs(
        self, datasetArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        match = {"datasetArn": datasetArn} if datasetArn else {}
        jobs = self._all(self.store.snapshot(), "dataset-import-job", **match)
        return self._page(jobs, "datasetImportJobs", nextToken, maxResults)

    def _run_import(self, job: Record) -> tuple[Record, dict[str, Record]]:
        snapshot = self.store.snapshot()
        dataset = snapshot[job["datasetArn"]]
        schema = snapshot[dataset["schemaArn"]]
        dtype = dataset["datasetType"]
        fields = parse_schema(schema["schema"], DATASET_TYPES[dtype], schema["name"])
        rel = f"{dataset['_data_dir']}/{job['jobName']}.parquet"
        try:
            incremental = job.get("importMode") == "INCREMENTAL"
            import_csv(
                self.files,
                job["dataSource"]["dataLocation"],
                dtype,
                fields,
                self.store.root / rel,
                incremental=incremental,
            )
        except ImportRejectedError as e:
            return {"status": CREATE_FAILED, "failureReason": str(e)}, {}
        current = [] if job.get("importMode", "FULL") == "FULL" else list(dataset.get("_files", []))
        return {"status": ACTIVE}, {dataset["datasetArn"]: {"_files": [*current, rel]}}

    # ------------------------------------------------------------------------------------------------------------
    # solutions, versions, metrics
    # ------------------------------------------------------------------------------------------------------------

    def _create_solution(self, name: str, datasetGroupArn: str, **params: Any) -> dict[str, Any]:
        if params.get("performAutoML"):
            raise ServiceError("InvalidInputException", "performAutoML (legacy HRNN recipes) is not available.")
        recipe = recipe_from_arn(str(params.get("recipeArn", "")))
        if recipe is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Recipe {params.get('recipeArn')} not found; the local backend knows {', '.join(RECIPES)}.",
            )
        arn = self.arn("solution", name)
        with self.store.transaction() as data:
            group = self._get(data, datasetGroupArn, "dataset-group")
            self._active(group, "Dataset group")
            self._unique(data, "solution", "name", name, "Solution")
            self._limit(len(self._all(data, "solution", datasetGroupArn=datasetGroupArn)), "solutions")
            data[arn] = self._new(
                "solution",
                name=name,
                solutionArn=arn,
                datasetGroupArn=datasetGroupArn,
                recipeArn=recipe.arn,
                performHPO=bool(params.get("performHPO", False)),
                performAutoML=False,
                performAutoTraining=bool(params.get("performAutoTraining", True)),  # Personalize's default
                **_pick(params, "eventType", "solutionConfig", "performIncrementalUpdate"),
            )
        return {"solutionArn": arn}

    def _describe_solution(self, solutionArn: str) -> dict[str, Any]:
        rec = self._advance(solutionArn, "solution")
        versions = self._all(self.store.snapshot(), "solution-version", solutionArn=solutionArn)
        if versions:
            rec["latestSolutionVersion"] = max(versions, key=lambda v: float(v["creationDateTime"]))
        return {"solution": rec}

    def _list_solutions(
        self, datasetGroupArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        match = {"datasetGroupArn": datasetGroupArn} if datasetGroupArn else {}
        return self._page(self._all(self.store.snapshot(), "solution", **match), "solutions", nextToken, maxResults)

    def _update_solution(self, solutionArn: str, **params: Any) -> dict[str, Any]:
        with self.store.transaction() as data:
            rec = self._get(data, solutionArn, "solution")
            self._active(rec, "Solution")
            if "performAutoTraining" in params:
                rec["performAutoTraining"] = params["performAutoTraining"]
            config = params.get("solutionUpdateConfig", {}).get("autoTrainingConfig")
            if config:
                rec.setdefault("solutionConfig", {})["autoTrainingConfig"] = config
            rec["lastUpdatedDateTime"] = _now()
        return {"solutionArn": solutionArn}

    def _delete_solution(self, solutionArn: str) -> None:
        with self.store.transaction() as data:
            rec = self._get(data, solutionArn, "solution")
            versions = {v["solutionVersionArn"] for v in self._all(data, "solution-version", solutionArn=solutionArn)}
            if any(c.get("solutionVersionArn") in versions for c in self._all(data, "campaign")):
                raise ServiceError("ResourceInUseException", f"Solution {rec['name']} has a campaign; delete it first.")
            training = [
                v
                for v in self._all(data, "solution-version", solutionArn=solutionArn)
                if v["status"] in (CREATE_PENDING, CREATE_IN_PROGRESS, CREATE_STOPPING)
            ]
            if training:
                raise ServiceError("ResourceInUseException", f"Solution {rec['name']} has a version in training.")
            rec["status"] = DELETE_PENDING

    def _create_solution_version(self, solutionArn: str, **params: Any) -> dict[str, Any]:
        mode = params.get("trainingMode", "FULL")
        name = params.get("name")
        with self.store.transaction() as data:
            solution = self._get(data, solutionArn, "solution")
            self._active(solution, "Solution")
            if name:
                self._unique(data, "solution-version", "name", name, "Solution version", solutionArn=solutionArn)
            versions = self._all(data, "solution-version", solutionArn=solutionArn)
            if mode == "UPDATE":
                recipe = recipe_from_arn(solution["recipeArn"])
                if recipe is None or recipe.name != "aws-user-personalization":
                    raise ServiceError("InvalidInputException", "trainingMode UPDATE needs aws-user-personalization.")
                if not any(v["status"] == ACTIVE and v.get("trainingMode") == "FULL" for v in versions):
                    raise ServiceError("InvalidInputException", "trainingMode UPDATE needs an ACTIVE FULL version.")
            pending = [
                v for v in self._all(data, "solution-version") if v["status"] in (CREATE_PENDING, CREATE_IN_PROGRESS)
            ]
            self._limit(len(pending), "pending-solution-versions")
            vid = hashlib.sha256(f"{solutionArn}/{name}".encode()).hexdigest()[:8] if name else uuid.uuid4().hex[:8]
            arn = f"{solutionArn}/{vid}"
            data[arn] = self._new(
                "solution-version",
                name=name,
                solutionVersionArn=arn,
                solutionArn=solutionArn,
                trainingMode=mode,
                trainingType="MANUAL",
                **_pick(
                    solution,
                    "recipeArn",
                    "eventType",
                    "datasetGroupArn",
                    "solutionConfig",
                    "performHPO",
                    "performAutoML",
                    "performIncrementalUpdate",
                ),
            )
        return {"solutionVersionArn": arn}

    def _describe_solution_version(self, solutionVersionArn: str) -> dict[str, Any]:
        return {"solutionVersion": self._advance(solutionVersionArn, "solution-version")}

    def _list_solution_versions(
        self, solutionArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        match = {"solutionArn": solutionArn} if solutionArn else {}
        versions = self._all(self.store.snapshot(), "solution-version", **match)
        return self._page(versions, "solutionVersions", nextToken, maxResults)

    def _stop_solution_version_creation(self, solutionVersionArn: str) -> None:
        with self.store.transaction() as data:
            rec = self._get(data, solutionVersionArn, "solution-version")
            if rec["status"] not in (CREATE_PENDING, CREATE_IN_PROGRESS):
                raise ServiceError(
                    "InvalidInputException", f"Solution version {solutionVersionArn} is {rec['status']}."
                )
            rec["status"] = CREATE_STOPPING
            rec["lastUpdatedDateTime"] = _now()

    def _get_solution_metrics(self, solutionVersionArn: str) -> dict[str, Any]:
        rec = self._get(self.store.snapshot(), solutionVersionArn, "solution-version")
        if rec["status"] != ACTIVE:
            raise ServiceError("ResourceInUseException", f"Solution version {solutionVersionArn} is {rec['status']}.")
        return {"solutionVersionArn": solutionVersionArn, "metrics": rec.get("_metrics", {})}

    def _run_training(self, version: Record) -> Record:
        recipe = recipe_from_arn(version["recipeArn"])
        assert recipe is not None
        group = version["datasetGroupArn"]
        inter = self.datasets.interactions(group)
        if len(inter) == 0:
            return {
                "status": CREATE_FAILED,
                "failureReason": "No interactions data: import into the Interactions dataset before training.",
            }
        if self.spark is None and recipe.local_model == "als":
            return {"status": CREATE_FAILED, "failureReason": "The local backend needs Spark to train ALS."}
        items = self.datasets.items(group)
        config = version.get("solutionConfig") or {}
        try:
            result = train(
                recipe,
                inter,
                items,
                self.settings,
                event_type=version.get("eventType") or "",
                event_value_threshold=str(config.get("eventValueThreshold") or ""),
                hyperparameters=config.get("algorithmHyperParameters") or {},
                spark=self._spark,
            )
        except TrainingFailedError as e:
            return {"status": CREATE_FAILED, "failureReason": str(e)}
        model_dir = f"models/{version['solutionVersionArn'].rsplit(':', 1)[-1].replace('/', '_')}"
        result.model.meta["trained_at"] = _now()
        result.model.save(self.store.root / model_dir)
        return {
            "status": ACTIVE,
            "trainingHours": round(result.seconds / 3600, 6),
            "_metrics": result.metrics,
            "_model_dir": model_dir,
        }

    def _spark(self) -> SparkSession:
        assert self.spark is not None
        return self.spark()

    # ------------------------------------------------------------------------------------------------------------
    # filters, batch inference, campaigns, event trackers
    # ------------------------------------------------------------------------------------------------------------

    def _create_filter(self, name: str, datasetGroupArn: str, filterExpression: str, **params: Any) -> dict[str, Any]:
        arn = self.arn("filter", name)
        with self.store.transaction() as data:
            self._get(data, datasetGroupArn, "dataset-group")
            self._unique(data, "filter", "name", name, "Filter")
            self._limit(len(self._all(data, "filter", datasetGroupArn=datasetGroupArn)), "filters")
            data[arn] = self._new(
                "filter", name=name, filterArn=arn, datasetGroupArn=datasetGroupArn, filterExpression=filterExpression
            )
        return {"filterArn": arn}

    def _describe_filter(self, filterArn: str) -> dict[str, Any]:
        return {"filter": self._advance(filterArn, "filter")}

    def _list_filters(
        self, datasetGroupArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        match = {"datasetGroupArn": datasetGroupArn} if datasetGroupArn else {}
        return self._page(self._all(self.store.snapshot(), "filter", **match), "Filters", nextToken, maxResults)

    def _delete_filter(self, filterArn: str) -> None:
        with self.store.transaction() as data:
            self._get(data, filterArn, "filter")["status"] = DELETE_PENDING

    def _create_batch_inference_job(
        self,
        jobName: str,
        solutionVersionArn: str,
        jobInput: dict[str, Any],
        jobOutput: dict[str, Any],
        roleArn: str,
        **params: Any,
    ) -> dict[str, Any]:
        arn = self.arn("batch-inference-job", jobName)
        with self.store.transaction() as data:
            version = self._get(data, solutionVersionArn, "solution-version")
            self._active(version, "Solution version")
            recipe = recipe_from_arn(version["recipeArn"])
            if recipe is None or not recipe.batch:
                raise ServiceError(
                    "InvalidInputException", f"Batch inference is not supported for {version['recipeArn']}."
                )
            if params.get("filterArn"):
                self._get(data, params["filterArn"], "filter")
            self._unique(data, "batch-inference-job", "jobName", jobName, "Batch inference job")
            pending = [
                j for j in self._all(data, "batch-inference-job") if j["status"] in (BATCH_PENDING, BATCH_IN_PROGRESS)
            ]
            self._limit(len(pending), "pending-batch-jobs")
            data[arn] = self._new(
                "batch-inference-job",
                status=BATCH_PENDING,
                jobName=jobName,
                batchInferenceJobArn=arn,
                solutionVersionArn=solutionVersionArn,
                jobInput=jobInput,
                jobOutput=jobOutput,
                roleArn=roleArn,
                numResults=int(params.get("numResults", 25)),
                batchInferenceJobMode=params.get("batchInferenceJobMode", "BATCH_INFERENCE"),
                **_pick(params, "filterArn", "batchInferenceJobConfig"),
            )
        return {"batchInferenceJobArn": arn}

    def _describe_batch_inference_job(self, batchInferenceJobArn: str) -> dict[str, Any]:
        return {"batchInferenceJob": self._advance(batchInferenceJobArn, "batch-inference-job")}

    def _list_batch_inference_jobs(
        self, solutionVersionArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        match = {"solutionVersionArn": solutionVersionArn} if solutionVersionArn else {}
        jobs = self._all(self.store.snapshot(), "batch-inference-job", **match)
        return self._page(jobs, "batchInferenceJobs", nextToken, maxResults)

    def _run_batch(self, job: Record) -> Record:
        snapshot = self.store.snapshot()
        version = snapshot.get(job["solutionVersionArn"])
        recipe = recipe_from_arn(job.get("_recipe") or (version or {}).get("recipeArn", ""))
        if version is None or recipe is None or not version.get("_model_dir"):
            return {"status": CREATE_FAILED, "failureReason": "The solution version has no trained model."}
        source = job["jobInput"]["s3DataSource"]["path"]
        try:
            lines = self.files.read_bytes(source).decode("utf-8").splitlines()
        except Exception:
            return {"status": CREATE_FAILED, "failureReason": f"Input file {source} could not be read."}
        expression = snapshot.get(job.get("filterArn") or "", {}).get("filterExpression")
        exploration = Exploration.configured(recipe.exploration, job.get("batchInferenceJobConfig"))
        folder = self.store.root / version["_model_dir"]
        out: list[str] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                query = json.loads(line)
            except ValueError:
                return {"status": CREATE_FAILED, "failureReason": f"Line {number} of {source} is not valid JSON."}
            out.append(
                self._batch_line(
                    folder=folder,
                    recipe=recipe,
                    version=version,
                    query=query,
                    job=job,
                    expression=expression,
                    exploration=exploration,
                )
            )
        destination = job["jobOutput"]["s3DataDestination"]["path"]
        target = join(destination, source.rstrip("/").rsplit("/", 1)[-1] + ".out")
        self.files.write_bytes(target, ("\n".join(out) + "\n").encode("utf-8"))
        return {"status": ACTIVE}

    def _batch_line(
        self,
        *,
        folder: Path,
        recipe: Recipe,
        version: Record,
        query: dict[str, Any],
        job: Record,
        expression: str | None,
        exploration: Exploration | None,
    ) -> str:
        group = version["datasetGroupArn"]
        values = query.get("filterValues") or {}
        try:
            if recipe.type == "PERSONALIZED_RANKING":
                ranked = self.serving.rank(
                    folder,
                    group,
                    str(query["userId"]),
                    [str(i) for i in query["itemList"]],
                    filter_expression=expression,
                    filter_values=values,
                )
                return batch_output_line(query, ranked, None)
            key = "itemId" if recipe.type == "RELATED_ITEMS" else "userId"
            if key not in query:
                return batch_output_line(query, None, f"Missing {key} in the input line")
            items = self.serving.recommend(
                folder,
                recipe,
                group,
                user_id=str(query[key]) if key == "userId" else None,
                item_id=str(query[key]) if key == "itemId" else None,
                num_results=int(job.get("numResults", 25)),
                filter_expression=expression,
                filter_values=values,
                exploration=exploration,
            )
            return batch_output_line(query, items, None)
        except (UnsupportedFilterError, FilterValueError, KeyError) as e:
            return batch_output_line(query, None, str(e))

    def _create_campaign(self, name: str, solutionVersionArn: str, **params: Any) -> dict[str, Any]:
        arn = self.arn("campaign", name)
        with self.store.transaction() as data:
            version = self._get(data, solutionVersionArn, "solution-version")
            self._active(version, "Solution version")
            self._unique(data, "campaign", "name", name, "Campaign")
            group = version["datasetGroupArn"]
            in_group = [
                c
                for c in self._all(data, "campaign")
                if data.get(c["solutionVersionArn"], {}).get("datasetGroupArn") == group
            ]
            self._limit(len(in_group), "campaigns")
            data[arn] = self._new(
                "campaign",
                name=name,
                campaignArn=arn,
                solutionVersionArn=solutionVersionArn,
                minProvisionedTPS=int(params.get("minProvisionedTPS", 1)),
                campaignConfig=params.get("campaignConfig") or {},
            )
        return {"campaignArn": arn}

    def _describe_campaign(self, campaignArn: str) -> dict[str, Any]:
        return {"campaign": self._advance(campaignArn, "campaign")}

    def _list_campaigns(
        self, solutionArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        snapshot = self.store.snapshot()
        campaigns = self._all(snapshot, "campaign")
        if solutionArn:
            campaigns = [
                c for c in campaigns if snapshot.get(c["solutionVersionArn"], {}).get("solutionArn") == solutionArn
            ]
        return self._page(campaigns, "campaigns", nextToken, maxResults)

    def _update_campaign(self, campaignArn: str, **params: Any) -> dict[str, Any]:
        with self.store.transaction() as data:
            rec = self._get(data, campaignArn, "campaign")
            self._active(rec, "Campaign")
            update = rec.get("latestCampaignUpdate") or rec.get("latestDatasetUpdate") or {}
            if update.get("status") in (CREATE_PENDING, CREATE_IN_PROGRESS):
                raise ServiceError("ResourceInUseException", f"Campaign {rec['name']} is being updated.")
            if params.get("solutionVersionArn"):
                self._active(self._get(data, params["solutionVersionArn"], "solution-version"), "Solution version")
            now = _now()
            rec["latestCampaignUpdate"] = {
                "status": CREATE_PENDING,
                "creationDateTime": now,
                "lastUpdatedDateTime": now,
                "solutionVersionArn": params.get("solutionVersionArn", rec["solutionVersionArn"]),
                "minProvisionedTPS": int(params.get("minProvisionedTPS") or rec["minProvisionedTPS"]),
                "campaignConfig": params.get("campaignConfig", rec.get("campaignConfig", {})),
            }
        return {"campaignArn": campaignArn}

    def _delete_campaign(self, campaignArn: str) -> None:
        with self.store.transaction() as data:
            rec = self._get(data, campaignArn, "campaign")
            update = rec.get("latestCampaignUpdate") or {}
            if rec["status"] in (CREATE_PENDING, CREATE_IN_PROGRESS) or update.get("status") in (
                CREATE_PENDING,
                CREATE_IN_PROGRESS,
            ):
                raise ServiceError("ResourceInUseException", f"Campaign {rec['name']} is being created or updated.")
            rec["status"] = DELETE_PENDING

    def _create_event_tracker(self, name: str, datasetGroupArn: str, **params: Any) -> dict[str, Any]:
        with self.store.transaction() as data:
            group = self._get(data, datasetGroupArn, "dataset-group")
            self._active(group, "Dataset group")
            if self._all(data, "event-tracker", datasetGroupArn=datasetGroupArn):
                raise ServiceError(
                    "ResourceAlreadyExistsException", f"Dataset group {group['name']} already has an event tracker."
                )
            digest = hashlib.sha256(f"{datasetGroupArn}/{name}".encode()).hexdigest()
            arn = self.arn("event-tracker", digest[:8])
            tracking = str(uuid.UUID(digest[:32]))
            data[arn] = self._new(
                "event-tracker",
                name=name,
                eventTrackerArn=arn,
                accountId=self.settings.account_id,
                trackingId=tracking,
                datasetGroupArn=datasetGroupArn,
            )
        return {"eventTrackerArn": arn, "trackingId": tracking}

    def _describe_event_tracker(self, eventTrackerArn: str) -> dict[str, Any]:
        return {"eventTracker": self._advance(eventTrackerArn, "event-tracker")}

    def _list_event_trackers(
        self, datasetGroupArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        match = {"datasetGroupArn": datasetGroupArn} if datasetGroupArn else {}
        trackers = self._all(self.store.snapshot(), "event-tracker", **match)
        return self._page(trackers, "eventTrackers", nextToken, maxResults)

    def _delete_event_tracker(self, eventTrackerArn: str) -> None:
        with self.store.transaction() as data:
            self._get(data, eventTrackerArn, "event-tracker")["status"] = DELETE_PENDING

    # ------------------------------------------------------------------------------------------------------------
    # what the runtime reads (not client operations)
    # ------------------------------------------------------------------------------------------------------------

    def campaign_target(self, campaign_arn: str) -> tuple[Record, Record, Recipe, Path]:
        """(campaign, solution version, recipe, model folder) of an ACTIVE campaign."""
        snapshot = self.store.snapshot()
        campaign = snapshot.get(campaign_arn)
        if campaign is None or campaign.get("_kind") != "campaign" or campaign.get("status") != ACTIVE:
            raise ServiceError("ResourceNotFoundException", f"Campaign {campaign_arn} does not exist or is not ACTIVE.")
        version = snapshot.get(campaign["solutionVersionArn"], {})
        recipe = recipe_from_arn(version.get("recipeArn", ""))
        if recipe is None or not version.get("_model_dir"):
            raise ServiceError("ResourceNotFoundException", f"Campaign {campaign_arn} has no trained model.")
        return campaign, version, recipe, self.store.root / version["_model_dir"]

    def filter_expression(self, filter_arn: str | None) -> str | None:
        if not filter_arn:
            return None
        rec = self.store.snapshot().get(filter_arn)
        if rec is None or rec.get("_kind") != "filter":
            raise ServiceError("ResourceNotFoundException", f"Filter {filter_arn} does not exist.")
        return str(rec["filterExpression"])


def _pick(source: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: source[k] for k in keys if source.get(k) is not None}
