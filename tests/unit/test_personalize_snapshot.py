"""The export snapshot format: written from Python lists, read back, checked against Personalize's schema rules."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from udp.personalize.snapshot import (
    SchemaField,
    SnapshotError,
    format_csv,
    list_snapshots,
    load_snapshot,
    parse_schema,
    read_csv,
    resolve_snapshot,
    schema_json,
    write_snapshot,
)
from udp.personalize.storage import LocalFiles, S3Files

ITEMS = (
    SchemaField("ITEM_ID", "string"),
    SchemaField("BRAND", "string", nullable=True, categorical=True),
    SchemaField("PRICE", "float", nullable=True),
    SchemaField("DESCRIPTION", "string", nullable=True, textual=True),
)
INTERACTIONS = (SchemaField("USER_ID", "string"), SchemaField("ITEM_ID", "string"), SchemaField("TIMESTAMP", "long"))


def test_textual_field_is_quoted_with_backslash_escapes_and_null_is_empty() -> None:
    text = format_csv(ITEMS, [("i1", "Acme", 9.5, 'say "hi" \\ bye'), ("i2", None, None, None)])
    assert text == 'ITEM_ID,BRAND,PRICE,DESCRIPTION\ni1,Acme,9.5,"say \\"hi\\" \\\\ bye"\ni2,,,\n'
    rows = [fields for _, fields in read_csv(text)]
    assert rows == [
        ["ITEM_ID", "BRAND", "PRICE", "DESCRIPTION"],
        ["i1", "Acme", "9.5", 'say "hi" \\ bye'],
        ["i2", "", "", ""],
    ]


def test_written_snapshot_reads_back_with_schemas_and_hashes(tmp_path: Path) -> None:
    rows = [("u1", "i1", 1_700_000_000), ("u2", "i1", 1_700_000_100), ("u2", "i2", 1_700_000_200)]
    write_snapshot(tmp_path, "20260401T000000Z", {"interactions": (INTERACTIONS, rows)}, rows_per_file=2)
    snap = load_snapshot(LocalFiles(), str(tmp_path), "20260401T000000Z")
    ds = snap.datasets["interactions"]
    assert (snap.id, ds.rows, len(ds.files), ds.personalize_type) == ("20260401T000000Z", 3, 2, "Interactions")
    assert [f.name for f in ds.fields] == ["USER_ID", "ITEM_ID", "TIMESTAMP"]
    assert all(len(f.sha256) == 64 for f in ds.files)
    assert json.loads(ds.schema)["name"] == "Interactions"


def test_gold_style_manifest_paths_schema_names_and_failed_preflight_are_read(tmp_path: Path) -> None:
    root = write_snapshot(tmp_path, "s1", {"interactions": (INTERACTIONS, [("u", "i", 1)])})
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["datasets"]["interactions"]["schema_name"] = "udp-interactions-1a2b3c4d"
    manifest["preflight"] = {"passed": False, "errors": ["interactions.min_interactions"]}
    (root / "manifest.json").write_text(json.dumps(manifest))
    snap = load_snapshot(LocalFiles(), str(tmp_path), "s1")
    assert snap.datasets["interactions"].schema_name == "udp-interactions-1a2b3c4d"
    assert snap.datasets["interactions"].files[0].uri == str(root / "interactions" / "part-00000.csv")
    assert snap.preflight_errors == ("interactions.min_interactions",)


def test_newest_snapshot_is_the_default_and_a_missing_one_is_named(tmp_path: Path) -> None:
    for sid in ("20260101T000000Z", "20260301T000000Z", "20260201T000000Z"):
        write_snapshot(tmp_path, sid, {"interactions": (INTERACTIONS, [("u", "i", 1)])})
    (tmp_path / "personalize" / "_staging").mkdir()
    files = LocalFiles()
    assert list_snapshots(files, str(tmp_path))[-1] == "20260301T000000Z"
    assert resolve_snapshot(files, str(tmp_path)) == "20260301T000000Z"
    with pytest.raises(SnapshotError, match=r"snapshot 'nope' not found: .*manifest\.json does not exist"):
        load_snapshot(files, str(tmp_path), "nope")
    with pytest.raises(SnapshotError, match="no export snapshot under"):
        resolve_snapshot(files, str(tmp_path / "empty"))


@pytest.mark.parametrize(
    ("fields", "dataset", "message"),
    [
        ([{"name": "ITEM_ID", "type": "string"}, {"name": "TAGS", "type": {"type": "array", "items": "string"}}],
         "items", "flat Avro types only"),
        ([{"name": "ITEM_ID", "type": "string"}], "interactions", "needs field"),
        ([{"name": "ITEM_ID", "type": "string"}, {"name": "A", "type": "string", "textual": True},
          {"name": "B", "type": "string", "textual": True}], "items", "at most one textual field"),
        ([{"name": "USER_ID", "type": "string"}, {"name": "BIO", "type": "string", "textual": True}], "users",
         "textual fields are allowed in the items schema only"),
        ([{"name": "ITEM_ID", "type": "string"}, {"name": "GENRE_1", "type": "string"},
          {"name": "GENRE1", "type": "string"}], "items", "clashes"),
        ([{"name": "ITEM_ID", "type": "string"}, {"name": "PRICE", "type": "float", "categorical": True}], "items",
         "categorical/textual but not a string"),
    ],
)  # fmt: skip
def test_schema_rules_avro_does_not_check_are_errors(
    fields: list[dict[str, object]], dataset: str, message: str
) -> None:
    text = json.dumps({"type": "record", "name": "X", "fields": fields})
    with pytest.raises(SnapshotError, match=message):
        parse_schema(text, dataset)


def test_schema_json_round_trips() -> None:
    assert parse_schema(schema_json("items", ITEMS), "items") == ITEMS


def test_local_files_map_s3_uris_under_a_root(tmp_path: Path) -> None:
    files = LocalFiles(tmp_path)
    files.write_bytes("s3://bucket/a/b.txt", b"hello")
    assert (tmp_path / "bucket" / "a" / "b.txt").read_bytes() == b"hello"
    assert files.list("s3://bucket/a/") == ["s3://bucket/a/b.txt"]
    assert (
        files.stored_sha256("s3://bucket/a/b.txt") == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    )


def test_s3_files_record_sha256_so_unchanged_uploads_can_be_skipped(tmp_path: Path) -> None:
    src = tmp_path / "part-00000.csv"
    src.write_bytes(b"USER_ID\nu1\n")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="acme")
        files = S3Files(s3)
        assert files.stored_sha256("s3://acme/p/part-00000.csv") is None
        files.put(str(src), "s3://acme/p/part-00000.csv", "abc123")
        assert files.stored_sha256("s3://acme/p/part-00000.csv") == "abc123"
        files.put("s3://acme/p/part-00000.csv", "s3://acme/q/copy.csv", "abc123")
        assert files.list("s3://acme/") == ["s3://acme/p/part-00000.csv", "s3://acme/q/copy.csv"]
        assert files.read_bytes("s3://acme/q/copy.csv") == b"USER_ID\nu1\n"
        files.delete("s3://acme/q/copy.csv")
        assert not files.exists("s3://acme/q/copy.csv")
