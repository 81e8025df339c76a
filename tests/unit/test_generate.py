"""udp generate: layout, determinism, encodings, planted bad records and ground truth on a small run (no Spark)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from udp.generate import GenerateReport, generate, main

SMALL: dict[str, Any] = {"customers": 300, "skus": 500, "days": 3}
SEED = 11
END = dt.date(2026, 10, 31)
DATES = [(END - dt.timedelta(days=SMALL["days"] - 1 - d)) for d in range(SMALL["days"])]
KINDS = {
    ("crm", "malformed_row"),
    ("crm", "bad_date"),
    ("ecom", "malformed_json"),
    ("oms", "negative_quantity"),
    ("oms", "unknown_sku"),
    ("pos", "negative_quantity"),
    ("pos", "unknown_sku"),
    ("pos", "bad_timestamp"),
    ("pos", "malformed_row"),
    ("pos", "empty_file"),
    ("clickstream", "malformed_json"),
    ("clickstream", "unknown_sku"),
    ("clickstream", "bad_timestamp"),
    ("clickstream", "truncated_record"),
    ("support", "invalid_utf8"),
    ("erp", "negative_price"),
}
CSV_SOURCES = {
    "crm": (";", "latin-1", 15),
    "pos": (",", "utf-8", 10),
    "support": (",", "utf-8", 8),
    "erp": (",", "utf-8", 9),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateReport]:
    out = tmp_path_factory.mktemp("gen") / "a"
    return out, generate(out, seed=SEED, workers=2, **SMALL)


@pytest.fixture(scope="module")
def out(run: tuple[Path, GenerateReport]) -> Path:
    return run[0]


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def csv_rows(path: Path, delimiter: str, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline=""), delimiter=delimiter))


def bad_records(out: Path) -> list[dict[str, str]]:
    with (out / "truth" / "bad_records.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def erp_skus(out: Path) -> set[str]:
    skus: set[str] = set()
    for path in sorted((out / "raw" / "erp").rglob("*.csv")):
        skus.update(row[0] for row in csv_rows(path, ",", "utf-8")[1:] if row)
    return skus


def test_every_source_writes_its_files_every_day(out: Path) -> None:
    raw = out / "raw"
    for date in DATES:
        d, ymd = date.isoformat(), date.strftime("%Y%m%d")
        assert (raw / "crm" / d / f"crm_customers_{ymd}.csv").is_file()
        assert (raw / "ecom" / d / f"ecom_accounts_{ymd}.jsonl").is_file()
        assert (raw / "oms" / d / f"oms_orders_{ymd}.parquet").is_file()
        assert (raw / "pos" / d / f"pos_transactions_{ymd}_01.csv").is_file()
        assert (raw / "pos" / d / f"pos_transactions_{ymd}_02.csv").is_file()
        assert len(list((raw / "clickstream" / d).glob(f"clicks_{ymd}_*.jsonl"))) >= 2
        assert (raw / "support" / d / f"support_tickets_{ymd}.csv").is_file()
        assert (raw / "erp" / d / f"erp_products_{ymd}.csv").is_file()
    d0 = DATES[0]
    assert (raw / "thirdparty" / d0.isoformat() / f"postcode_enrichment_{d0.strftime('%Y%m%d')}.csv").is_file()
    assert sorted(p.name for p in (out / "truth").iterdir()) == [
        "bad_records.csv",
        "customers.csv",
        "links.csv",
        "persons.csv",
    ]


def test_same_seed_same_bytes_whatever_the_workers_and_other_seed_differs(
    run: tuple[Path, GenerateReport], tmp_path: Path
) -> None:
    out, report = run
    again = generate(tmp_path / "b", seed=SEED, workers=1, **SMALL)
    assert tree_hashes(out) == tree_hashes(tmp_path / "b")
    assert again.total_bytes == report.total_bytes
    other = generate(tmp_path / "c", seed=SEED + 1, workers=1, **SMALL)
    assert other.total_bytes != report.total_bytes or tree_hashes(tmp_path / "c") != tree_hashes(out)
    assert (
        tree_hashes(tmp_path / "c")["raw/crm/" + f"{DATES[0]}/crm_customers_{DATES[0]:%Y%m%d}.csv"]
        != tree_hashes(out)["raw/crm/" + f"{DATES[0]}/crm_customers_{DATES[0]:%Y%m%d}.csv"]
    )


def test_crm_is_latin1_semicolon_with_fifteen_columns(out: Path) -> None:
    path = out / "raw" / "crm" / DATES[0].isoformat() / f"crm_customers_{DATES[0]:%Y%m%d}.csv"
    text = path.read_bytes().decode("latin-1")
    header = text.split("\n", 1)[0]
    assert header.split(";") == [
        "customer_id", "title", "first_name", "last_name", "email", "phone", "address_line1", "city", "postcode",
        "date_of_birth", "gender", "loyalty_card", "loyalty_tier", "created_at", "updated_at",
    ]  # fmt: skip
    assert "\r" not in text


def _is_bad_date(text: str) -> bool:
    try:
        dt.datetime.strptime(text, "%d/%m/%Y")
    except ValueError:
        return True
    return False


def _is_bad_ts(text: str, pattern: str) -> bool:
    try:
        dt.datetime.strptime(text, pattern)
    except ValueError:
        return True
    return False


def _json_ok(line: bytes) -> dict[str, object] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def test_bad_records_point_at_really_defective_records_and_only_those(out: Path) -> None:
    records = bad_records(out)
    assert {(r["source"], r["defect"]) for r in records} == KINDS
    known = erp_skus(out)
    by_file: dict[str, dict[int, str]] = defaultdict(dict)
    for r in records:
        path = out / "raw" / r["file"]
        assert path.is_file(), r
        if r["defect"] == "empty_file":
            assert r["record"] == ""
            assert path.stat().st_size == 0
            continue
        by_file[r["file"]][int(r["record"])] = r["defect"]
    raw = out / "raw"
    for path in sorted(raw.rglob("*")):
        if not path.is_file() or path.stat().st_size == 0:
            continue
        rel = str(path.relative_to(raw))
        source = rel.split("/", 1)[0]
        planted = by_file.get(rel, {})
        if source == "oms":
            _check_oms(path, planted, known)
        elif source in ("ecom", "clickstream"):
            _check_jsonl(path, source, planted, known)
        elif source in CSV_SOURCES:
            _check_csv(path, source, planted, known)


def _check_jsonl(path: Path, source: str, planted: dict[int, str], known: set[str]) -> None:
    data = path.read_bytes()
    lines = data.split(b"\n")
    truncated = not data.endswith(b"\n")
    if not truncated:
        lines = lines[:-1]
    for number, line in enumerate(lines, start=1):
        defect = planted.get(number)
        record = _json_ok(line)
        if defect in ("malformed_json", "truncated_record"):
            assert record is None, (path, number)
            if defect == "truncated_record":
                assert truncated
                assert number == len(lines)
            continue
        assert record is not None, (path, number, line[:80])
        if source == "clickstream":
            sku, ts = record["sku"], str(record["ts"])
            unknown = sku is not None and sku not in known
            bad_ts = _is_bad_ts(ts, "%Y-%m-%dT%H:%M:%S.%fZ") and _is_bad_ts(ts, "%Y-%m-%dT%H:%M:%SZ")
            assert unknown == (defect == "unknown_sku"), (path, number)
            assert bad_ts == (defect == "bad_timestamp"), (path, number)
            assert (record["event_type"] == "search") == (sku is None)
        else:
            assert defect is None
            assert set(record) == {
                "account_id", "email", "full_name", "phone", "default_address", "signup_ts", "updated_ts", "consents",
                "status",
            }  # fmt: skip
    assert not truncated or planted.get(len(lines)) == "truncated_record"


def _check_csv(path: Path, source: str, planted: dict[int, str], known: set[str]) -> None:
    delimiter, encoding, width = CSV_SOURCES[source]
    data = path.read_bytes()
    assert data.endswith(b"\n")
    for number, raw_line in enumerate(data.split(b"\n")[:-1], start=1):
        defect = planted.get(number)
        try:
            text = raw_line.decode(encoding)
        except UnicodeDecodeError:
            assert defect == "invalid_utf8", (path, number)
            continue
        assert defect != "invalid_utf8", (path, number)
        fields = next(csv.reader([text], delimiter=delimiter))
        if defect == "malformed_row":
            assert len(fields) < width, (path, number)
            continue
        assert len(fields) == width, (path, number, text)
        if number == 1:
            continue
        if source == "crm":
            assert _is_bad_date(fields[9]) == (defect == "bad_date"), (path, number)
            dt.datetime.strptime(fields[14], "%Y-%m-%d %H:%M:%S")
        elif source == "pos":
            assert (int(fields[7]) < 0) == (defect == "negative_quantity"), (path, number)
            assert (fields[6] not in known) == (defect == "unknown_sku"), (path, number)
            assert _is_bad_ts(fields[3], "%Y-%m-%d %H:%M:%S") == (defect == "bad_timestamp"), (path, number)
        elif source == "erp":
            assert (float(fields[5]) < 0) == (defect == "negative_price"), (path, number)
        elif source == "support":
            assert defect is None
            dt.datetime.strptime(fields[7], "%d/%m/%Y %H:%M")


def _check_oms(path: Path, planted: dict[int, str], known: set[str]) -> None:
    table = pq.read_table(path)
    assert [f.name for f in table.schema] == [
        "order_id", "account_id", "order_ts", "channel", "currency", "ship_to", "lines", "order_total",
    ]  # fmt: skip
    assert str(table.schema.field("order_ts").type) == "timestamp[us, tz=UTC]"
    for number, row in enumerate(table.to_pylist(), start=1):
        defect = planted.get(number)
        assert row["lines"], (path, number)
        negative = any(line["qty"] < 0 for line in row["lines"])
        unknown = any(line["sku"] not in known for line in row["lines"])
        assert negative == (defect == "negative_quantity"), (path, number)
        assert unknown == (defect == "unknown_sku"), (path, number)


def test_truth_customer_keys_are_in_their_raw_files(out: Path) -> None:
    raw = out / "raw"
    keys: dict[str, set[str]] = {"crm": set(), "ecom": set(), "support": set()}
    for path in raw.glob("crm/*/*.csv"):
        keys["crm"].update(row[0] for row in csv_rows(path, ";", "latin-1")[1:] if row)
    for path in raw.glob("ecom/*/*.jsonl"):
        for line in path.read_bytes().splitlines():
            record = _json_ok(line)
            if record:
                keys["ecom"].add(str(record["account_id"]))
    for path in raw.glob("support/*/*.csv"):
        keys["support"].update(line.split(b",", 1)[0].decode() for line in path.read_bytes().splitlines()[1:] if line)
    with (out / "truth" / "customers.csv").open(encoding="utf-8", newline="") as f:
        truth = list(csv.DictReader(f))
    assert truth == sorted(truth, key=lambda r: (r["source"], r["source_key"]))
    assert {r["source"] for r in truth} == {"crm", "ecom", "support"}
    assert len({(r["source"], r["source_key"]) for r in truth}) == len(truth)
    for r in truth:
        assert r["source_key"] in keys[r["source"]], r


def test_household_members_share_an_address_and_are_different_persons(out: Path) -> None:
    with (out / "truth" / "persons.csv").open(encoding="utf-8", newline="") as f:
        persons = list(csv.DictReader(f))
    assert len(persons) == SMALL["customers"]
    households: dict[str, list[dict[str, str]]] = defaultdict(list)
    for p in persons:
        if p["household_id"]:
            households[p["household_id"]].append(p)
    assert len(households) > 10
    for members in households.values():
        assert 2 <= len(members) <= 4
        assert len({m["postcode"] for m in members}) == 1
        assert len({m["first_name"] for m in members}) == len(members)


def test_links_cover_loyalty_cards_and_logged_in_devices(out: Path) -> None:
    with (out / "truth" / "links.csv").open(encoding="utf-8", newline="") as f:
        links = list(csv.DictReader(f))
    keys = {(r["source"], r["key"]) for r in links}
    for path in (out / "raw" / "pos").rglob("*.csv"):
        for row in csv_rows(path, ",", "utf-8")[1:]:
            if len(row) == 10 and row[4]:
                assert ("pos", row[4]) in keys
    for path in (out / "raw" / "clickstream").rglob("*.jsonl"):
        for line in path.read_bytes().splitlines():
            record = _json_ok(line)
            if record and record["account_id"]:
                assert ("clickstream", record["anonymous_id"]) in keys
                assert ("ecom", record["account_id"]) in keys


def test_cli_rejects_bad_arguments_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--out", str(tmp_path / "x"), "--customers", "300", "--skus", "500", "--seed", "1"]
    assert main([*base, "--days", "1"]) == 2
    assert capsys.readouterr().err.startswith("udp: error: --days")
    assert main(["--out", str(tmp_path / "x"), "--customers", "50", "--skus", "500", "--days", "3", "--seed", "1"]) == 2
    assert "--customers" in capsys.readouterr().err
    assert main([*base, "--days", "3", "--end-date", "31/10/2026"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    full = ["--out", str(tmp_path / "full"), "--customers", "300", "--skus", "500", "--days", "2", "--seed", "1"]
    assert main(full) == 2
    assert "not empty" in capsys.readouterr().err
    assert main([*full, "--workers", "1", "--force"]) == 0
    assert "clickstream" in capsys.readouterr().out
    assert (tmp_path / "full" / "keep.txt").exists()
