"""`status` and `teardown`: what the run manifest recorded, looked up live or deleted.

Teardown deletes only what the manifest records as `created` (never a resource udp found and reused), dependants
first — event tracker, campaigns, filters, solutions (with their versions), datasets (with their import jobs), the
dataset group, schemas, then the uploaded S3 objects — and waits until each is gone, because Personalize refuses to
delete a parent whose children are still being deleted. Import jobs, solution versions and batch inference jobs have
no delete call; they go with their parents.
"""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import ClientError

from udp.personalize.driver import KINDS, TEARDOWN_ORDER, Driver, Resource, error_code, error_message
from udp.personalize.errors import PersonalizeError, WaitTimeoutError
from udp.personalize.manifest import Entry, RunManifest


def status(d: Driver) -> list[Resource]:
    """The manifest's resources with their live status (a deleted one shows DELETED)."""
    out = []
    for e in d.manifest.entries:
        res = Resource(e.kind, e.key, e.name, e.arn, e.status, e.action, extra=dict(e.extra))
        if e.action == "deleted":
            res.status = "DELETED"
        elif e.arn and KINDS[e.kind].describe:
            desc = d.describe(e.kind, e.arn)
            res.status, res.failure_reason = ("DELETED", "") if desc is None else d.status_of(e.kind, desc)
        out.append(res)
    return out


def teardown(d: Driver, manifests: Sequence[RunManifest]) -> list[Resource]:
    """Delete what the manifests record as created, dependants first, waiting until each is gone."""
    created: dict[str, tuple[RunManifest, Entry]] = {}
    for m in manifests:
        for e in m.entries:
            if e.action in ("created", "updated") and (e.arn or e.kind == "upload"):
                created.setdefault(e.arn or f"upload:{m.snapshot}", (m, e))
    done: list[Resource] = []
    for kind in TEARDOWN_ORDER:
        batch = [(m, e) for m, e in created.values() if e.kind == kind and e.action != "deleted"]
        deleting = []
        for m, e in batch:
            res = Resource(e.kind, e.key, e.name, e.arn)
            done.append(res)
            if kind == "upload":
                for uri in e.extra.get("objects", []):
                    d.files.delete(uri)
                res.action, res.status = "delete", "DELETED"
                m.record(d.files, e.kind, e.key, e.name, action="deleted", status="DELETED")
                d.out(f"delete  {'s3 upload':<20} {e.name} ({len(e.extra.get('objects', []))} objects)")
                continue
            if _delete(d, res):
                deleting.append((m, e, res))
        _wait_gone(d, deleting)
    for m in manifests:
        for e in m.entries:
            if e.action not in ("created", "updated") or e.kind in TEARDOWN_ORDER:
                continue
            d.out(f"skip    {KINDS[e.kind].label:<20} {e.name} - no delete call; deleted with its parent")
    return done


def _delete(d: Driver, res: Resource) -> bool:
    k = KINDS[res.kind]
    assert k.delete is not None
    delay = max(d.s.poll.initial_seconds, 1.0)
    for _ in range(d.s.poll.quota_retries + 1):
        try:
            d.call(k.delete, **{k.arn_param: res.arn})
            res.action, res.status = "delete", "DELETE PENDING"
            d.out(f"delete  {k.label:<20} {res.name}")
            return True
        except ClientError as e:
            if error_code(e) == "ResourceNotFoundException":
                res.action, res.status = "delete", "DELETED"
                d.out(f"gone    {k.label:<20} {res.name} (already deleted)")
                return True
            if error_code(e) != "ResourceInUseException":
                raise
            if res.kind == "schema":  # schemas are account-wide: another dataset group may use it
                res.action, res.status = "keep", "IN USE"
                d.out(f"keep    {k.label:<20} {res.name} (used by another dataset: {error_message(e)})")
                return False
            d.out(f"  {k.delete}: {error_message(e)}; retrying in {delay:.0f}s")
            d.clients.sleep(delay)
            delay = min(delay * d.s.poll.factor, d.s.poll.max_seconds)
    raise PersonalizeError(f"{k.label} {res.name} is still in use; delete its dependants and run teardown again")


def _wait_gone(d: Driver, deleting: list[tuple[RunManifest, Entry, Resource]]) -> None:
    started = d.clock()
    delay = d.s.poll.initial_seconds
    pending = list(deleting)
    while pending:
        for item in list(pending):
            m, e, res = item
            desc = d.describe(e.kind, e.arn) if KINDS[e.kind].has_status else None
            if desc is None:
                res.status = "DELETED"
                m.record(d.files, e.kind, e.key, e.name, action="deleted", status="DELETED")
                pending.remove(item)
            else:
                res.status = str(desc.get("status", ""))
        if not pending:
            return
        if d.clock() - started > d.s.poll.timeout_minutes * 60:
            raise WaitTimeoutError(f"{', '.join(r.name for _, _, r in pending)} not deleted yet: run teardown again")
        d.clients.sleep(delay)
        delay = min(max(delay * d.s.poll.factor, 1.0), d.s.poll.max_seconds)
