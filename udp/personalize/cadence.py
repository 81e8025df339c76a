"""Day two and after: whether a snapshot trains a FULL version, an UPDATE version, or keeps the version in service.

A solution trains FULL on its first snapshot and then every `training.full_every` applied snapshots; on the
snapshots between, `training.between: update` trains an UPDATE version (Personalize's trainingMode UPDATE:
aws-user-personalization only, on top of a FULL version: it brings in new items and users without retraining the
model) and `keep` trains nothing and goes on with the latest version. The history is read from earlier snapshots'
run manifests, so a resumed or repeated apply of a snapshot decides the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

from udp.personalize.manifest import Entry, RunManifest
from udp.personalize.resources import ACTIVE
from udp.personalize.snapshot import snapshot_ids
from udp.personalize.storage import Files

Mode = Literal["FULL", "UPDATE", "KEEP"]


def training_mode(history: Iterable[Entry], full_every: int, between: str) -> tuple[Mode, Entry | None, int]:
    """(mode, the latest earlier version, snapshots since the last FULL training) from this solution's version entries
    of earlier applied snapshots, newest first."""
    latest: Entry | None = None
    for count, entry in enumerate(history, start=1):
        latest = latest or entry
        if entry.extra.get("training_mode", "FULL") == "FULL" and not entry.extra.get("kept_from"):
            if count >= full_every:
                return "FULL", latest, count
            return ("UPDATE" if between == "update" else "KEEP"), latest, count
    return "FULL", latest, 0


def earlier_versions(files: Files, manifest: RunManifest, key: str) -> Iterator[Entry]:
    """The solution's ACTIVE versions recorded by earlier snapshots' runs of this backend and group, newest first."""
    earlier = [s for s in snapshot_ids(files, manifest.uri.rsplit("/", 2)[0]) if s < manifest.snapshot]
    for sid in reversed(earlier):
        other = manifest.sibling(files, sid)
        version = other.get("solution-version", key) if other is not None else None
        if version is not None and version.arn and version.status == ACTIVE:
            yield version
