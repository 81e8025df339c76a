"""The export snapshot the gold layer writes and the Personalize step imports.

    <paths.export>/personalize/<snapshot>/
        interactions/part-*.csv  items/part-*.csv  users/part-*.csv
        schemas/interactions.json  items.json  users.json       Personalize Avro schemas, fields in CSV column order
        manifest.json    {"snapshot", "datasets": {"interactions": {"rows", "files": [{"path", "bytes", "sha256"}]}}}
        personalize-run.json                                    written by the driver (udp/personalize/manifest.py)

CSV: an unquoted header row, `,` separated, an empty field is null, the Items textual field wrapped in double quotes
with `\\"` and `\\\\` backslash escapes. `write_snapshot` writes the same format from Python lists (tests, the
benchmark, the demo); the columns are always the schema's, never assumed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from udp.errors import InputPathError, UdpError
from udp.personalize.storage import Files, join

DATASETS = ("interactions", "items", "users")  # import order: interactions first (training needs it)
PERSONALIZE_TYPE = {"interactions": "Interactions", "items": "Items", "users": "Users"}
ID_FIELD = {"interactions": "USER_ID", "items": "ITEM_ID", "users": "USER_ID"}
REQUIRED_FIELDS = {"interactions": ("USER_ID", "ITEM_ID", "TIMESTAMP"), "items": ("ITEM_ID",), "users": ("USER_ID",)}
AVRO_TYPES = {"string", "long", "int", "float", "double", "boolean", "null"}
RUN_MANIFEST = "personalize-run.json"
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,149}")


class SnapshotError(UdpError):
    """An export snapshot is missing, incomplete or does not follow Personalize's format."""


@dataclass(frozen=True)
class SchemaField:
    """One field of a Personalize schema, in CSV column order."""

    name: str
    type: str  # the non-null Avro type
    nullable: bool = False
    categorical: bool = False
    textual: bool = False

    @property
    def numeric(self) -> bool:
        return self.type in ("long", "int", "float", "double")


@dataclass(frozen=True)
class ExportFile:
    uri: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class ExportDataset:
    name: str  # interactions | items | users
    rows: int
    files: tuple[ExportFile, ...]
    schema: str  # the Avro schema JSON text, as create_schema receives it
    fields: tuple[SchemaField, ...]
    schema_name: str = ""  # the export's name for the schema (gold: <prefix>-<dataset>-<sha256[:8]>), if any
    import_mode: str = ""  # FULL | INCREMENTAL as the export decided ("" = personalize.import_mode decides)
    since: str = ""  # INCREMENTAL: the files hold the rows added since this snapshot
    unchanged_since: str = ""  # FULL, and the same table version as this snapshot's: no import needed after it

    @property
    def personalize_type(self) -> str:
        return PERSONALIZE_TYPE[self.name]

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)


@dataclass(frozen=True)
class Snapshot:
    id: str
    uri: str
    datasets: Mapping[str, ExportDataset]
    preflight_errors: tuple[str, ...] = ()  # rules the export's preflight failed (an export forced past them)

    @property
    def run_manifest_uri(self) -> str:
        return join(self.uri, RUN_MANIFEST)

    def folder(self, dataset: str) -> str:
        return join(self.uri, dataset)


def snapshots_root(export: str) -> str:
    return join(export, "personalize")


def list_snapshots(files: Files, export: str) -> list[str]:
    """Snapshot ids under `<export>/personalize` that have a manifest, oldest first (ids sort by time)."""
    return snapshot_ids(files, snapshots_root(export))


def snapshot_ids(files: Files, root: str) -> list[str]:
    """Snapshot ids of the folders under `root` that have a manifest, oldest first."""
    ids = set()
    for uri in files.list(root):
        rel = uri[len(root) :].strip("/").split("/")
        if len(rel) == 2 and rel[1] == "manifest.json" and not rel[0].startswith(("_", ".")):
            ids.add(rel[0])
    return sorted(ids)


def resolve_snapshot(files: Files, export: str, wanted: str = "") -> str:
    """`wanted`, or the newest snapshot when empty; a clear error when there is none."""
    if wanted:
        return wanted
    found = list_snapshots(files, export)
    if not found:
        raise SnapshotError(
            f"no export snapshot under {snapshots_root(export)} (run the gold export first, or pass --snapshot ID)"
        )
    return found[-1]


