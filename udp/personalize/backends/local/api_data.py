# ruff: noqa: N803 - method parameters are the Personalize API's own (camelCase) names
"""The local Personalize's data operations: dataset groups, schemas, datasets and import jobs (which import the
CSV files into the group's data, validated as the service validates them).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from udp.personalize.backends.local.data import (
    ImportRejectedError,
    import_csv,
)
from udp.personalize.backends.local.service import ServiceError
from udp.personalize.backends.local.state import Record
from udp.personalize.snapshot import SnapshotError, parse_schema

if TYPE_CHECKING:
    pass
from udp.personalize.backends.local.lifecycle import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    DATASET_TYPES,
    DELETE_PENDING,
    Lifecycle,
    clock,
    pick,
)


class DataApi(Lifecycle):
    """Dataset groups, schemas, datasets, import jobs."""

    # ------------------------------------------------------------------------------------------------------------
    # dataset groups, schemas, datasets
    # ------------------------------------------------------------------------------------------------------------

    def _create_dataset_group(self, name: str, **params: Any) -> dict[str, Any]:
        arn = self.arn("dataset-group", name)
        with self.store.transaction() as data:
            self._unique(data, "dataset-group", "name", name, "Dataset group")
            self._limit(len(self._all(data, "dataset-group")), "dataset-groups")
            data[arn] = self._new("dataset-group", name=name, datasetGroupArn=arn, **pick(params, "roleArn", "domain"))
        return {"datasetGroupArn": arn, "domain": params.get("domain")}

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

    def _update_dataset(self, datasetArn: str, schemaArn: str) -> dict[str, Any]:
        with self.store.transaction() as data:
            rec = self._get(data, datasetArn, "dataset")
            self._active(rec, "Dataset")
            schema = self._get(data, schemaArn, "schema")
            try:
                parse_schema(schema["schema"], DATASET_TYPES[rec["datasetType"]], schema["name"])
            except SnapshotError as e:
                raise ServiceError("InvalidInputException", str(e)) from None
            now = clock()
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
                **pick(params, "roleArn", "publishAttributionMetricsToS3"),
            )
        return {"datasetImportJobArn": arn}

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
