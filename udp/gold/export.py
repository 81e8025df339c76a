"""`udp export`: import-ready Personalize CSV files, schemas and a manifest for one snapshot of the gold tables.

    <paths.export>/personalize/<snapshot>/
        interactions/interactions-00000.csv ...   unquoted header; Personalize's escaping; files of <= max_file_mb
        items/items-00000.csv ...
        users/users-00000.csv ...
        schemas/{interactions,items,users}.json   the Avro schemas, field order = CSV column order
        manifest.json                             snapshot, rows, bytes and sha256 per file, schema names, time

With `gold.export.incremental`, interactions are written as the rows added since the previous
snapshot (the newest earlier one with a manifest) when every row of that snapshot's table version is still there and
the schema is the same; the manifest then says `import_mode: INCREMENTAL` and `since: <snapshot>`, and the
Personalize driver imports them with importMode INCREMENTAL. Otherwise — no earlier snapshot, a changed schema, rows
changed or removed (an INCREMENTAL import can only add), or the earlier version vacuumed — the whole dataset is
written (`FULL`) and the manifest says why. Items and users are always written whole; one whose table version and
schema are those of the previous snapshot is marked `unchanged_since: <snapshot>`, and the driver then imports it
only into a dataset group that has not imported that snapshot.

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
from typing import TYPE_CHECKING, Any

from py4j.protocol import Py4JJavaError
from pyspark.errors import PySparkException
from pyspark.sql import functions as F

from udp import progress
from udp.config import Config
from udp.errors import UdpError, ValidationFailedError
from udp.gold import publish
from udp.gold.csvformat import csv_line, header_line
from udp.gold.preflight import Check, errors, failure_line
from udp.gold.schemas import TABLES, parse_fields, schema_json, schema_name
from udp.gold.validation import check_and_record, gold_snapshot
from udp.hadoopfs import HadoopFS
from udp.lake import Lake

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

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


@dataclass(frozen=True)
class Part:
    """What one dataset's files hold: the whole table (FULL) or the rows added since a snapshot (INCREMENTAL)."""

    frame: DataFrame
    import_mode: str
    since: str = ""
    why_full: str = ""
    unchanged_since: str = ""  # FULL files of the same table version and schema as that snapshot's
    persisted: DataFrame | None = None  # what `frame` is computed from, released once the files are written


def previous_manifest(lake: Lake, config: Config, snapshot: str) -> dict[str, Any] | None:
    """The manifest of the newest snapshot before `snapshot` (ids sort by time), read through Spark's FileSystem."""
    fs = HadoopFS(lake.spark)
    root = publish.join(config.paths.export, "personalize")
    if not fs.supports(root):
        return None
    found = [f.uri.rstrip("/").split("/")[-2] for f in fs.glob(publish.join(root, "*", "manifest.json"))]
    earlier = sorted(s for s in found if s < snapshot and not s.startswith(("_", ".")))
    text = fs.read_text(publish.join(root, earlier[-1], "manifest.json")) if earlier else None
    return json.loads(text) if text else None


def same_as(previous: Mapping[str, Any] | None, dataset: str, versions: Mapping[str, int], schema: str) -> str:
    """The previous snapshot's id when it exported the same table version with the same schema, else ""."""
    before = (previous or {}).get("datasets", {}).get(dataset, {})
    same = before.get("table_version") == versions[dataset] and before.get("schema_name") == schema
    return str((previous or {}).get("snapshot", "")) if same else ""


def rows_since(lake: Lake, frame: DataFrame, version: int, schema: str, previous: Mapping[str, Any] | None) -> Part:
    """The interactions added since the previous snapshot, or all of them with the reason an increment cannot be."""
    if previous is None:
        return Part(frame, "FULL", why_full="no earlier snapshot")
    before = previous.get("datasets", {}).get("interactions", {})
    since = str(previous.get("snapshot", ""))
    if before.get("schema_name") != schema:
        return Part(frame, "FULL", why_full=f"the schema changed since {since}")
    if before.get("table_version") == version:  # gold wrote nothing since: no new interactions
        return Part(frame.limit(0), "INCREMENTAL", since=since)
    old = lake.read(TABLES["interactions"], version=int(before["table_version"])).select(*frame.columns)
    # One pass over both versions: each distinct row with (its count now) - (its count then). Rows with a positive
    # difference were added that many times; a negative one means rows were changed or removed. Only the differing
    # rows are kept (persisted), so writing and counting the increment do not compare the versions again.
    tagged = frame.withColumn("_n", F.lit(1)).unionByName(old.withColumn("_n", F.lit(-1)))
    diff = tagged.groupBy(*frame.columns).agg(F.sum("_n").alias("_n")).where("_n != 0").persist()
    try:
        removed = diff.where("_n < 0").limit(1).count()
    except (PySparkException, Py4JJavaError) as e:  # a version whose files VACUUM removed
        diff.unpersist()
        return Part(
            frame, "FULL", why_full=f"version {before['table_version']} of {since} is unreadable ({type(e).__name__})"
        )
    if removed:
        diff.unpersist()
        return Part(
            frame, "FULL", why_full=f"rows of {since} changed or were removed (an INCREMENTAL import only adds)"
        )
    added = diff.select(*frame.columns, F.explode(F.array_repeat(F.lit(1), F.col("_n").cast("int"))).alias("_"))
    return Part(added.drop("_"), "INCREMENTAL", since=since, persisted=diff)


