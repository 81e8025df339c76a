"""The local backend's state: one JSON document of resources keyed by ARN, in a folder shared across processes.

Writes are atomic (temporary file + rename) under an exclusive lock file, so a crashed process never leaves a half
written state and two processes (an `apply` and a `status`) never interleave their updates.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Record = dict[str, Any]


class StateStore:
    """Resources of one local "account": `resources.json` under `root`, plus data and model folders."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / "resources.json"
        self._lock_path = self.root / ".lock"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[dict[str, Record]]:
        """Exclusive read-modify-write of every resource; saved when the block ends without an exception."""
        with self._lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                resources = self._load()
                before = json.dumps(resources, sort_keys=True)
                yield resources
                if json.dumps(resources, sort_keys=True) != before:
                    self._save(resources)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def snapshot(self) -> dict[str, Record]:
        """A consistent copy of every resource (read only)."""
        with self._lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            try:
                return self._load()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def get(self, arn: str) -> Record | None:
        return self.snapshot().get(arn)

    def folder(self, *parts: str) -> Path:
        path = self.root.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _load(self) -> dict[str, Record]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return dict(data.get("resources", {}))

    def _save(self, resources: dict[str, Record]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".resources.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"resources": resources}, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)
