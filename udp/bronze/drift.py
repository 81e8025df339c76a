"""Schema drift: a raw file whose columns differ from its contract, handled by the contract's `drift` policy.

- fail: stop before anything is written, naming the source, the file and the columns.
- rescue: ingest; values of unknown columns are kept as a JSON object in `_rescued_data`; missing columns are null.
- evolve: as rescue, and unknown columns are also added to the bronze table as STRING columns.
A value whose type changed (text in a numeric column) is row-level: that row is quarantined with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from udp.errors import SchemaDriftError

if TYPE_CHECKING:
    from pyspark.sql.types import StructType


@dataclass(frozen=True)
class DriftNote:
    """How one file (or batch) differs from the contract."""

    source: str
    file: str
    new_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    retyped_columns: tuple[str, ...] = ()
    header_problems: tuple[str, ...] = ()  # e.g. a byte-order mark, or required columns the header lacks

    def describe(self) -> str:
        parts = list(self.header_problems)
        if self.new_columns:
            parts.append(f"new column(s) {', '.join(self.new_columns)}")
        if self.missing_columns:
            parts.append(f"missing column(s) {', '.join(self.missing_columns)}")
        if self.retyped_columns:
            parts.append(f"changed type(s) {', '.join(self.retyped_columns)}")
        return "; ".join(parts)


def csv_header_drift(source: str, file: str, header: Sequence[str], columns: Sequence[str]) -> DriftNote | None:
    """Compare a CSV header with the contract's columns; None when they hold the same names."""
    duplicates = sorted({h for h in header if list(header).count(h) > 1})
    if duplicates or any(not h for h in header):
        raise SchemaDriftError(
            f"source {source!r}: file {file} has a header with "
            + (f"duplicate column(s) {', '.join(duplicates)}" if duplicates else "an empty column name")
        )
    new = tuple(h for h in header if h not in columns)
    missing = tuple(c for c in columns if c not in header)
    if not new and not missing:
        return None
    return DriftNote(source, file, new_columns=new, missing_columns=missing)


def csv_header_problems(
    header: Sequence[str], columns: Sequence[str], required: Sequence[str], delimiter: str
) -> tuple[str, ...]:
    """What makes a CSV header unusable: required columns it lacks, with the likely cause (a wrong delimiter leaves
    the whole header as one column name). Empty when every required column is there."""
    missing = [c for c in required if c not in header]
    if not missing:
        return ()
    problem = f"header (line 1) lacks required column(s) {', '.join(missing)}"
    if len(header) == 1 and len(columns) > 1:
        problem += f": the header is one field, so the delimiter is not {delimiter!r}"
    return (problem,)


def schema_drift(source: str, file: str, found: StructType, expected: StructType) -> list[DriftNote]:
    """Compare a file's own schema (Parquet) with the contract's."""
    types = {f.name: f.dataType for f in found.fields}
    new = tuple(n for n in types if n not in expected.fieldNames())
    missing = tuple(f.name for f in expected.fields if f.name not in types)
    retyped = tuple(f.name for f in expected.fields if f.name in types and types[f.name] != f.dataType)
    if not (new or missing or retyped):
        return []
    return [DriftNote(source, file, new, missing, retyped)]


def enforce_policy(source: str, policy: str, notes: Sequence[DriftNote]) -> None:
    """Under `fail`, any drift stops the run with one message naming every file and column."""
    if policy != "fail" or not notes:
        return
    first = notes[0]
    more = f" (and {len(notes) - 1} more file(s))" if len(notes) > 1 else ""
    raise SchemaDriftError(
        f"source {source!r}: file {first.file} has {first.describe()}{more}; the contract's drift policy is 'fail' "
        f"— update the schema in conf/sources.yaml, or set drift: rescue or evolve"
    )