def export_snapshot(
    lake: Lake,
    config: Config,
    *,
    snapshot: str,
    now: dt.datetime,
    force: bool = False,
    incremental: bool | None = None,
) -> ExportResult:
    """Preflight the gold tables and, unless an error refuses it, write the snapshot's files and manifest."""
    check_snapshot_id(snapshot)
    incremental = config.gold.export.incremental if incremental is None else incremental
    gold = gold_snapshot(lake, config)
    progress.step("export", "preflight")
    checks = check_and_record(lake, config, gold.inputs, now=now, source="gold", run=snapshot, snapshot=snapshot)
    bad = errors(checks)
    if bad and not force:
        raise ExportRefusedError(f"export refused: {failure_line(checks)} (see `udp validate`; --force exports anyway)")
    root = export_location(config, snapshot)
    out = publish.publisher(lake.spark, config.paths.export, snapshot)
    previous = previous_manifest(lake, config, snapshot) if incremental else None
    out.remove_tree(root)
    datasets: dict[str, Any] = {}
    try:
        for item in gold.inputs:
            assert item.frame is not None
            fields = parse_fields(item.schema)
            schema = schema_name(config.gold.export.schema_name_prefix, item.dataset, item.schema)
            content = Part(item.frame, "FULL")
            if item.dataset == "interactions" and incremental:
                content = rows_since(lake, item.frame, gold.versions[item.dataset], schema, previous)
            elif incremental:
                content = Part(
                    item.frame, "FULL", unchanged_since=same_as(previous, item.dataset, gold.versions, schema)
                )
            progress.step("export", f"{item.dataset}: {content.import_mode} CSV")
            size = next((int(c.value) for c in checks if c.dataset == item.dataset and c.rule == "import_size"), 0)
            files = max(1, math.ceil(size / (config.gold.export.max_file_mb * 1000**2)))
            lines = content.frame.select(csv_line(fields).alias(header_line(fields))).repartition(files)
            staging = publish.join(out.staging, item.dataset)
            lines.write.mode("overwrite").options(**VERBATIM).csv(staging)
            written: list[dict[str, Any]] = []
            for i, part in enumerate(publish.part_files(lake.spark, staging)):
                name = f"{item.dataset}/{item.dataset}-{i:05d}.csv"
                out.move(part.uri, publish.join(root, name))
                written.append({"path": name, "rows": part.lines - 1, "bytes": part.bytes, "sha256": part.sha256})
            rows = sum(f["rows"] for f in written)
            expected = content.frame.count()
            if content.persisted is not None:
                content.persisted.unpersist()
            if rows != expected:
                table = TABLES[item.dataset]
                what = f"rows added to {table} since {content.since}" if content.since else table
                raise ExportError(f"{item.dataset}: wrote {rows:,} rows but {what} has {expected:,}")
            schema_file = f"schemas/{item.dataset}.json"
            out.write_text(publish.join(root, schema_file), schema_json(item.schema))
            datasets[item.dataset] = {
                "table": TABLES[item.dataset],
                "table_version": gold.versions[item.dataset],
                "rows": rows,
                "bytes": sum(f["bytes"] for f in written),
                "schema_name": schema,
                "schema_file": schema_file,
                "header": header_line(fields),
                "files": written,
                "import_mode": content.import_mode,
                **({"since": content.since} if content.since else {}),
                **({"why_full": content.why_full} if content.why_full else {}),
                **({"unchanged_since": content.unchanged_since} if content.unchanged_since else {}),
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
