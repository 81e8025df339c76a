"""`status` and `teardown`: what the run manifests recorded, looked up live or deleted.

udp owns what its manifests record as `created` or `updated`, and what they record as `creating`: apply writes that
intent before each create call, so a resource whose answer a killed run never recorded is found by name and known to
be udp's. Teardown deletes all of it, dependants first — event tracker, campaigns, filters, solutions (with their
versions), datasets (with their import jobs), the dataset group, schemas — and waits until each is gone, because
Personalize refuses to delete a parent whose children still exist. A delete refused with ResourceInUseException (a
campaign being updated, a version still training, an import still running) is retried in the next round, after a
training in the way is stopped (StopSolutionVersionCreation) and what blocks is followed with describe calls; any
other refusal is reported and the rest carries on. Then every S3 object udp wrote goes: the snapshot's uploads, batch
inputs and batch outputs. Import jobs, solution versions and batch inference jobs have no delete call; they go with
their parents. A resource udp found and reused is never touched. What could not be deleted is listed in `left`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from botocore.exceptions import ClientError

from udp.personalize.driver import Driver
from udp.personalize.errors import PersonalizeError
from udp.personalize.manifest import OWNED, Entry, RunManifest
from udp.personalize.resources import KINDS, TEARDOWN_ORDER, Resource, error_code, error_message, status_of

# How teardown finds a resource by name when only the intent to create it was recorded: list call, result key, and
# whether the list is per dataset group. The three kinds without a delete call need no lookup.
LOOKUP = {
    "dataset-group": ("list_dataset_groups", "datasetGroups", False),
    "schema": ("list_schemas", "schemas", False),
    "dataset": ("list_datasets", "datasets", True),
    "solution": ("list_solutions", "solutions", True),
    "filter": ("list_filters", "Filters", True),
    "campaign": ("list_campaigns", "campaigns", False),
    "event-tracker": ("list_event_trackers", "eventTrackers", True),
}
DELETABLE = tuple(k for k in TEARDOWN_ORDER if k != "upload")
TRAINING = ("CREATE PENDING", "CREATE IN_PROGRESS")


def busy(status: str) -> bool:
    """A status that will change by itself (a create, update, stop or delete under way)."""
    return any(word in status for word in ("PENDING", "IN_PROGRESS", "IN PROGRESS", "STOPPING"))


@dataclass
class Owned:
    """A resource udp created, with the manifest entry that records it."""

    manifest: RunManifest
    entry: Entry
    res: Resource = field(init=False)

    def __post_init__(self) -> None:
        e = self.entry
        self.res = Resource(e.kind, e.key, e.name, e.arn, e.status, extra=dict(e.extra))

    def record(self, d: Driver, **values: str) -> None:
        self.manifest.record(d.files, self.entry.kind, self.entry.key, self.entry.name, **values)


@dataclass
class Teardown:
    """What teardown did: every resource it handled, and those still there."""

    resources: list[Resource]

    @property
    def left(self) -> list[Resource]:
        return [r for r in self.resources if r.action in ("keep", "failed")]


def status(d: Driver) -> list[Resource]:
    """The manifest's resources with their live status (a deleted one shows DELETED)."""
    out = []
    for e in d.manifest.entries:
        res = Resource(e.kind, e.key, e.name, e.arn, e.status, e.action, extra=dict(e.extra))
        if e.action == "deleted":
            res.status = "DELETED"
        elif e.arn and KINDS[e.kind].describe:
            desc = d.describe(e.kind, e.arn)
            res.status, res.failure_reason = ("DELETED", "") if desc is None else status_of(e.kind, desc)
        out.append(res)
    return out


