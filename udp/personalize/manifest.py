"""The run manifest: `<snapshot>/personalize-run.json`, every resource an apply created or reused, with its ARN.

It is rewritten after every step, so an interrupted `apply` resumes from it (each recorded ARN is described instead
of searched for), `status` shows the state without searching, and `teardown` deletes exactly what udp created.
Before each create call apply records its intent (`creating`, no ARN yet), so a resource whose create answer was
lost with a killed process is still known to be udp's when a later run or teardown finds it by name; resources found
existing with no intent recorded are `reused` and never deleted.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from udp.personalize.snapshot import SnapshotError
from udp.personalize.storage import Files, InputPathError

Action = Literal["creating", "created", "reused", "updated", "deleted"]
OWNED: tuple[Action, ...] = ("creating", "created", "updated")  # what teardown deletes


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Entry:
    """One resource of the run."""

    kind: str
    key: str
    name: str
    arn: str = ""
    status: str = ""
    action: Action = "created"
    failure_reason: str = ""
    updated_at: str = field(default_factory=_now)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunManifest:
    """All entries of one snapshot's runs, in the order they were first recorded (dependency order)."""

    uri: str
    snapshot: str
    backend: str
    dataset_group: str
    entries: list[Entry] = field(default_factory=list)

    def get(self, kind: str, key: str) -> Entry | None:
        return next((e for e in self.entries if e.kind == kind and e.key == key), None)

    def record(self, files: Files, kind: str, key: str, name: str, **values: Any) -> Entry:
        """Add or update an entry and save the manifest at once (so a crash loses nothing)."""
        entry = self.get(kind, key)
        if entry is None:
            entry = Entry(kind, key, name)
            self.entries.append(entry)
        entry.name = name
        for k, v in values.items():
            if k == "extra":
                entry.extra.update(v)
            else:
                setattr(entry, k, v)
        entry.updated_at = _now()
        self.save(files)
        return entry

    def save(self, files: Files) -> None:
        doc = {
            "snapshot": self.snapshot,
            "backend": self.backend,
            "dataset_group": self.dataset_group,
            "updated_at": _now(),
            "resources": [asdict(e) for e in self.entries],
        }
        files.write_bytes(self.uri, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))

    def sibling(self, files: Files, snapshot: str) -> RunManifest | None:
        """Another snapshot's run manifest of this backend and dataset group (None for another's; empty if none)."""
        folder = self.uri.rsplit("/", 2)[0]
        uri = "/".join([folder, snapshot, self.uri.rsplit("/", 1)[1]])
        try:
            return RunManifest.load(files, uri, snapshot, self.backend, self.dataset_group)
        except SnapshotError:
            return None

    @classmethod
    def load(cls, files: Files, uri: str, snapshot: str, backend: str, dataset_group: str) -> RunManifest:
        """The manifest at `uri`, or an empty one. A manifest of another backend or dataset group is an error."""
        try:
            doc = json.loads(files.read_bytes(uri))
        except InputPathError:
            return cls(uri, snapshot, backend, dataset_group)
        except ValueError as e:
            raise SnapshotError(f"{uri}: not valid JSON ({e}); move it away to start a new run record") from None
        if doc.get("backend") != backend or doc.get("dataset_group") != dataset_group:
            raise SnapshotError(
                f"{uri} records a run of backend {doc.get('backend')!r}, dataset group {doc.get('dataset_group')!r}; "
                f"this run is {backend!r}, {dataset_group!r} (move the file away, or use that configuration)"
            )
        entries = [Entry(**e) for e in doc.get("resources", [])]
        return cls(uri, snapshot, backend, dataset_group, entries)
