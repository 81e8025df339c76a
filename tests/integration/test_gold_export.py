"""`udp export`: import-ready files that an independent CSV parser reads back as the gold tables, row for row."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import shutil
import struct
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pyspark.sql import SparkSession

from tests.integration.test_gold_fixtures import DESCRIPTION_0, built_gold, job_args
from tests.progress import other_lines
from udp import tables
from udp.config import Config
from udp.gold import commands
from udp.gold.export import export_snapshot
from udp.gold.schemas import TABLES
from udp.gold.validation import run_id
from udp.lake import Lake

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def built(spark: SparkSession, base_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Config:
    return built_gold(spark, base_config, tmp_path_factory)


@pytest.fixture(scope="module")
def exported(spark: SparkSession, built: Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = built.with_overrides(f"paths.export={tmp_path_factory.mktemp('export')}")
    export_snapshot(Lake(spark, config), config, snapshot="snap-1", now=NOW)
    return Path(config.paths.export) / "personalize" / "snap-1"


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Personalize's dialect with Python's own parser: backslash escapes, no doubled quotes."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=",", quotechar='"', escapechar="\\", doublequote=False, strict=True))
    return rows[0], rows[1:]


def typed(value: str, field: dict[str, Any]) -> Any:
    """A CSV text value as its Avro type; empty is null, which the schema must allow."""
    kind = field["type"]
    nullable = isinstance(kind, list)
    kind = next(k for k in kind if k != "null") if nullable else kind
    if value == "":
        assert nullable, f"{field['name']} is empty but not nullable"
        return None
    if kind in ("long", "int"):
        return int(value)
    if kind == "float":
        return struct.unpack("f", struct.pack("f", float(value)))[0]
    if kind == "double":
        return float(value)
    return value


def test_export_writes_only_clean_csv_schemas_and_a_manifest(exported: Path) -> None:
    names = sorted(str(p.relative_to(exported)) for p in exported.rglob("*") if p.is_file())
    assert names == [
        "interactions/interactions-00000.csv",
        "items/items-00000.csv",
        "manifest.json",
        "schemas/interactions.json",
        "schemas/items.json",
        "schemas/users.json",
        "users/users-00000.csv",
    ]


def test_manifest_describes_every_file_exactly(exported: Path, built: Config) -> None:
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["snapshot"], manifest["created_at"]) == ("snap-1", "2026-06-01T12:00:00Z")
    assert manifest["preflight"]["passed"] is True
    assert manifest["preflight"]["warnings"] == ["interactions.duplicate_interactions"]
    assert {d: v["rows"] for d, v in manifest["datasets"].items()} == {"interactions": 1201, "items": 100, "users": 40}
    for info in manifest["datasets"].values():
        assert re.fullmatch(r"udp-(interactions|items|users)-[0-9a-f]{8}", info["schema_name"])
        for f in info["files"]:
            data = (exported / f["path"]).read_bytes()
            assert (len(data), hashlib.sha256(data).hexdigest(), data.count(b"\n") - 1) == (
                f["bytes"],
                f["sha256"],
                f["rows"],
            )


def test_exported_csv_read_back_matches_the_gold_tables_row_for_row(
    spark: SparkSession, exported: Path, built: Config
) -> None:
    lake = Lake(spark, built)
    for dataset in ("interactions", "items", "users"):
        schema = json.loads((exported / "schemas" / f"{dataset}.json").read_text(encoding="utf-8"))
        fields = schema["fields"]
        header, rows = read_csv(exported / dataset / f"{dataset}-00000.csv")
        assert header == [f["name"] for f in fields]
        assert all(len(r) == len(fields) for r in rows)
        from_csv = sorted(tuple(typed(v, f) for v, f in zip(r, fields, strict=True)) for r in rows)
        table = lake.read(TABLES[dataset]).select(*header).collect()
        from_gold = sorted(tuple(r) for r in table)
        assert from_csv == [tuple(x.replace("\n", " ") if isinstance(x, str) else x for x in r) for r in from_gold]


def test_no_personal_data_reaches_the_gold_datasets_or_the_export(
    spark: SparkSession, exported: Path, built: Config
) -> None:
    lake = Lake(spark, built)
    customers = tables.table(tables.CUSTOMERS)
    tagged = [c for c in lake.read(tables.CUSTOMERS).columns if customers.holds_pii(c)]
    assert {"email", "phone", "first_name", "date_of_birth", "postcode_district"} <= set(tagged)
    personal = {
        str(v) for r in lake.read(tables.CUSTOMERS).select(*tagged).collect() for v in r if v is not None
    }  # every tagged value of every golden record: First0, c0@example.org, 1960-01-01, LS1 ...
    cells = set()
    for dataset, name in TABLES.items():
        assert not tables.table(name).pii
        header, rows = read_csv(exported / dataset / f"{dataset}-00000.csv")
        columns = {*header, *lake.read(name).columns}
        assert not [
            c for c in columns if any(t.holds_pii(c.lower()) for t in tables.pii_tables() if t.layer != "bronze")
        ]
        cells |= {cell for row in rows for cell in row}
    assert personal
    assert not personal & cells


def test_the_textual_field_is_quoted_with_backslash_escapes(exported: Path) -> None:
    text = (exported / "items" / "items-00000.csv").read_text(encoding="utf-8")
    header = text.splitlines()[0]
    assert header == "ITEM_ID,CATEGORY_L1,CATEGORY_L2,CATEGORY_L3,BRAND,PRICE,CREATION_TIMESTAMP,DESCRIPTION"
    line = next(x for x in text.splitlines() if x.startswith("SKU0000,"))
    assert line.endswith(',"A \\"nice\\" shirt, with a \\\\ backslash and a second line"')
    assert "\nand a second line" not in text
    assert "\n" in DESCRIPTION_0
    sku1 = next(x for x in text.splitlines() if x.startswith("SKU0001,"))
    assert sku1.startswith("SKU0001,Women,Shirts,Formal,,20.99,")  # a null brand is an empty field


def test_exported_folder_passes_udp_validate(capsys: pytest.CaptureFixture[str], exported: Path, built: Config) -> None:
    args = [f"--{d}={exported / d}" for d in ("interactions", "items", "users")]
    assert commands.validate_main([*job_args(built), *args]) == 0
    assert "preflight     passed:" in capsys.readouterr().out


def test_export_refuses_data_that_fails_preflight_unless_forced(
    capsys: pytest.CaptureFixture[str], built: Config, tmp_path: Path
) -> None:
    args = [
        *job_args(built),
        "--set",
        f"paths.export={tmp_path}",
        "--set",
        "gold.preflight.training_event_types=[Nope]",
    ]
    assert commands.export_main([*args, "--snapshot", "refused"]) == 1
    err = other_lines(capsys.readouterr().err)
    assert err == [
        "udp: error: export refused: preflight failed: 1 error(s): interactions.min_interactions_for_training "
        "(see `udp validate`; --force exports anyway)"
    ]
    assert not (tmp_path / "personalize" / "refused").exists()
    assert commands.export_main([*args, "--snapshot", "forced", "--force"]) == 0
    manifest = json.loads((tmp_path / "personalize" / "forced" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["preflight"]["forced"] is True
    assert manifest["preflight"]["errors"] == ["interactions.min_interactions_for_training"]


def test_export_to_s3_uploads_the_same_files(
    spark: SparkSession, built: Config, exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="exports", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        config = built.with_overrides("paths.export=s3://exports/udp")
        result = export_snapshot(Lake(spark, config), config, snapshot="snap-1", now=NOW)
        assert result.location == "s3://exports/udp/personalize/snap-1"
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="exports")["Contents"])
        local = sorted(f"udp/personalize/snap-1/{p.relative_to(exported)}" for p in exported.rglob("*") if p.is_file())
        assert keys == local
        for key in keys:
            if key.endswith(".csv"):
                body = s3.get_object(Bucket="exports", Key=key)["Body"].read().decode("utf-8")
                local_text = (exported / key.split("snap-1/", 1)[1]).read_text(encoding="utf-8")
                assert sorted(body.splitlines()) == sorted(local_text.splitlines())


def test_a_bad_snapshot_id_is_a_one_line_error(capsys: pytest.CaptureFixture[str], built: Config) -> None:
    assert commands.export_main([*job_args(built), "--snapshot", "../x"]) == 2
    assert capsys.readouterr().err.startswith("udp: error: snapshot id '../x' must be 1-64 letters")


def test_the_default_snapshot_id_is_the_utc_time() -> None:
    assert run_id(NOW) == "20260601T120000Z"
    assert run_id(NOW.astimezone(dt.timezone(dt.timedelta(hours=2)))) == "20260601T120000Z"


def test_an_incremental_export_holds_the_interactions_added_since_the_previous_snapshot(
    spark: SparkSession, built: Config, tmp_path: Path
) -> None:
    shutil.copytree(Path(built.paths.lake), tmp_path / "lake")
    config = built.with_overrides(
        f"paths.lake={tmp_path / 'lake'}", f"paths.export={tmp_path / 'export'}", "gold.export.incremental=true"
    )
    lake = Lake(spark, config)
    first = export_snapshot(lake, config, snapshot="s1", now=NOW).manifest["datasets"]
    assert first["interactions"]["import_mode"] == "FULL"
    assert first["interactions"]["why_full"] == "no earlier snapshot"
    table = lake.read(TABLES["interactions"])
    later = table.limit(3).withColumn("TIMESTAMP", table["TIMESTAMP"] + 86_400).collect()  # three events a day later
    added = spark.createDataFrame(later, table.schema)  # held rows: a lazy frame would re-read the grown table
    lake.append(added, TABLES["interactions"])
    second = export_snapshot(lake, config, snapshot="s2", now=NOW).manifest["datasets"]
    assert {d: (e["import_mode"], e.get("since"), e.get("unchanged_since")) for d, e in second.items()} == {
        "interactions": ("INCREMENTAL", "s1", None), "items": ("FULL", None, "s1"), "users": ("FULL", None, "s1")
    }  # fmt: skip
    fields = json.loads((tmp_path / "export/personalize/s2/schemas/interactions.json").read_text())["fields"]
    header, rows = read_csv(tmp_path / "export/personalize/s2/interactions/interactions-00000.csv")
    from_csv = sorted(tuple(typed(v, f) for v, f in zip(r, fields, strict=True)) for r in rows)
    assert from_csv == sorted(tuple(r) for r in added.select(*header).collect())
    erased = added.first()
    assert erased is not None
    lake.delete(TABLES["interactions"], f"TIMESTAMP = {erased['TIMESTAMP']}")  # an erased event
    third = export_snapshot(lake, config, snapshot="s3", now=NOW).manifest["datasets"]["interactions"]
    assert third["import_mode"] == "FULL"
    assert third["why_full"] == "rows of s2 changed or were removed (an INCREMENTAL import only adds)"
    assert third["rows"] == lake.read(TABLES["interactions"]).count()