def load_snapshot(files: Files, export: str, snapshot_id: str) -> Snapshot:
    """Read a snapshot's manifest and schemas; check the schemas against Personalize's rules."""
    uri = join(snapshots_root(export), snapshot_id)
    manifest_uri = join(uri, "manifest.json")
    try:
        manifest = json.loads(files.read_bytes(manifest_uri))
    except InputPathError:
        raise SnapshotError(f"snapshot {snapshot_id!r} not found: {manifest_uri} does not exist") from None
    except ValueError as e:
        raise SnapshotError(f"{manifest_uri}: not valid JSON ({e})") from None
    entries = manifest.get("datasets") if isinstance(manifest, dict) else None
    if not isinstance(entries, dict):
        raise SnapshotError(f'{manifest_uri}: expected {{"datasets": {{...}}}}')
    datasets: dict[str, ExportDataset] = {}
    for raw_name, entry in entries.items():
        name = str(raw_name).lower()
        if name not in DATASETS:
            raise SnapshotError(f"{manifest_uri}: unknown dataset {raw_name!r} (expected {', '.join(DATASETS)})")
        schema_uri = join(uri, "schemas", f"{name}.json")
        try:
            schema_text = files.read_bytes(schema_uri).decode("utf-8")
        except InputPathError:
            raise SnapshotError(f"snapshot {snapshot_id}: schema {schema_uri} is missing") from None
        fields = parse_schema(schema_text, name, schema_uri)
        listed = entry.get("files", []) if isinstance(entry, dict) else []
        export_files = tuple(
            ExportFile(_file_uri(uri, name, str(f["path"])), int(f.get("bytes", 0)), str(f.get("sha256", "")))
            for f in listed
        )
        if not export_files:
            raise SnapshotError(f"{manifest_uri}: dataset {name} lists no files")
        schema_name = str(entry.get("schema_name", ""))
        mode, since = str(entry.get("import_mode", "")), str(entry.get("since", ""))
        if mode not in ("", "FULL", "INCREMENTAL") or (mode == "INCREMENTAL") != bool(since):
            raise SnapshotError(
                f"{manifest_uri}: dataset {name} has import_mode {mode!r} and since {since!r} (expected FULL, or "
                "INCREMENTAL with the snapshot the rows were added since)"
            )
        rows, unchanged = int(entry.get("rows", 0)), str(entry.get("unchanged_since", ""))
        datasets[name] = ExportDataset(
            name, rows, export_files, schema_text, fields, schema_name, mode, since, unchanged
        )
    if "interactions" not in datasets:
        raise SnapshotError(f"{manifest_uri}: the interactions dataset is required (Personalize trains on it)")
    ordered = {d: datasets[d] for d in DATASETS if d in datasets}
    preflight = manifest.get("preflight") if isinstance(manifest.get("preflight"), dict) else {}
    failed: tuple[str, ...] = ()
    if not preflight.get("passed", True):
        failed = tuple(str(e) for e in preflight.get("errors", [])) or ("(rules not listed)",)
    return Snapshot(str(manifest.get("snapshot") or snapshot_id), uri, ordered, failed)


def _file_uri(snapshot_uri: str, dataset: str, path: str) -> str:
    if "://" in path or path.startswith("/"):
        return path
    if path.startswith(f"{dataset}/"):
        return join(snapshot_uri, path)
    return join(snapshot_uri, dataset, path)