def teardown(d: Driver, manifests: Sequence[RunManifest], *, dry_run: bool = False) -> Teardown:
    """Delete everything the manifests say udp created or meant to create; `dry_run` lists it and calls nothing."""
    owned = owned_resources(d, manifests, dry_run=dry_run)
    todo = [o for o in owned if o.entry.kind in DELETABLE]
    if dry_run:
        todo.sort(key=lambda o: DELETABLE.index(o.entry.kind))
        for o in todo:
            desc = d.describe(o.entry.kind, o.res.arn)
            o.res.action, o.res.status = "delete", "" if desc is None else status_of(o.entry.kind, desc)[0]
            d.out(f"delete  {KINDS[o.entry.kind].label:<20} {o.res.name} [{o.res.status or 'gone'}]")
    else:
        todo = delete_in_rounds(d, todo)
    done = [o.res for o in todo] + delete_objects(d, owned, dry_run=dry_run)
    for o in owned:
        if o.entry.kind not in TEARDOWN_ORDER:
            d.out(f"skip    {KINDS[o.entry.kind].label:<20} {o.res.name} - no delete call; deleted with its parent")
    return Teardown(done)


def owned_resources(d: Driver, manifests: Sequence[RunManifest], *, dry_run: bool) -> list[Owned]:
    """Every resource the manifests record as udp's, once each; an intent without an ARN is looked up by name."""
    owned: dict[str, Owned] = {}
    for m in manifests:
        group_arn = ""
        for recorded in m.entries:  # dependency order: a dataset group is resolved before what lives in it
            e = _resolved(d, m, recorded, group_arn, dry_run=dry_run)
            if e.kind == "dataset-group" and e.arn:
                group_arn = e.arn
            if e.action in OWNED and (e.arn or e.kind == "upload" or e.extra.get("objects") or e.extra.get("prefixes")):
                owned.setdefault(e.arn or f"{m.uri}#{e.kind}/{e.key}", Owned(m, e))
    return list(owned.values())


def _resolved(d: Driver, m: RunManifest, e: Entry, group_arn: str, *, dry_run: bool) -> Entry:
    """An intent (`creating`, no ARN) looked up by name: recorded as created if found, else as never created."""
    if e.action not in OWNED or e.arn or e.kind not in LOOKUP:
        return e
    arn = _find_by_name(d, e, group_arn)
    if dry_run:
        return replace(e, arn=arn)
    values = {"arn": arn, "action": "created"} if arn else {"action": "deleted", "status": "NOT CREATED"}
    return m.record(d.files, e.kind, e.key, e.name, **values)


def _find_by_name(d: Driver, e: Entry, group_arn: str) -> str:
    op, key, per_group = LOOKUP[e.kind]
    if per_group and not group_arn:
        return ""  # its dataset group was never created, so neither was it
    params = {"datasetGroupArn": group_arn} if per_group else {}
    found = d.find(op, key, lambda item: item.get("name") == e.name, **params)
    return str(found[KINDS[e.kind].arn_param]) if found else ""


def delete_in_rounds(d: Driver, owned: list[Owned]) -> list[Owned]:
    """Delete in dependency order; what is in use waits for the next round while anything still moves. Returns the
    resources in the order they were settled (deleted, gone, refused, or left in use)."""
    started, delay = d.clock(), max(d.s.poll.initial_seconds, 1.0)
    todo, settled = list(owned), []
    while True:
        blocked, moved = [], False
        for kind in DELETABLE:
            deleting = []
            for o in [o for o in todo if o.entry.kind == kind]:
                outcome = _delete(d, o)
                if outcome == "in use":
                    blocked.append(o)
                    moved = _follow(d, o) or moved
                    continue
                todo.remove(o)
                settled.append(o)
                if outcome == "deleting":
                    deleting.append(o)
            moved = moved or bool(deleting)
            _wait_gone(d, deleting)
        if not blocked:
            return settled
        if not moved or d.clock() - started > d.s.poll.timeout_minutes * 60:
            for o in blocked:
                o.res.action, o.res.status = "keep", "IN USE"
                d.out(f"left    {KINDS[o.entry.kind].label:<20} {o.res.name} - in use: {o.res.why}")
            return settled + blocked
        d.clients.sleep(delay)
        delay = min(delay * d.s.poll.factor, d.s.poll.max_seconds)


