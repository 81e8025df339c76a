"""The Personalize driver: plan and apply, the same code for the aws and local backends (status and teardown:
udp/personalize/teardown.py).

`apply` creates or reuses every resource by its deterministic name, in dependency order: dataset group, schemas,
datasets, the snapshot's upload to S3, one import job per dataset and snapshot, solutions, one solution version per
solution and snapshot, their metrics (to gold.recipe_leaderboard through a `MetricsSink`), filters, batch inference
jobs, campaigns, the event tracker. Each step is recorded in the run manifest at once, so a crashed or interrupted
apply resumes where it stopped; a create whose response was lost (botocore retried it) meets
ResourceAlreadyExistsException and is found by name. botocore ships no waiters for Personalize, so the driver polls
describe_* with exponential backoff and prints progress; CREATE FAILED stops the run with the resource, Personalize's
failureReason and what to do. `plan` makes the same lookups (read-only) and prints every call apply would make.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from udp.personalize import cost
from udp.personalize.backends import Clients
from udp.personalize.batch import batch_queries
from udp.personalize.cadence import earlier_versions, training_mode
from udp.personalize.errors import (
    DefinitionMismatchError,
    PersonalizeError,
    QuotaError,
    ResourceFailedError,
    WaitTimeoutError,
)
from udp.personalize.gate import judge
from udp.personalize.manifest import Entry, RunManifest
from udp.personalize.names import resource_name
from udp.personalize.recipes import RECIPES, recipe_from_arn
from udp.personalize.resources import (
    ACTIVE,
    FAILED,
    KINDS,
    MetricsSink,
    Resource,
    VersionMetrics,
    error_code,
    error_message,
    status_of,
)
from udp.personalize.settings import PersonalizeSettings, SolutionSettings
from udp.personalize.snapshot import ExportDataset, Snapshot, SnapshotError
from udp.personalize.storage import join, sha256_file

NOTHING_NEW, UNCHANGED = "NOTHING NEW", "UNCHANGED"  # an import skipped: an empty increment, an unchanged dataset
PROGRESS_EVERY = 300.0  # seconds between progress lines for a resource whose status does not change
THROTTLING = {"LimitExceededException", "ThrottlingException", "TooManyRequestsException", "Throttling"}


ADVICE = {
    "import-job": "fix the data (see gold.personalize_preflight) or the role's access to the bucket, then run "
    "`udp personalize apply --retry-failed` (a new import job) or export a new snapshot",
    "solution-version": "check the interactions meet Personalize's minimums for this solution's event_type and "
    "event_value_threshold, then run `udp personalize apply --retry-failed`",
    "batch-inference-job": "check the role can read the input and write the output prefix, then run "
    "`udp personalize apply --retry-failed`",
}


class Driver:
    """One run over one snapshot. `dry=True` is `plan`: lookups only, every call printed, nothing created."""

    def __init__(
        self,
        clients: Clients,
        settings: PersonalizeSettings,
        snapshot: Snapshot,
        manifest: RunManifest,
        *,
        out: Callable[[str], None] = print,
        clock: Callable[[], float] = time.monotonic,
        retry_failed: bool = False,
        leaderboard: MetricsSink | None = None,
    ) -> None:
        self.clients = clients
        self.s = settings
        self.snapshot = snapshot
        self.manifest = manifest
        self.out = out
        self.clock = clock
        self.retry_failed = retry_failed
        self.leaderboard = leaderboard
        self.dry = False
        self.resources: list[Resource] = []
        self.metrics: list[VersionMetrics] = []
        self.notes: list[str] = []

    @property
    def files(self) -> Any:
        return self.clients.files

    @property
    def target(self) -> str:
        """Where the snapshot is imported from: s3://<bucket>/<prefix>/<snapshot>/."""
        return join(f"s3://{self.s.effective_bucket}", self.s.prefix, self.snapshot.id) + "/"

    # ------------------------------------------------------------------------------------------------------------
    # calls
    # ------------------------------------------------------------------------------------------------------------

    def call(self, op: str, client: Any = None, **params: Any) -> dict[str, Any]:
        """One API call; throttling and quota errors wait with backoff and retry (poll.quota_retries times)."""
        client = client or self.clients.personalize
        delay = max(self.s.poll.initial_seconds, 1.0)
        attempt = 0
        while True:
            try:
                return dict(getattr(client, op)(**params))
            except ClientError as e:
                code = error_code(e)
                if code not in THROTTLING:
                    raise
                if attempt >= self.s.poll.quota_retries:
                    raise QuotaError(
                        f"{op} was refused with {code} ({error_message(e)}) {attempt + 1} times: wait for pending "
                        "Personalize jobs to finish or raise the quota, then run apply again (it resumes)"
                    ) from None
                attempt += 1
                self.out(f"  {op}: {code} ({error_message(e)}); retry {attempt} in {delay:.0f}s")
                self.clients.sleep(delay)
                delay = min(delay * self.s.poll.factor, self.s.poll.max_seconds)

    def describe(self, kind: str, arn: str) -> dict[str, Any] | None:
        """The resource's description, or None when it does not exist."""
        k = KINDS[kind]
        try:
            return dict(self.call(k.describe, **{k.arn_param: arn})[k.response_key])
        except ClientError as e:
            if error_code(e) == "ResourceNotFoundException":
                return None
            raise

    def find(self, op: str, key: str, match: Callable[[dict[str, Any]], bool], **params: Any) -> dict[str, Any] | None:
        """The first item of a paginated list_* result that `match`es."""
        token: str | None = None
        while True:
            page = self.call(op, **params, **({"nextToken": token} if token else {}))
            for item in page.get(key, []):
                if match(item):
                    return dict(item)
            token = page.get("nextToken")
            if not token:
                return None

    # ------------------------------------------------------------------------------------------------------------
    # bookkeeping
    # ------------------------------------------------------------------------------------------------------------

    def remember(self, res: Resource, action: str | None = None) -> None:
        """Record `res` in the manifest (apply only). A resource found existing is `reused` unless udp created it or
        recorded the intent to (a create whose answer was lost with a killed process)."""
        if self.dry or (not res.arn and res.kind != "upload"):
            return
        entry = self.manifest.get(res.kind, res.key)
        if action is None:
            action = entry.action if entry is not None and entry.name == res.name else "reused"
            action = "created" if action == "creating" else action
        self.manifest.record(
            self.files,
            res.kind,
            res.key,
            res.name,
            arn=res.arn,
            status=res.status,
            action=action,
            failure_reason=res.failure_reason,
            extra=res.extra,
        )

    def intend(self, res: Resource) -> None:
        """Record that udp is about to create `res` (before the call: a kill after it leaves the resource known)."""
        self.manifest.record(self.files, res.kind, res.key, res.name, action="creating", status="", extra=res.extra)

    def show(self, res: Resource, call: str = "") -> None:
        state = f" [{res.status}]" if res.status and res.action != "create" else ""
        why = f" - {res.why}" if res.why else ""
        detail = f"  {call}" if call else ""
        self.out(f"{res.action:<7} {KINDS[res.kind].label:<20} {res.name}{state}{detail}{why}")

    def known(self, kind: str, key: str, name: str) -> tuple[str, dict[str, Any]] | None:
        """The resource recorded in the manifest under (kind, key) with this name, if it still exists."""
        entry = self.manifest.get(kind, key)
        if entry is None or not entry.arn or entry.name != name or entry.action == "deleted":
            return None
        desc = self.describe(kind, entry.arn)
        return (entry.arn, desc) if desc is not None else None

    def existing(
        self, res: Resource, find: Callable[[], dict[str, Any] | None], arn_key: str
    ) -> tuple[str, dict[str, Any]] | None:
        """(ARN, description) of the resource named `res.name`: the manifest's first, else `find`'s; None if none."""
        hit = self.known(res.kind, res.key, res.name)
        if hit is None:
            summary = find()
            if summary is not None:
                desc = self.describe(res.kind, summary[arn_key]) if KINDS[res.kind].describe else summary
                hit = (summary[arn_key], desc or summary)
        return hit

    # ------------------------------------------------------------------------------------------------------------
    # the generic step: reuse by name, or create
    # ------------------------------------------------------------------------------------------------------------

    def ensure(
        self,
        res: Resource,
        *,
        find: Callable[[], dict[str, Any] | None],
        arn_key: str,
        create: tuple[str, dict[str, Any]],
        parent: Resource | None = None,
        check: Callable[[Resource, dict[str, Any]], None] | None = None,
        prepare: Callable[[], None] | None = None,
        creating: str = "",
    ) -> Resource:
        """Reuse the resource named `res.name` (manifest first, then `find`), or create it with `create`.

        `prepare` runs (apply only) just before the create call, e.g. to write a batch job's input file; `creating`
        is added to the reason shown for a create.
        """
        self.resources.append(res)
        if parent is not None and not parent.exists:  # plan: the parent will be created, so this will too
            return self._create(res, create, arn_key, find, why=f"new {KINDS[parent.kind].label}{creating}")
        hit = self.existing(res, find, arn_key)
        if hit is None:
            return self._create(res, create, arn_key, find, why=f"not found{creating}", prepare=prepare)
        res.arn, desc = hit
        entry = self.manifest.get(res.kind, res.key)
        if entry is not None and entry.arn == res.arn:
            res.extra = {**entry.extra, **res.extra}
        res.status, res.failure_reason = status_of(res.kind, desc)
        res.action = "failed" if res.status in FAILED else "reuse"
        if check is not None:
            check(res, desc)
        self.remember(res)
        self.show(res)
        return res

    def _create(
        self,
        res: Resource,
        create: tuple[str, dict[str, Any]],
        arn_key: str,
        find: Callable[[], dict[str, Any] | None],
        *,
        why: str,
        prepare: Callable[[], None] | None = None,
    ) -> Resource:
        op, params = create
        res.action, res.why = "create", why
        shown = _call_text(op, params)
        if self.dry:
            self.show(res, shown)
            return res
        self.intend(res)
        if prepare is not None:
            prepare()
        try:
            response = self.call(op, **params)
            res.arn = str(response[arn_key])
            if "trackingId" in response:
                res.extra["trackingId"] = response["trackingId"]
        except ClientError as e:
            if error_code(e) != "ResourceAlreadyExistsException":
                raise
            # a create retried after a lost response: the resource exists under our deterministic name
            found = find()
            if found is None:
                raise
            res.arn = str(found[arn_key])
            res.why = "created by an earlier, retried call"
        res.status = "CREATE PENDING" if KINDS[res.kind].has_status else ACTIVE
        if res.kind == "batch-inference-job":
            res.status = "PENDING"
        self.remember(res, "created")
        self.show(res)
        return res

    def ensure_attempts(self, base: Resource, make: Callable[[Resource], Resource]) -> Resource:
        """`make` for a name-per-snapshot resource; with --retry-failed a failed one gets a new `-rN` name."""
        entry = self.manifest.get(base.kind, base.key)
        attempts = [base.name, *(resource_name(base.name, f"r{n}") for n in range(2, 100))]
        current = attempts.index(entry.name) if entry is not None and entry.name in attempts else 0
        for name in attempts[current:]:
            res = make(Resource(base.kind, base.key, name))
            if res.status not in FAILED or not self.retry_failed:
                return res
            self.resources.remove(res)
            if self.dry:  # plan: show the attempt apply --retry-failed would create
                return make(Resource(base.kind, base.key, attempts[attempts.index(name) + 1]))
        raise PersonalizeError(f"{KINDS[base.kind].label} {base.name}: too many failed attempts")  # pragma: no cover

    # ------------------------------------------------------------------------------------------------------------
    # waiting
    # ------------------------------------------------------------------------------------------------------------

    def wait(self, resources: Iterable[Resource]) -> None:
        """Poll until every resource is ACTIVE; CREATE FAILED stops the run with the reason and what to do."""
        pending = [r for r in resources if r.exists and KINDS[r.kind].has_status]
        for r in pending:
            if r.status in FAILED and self.dry:
                self.notes.append(f"{KINDS[r.kind].label} {r.name} is {r.status}: {r.failure_reason}")
            elif r.status in FAILED:
                self.fail(r)
        pending = [r for r in pending if r.status != ACTIVE]
        if self.dry or not pending:
            return
        started = self.clock()
        delay = self.s.poll.initial_seconds
        last: dict[str, tuple[str, float]] = {}  # arn -> (status, when it was last printed)
        while True:
            for r in list(pending):
                desc = self.describe(r.kind, r.arn)
                if desc is None:
                    raise PersonalizeError(f"{KINDS[r.kind].label} {r.name} ({r.arn}) disappeared while waiting")
                r.status, r.failure_reason = status_of(r.kind, desc)
                if r.kind == "event-tracker" and desc.get("trackingId"):
                    r.extra["trackingId"] = desc["trackingId"]
                elapsed = _duration(self.clock() - started)
                if r.status in FAILED:
                    self.remember(r)
                    self.fail(r)
                if r.status == ACTIVE:
                    self.remember(r)
                    self.out(f"  done    {KINDS[r.kind].label:<20} {r.name} ACTIVE after {elapsed}")
                    pending.remove(r)
                else:
                    printed_status, printed_at = last.get(r.arn, ("", -PROGRESS_EVERY))
                    if printed_status != r.status or self.clock() - printed_at >= PROGRESS_EVERY:
                        self.remember(r)
                        self.out(f"  waiting {KINDS[r.kind].label:<20} {r.name} {r.status} ({elapsed})")
                        last[r.arn] = (r.status, self.clock())
            if not pending:
                return
            if self.clock() - started > self.s.poll.timeout_minutes * 60:
                names = ", ".join(f"{r.name} ({r.status})" for r in pending)
                raise WaitTimeoutError(
                    f"still waiting after {self.s.poll.timeout_minutes:.0f} minutes for {names}: run apply again to "
                    "keep waiting (nothing is lost), or raise personalize.poll.timeout_minutes"
                )
            self.clients.sleep(delay)
            delay = min(max(delay * self.s.poll.factor, 1.0), self.s.poll.max_seconds)

    def fail(self, res: Resource) -> None:
        advice = ADVICE.get(res.kind, "fix the cause, then run `udp personalize apply` again")
        reason = res.failure_reason.rstrip(".") or "no failureReason given"
        raise ResourceFailedError(f"{KINDS[res.kind].label} {res.name} is {res.status}: {reason}. What to do: {advice}")

    # ------------------------------------------------------------------------------------------------------------
    # the steps
    # ------------------------------------------------------------------------------------------------------------

    def tags(self) -> dict[str, Any]:
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in self.s.tags.items()]} if self.s.tags else {}

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
            existing = _json(desc.get("schema", ""))
            if existing != _json(ds.schema):
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

    def solution(self, key: str, sol: SolutionSettings, group: Resource) -> Resource:
        name = f"{self.s.dataset_group}-{key}"
        recipe = RECIPES[sol.recipe]
        params: dict[str, Any] = {
            "name": name,
            "datasetGroupArn": group.arn,
            "recipeArn": recipe.arn,
            "performAutoTraining": sol.perform_auto_training,
            **self.tags(),
        }
        if sol.event_type:
            params["eventType"] = sol.event_type
        config: dict[str, Any] = {}
        if sol.event_value_threshold:
            config["eventValueThreshold"] = sol.event_value_threshold
        if sol.hyperparameters:
            config["algorithmHyperParameters"] = dict(sol.hyperparameters)
        if sol.auto_training_schedule:
            config["autoTrainingConfig"] = {"schedulingExpression": sol.auto_training_schedule}
        if config:
            params["solutionConfig"] = config

        def check(res: Resource, desc: dict[str, Any]) -> None:
            theirs = recipe_from_arn(str(desc.get("recipeArn", "")))
            if desc.get("recipeArn") != recipe.arn or (desc.get("eventType") or "") != sol.event_type:
                raise DefinitionMismatchError(
                    f"solution {name} exists with recipe {theirs.name if theirs else desc.get('recipeArn')} and "
                    f"eventType {desc.get('eventType') or '(all)'}; the configuration says {sol.recipe}, "
                    f"{sol.event_type or '(all)'}. Solutions are immutable: rename personalize.solutions.{key}, or "
                    "run `udp personalize teardown`"
                )
            if bool(desc.get("performAutoTraining")) != sol.perform_auto_training and res.status == ACTIVE:
                res.action, res.why = "update", f"performAutoTraining -> {sol.perform_auto_training}"
                if not self.dry:
                    update: dict[str, Any] = {"solutionArn": res.arn, "performAutoTraining": sol.perform_auto_training}
                    if sol.auto_training_schedule:
                        update["solutionUpdateConfig"] = {
                            "autoTrainingConfig": {"schedulingExpression": sol.auto_training_schedule}
                        }
                    self.call("update_solution", **update)

        return self.ensure(
            Resource("solution", key, name),
            find=lambda: self.find(
                "list_solutions", "solutions", lambda s: s["name"] == name, datasetGroupArn=group.arn
            ),
            arn_key="solutionArn",
            create=("create_solution", params),
            parent=group,
            check=check,
        )

    def solution_version(self, key: str, solution: Resource) -> Resource:
        base = Resource("solution-version", key, resource_name(self.s.dataset_group, key, self.snapshot.id))
        training = self.s.solutions[key].training
        mode, latest, since_full = training_mode(
            earlier_versions(self.files, self.manifest, key), training.full_every, training.between
        )
        cadence = f"{since_full} snapshot(s) since the last FULL training, FULL every {training.full_every}"
        current = self.manifest.get(base.kind, key)  # this snapshot's, when apply runs again
        if mode == "KEEP" and latest is not None and (current is None or current.extra.get("kept_from")):
            return self._keep_version(key, current or latest, cadence)
        if mode == "KEEP":  # this snapshot trained its own version before the configuration changed
            mode = "FULL" if current is None else current.extra.get("training_mode", "FULL")

        def make(res: Resource) -> Resource:
            params = {"solutionArn": solution.arn, "name": res.name, "trainingMode": mode, **self.tags()}
            res.extra["training_mode"] = mode
            return self.ensure(
                res,
                find=lambda: self._find_version(solution, res.name),
                arn_key="solutionVersionArn",
                create=("create_solution_version", params),
                parent=solution,
                creating=f"; trains ({mode}) on this snapshot (billed per training hour)"
                + (f"; {cadence}" if mode == "UPDATE" else ""),
            )

        return self.ensure_attempts(base, make)

    def _keep_version(self, key: str, latest: Entry, cadence: str) -> Resource:
        """No training on this snapshot: the latest earlier version goes on (to metrics, the gate and deployment)."""
        res = Resource("solution-version", key, latest.name, latest.arn, extra=dict(latest.extra))
        desc = self.describe(res.kind, res.arn)
        if desc is None:
            raise PersonalizeError(f"solution version {latest.name} ({latest.arn}) is gone: set training.full_every=1")
        res.status, res.failure_reason = status_of(res.kind, desc)
        res.action, res.why = "keep", f"no training on this snapshot ({cadence})"
        res.extra["kept_from"] = latest.extra.get("kept_from") or latest.name
        self.resources.append(res)
        self.remember(res)
        self.show(res)
        return res

    def _find_version(self, solution: Resource, name: str) -> dict[str, Any] | None:
        """Solution version summaries carry no name: describe each until one has ours."""

        def named(summary: dict[str, Any]) -> bool:
            desc = self.describe("solution-version", summary["solutionVersionArn"])
            return desc is not None and desc.get("name") == name

        return self.find("list_solution_versions", "solutionVersions", named, solutionArn=solution.arn)

    def collect_metrics(self, versions: Sequence[tuple[str, Resource]]) -> list[VersionMetrics]:
        """get_solution_metrics of every ACTIVE version, written to the leaderboard unless already there."""
        trained: list[tuple[Resource, VersionMetrics]] = []
        for key, version in versions:
            if self.dry:
                target = self.leaderboard.location if self.leaderboard is not None else "(no leaderboard)"
                arn = version.arn or "<from create>"
                self.out(f"{'metrics':<7} {'solution version':<20} {version.name}  get_solution_metrics("
                         f"solutionVersionArn={arn}) -> {target}")  # fmt: skip
                continue
            if version.status != ACTIVE:
                continue
            metrics = self.call("get_solution_metrics", solutionVersionArn=version.arn).get("metrics", {})
            desc = self.describe("solution-version", version.arn) or {}
            trained_at = desc.get("lastUpdatedDateTime")
            sol = self.s.solutions[key]
            version.extra["metrics"] = {k: float(v) for k, v in metrics.items()}
            trained.append(
                (
                    version,
                    VersionMetrics(
                        recipe=sol.recipe,
                        solution=f"{self.s.dataset_group}-{key}",
                        solution_key=key,
                        version_name=version.name,
                        version_arn=version.arn,
                        snapshot=self.snapshot.id,
                        metrics=dict(version.extra["metrics"]),
                        trained_at=trained_at if isinstance(trained_at, dt.datetime) else None,
                    ),
                )
            )
        sink = self.leaderboard
        if sink is not None:
            # a version already written to this leaderboard is not written again (no Spark session needed)
            todo = [m for v, m in trained if v.extra.get("leaderboard") != sink.location]
            if todo:
                sink.write(todo)
                self.out(f"  wrote   {len(todo)} solution version(s) to {sink.location}")
        for version, _ in trained:
            if sink is not None:
                version.extra["leaderboard"] = sink.location
            self.remember(version)
        self.metrics = [m for _, m in trained]
        return self.metrics

    def filter(self, key: str, expression: str, group: Resource) -> Resource:
        name = f"{self.s.dataset_group}-{key}"

        def check(res: Resource, desc: dict[str, Any]) -> None:
            if desc.get("filterExpression") != expression:
                raise DefinitionMismatchError(
                    f"filter {name} exists with expression {desc.get('filterExpression')!r}; filters are immutable: "
                    f"rename personalize.filters.{key}, or run `udp personalize teardown`"
                )

        return self.ensure(
            Resource("filter", key, name),
            find=lambda: self.find("list_filters", "Filters", lambda f: f["name"] == name, datasetGroupArn=group.arn),
            arn_key="filterArn",
            create=(
                "create_filter",
                {"name": name, "datasetGroupArn": group.arn, "filterExpression": expression, **self.tags()},
            ),
            parent=group,
            check=check,
        )

    def batch_job(self, key: str, sol: SolutionSettings, version: Resource) -> Resource:
        base = Resource("batch-inference-job", key, resource_name(self.s.dataset_group, key, self.snapshot.id))
        folder = join(self.target, "batch", key)
        input_uri = sol.deploy.batch_input or join(folder, "input.json")
        # the S3 objects udp writes for this job, removed by teardown (a user's own batch_input never is)
        written = {"objects": [] if sol.deploy.batch_input else [input_uri], "prefixes": [join(folder, "output") + "/"]}

        def make(res: Resource) -> Resource:
            res.extra.update(written)
            params: dict[str, Any] = {
                "jobName": res.name,
                "solutionVersionArn": version.arn,
                "jobInput": {"s3DataSource": {"path": input_uri}},
                "jobOutput": {"s3DataDestination": {"path": join(folder, "output") + "/"}},
                "roleArn": self.s.effective_role_arn,
                "numResults": sol.deploy.num_results,
                **self.tags(),
            }
            config = sol.deploy.exploration_config()
            if config:
                params["batchInferenceJobConfig"] = {"itemExplorationConfig": config}

            def find() -> dict[str, Any] | None:
                return self.find(
                    "list_batch_inference_jobs",
                    "batchInferenceJobs",
                    lambda j: j["jobName"] == res.name,
                    solutionVersionArn=version.arn,
                )

            def prepare() -> None:
                queries = batch_queries(self.files, self.snapshot, sol, input_uri, say=self.out)
                self.notes.append(cost.batch_note(res.name, queries, sol.deploy.num_results))

            made = self.ensure(
                res,
                find=find,
                arn_key="batchInferenceJobArn",
                create=("create_batch_inference_job", params),
                parent=version,
                prepare=prepare,
            )
            if self.dry and made.action == "create":
                queries = batch_queries(self.files, self.snapshot, sol, input_uri)
                self.notes.append(cost.batch_note(res.name, queries, sol.deploy.num_results) + " (if the gate passes)")
            return made

        return self.ensure_attempts(base, make)

    def gate(self, key: str, sol: SolutionSettings, versions: dict[str, Resource]) -> bool:
        """Whether `key`'s new version may be deployed (udp/personalize/gate.py); a held one is shown and noted."""
        version, g = versions[key], self.s.gate
        if not sol.deploy.gate:
            return True
        # the baseline is a rival only for a recipe answering the same query (a user's items, not an item's neighbours)
        same_query = bool(g.baseline) and RECIPES[g.baseline].batch_query == sol.recipe_info.batch_query
        baselines = [
            k for k, o in self.s.enabled_solutions.items() if same_query and o.recipe == g.baseline and k != key
        ]
        if "metrics" not in version.extra:  # plan, before the version is trained
            rivals = [*baselines, *(["the campaign's current version"] if sol.deploy.mode == "campaign" else [])]
            self.out(f"{'gate':<7} {'solution version':<20} {version.name} - deployed only if its {g.metric} beats "
                     f"{' and '.join(rivals) or 'nothing'} (decided after training)")  # fmt: skip
            return True
        scored = [(f"{k} ({g.baseline})", versions[k].extra.get("metrics", {}).get(g.metric)) for k in baselines]
        serving = self._serving_version(key) if sol.deploy.mode == "campaign" else ""
        if serving and serving != version.arn:
            metrics = self.call("get_solution_metrics", solutionVersionArn=serving).get("metrics", {})
            value = metrics.get(g.metric)
            scored.append(("the campaign's current version", None if value is None else float(value)))
        verdict = judge(g.metric, g.margin, version.extra["metrics"].get(g.metric), scored)
        if verdict.deploy:
            self.out(f"{'gate':<7} {'solution version':<20} {version.name} - {verdict.why}")
            return True
        kind = "campaign" if sol.deploy.mode == "campaign" else "batch-inference-job"
        res = Resource(kind, key, version.name, action="hold", why=verdict.why)
        self.resources.append(res)
        self.show(res)
        self.notes.append(f"{key}: {version.name} {verdict.why}")
        return False

    def _serving_version(self, key: str) -> str:
        """The solution version the campaign of `key` serves now ("" when there is no campaign)."""
        name = f"{self.s.dataset_group}-{key}"
        hit = self.existing(Resource("campaign", key, name), lambda: self._find_campaign(name), "campaignArn")
        return str(hit[1].get("solutionVersionArn", "")) if hit is not None else ""

    def _find_campaign(self, name: str) -> dict[str, Any] | None:
        return self.find("list_campaigns", "campaigns", lambda c: c["name"] == name)

    def campaign(self, key: str, sol: SolutionSettings, version: Resource) -> Resource:
        name = f"{self.s.dataset_group}-{key}"
        campaign_config: dict[str, Any] = {}
        exploration = sol.deploy.exploration_config()
        if exploration:
            campaign_config["itemExplorationConfig"] = exploration
        params: dict[str, Any] = {
            "name": name,
            "solutionVersionArn": version.arn,
            "minProvisionedTPS": sol.deploy.min_tps,
            **self.tags(),
        }
        if campaign_config:
            params["campaignConfig"] = campaign_config
        self.notes.append(cost.campaign_note(name, sol.deploy.min_tps))

        def check(res: Resource, desc: dict[str, Any]) -> None:
            changes = []
            if version.arn and desc.get("solutionVersionArn") != version.arn:
                changes.append(f"solution version -> {version.name}")
            if int(desc.get("minProvisionedTPS", 1)) != sol.deploy.min_tps:
                changes.append(f"minProvisionedTPS -> {sol.deploy.min_tps}")
            if campaign_config and (desc.get("campaignConfig") or {}).get("itemExplorationConfig") != exploration:
                changes.append("itemExplorationConfig")
            if not changes or res.status != ACTIVE:
                return
            res.action, res.why = "update", ", ".join(changes)
            if not self.dry:
                update = {"campaignArn": res.arn, "minProvisionedTPS": sol.deploy.min_tps}
                if version.arn:
                    update["solutionVersionArn"] = version.arn
                if campaign_config:
                    update["campaignConfig"] = campaign_config
                self.call("update_campaign", **update)
                res.status = "UPDATE CREATE PENDING"

        return self.ensure(
            Resource("campaign", key, name),
            find=lambda: self._find_campaign(name),
            arn_key="campaignArn",
            create=("create_campaign", params),
            parent=version,
            check=check,
        )

    def event_tracker(self, group: Resource) -> Resource:
        name = f"{self.s.dataset_group}-events"
        return self.ensure(
            Resource("event-tracker", "events", name),
            find=lambda: self.find("list_event_trackers", "eventTrackers", lambda t: True, datasetGroupArn=group.arn),
            arn_key="eventTrackerArn",
            create=("create_event_tracker", {"name": name, "datasetGroupArn": group.arn, **self.tags()}),
            parent=group,
        )

    # ------------------------------------------------------------------------------------------------------------
    # commands
    # ------------------------------------------------------------------------------------------------------------

    def plan(self) -> list[Resource]:
        """Print every call `apply` would make and why; create nothing."""
        self.dry = True
        try:
            return self.apply()
        finally:
            self.dry = False

    def apply(self, force: bool = False) -> list[Resource]:
        """Create or reuse everything, in dependency order, waiting for each stage; returns the resources."""
        if self.snapshot.preflight_errors:
            failed = ", ".join(self.snapshot.preflight_errors)
            if not force and not self.dry:
                raise PersonalizeError(
                    f"snapshot {self.snapshot.id} was exported past failed preflight rules ({failed}): Personalize "
                    "would likely reject it; fix gold and export again, or run apply --force"
                )
            self.notes.append(f"snapshot {self.snapshot.id} failed preflight rules: {failed}")
        group = self.dataset_group()
        self.wait([group])
        datasets = {}
        for ds in self.snapshot.datasets.values():
            schema = self.schema(ds)
            datasets[ds.name] = self.dataset(ds, group, schema)
        self.wait(datasets.values())
        self.upload()
        jobs = [self.import_job(ds, datasets[ds.name]) for ds in self.snapshot.datasets.values()]
        self.wait(jobs)
        solutions = {key: self.solution(key, sol, group) for key, sol in self.s.enabled_solutions.items()}
        self.wait(solutions.values())
        versions = {key: self.solution_version(key, solutions[key]) for key in solutions}
        self.wait(versions.values())
        self.collect_metrics(list(versions.items()))
        filters = [self.filter(key, expression, group) for key, expression in self.s.filters.items()]
        self.wait(filters)
        passed = {
            key: sol
            for key, sol in self.s.enabled_solutions.items()
            if sol.deploy.mode != "none" and self.gate(key, sol, versions)
        }
        self.wait(
            [self.batch_job(key, sol, versions[key]) for key, sol in passed.items() if sol.deploy.mode == "batch"]
        )
        campaigns = [
            self.campaign(key, sol, versions[key]) for key, sol in passed.items() if sol.deploy.mode == "campaign"
        ]
        self.wait(campaigns)
        if self.s.event_tracker:
            self.wait([self.event_tracker(group)])
        self._cost_notes(versions)
        return self.resources

    def _cost_notes(self, versions: dict[str, Resource]) -> None:
        training = sum(1 for v in versions.values() if v.action == "create")
        rows = self.snapshot.datasets["interactions"].rows
        uploaded = sum(ds.bytes for ds in self.snapshot.datasets.values())
        notes = []
        if any(r.action == "create" for r in self.resources if r.kind == "import-job"):
            notes.append(cost.ingestion_note(uploaded / 1e9))
        if training:
            notes.append(cost.training_note(training, rows))
        self.notes = notes + self.notes
        if self.notes:
            self.notes.append(cost.ASSUMPTIONS)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _call_text(op: str, params: dict[str, Any]) -> str:
    shown = []
    for k, v in params.items():
        if k in ("tags", "schema"):
            continue
        text = json.dumps(v, separators=(",", ":")) if isinstance(v, dict) else v
        shown.append(f"{k}={text}" if text != "" else f"{k}=<from create>")
    return f"{op}({', '.join(shown)})"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
