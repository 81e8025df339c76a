"""Dataset import for the local backend: Personalize CSVs -> typed Parquet, under Personalize's acceptance rules.

An import reads every `*.csv` under the job's data location (a file, or a folder ending in '/'), checks each header
against the schema (same names, same order) and each value against its type and Personalize's limits, and fails the
way Personalize does — the job goes CREATE FAILED with a reason — when the data would not be accepted: fewer than
1000 interactions, fewer than 25 users (or 1 % of users) with at least 2 interactions, a value of the wrong type, an
ID over 256 characters, a categorical value over 1000 characters, or millisecond timestamps.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from udp.personalize.snapshot import SchemaField, read_csv
from udp.personalize.storage import Files

MIN_INTERACTIONS = 1000
MIN_USERS_WITH_TWO = 25
MIN_SHARE_WITH_TWO = 0.01
MAX_ID = 256
MAX_CATEGORICAL = 1000
MAX_TEXTUAL = 20000
MAX_EPOCH_SECONDS = 10**11  # larger TIMESTAMP values are milliseconds (or worse)
_ARROW = {"string": pa.string(), "long": pa.int64(), "int": pa.int64(), "float": pa.float64(), "double": pa.float64()}


class ImportRejectedError(Exception):
    """The data would not be accepted; the message is the import job's failureReason."""


@dataclass(frozen=True)
class ImportResult:
    rows: int
    path: Path


def import_csv(
    files: Files,
    data_location: str,
    dataset_type: str,
    fields: Sequence[SchemaField],
    out: Path,
    *,
    incremental: bool = False,
) -> ImportResult:
    """Read the CSVs at `data_location`, check them, write `out` (Parquet); `ImportRejectedError` gives the reason.
    Interactions' minimums apply to a bulk import (and to training), not to the rows an incremental one adds."""
    uris = [u for u in files.list(data_location) if u.rsplit("/", 1)[-1].lower().endswith(".csv")]
    if not data_location.endswith("/"):
        uris = [u for u in uris if u == data_location.rstrip("/")]
    if not uris:
        raise ImportRejectedError(f"No CSV files found at {data_location}")
    columns: dict[str, list[Any]] = {f.name: [] for f in fields}
    for uri in uris:
        _read_file(files, uri, fields, columns)
    rows = len(columns[fields[0].name])
    if dataset_type == "INTERACTIONS" and not incremental:
        check_interactions(columns["USER_ID"])
    table = pa.table({f.name: pa.array(columns[f.name], type=_ARROW.get(f.type, pa.string())) for f in fields})
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out)
    return ImportResult(rows, out)


def _read_file(files: Files, uri: str, fields: Sequence[SchemaField], columns: dict[str, list[Any]]) -> None:
    name = uri.rsplit("/", 1)[-1]
    try:
        text = files.read_bytes(uri).decode("utf-8")
    except UnicodeDecodeError as e:
        raise ImportRejectedError(f"Input file {name} is not valid UTF-8 (byte {e.start})") from None
    expected = [f.name for f in fields]
    lines = read_csv(text)
    first = next(lines, None)
    if first is None:
        return
    if first[1] != expected:
        raise ImportRejectedError(
            f"The header of {name} ({','.join(first[1])}) does not match the schema fields ({','.join(expected)}); "
            "the columns must be the schema's fields in the schema's order"
        )
    for line, values in lines:
        if len(values) != len(fields):
            raise ImportRejectedError(f"Line {line} of {name} has {len(values)} fields; the header has {len(fields)}")
        for f, raw in zip(fields, values, strict=True):
            columns[f.name].append(_value(f, raw, name, line))


def _value(f: SchemaField, raw: str, file: str, line: int) -> Any:
    if raw == "":
        if not f.nullable:
            raise ImportRejectedError(f"Field {f.name} is required (not nullable) but empty at line {line} of {file}")
        return None
    if f.type in ("long", "int"):
        try:
            value: Any = int(raw)
        except ValueError:
            raise ImportRejectedError(
                f"Value {raw[:40]!r} of field {f.name} is not a {f.type} (line {line} of {file})"
            ) from None
        if f.name in ("TIMESTAMP", "CREATION_TIMESTAMP") and value >= MAX_EPOCH_SECONDS:
            raise ImportRejectedError(
                f"{f.name} {value} at line {line} of {file} looks like milliseconds; Personalize expects Unix epoch "
                "seconds"
            )
        return value
    if f.type in ("float", "double"):
        try:
            return float(raw)
        except ValueError:
            raise ImportRejectedError(
                f"Value {raw[:40]!r} of field {f.name} is not a {f.type} (line {line} of {file})"
            ) from None
    if f.type == "boolean":
        return raw
    if f.name in ("USER_ID", "ITEM_ID") and len(raw) > MAX_ID:
        raise ImportRejectedError(f"{f.name} longer than {MAX_ID} characters at line {line} of {file}")
    if f.textual:
        return raw[:MAX_TEXTUAL]
    if len(raw) > MAX_CATEGORICAL:
        raise ImportRejectedError(
            f"Value of field {f.name} longer than {MAX_CATEGORICAL} characters at line {line} of {file}"
        )
    return raw


def check_interactions(users: Sequence[Any] | np.ndarray) -> None:
    """Personalize's minimums for interactions data (also applied before training, after event filtering)."""
    n = len(users)
    if n < MIN_INTERACTIONS:
        raise ImportRejectedError(f"Input data must have at least {MIN_INTERACTIONS} interactions; found {n}")
    _, counts = np.unique(np.asarray(users, dtype=object).astype(str), return_counts=True)
    with_two = int((counts >= 2).sum())
    if with_two < MIN_USERS_WITH_TWO or with_two < MIN_SHARE_WITH_TWO * len(counts):
        raise ImportRejectedError(
            f"There should be at least {MIN_USERS_WITH_TWO} users (and 1 % of users) with 2 or more interactions; "
            f"found {with_two} of {len(counts)} users"
        )


