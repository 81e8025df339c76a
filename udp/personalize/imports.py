"""The data steps: dataset group, schemas, datasets, the snapshot's upload to S3 and one import job per dataset and
snapshot (INCREMENTAL only on top of the `since` snapshot's recorded import; skipped when nothing changed).
"""

from __future__ import annotations

from typing import Any

from udp.personalize.engine import Engine, json_or_none
from udp.personalize.errors import (
    DefinitionMismatchError,
    PersonalizeError,
)
from udp.personalize.resources import (
    ACTIVE,
    Resource,
)
from udp.personalize.snapshot import ExportDataset, SnapshotError
from udp.personalize.storage import join, sha256_file
from udp.settings.names import resource_name

NOTHING_NEW, UNCHANGED = "NOTHING NEW", "UNCHANGED"  # an import skipped: an empty increment, an unchanged dataset


class DataSteps(Engine):
    """Getting a snapshot's data into Personalize."""

    def dataset_group(self) -> Resource:
        name = self.s.dataset_group
        params: dict[str, Any] = {"name": name, **self.tags()}
        if self.s.domain != "none":
            params["domain"] = self.s.domain

        def check(res: Resource, desc: dict[str, Any]) -> None:
            domain = desc.get("domain") or "none"
            if domain != self.s.domain:
                raise DefinitionMismatchError(
                    f"dataset group {name} exists with domain {domain}, the configuration says {self.s.domain}: "
                    "use another personalize.dataset_group"
                )

        return self.ensure(
            Resource("dataset-group", name, name),
            find=lambda: self.find("list_dataset_groups", "datasetGroups", lambda g: g["name"] == name),
            arn_key="datasetGroupArn",
            create=("create_dataset_group", params),
            check=check,
        )

    def schema(self, ds: ExportDataset) -> Resource:
        name = ds.schema_name or resource_name(self.s.dataset_group, ds.name)
        params: dict[str, Any] = {"name": name, "schema": ds.schema}
        if self.s.domain != "none":
            params["domain"] = self.s.domain

        def check(res: Resource, desc: dict[str, Any]) -> None:
            existing = json_or_none(desc.get("schema", ""))
            if existing != json_or_none(ds.schema):
                ours = [f.name for f in ds.fields]
                theirs = [f.get("name") for f in (existing or {}).get("fields", [])]
                raise DefinitionMismatchError(
                    f"schema {name} already exists with a different definition (fields {','.join(map(str, theirs))}; "
                    f"the snapshot's {ds.name} schema has {','.join(ours)}). Personalize schemas are immutable: "
                    "run `udp personalize teardown` if udp created it, or use another personalize.dataset_group"
                )

        return self.ensure(
            Resource("schema", ds.name, name),
            find=lambda: self.find("list_schemas", "schemas", lambda s: s["name"] == name),
            arn_key="schemaArn",
            create=("create_schema", params),
            check=check,
        )

    def dataset(self, ds: ExportDataset, group: Resource, schema: Resource) -> Resource:
        name = resource_name(self.s.dataset_group, ds.name)
        dtype = ds.personalize_type.upper()
        params = {
            "name": name,
            "schemaArn": schema.arn,
            "datasetGroupArn": group.arn,
            "datasetType": ds.personalize_type,
            **self.tags(),
        }

        def check(res: Resource, desc: dict[str, Any]) -> None:
            if desc.get("schemaArn") == schema.arn or res.status != ACTIVE:
                return
            # the export's schema changed (a new schema name): swap it in, as Personalize allows (UpdateDataset)
            res.action, res.why = "update", f"schema -> {schema.name}"
            if not self.dry:
                self.call("update_dataset", datasetArn=res.arn, schemaArn=schema.arn)
                res.status = "UPDATE CREATE PENDING"

        return self.ensure(
            Resource("dataset", ds.name, name),
            find=lambda: self.find(
                "list_datasets",
                "datasets",
                lambda d: str(d.get("datasetType", "")).upper() == dtype,
                datasetGroupArn=group.arn,
            ),
            arn_key="datasetArn",
            create=("create_dataset", params),
            parent=group,
            check=check,
        )

    def upload(self) -> Resource:
        """Copy the snapshot's files to s3://bucket/prefix/<snapshot>/, skipping those whose sha256 matches."""
        res = Resource("upload", "snapshot", self.target)
        self.resources.append(res)
        copies = [
            (f, join(self.target, ds.name, f.uri.rsplit("/", 1)[-1]))
            for ds in self.snapshot.datasets.values()
            for f in ds.files
        ]
        todo = [
            (f, dst)
            for f, dst in copies
            if f.uri != dst and not (f.sha256 and self.files.stored_sha256(dst) == f.sha256)
        ]
        res.extra = {"objects": [dst for _, dst in copies], "uploaded": len(todo), "skipped": len(copies) - len(todo)}
        if todo and not self.dry:
            self.intend(res)  # udp's objects from the first byte: teardown removes a half-finished upload too
        for f, dst in [] if self.dry else todo:
            digest = f.sha256
            local = self.files.local_path(f.uri)
            if local is not None and local.is_file():
                digest = sha256_file(local)
                if f.sha256 and digest != f.sha256:
                    raise SnapshotError(
                        f"{f.uri} changed after the export (sha256 {digest[:12]}..., manifest says "
                        f"{f.sha256[:12]}...): export the snapshot again"
                    )
            self.files.put(f.uri, dst, digest)
        res.action = "upload" if todo else "skip"
        res.status = ACTIVE if not self.dry else ""
        res.why = f"{len(todo)} file(s) to copy, {len(copies) - len(todo)} already there (same sha256)"
        if not self.dry:
            self.remember(res, "created" if todo else None)
        self.out(f"{res.action:<7} {'s3 upload':<20} {self.target} - {res.why}")
        return res

    def import_job(self, ds: ExportDataset, dataset: Resource) -> Resource:
        base = Resource("import-job", ds.name, resource_name(self.s.dataset_group, ds.name, self.snapshot.id))
        location = join(self.target, ds.name) + "/"

        def make(res: Resource) -> Resource:
            mode, why_mode = ds.import_mode or self.s.import_mode, ""
            if ds.since:  # the export wrote only the rows added since an earlier snapshot
                why_mode = f" added since {ds.since} (INCREMENTAL)"
            elif mode == "INCREMENTAL" and (not dataset.exists or not self._has_import(dataset)):
                mode, why_mode = "FULL", " (first import of the dataset: FULL)"
            params = {
                "jobName": res.name,
                "datasetArn": dataset.arn,
                "dataSource": {"dataLocation": location},
                "roleArn": self.s.effective_role_arn,
                "importMode": mode,
                **self.tags(),
            }
            made = self.ensure(
                res,
                find=lambda: self.find(
                    "list_dataset_import_jobs",
                    "datasetImportJobs",
                    lambda j: j["jobName"] == res.name,
                    datasetArn=dataset.arn,
                ),
                arn_key="datasetImportJobArn",
                create=("create_dataset_import_job", params),
                parent=dataset,
                creating=f"; {ds.rows:,} rows, {ds.bytes / 1e6:,.1f} MB{why_mode}",
            )
            if made.action == "create" and self.dry:
                self.out(f"        (the import reads {location})")
            return made

        skip = ""
        if ds.since and not self._imported(ds.since, ds.name):
            raise PersonalizeError(
                f"snapshot {self.snapshot.id}'s {ds.name} are the rows added since {ds.since}, which dataset group "
                f"{self.s.dataset_group} has not imported: apply {ds.since} first, or export with "
                "gold.export.incremental=false"
            )
        if ds.since and ds.rows == 0:  # Personalize rejects an import without rows
            skip, base.why = NOTHING_NEW, f"no {ds.name} added since {ds.since}"
        elif ds.unchanged_since and self._imported(ds.unchanged_since, ds.name):
            skip, base.why = UNCHANGED, f"the same {ds.name} as {ds.unchanged_since}, imported then"
        if not skip:
            return self.ensure_attempts(base, make)
        base.action, base.status = "skip", skip
        self.resources.append(base)
        self.show(base)
        if not self.dry:  # the next snapshot's increment starts from here
            self.manifest.record(self.files, base.kind, base.key, base.name, status=base.status)
        return base

    def _imported(self, snapshot: str, dataset: str) -> bool:
        """Whether that snapshot's `dataset` is in this dataset group (its run imported it, or had nothing to add)."""
        other = self.manifest.sibling(self.files, snapshot)
        entry = other.get("import-job", dataset) if other is not None else None
        return entry is not None and entry.status in (ACTIVE, NOTHING_NEW, UNCHANGED)

    def _has_import(self, dataset: Resource) -> bool:
        found = self.find(
            "list_dataset_import_jobs", "datasetImportJobs", lambda j: j["status"] == ACTIVE, datasetArn=dataset.arn
        )
        return found is not None