def _delete(d: Driver, o: Owned) -> str:
    """One delete call: 'deleting', 'gone' (already), 'in use' or 'failed'."""
    k, res = KINDS[o.entry.kind], o.res
    assert k.delete is not None
    try:
        d.call(k.delete, **{k.arn_param: res.arn})
    except (ClientError, PersonalizeError) as e:
        code = error_code(e) if isinstance(e, ClientError) else type(e).__name__
        message = error_message(e) if isinstance(e, ClientError) else str(e)
        if code == "ResourceNotFoundException":
            res.action, res.status = "delete", "DELETED"
            o.record(d, action="deleted", status="DELETED")
            d.out(f"gone    {k.label:<20} {res.name} (already deleted)")
            return "gone"
        res.why = message
        if code == "ResourceInUseException":
            d.out(f"  in use  {k.label:<20} {res.name}: {message}")
            return "in use"
        res.action, res.status = "failed", code
        d.out(f"failed  {k.label:<20} {res.name}: {code}: {message}")
        return "failed"
    res.action, res.status, res.why = "delete", "DELETE PENDING", ""
    d.out(f"delete  {k.label:<20} {res.name}")
    return "deleting"


def _follow(d: Driver, o: Owned) -> bool:
    """Look at what keeps `o` in use (stopping a training in the way); True if something there is still changing."""
    kind, res = o.entry.kind, o.res
    desc = d.describe(kind, res.arn)
    seen, res.status = res.status, "DELETED" if desc is None else status_of(kind, desc)[0]
    moving = res.status != seen or busy(res.status)
    if kind == "solution":
        versions = d.call("list_solution_versions", solutionArn=res.arn).get("solutionVersions", [])
        for v in versions:
            if v.get("status") in TRAINING:
                d.call("stop_solution_version_creation", solutionVersionArn=v["solutionVersionArn"])
                d.out(f"  stop    {'solution version':<20} {v['solutionVersionArn'].rsplit('/', 1)[-1]} (training)")
            if busy(str(v.get("status", ""))):
                d.describe("solution-version", v["solutionVersionArn"])
                moving = True
    if kind == "dataset":
        jobs = d.call("list_dataset_import_jobs", datasetArn=res.arn).get("datasetImportJobs", [])
        for j in jobs:
            if busy(str(j.get("status", ""))):
                d.describe("import-job", j["datasetImportJobArn"])
                moving = True
    return moving


def _wait_gone(d: Driver, deleting: list[Owned]) -> None:
    """Poll until each deleted resource is gone; past poll.timeout_minutes the rest is left as it is."""
    started, delay = d.clock(), d.s.poll.initial_seconds
    pending = list(deleting)
    while pending:
        for o in list(pending):
            desc = d.describe(o.entry.kind, o.res.arn) if KINDS[o.entry.kind].has_status else None
            if desc is None:
                o.res.status = "DELETED"
                o.record(d, action="deleted", status="DELETED")
                pending.remove(o)
            else:
                o.res.status = str(desc.get("status", ""))
        if not pending:
            return
        if d.clock() - started > d.s.poll.timeout_minutes * 60:
            for o in pending:
                o.res.action, o.res.why = "failed", f"still {o.res.status} after {d.s.poll.timeout_minutes:.0f} min"
                d.out(f"left    {KINDS[o.entry.kind].label:<20} {o.res.name} - {o.res.why}")
            return
        d.clients.sleep(delay)
        delay = min(max(delay * d.s.poll.factor, 1.0), d.s.poll.max_seconds)


def delete_objects(d: Driver, owned: Sequence[Owned], *, dry_run: bool) -> list[Resource]:
    """Remove the S3 objects udp wrote: snapshot uploads, batch inputs, everything under batch output prefixes."""
    done = []
    for o in owned:
        objects = list(o.entry.extra.get("objects", []))
        for prefix in o.entry.extra.get("prefixes", []):
            objects += d.files.list(prefix)
        if not objects and o.entry.kind != "upload":
            continue
        res = o.res if o.entry.kind == "upload" else Resource(o.entry.kind, o.entry.key, o.entry.name, o.entry.arn)
        what = f"{len(objects)} S3 object(s) {'to delete' if dry_run else 'deleted'}"
        res.action, res.status, res.why = "delete", "" if dry_run else "DELETED", what
        if not dry_run:
            for uri in objects:
                d.files.delete(uri)
            if o.entry.kind == "upload":
                o.record(d, action="deleted", status="DELETED")
        d.out(f"delete  {'s3 objects':<20} {o.res.name} - {what}")
        done.append(res)
    return done
