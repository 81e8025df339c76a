"""The Personalize driver's engine: one call with throttling retried, lookups by name, the run manifest's
bookkeeping, `ensure` (reuse a resource by its deterministic name, or create it — recording the intent first), and
waiting with backoff until resources are ACTIVE. The resource kinds' steps build on it (udp/personalize/imports.py,
training.py, deployment.py); udp/personalize/driver.py chains them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from udp.personalize.backends import Clients
from udp.personalize.errors import (
    PersonalizeError,
    QuotaError,
    ResourceFailedError,
    WaitTimeoutError,
)
from udp.personalize.manifest import RunManifest
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
from udp.personalize.snapshot import Snapshot
from udp.personalize.storage import join
from udp.settings.names import resource_name
from udp.settings.personalize import PersonalizeSettings

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


class Engine:
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
        shown = call_text(op, params)
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
                elapsed = duration(self.clock() - started)
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

    def tags(self) -> dict[str, Any]:
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in self.s.tags.items()]} if self.s.tags else {}


def json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def call_text(op: str, params: dict[str, Any]) -> str:
    shown = []
    for k, v in params.items():
        if k in ("tags", "schema"):
            continue
        text = json.dumps(v, separators=(",", ":")) if isinstance(v, dict) else v
        shown.append(f"{k}={text}" if text != "" else f"{k}=<from create>")
    return f"{op}({', '.join(shown)})"


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