# ----------------------------------------------------------------------------------------------------------------
# Loading for training and serving
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interactions:
    """Interactions as parallel arrays (row order = import order, events last)."""

    users: np.ndarray  # str
    items: np.ndarray  # str
    timestamps: np.ndarray  # int64
    event_types: np.ndarray  # str ("" when absent)
    event_values: np.ndarray  # float64, NaN when null

    def __len__(self) -> int:
        return len(self.users)

    def select(self, mask: np.ndarray) -> Interactions:
        return Interactions(
            self.users[mask], self.items[mask], self.timestamps[mask], self.event_types[mask], self.event_values[mask]
        )


@dataclass(frozen=True)
class ItemsTable:
    """Item metadata: ids, categorical fields (raw strings, `|` for multi-values), creation timestamps."""

    ids: np.ndarray
    categorical: dict[str, list[str | None]]
    created: dict[str, int]


def _read_tables(paths: Iterable[Path]) -> pa.Table | None:
    tables = [pq.read_table(p) for p in paths if p.exists()]
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="default")


def _column(table: pa.Table, name: str, default: Any) -> list[Any]:
    if name not in table.column_names:
        return [default] * table.num_rows
    return [default if v is None else v for v in table.column(name).to_pylist()]


def load_interactions(paths: Sequence[Path], events: Path | None = None) -> Interactions:
    table = _read_tables(paths)
    users: list[Any] = []
    items: list[Any] = []
    ts: list[Any] = []
    types: list[Any] = []
    values: list[Any] = []
    if table is not None:
        users, items = _column(table, "USER_ID", ""), _column(table, "ITEM_ID", "")
        ts, types = _column(table, "TIMESTAMP", 0), _column(table, "EVENT_TYPE", "")
        values = _column(table, "EVENT_VALUE", float("nan"))
    if events is not None and events.exists():
        for line in events.read_text(encoding="utf-8").splitlines():
            e = json.loads(line)
            users.append(e["USER_ID"])
            items.append(e["ITEM_ID"])
            ts.append(e["TIMESTAMP"])
            types.append(e.get("EVENT_TYPE") or "")
            values.append(float("nan") if e.get("EVENT_VALUE") is None else e["EVENT_VALUE"])
    return Interactions(
        np.asarray(users, dtype=str),
        np.asarray(items, dtype=str),
        np.asarray(ts, dtype=np.int64),
        np.asarray(types, dtype=str),
        np.asarray(values, dtype=np.float64),
    )


def load_items(paths: Sequence[Path], fields: Sequence[SchemaField]) -> ItemsTable:
    """The items dataset; with several imports (INCREMENTAL) the latest record of an ITEM_ID wins."""
    table = _read_tables(paths)
    if table is None:
        return ItemsTable(np.asarray([], dtype=str), {}, {})
    ids = [str(v) for v in _column(table, "ITEM_ID", "")]
    latest = {item: i for i, item in enumerate(ids)}  # later rows win
    keep = sorted(latest.values())
    cats = {}
    for f in fields:
        if f.categorical and f.name in table.column_names:
            col = table.column(f.name).to_pylist()
            cats[f.name] = [col[i] for i in keep]
    created: dict[str, int] = {}
    if "CREATION_TIMESTAMP" in table.column_names:
        col = table.column("CREATION_TIMESTAMP").to_pylist()
        created = {ids[i]: int(col[i]) for i in keep if col[i] is not None}
    return ItemsTable(np.asarray([ids[i] for i in keep], dtype=str), cats, created)


def append_events(path: Path, events: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e, separators=(",", ":")) + "\n")


def load_item_attributes(paths: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """Every item field as field -> ITEM_ID -> value (latest import wins), for filters."""
    table = _read_tables(paths)
    if table is None or "ITEM_ID" not in table.column_names:
        return {}
    ids = [str(v) for v in table.column("ITEM_ID").to_pylist()]
    return {
        name: dict(zip(ids, table.column(name).to_pylist(), strict=True))
        for name in table.column_names
        if name != "ITEM_ID"
    }


def interactions_from_rows(fields: Sequence[SchemaField], rows: Sequence[Sequence[Any]]) -> Interactions:
    """Interactions from rows in the schema's column order (tests, benchmarks)."""
    names = [f.name for f in fields]

    def column(name: str, default: Any) -> list[Any]:
        if name not in names:
            return [default] * len(rows)
        i = names.index(name)
        return [default if r[i] is None else r[i] for r in rows]

    return Interactions(
        np.asarray(column("USER_ID", ""), dtype=str),
        np.asarray(column("ITEM_ID", ""), dtype=str),
        np.asarray(column("TIMESTAMP", 0), dtype=np.int64),
        np.asarray(column("EVENT_TYPE", ""), dtype=str),
        np.asarray(column("EVENT_VALUE", float("nan")), dtype=np.float64),
    )


def items_from_rows(fields: Sequence[SchemaField], rows: Sequence[Sequence[Any]]) -> ItemsTable:
    """Item metadata from rows in the schema's column order (tests, benchmarks)."""
    names = [f.name for f in fields]
    ids = [str(r[names.index("ITEM_ID")]) for r in rows]
    cats = {f.name: [r[i] for r in rows] for i, f in enumerate(fields) if f.categorical}
    created: dict[str, int] = {}
    if "CREATION_TIMESTAMP" in names:
        i = names.index("CREATION_TIMESTAMP")
        created = {item: int(r[i]) for item, r in zip(ids, rows, strict=True) if r[i] is not None}
    return ItemsTable(np.asarray(ids, dtype=str), cats, created)
