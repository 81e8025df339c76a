"""Writing raw files in chunks while planting bad records at planned lines, and what each task reports back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
import pyarrow as pa

from udp.generate.text import line_bytes

Chunk = Union[pa.Array, list[str]]  # noqa: UP007 - runtime alias


@dataclass(frozen=True)
class FileStat:
    source: str
    path: str  # relative to out/raw
    rows: int  # data records (lines after the header, or Parquet rows), planted bad ones included
    bytes: int


@dataclass(frozen=True)
class BadRecord:
    source: str
    file: str  # relative to out/raw
    record: int | None  # 1-based physical line (CSV header = line 1) or Parquet row; None for a whole-file defect
    defect: str


@dataclass
class TaskResult:
    files: list[FileStat] = field(default_factory=list)
    bad: list[BadRecord] = field(default_factory=list)

    def extend(self, other: TaskResult) -> None:
        self.files.extend(other.files)
        self.bad.extend(other.bad)


def ymd(date: dt.date) -> str:
    return date.strftime("%Y%m%d")


def raw_file(out: Path, source: str, date: dt.date, name: str) -> tuple[Path, str]:
    """(absolute path, path relative to out/raw) of a raw file; creates its folder."""
    rel = f"{source}/{date.isoformat()}/{name}"
    path = out / "raw" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, rel


class DataFile:
    """A line-oriented raw file written chunk by chunk, with planted bad lines inserted at seeded positions.

    `bad` lines are (defect, bytes without newline). Each goes after a uniformly drawn number of valid lines; the
    record number reported is its 1-based physical line (the header counts as line 1).
    """

    def __init__(
        self,
        path: Path,
        rel: str,
        source: str,
        *,
        header: str | None,
        encoding: str,
        n_valid: int,
        bad: list[tuple[str, bytes]],
        rng: np.random.Generator,
    ) -> None:
        self.path, self.rel, self.source, self.encoding = path, rel, source, encoding
        self.handle: BinaryIO = path.open("wb")
        self.bytes = 0
        self.lines = 0
        self.valid = 0
        self.n_valid = n_valid
        order = rng.permutation(len(bad))
        self.bad = [bad[i] for i in order]
        self.before = np.sort(rng.integers(0, n_valid + 1, len(bad))) if bad else np.zeros(0, dtype=np.int64)
        self.next_bad = 0
        self.header_lines = 0
        self.records: list[BadRecord] = []
        if header is not None:
            self._raw((header + "\n").encode(encoding))
            self.header_lines = 1

    def _raw(self, data: bytes | memoryview) -> None:
        self.handle.write(data)
        self.bytes += len(data)

    def _emit_bad(self) -> None:
        defect, line = self.bad[self.next_bad]
        self.next_bad += 1
        self.records.append(BadRecord(self.source, self.rel, self.header_lines + self.lines + 1, defect))
        self._raw(line + b"\n")
        self.lines += 1

    def _emit(self, chunk: Chunk, start: int, stop: int) -> None:
        if stop <= start:
            return
        if isinstance(chunk, pa.Array):
            self._raw(line_bytes(chunk.slice(start, stop - start)))
        else:
            self._raw("".join(chunk[start:stop]).encode(self.encoding))
        self.lines += stop - start
        self.valid += stop - start

    def write(self, chunk: Chunk) -> None:
        """Append valid lines (each already ending in '\\n')."""
        size = len(chunk)
        start = 0
        base = self.valid
        while self.next_bad < len(self.bad) and int(self.before[self.next_bad]) < base + size:
            cut = int(self.before[self.next_bad]) - base
            self._emit(chunk, start, cut)
            start = max(start, cut)
            self._emit_bad()
        self._emit(chunk, start, size)

    def close(self, truncated: tuple[str, bytes] | None = None) -> tuple[FileStat, list[BadRecord]]:
        """Flush the remaining bad lines; `truncated` appends a last line cut mid-record (no newline)."""
        while self.next_bad < len(self.bad):
            self._emit_bad()
        if truncated is not None:
            defect, partial = truncated
            self.records.append(BadRecord(self.source, self.rel, self.header_lines + self.lines + 1, defect))
            self._raw(partial)
            self.lines += 1
        self.handle.close()
        return FileStat(self.source, self.rel, self.lines, self.bytes), self.records


def empty_file(path: Path, rel: str, source: str) -> tuple[FileStat, list[BadRecord]]:
    path.write_bytes(b"")
    return FileStat(source, rel, 0, 0), [BadRecord(source, rel, None, "empty_file")]