def parse_schema(text: str, dataset: str, where: str = "schema") -> tuple[SchemaField, ...]:
    """The fields of a Personalize Avro schema, checked against the rules Avro itself does not enforce."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise SnapshotError(f"{where}: not valid JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("type") != "record" or not isinstance(doc.get("fields"), list):
        raise SnapshotError(f"{where}: expected an Avro record with a list of fields")
    fields: list[SchemaField] = []
    seen: set[str] = set()
    for f in doc["fields"]:
        name = str(f.get("name", "")) if isinstance(f, dict) else ""
        if not _FIELD_NAME.fullmatch(name):
            raise SnapshotError(f"{where}: field name {name!r} must match [A-Za-z_][A-Za-z0-9_]* (<= 150 chars)")
        canonical = name.replace("_", "").upper()
        if canonical in seen:
            raise SnapshotError(f"{where}: field {name} clashes with another field once '_' is ignored")
        seen.add(canonical)
        ftype = f.get("type")
        types = [ftype] if isinstance(ftype, str) else ftype if isinstance(ftype, list) else []
        concrete = [t for t in types if t != "null"]
        if len(concrete) != 1 or not all(isinstance(t, str) and t in AVRO_TYPES for t in types):
            raise SnapshotError(f"{where}: field {name} has type {ftype!r}; flat Avro types only (no records/arrays)")
        categorical, textual = bool(f.get("categorical")), bool(f.get("textual"))
        if (categorical or textual) and concrete[0] != "string":
            raise SnapshotError(f"{where}: field {name} is categorical/textual but not a string")
        fields.append(SchemaField(name, concrete[0], "null" in types, categorical, textual))
    names = [f.name for f in fields]
    missing = [r for r in REQUIRED_FIELDS[dataset] if r not in names]
    if missing:
        raise SnapshotError(f"{where}: the {dataset} schema needs field(s) {', '.join(missing)}")
    if dataset != "items" and any(f.textual for f in fields):
        raise SnapshotError(f"{where}: textual fields are allowed in the items schema only")
    if sum(f.textual for f in fields) > 1:
        raise SnapshotError(f"{where}: at most one textual field")
    return tuple(fields)


def schema_json(dataset: str, fields: Sequence[SchemaField]) -> str:
    """A Personalize Avro schema for `fields` (the inverse of `parse_schema`)."""
    out: list[dict[str, Any]] = []
    for f in fields:
        entry: dict[str, Any] = {"name": f.name, "type": ["null", f.type] if f.nullable else f.type}
        if f.categorical:
            entry["categorical"] = True
        if f.textual:
            entry["textual"] = True
        out.append(entry)
    doc = {
        "type": "record",
        "name": PERSONALIZE_TYPE[dataset],
        "namespace": "com.amazonaws.personalize.schema",
        "fields": out,
        "version": "1.0",
    }
    return json.dumps(doc, separators=(",", ":"))


# ----------------------------------------------------------------------------------------------------------------
# CSV
# ----------------------------------------------------------------------------------------------------------------


def format_csv_value(value: Any, textual: bool = False) -> str:
    """One CSV field: null is empty; the textual field (and any value that needs it) quoted, `\\` escapes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "True" if value else "False"
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    if textual or any(c in text for c in ',"\\\n\r'):
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")
        return f'"{escaped}"'
    return text


def format_csv(fields: Sequence[SchemaField], rows: Iterable[Sequence[Any]]) -> str:
    lines = [",".join(f.name for f in fields)]
    for row in rows:
        lines.append(",".join(format_csv_value(v, f.textual) for v, f in zip(row, fields, strict=True)))
    return "\n".join(lines) + "\n"


def read_csv(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of a Personalize CSV, header included (line 1); blank lines skipped."""
    reader = csv.reader(io.StringIO(text), delimiter=",", quotechar='"', escapechar="\\", doublequote=False)
    for fields in reader:
        if fields:
            yield reader.line_num, fields


def write_snapshot(
    export: str | Path,
    snapshot_id: str,
    datasets: Mapping[str, tuple[Sequence[SchemaField], Sequence[Sequence[Any]]]],
    *,
    rows_per_file: int = 0,
    since: str = "",
    unchanged: Mapping[str, str] | None = None,
) -> Path:
    """Write an export snapshot folder from Python rows (what the gold export writes with Spark); with `since`, the
    interactions are the rows added since that snapshot (INCREMENTAL); `unchanged` names, per dataset, the snapshot
    whose table version it still is."""
    unchanged = unchanged or {}
    root = Path(snapshots_root(str(export))) / snapshot_id
    entries: dict[str, Any] = {}
    for name, (fields, rows) in datasets.items():
        (root / "schemas").mkdir(parents=True, exist_ok=True)
        (root / "schemas" / f"{name}.json").write_text(schema_json(name, fields), encoding="utf-8")
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        size = rows_per_file or max(len(rows), 1)
        chunks = [rows[i : i + size] for i in range(0, len(rows), size)] or [rows]
        listed = []
        for i, chunk in enumerate(chunks):
            data = format_csv(fields, chunk).encode("utf-8")
            path = folder / f"part-{i:05d}.csv"
            path.write_bytes(data)
            listed.append(
                {"path": f"{name}/{path.name}", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
        entries[name] = {"rows": len(rows), "files": listed}
        if since:
            entries[name].update(
                {"import_mode": "INCREMENTAL", "since": since} if name == "interactions" else {"import_mode": "FULL"}
            )
        if name in unchanged:
            entries[name]["unchanged_since"] = unchanged[name]
    manifest = {"snapshot": snapshot_id, "datasets": entries}
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return root
