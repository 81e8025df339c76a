"""`udp export`: import-ready Personalize CSV files, schemas and a manifest for one snapshot of the gold tables.

    <paths.export>/personalize/<snapshot>/
        interactions/interactions-00000.csv ...   unquoted header; Personalize's escaping; files of <= max_file_mb
        items/items-00000.csv ...
        users/users-00000.csv ...
        schemas/{interactions,items,users}.json   the Avro schemas, field order = CSV column order
        manifest.json                             snapshot, rows, bytes and sha256 per file, schema names, time

The gold tables are read at one version each; preflight runs on exactly that data and an error refuses the export
unless `--force` (the manifest then lists the failed rules). Executors write the lines to a staging folder and
measure each file (size, sha256, lines); the files are then moved to their final names (udp/gold/publish.py: a
rename within the destination's FileSystem, so no data passes through the driver). The manifest is written last,
so a folder with a manifest is complete. Re-exporting a snapshot id replaces its folder.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from udp.config import Config
from udp.errors import UdpError, ValidationFailedError
from udp.gold import publish
from udp.gold.csvformat import csv_line, header_line
from udp.gold.preflight import Check, errors, failure_line
from udp.gold.schemas import TABLES, parse_fields, schema_json, schema_name
from udp.gold.validation import check_and_record, gold_snapshot
from udp.lake import Lake

SNAPSHOT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Spark's CSV writer is given one pre-formatted column; these make it write that text verbatim.
VERBATIM = {
    "header": "true",
    "sep": "\u0001",
    "quote": "",
    "escapeQuotes": "false",
    "quoteAll": "false",
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
    "lineSep": "\n",
    "encoding": "UTF-8",
    "compression": "none",
}


class ExportRefusedError(ValidationFailedError):
    """Preflight found errors and --force was not given."""


class ExportError(UdpError):
    """The export cannot be written (a bad snapshot id, files that do not add up)."""


@dataclass
class ExportResult:
    snapshot: str
    location: str
    checks: list[Check]
    manifest: dict[str, Any] = field(default_factory=dict)


def export_location(config: Config, snapshot: str) -> str:
    return publish.join(config.paths.export, "personalize", snapshot)


def check_snapshot_id(snapshot: str) -> None:
    if not SNAPSHOT_ID.match(snapshot):
        raise ExportError(
            f"snapshot id {snapshot!r} must be 1-64 letters, digits, '.', '_' or '-' (default: YYYYMMDDTHHMMSSZ)"
        )


def export_snapshot(
    lake: Lake, config: Config, *, snapshot: str, now: dt.datetime, force: bool = False
) -> ExportResult:
    """Preflight the gold tables and, unless an error refuses it, write the snapshot's files and manifest."""
    check_snapshot_id(snapshot)
    gold = gold_snapshot(lake, config)
    checks = check_and_record(lake, config, gold.inputs, now=now, source="gold", run=snapshot, snapshot=snapshot)
    bad = errors(checks)
    if bad and not force:
        raise ExportRefusedError(f"export refused: {failure_line(checks)} (see `udp validate`; --force exports anyway)")
    root = export_location(config, snapshot)
    out = publish.publisher(lake.spark, config.paths.export, snapshot)
    out.remove_tree(root)
    datasets: dict[str, Any] = {}
    try:
        for item in gold.inputs:
            assert item.frame is not None
            fields = parse_fields(item.schema)
            size = next((int(c.value) for c in checks if c.dataset == item.dataset and c.rule == "import_size"), 0)
            files = max(1, math.ceil(size / (config.gold.export.max_file_mb * 1000**2)))
            lines = item.frame.select(csv_line(fields).alias(header_line(fields))).repartition(files)
            staging = publish.join(out.staging, item.dataset)
            lines.write.mode("overwrite").options(**VERBATIM).csv(staging)
            written: list[dict[str, Any]] = []
            for i, part in enumerate(publish.part_files(lake.spark, staging)):
                name = f"{item.dataset}/{item.dataset}-{i:05d}.csv"
                out.move(part.uri, publish.join(root, name))
                written.append({"path": name, "rows": part.lines - 1, "bytes": part.bytes, "sha256": part.sha256})
            rows = sum(f["rows"] for f in written)
            expected = item.frame.count()
            if rows != expected:
                raise ExportError(f"{item.dataset}: wrote {rows:,} rows but {TABLES[item.dataset]} has {expected:,}")
            schema_file = f"schemas/{item.dataset}.json"
            out.write_text(publish.join(root, schema_file), schema_json(item.schema))
            datasets[item.dataset] = {
                "table": TABLES[item.dataset],
                "table_version": gold.versions[item.dataset],
                "rows": rows,
                "bytes": sum(f["bytes"] for f in written),
                "schema_name": schema_name(config.gold.export.schema_name_prefix, item.dataset, item.schema),
                "schema_file": schema_file,
                "header": header_line(fields),
                "files": written,
            }
    finally:
        out.remove_tree(out.staging)
    manifest = _manifest(snapshot, now, datasets, checks, forced=bool(bad))
    out.write_text(publish.join(root, "manifest.json"), json.dumps(manifest, indent=2) + "\n")
    return ExportResult(snapshot, root, checks, manifest)


def _manifest(
    snapshot: str, now: dt.datetime, datasets: Mapping[str, Any], checks: list[Check], *, forced: bool
) -> dict[str, Any]:
    bad = errors(checks)
    return {
        "snapshot": snapshot,
        "created_at": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "format": {"delimiter": ",", "header": True, "escape": "\\", "quote": '"', "null": "", "encoding": "UTF-8"},
        "preflight": {
            "run_id": snapshot,
            "passed": not bad,
            "forced": forced,
            "errors": [f"{c.dataset}.{c.rule}" for c in bad],
            "warnings": [f"{c.dataset}.{c.rule}" for c in checks if not c.passed and c.severity == "warning"],
        },
        "datasets": dict(datasets),
    }
