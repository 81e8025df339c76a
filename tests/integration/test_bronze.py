"""Bronze ingestion on tiny raw files: every defect kind, exactly-once, crash-and-resume, drift, YAML-only sources."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from deltalake import DeltaTable
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from udp.bronze import ingest as ingest_module
from udp.bronze.ingest import ingest
from udp.bronze.ledger import INGEST_LOG
from udp.bronze.quarantine import QUARANTINE, QUARANTINE_SCHEMA
from udp.config import Config, load_config
from udp.errors import SchemaDriftError
from udp.lake import Lake

SUPPORT_HEADER = "ticket_id,name,email,phone,channel,subject,sku,created_at"

NOW = dt.datetime(2026, 10, 31, 12, 0, tzinfo=dt.UTC)
CRM_HEADER = (
    "customer_id;title;first_name;last_name;email;phone;address_line1;city;postcode;date_of_birth;gender;"
    "loyalty_card;loyalty_tier;created_at;updated_at"
)
ERP_HEADER = "sku,name,description,brand,category_path,price,currency,launched,active"
POS_HEADER = "transaction_id,store_id,till_id,ts,loyalty_card,line_no,sku,qty,unit_price,currency"


def write(config: Config, relative: str, content: str | bytes, encoding: str = "utf-8") -> None:
    path = Path(config.paths.raw) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))


def crm_row(key: str, first: str = "Ann", dob: str = "01/02/1990") -> str:
    address = "1 High St;Leeds;LS1 4AB"
    return f"{key};Ms;{first};Lee;a@x.com;07700900123;{address};{dob};F;;Gold;2025-01-01 10:00:00;2025-01-02 10:00:00"


def click(event: str, ts: str = "2026-10-01T10:00:00.123Z", sku: str = "SKU1", extra: str = "") -> str:
    return (
        f'{{"event_id":"{event}","anonymous_id":"a1","account_id":null,"session_id":"s1","event_type":"view",'
        f'"sku":"{sku}","query":null,"device":"web","ts":"{ts}"{extra}}}'
    )


def quarantine(lake: Lake, source: str) -> DataFrame:
    return lake.read(QUARANTINE).where(F.col("_source") == source).select("_file", "_row", "reason_code")


def erp(config: Config) -> None:
    write(
        config,
        "erp/2026-10-01/erp.csv",
        f'{ERP_HEADER}\nSKU1,Shirt,"A ""blue"", soft shirt",Acme,Men > Shirts,19.99,GBP,2025-01-01,Y\n',
    )


def test_every_row_lands_in_bronze_or_quarantine_with_its_line_and_reason(
    spark: SparkSession, lake: Lake, config: Config
) -> None:
    lines = [CRM_HEADER, crm_row("C1", "Zoë"), "C2;Mr;Bob", crm_row("C3", dob="31/02/1985"), crm_row("C4")]
    write(config, "crm/2026-10-01/crm.csv", "\n".join(lines) + "\n", encoding="latin-1")
    [result] = ingest(spark, lake, config, only=["crm"], now=NOW)

    bronze = lake.read("bronze.crm").select("customer_id", "first_name", "date_of_birth", "_file", "_row")
    expected = spark.createDataFrame(
        [
            ("C1", "Zoë", dt.date(1990, 2, 1), "crm/2026-10-01/crm.csv", 2),
            ("C4", "Ann", dt.date(1990, 2, 1), "crm/2026-10-01/crm.csv", 5),
        ],
        "customer_id STRING, first_name STRING, date_of_birth DATE, _file STRING, _row BIGINT",
    )
    assert_df_equality(bronze, expected, ignore_row_order=True, ignore_nullable=True)
    assert_df_equality(
        quarantine(lake, "crm"),
        spark.createDataFrame(
            [("crm/2026-10-01/crm.csv", 3, "malformed_csv"), ("crm/2026-10-01/crm.csv", 4, "bad_date:date_of_birth")],
            "_file STRING, _row BIGINT, reason_code STRING",
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    reason = lake.read(QUARANTINE).where("_row = 4").first()
    assert reason is not None
    assert reason["reason"] == "column date_of_birth: '31/02/1985' is not a DATE (dd/MM/yyyy)"
    log = lake.read(INGEST_LOG).select("path", "rows_read", "rows_landed", "rows_quarantined", "status")
    assert log.collect() == [
        Row(path="crm/2026-10-01/crm.csv", rows_read=4, rows_landed=2, rows_quarantined=2, status="ingested")
    ]
    assert (result.total("rows_read"), result.reasons["malformed_csv"]) == (4, 1)


def test_unknown_sku_and_negative_quantity_are_quarantined(spark: SparkSession, lake: Lake, config: Config) -> None:
    erp(config)
    pos = [
        POS_HEADER,
        "T1,S1,1,2026-10-01 10:00:00,123,1,SKU1,2,19.99,GBP",
        "T1,S1,1,2026-10-01 10:00:00,123,2,SKU9,1,5.00,GBP",
        "T2,S1,1,2026-10-01 11:00:00,,1,SKU1,-1,5.00,GBP",
        "T3,S1,1,2026-13-01 10:00:00,,1,SKU1,1,5.00,GBP",
    ]
    write(config, "pos/2026-10-01/pos_01.csv", "\n".join(pos) + "\n")
    write(config, "pos/2026-10-01/pos_02.csv", b"")
    ingest(spark, lake, config, only=["erp", "pos"], now=NOW)

    assert [(r.transaction_id, r._row) for r in lake.read("bronze.pos").collect()] == [("T1", 2)]
    codes = {(r["_row"], r["reason_code"]) for r in quarantine(lake, "pos").collect()}
    assert codes == {(3, "reference:erp.sku"), (4, "check:zero or negative quantity"), (5, "bad_timestamp:ts")}
    log = {r["path"]: r["status"] for r in lake.read(INGEST_LOG).collect()}
    assert log["pos/2026-10-01/pos_02.csv"] == "empty"
    description = lake.read("bronze.erp").first()
    assert description is not None
    assert description["description"] == 'A "blue", soft shirt'


def test_json_defects_and_rescued_fields(spark: SparkSession, lake: Lake, config: Config) -> None:
    erp(config)
    lines = [
        click("e1", extra=',"campaign":"x"'),
        '{"event_id":"e2","anonymous_id":"a1"',
        click("e3", ts="yesterday"),
        click("e4").encode().replace(b'"a1"', b'"a\xff1"').decode("latin-1"),
        click("e5", sku="SKU404"),
        click("e6")[:40],
    ]
    body = "\n".join(lines).encode("latin-1")  # keeps the planted 0xFF byte as a raw byte
    write(config, "clickstream/2026-10-01/c.jsonl", body)
    ingest(spark, lake, config, only=["erp", "clickstream"], now=NOW)

    rows = lake.read("bronze.clickstream").select("event_id", "_row", "_rescued_data").collect()
    assert rows == [Row(event_id="e1", _row=1, _rescued_data='{"campaign":"x"}')]
    codes = {(r["_row"], r["reason_code"]) for r in quarantine(lake, "clickstream").collect()}
    assert codes == {
        (2, "malformed_json"),
        (3, "bad_timestamp:ts"),
        (4, "invalid_utf8"),
        (5, "reference:erp.sku"),
        (6, "malformed_json"),
    }


def test_parquet_rows_are_numbered_and_checked(spark: SparkSession, lake: Lake, config: Config) -> None:
    erp(config)
    line = "struct<line_no:int,sku:string,qty:int,unit_price:double>"
    orders = spark.createDataFrame(
        [
            ("O1", "A1", dt.datetime(2026, 10, 1, 9), [(1, "SKU1", 1, 19.99)]),
            ("O2", "A1", dt.datetime(2026, 10, 1, 9), [(1, "SKU1", 1, 19.99), (2, "SKU1", -1, 19.99)]),
            ("O3", "A1", dt.datetime(2026, 10, 1, 9), [(1, "SKU404", 1, 19.99)]),
        ],
        f"order_id STRING, account_id STRING, order_ts TIMESTAMP, lines ARRAY<{line}>",
    )
    orders.coalesce(1).write.parquet(str(Path(config.paths.raw) / "oms" / "2026-10-01"))
    ingest(spark, lake, config, only=["erp", "oms"], now=NOW)

    assert [(r.order_id, r._row) for r in lake.read("bronze.oms").collect()] == [("O1", 1)]
    codes = {(r["_row"], r["reason_code"]) for r in quarantine(lake, "oms").collect()}
    assert codes == {(2, "check:order line with zero or negative quantity"), (3, "reference:erp.sku")}


def test_line_numbers_stay_exact_when_a_file_is_split(spark: SparkSession, lake: Lake, config: Config) -> None:
    body = "\n".join(click(f"e{i:03d}") for i in range(1, 301)) + "\n"
    write(config, "clickstream/2026-10-01/big.jsonl", body)
    erp(config)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")
    try:
        ingest(spark, lake, config, only=["erp", "clickstream"], now=NOW)
        assert lake.read("bronze.clickstream").rdd.getNumPartitions() >= 1
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    numbered = lake.read("bronze.clickstream").select("event_id", "_row")
    wrong = numbered.where(F.col("event_id") != F.format_string("e%03d", F.col("_row")))
    assert numbered.count() == 300
    assert wrong.count() == 0


def test_rerun_ingests_nothing_and_changes_no_table(spark: SparkSession, lake: Lake, config: Config) -> None:
    write(config, "crm/2026-10-01/crm.csv", f"{CRM_HEADER}\n{crm_row('C1')}\nC2;x\n", encoding="latin-1")
    ingest(spark, lake, config, only=["crm"], now=NOW)
    tables = ["bronze.crm", QUARANTINE, INGEST_LOG]
    versions = [lake.version(t) for t in tables]
    [again] = ingest(spark, lake, config, only=["crm"], now=NOW + dt.timedelta(hours=1))
    assert again.files == []
    assert [lake.version(t) for t in tables] == versions


def test_a_run_killed_before_the_log_write_is_completed_without_duplicates(
    spark: SparkSession, lake: Lake, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config, "crm/2026-10-01/crm.csv", f"{CRM_HEADER}\n{crm_row('C1')}\nC2;x\n", encoding="latin-1")

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("killed between the data write and the log write")

    monkeypatch.setattr(ingest_module, "write_ingest_log", crash)
    with pytest.raises(RuntimeError, match="killed"):
        ingest(spark, lake, config, only=["crm"], now=NOW)
    assert lake.read("bronze.crm").count() == 1
    assert lake.read(INGEST_LOG).count() == 0  # created empty up front; the crash came before the log row
    monkeypatch.undo()

    write(config, "crm/2026-10-02/crm.csv", f"{CRM_HEADER}\n{crm_row('C5')}\n", encoding="latin-1")
    [result] = ingest(spark, lake, config, only=["crm"], now=NOW + dt.timedelta(hours=1))
    assert sorted(f.file.relative for f in result.files) == ["crm/2026-10-01/crm.csv", "crm/2026-10-02/crm.csv"]
    assert sorted(r.customer_id for r in lake.read("bronze.crm").collect()) == ["C1", "C5"]
    assert quarantine(lake, "crm").count() == 1
    assert {r.status for r in lake.read(INGEST_LOG).collect()} == {"ingested"}


def drifted_crm(config: Config, name: str = "crm.csv") -> None:
    """A CRM file without the title column and with a new segment column."""
    header = CRM_HEADER.replace(";title", "").replace("updated_at", "updated_at;segment")
    row = crm_row("C1").replace(";Ms;", ";") + ";vip"
    write(config, f"crm/2026-10-01/{name}", f"{header}\n{row}\n", encoding="latin-1")


def test_drift_policy_fail_stops_before_writing(spark: SparkSession, lake: Lake, config: Config) -> None:
    drifted_crm(config)
    strict = config.with_overrides("sources.crm.drift=fail")
    with pytest.raises(SchemaDriftError, match=r"file crm/2026-10-01/crm\.csv has new column\(s\) segment; missing"):
        ingest(spark, lake, strict, only=["crm"], now=NOW)
    assert not lake.exists("bronze.crm")


def test_drift_policy_rescue_keeps_unknown_columns_as_json(spark: SparkSession, lake: Lake, config: Config) -> None:
    drifted_crm(config)
    [result] = ingest(spark, lake, config, only=["crm"], now=NOW)
    row = lake.read("bronze.crm").first()
    assert row is not None
    assert (row["customer_id"], row["title"], row["_rescued_data"]) == ("C1", None, '{"segment":"vip"}')
    assert result.drift[0].describe() == "new column(s) segment; missing column(s) title"


def test_drift_policy_evolve_adds_new_columns(spark: SparkSession, lake: Lake, config: Config) -> None:
    write(config, "crm/2026-10-01/crm.csv", f"{CRM_HEADER}\n{crm_row('C0')}\n", encoding="latin-1")
    ingest(spark, lake, config, only=["crm"], now=NOW)
    drifted_crm(config, "crm2.csv")
    evolving = config.with_overrides("sources.crm.drift=evolve")
    ingest(spark, lake, evolving, only=["crm"], now=NOW + dt.timedelta(hours=1))
    rows = {r.customer_id: r.segment for r in lake.read("bronze.crm").select("customer_id", "segment").collect()}
    assert rows == {"C0": None, "C1": "vip"}


def test_a_new_source_needs_only_yaml(spark: SparkSession, lake: Lake, config: Config, tmp_path: Path) -> None:
    extra = tmp_path / "reviews.yaml"
    extra.write_text(
        """
sources:
  reviews:
    entity: touchpoint
    path: reviews/*/*.tsv
    format: csv
    options: {delimiter: "\\t"}
    schema: review_id STRING, sku STRING, stars INT, written DATE
    formats: {written: yyyyMMdd}
    key: [review_id]
    required: [review_id]
    checks:
      - {rule: "stars BETWEEN 1 AND 5", reason: "stars out of range"}
    mapping: {touchpoint_id: review_id, item_id: sku, event_type: "'review'"}
""",
        encoding="utf-8",
    )
    local = Path(__file__).resolve().parents[2] / "conf" / "local.yaml"
    with_reviews = load_config(
        [str(local), str(extra)], [f"paths.raw={config.paths.raw}", f"paths.lake={config.paths.lake}"], env={}
    )
    write(
        config,
        "reviews/2026-10-01/r.tsv",
        "review_id\tsku\tstars\twritten\nR1\tSKU1\t5\t20261001\nR2\tSKU1\t9\t20261001\n",
    )
    ingest(spark, lake, with_reviews, only=["reviews"], now=NOW)
    assert_df_equality(
        lake.read("bronze.reviews").select("review_id", "stars", "written"),
        spark.createDataFrame([("R1", 5, dt.date(2026, 10, 1))], "review_id STRING, stars INT, written DATE"),
        ignore_nullable=True,
    )
    assert [r.reason_code for r in quarantine(lake, "reviews").collect()] == ["check:stars out of range"]


def test_nested_json_fields_are_typed_and_a_wrong_nested_type_is_quarantined(
    spark: SparkSession, lake: Lake, config: Config
) -> None:
    good = (
        '{"account_id":"A1","email":"a@x.com","full_name":"Ann Lee","phone":null,'
        '"default_address":{"line1":"1 High St","line2":null,"city":"Leeds","postcode":"LS1 4AB","country":"GB"},'
        '"signup_ts":"2025-03-01T10:00:00Z","updated_ts":"2025-03-02T10:00:00Z","consents":{"email":true,"sms":false},'
        '"status":"active"}'
    )
    wrong = good.replace('"A1"', '"A2"').replace('{"email":true,"sms":false}', '"yes please"')
    write(config, "ecom/2026-10-01/e.jsonl", f"{good}\n{wrong}\n")
    ingest(spark, lake, config, only=["ecom"], now=NOW)
    row = lake.read("bronze.ecom").first()
    assert row is not None
    assert (row["account_id"], row["default_address"]["postcode"], row["consents"]["email"]) == ("A1", "LS1 4AB", True)
    address = lake.read("bronze.ecom").schema["default_address"].dataType
    assert isinstance(address, StructType)
    assert address.fieldNames()[-1] == "country"
    assert [(r["_row"], r["reason_code"]) for r in quarantine(lake, "ecom").collect()] == [(2, "json_schema_mismatch")]


def outside_spark(lake: Lake, table: str) -> list[dict[str, Any]]:
    """The table's rows as delta-rs reads them: what Athena and other non-Spark readers must be able to open."""
    return DeltaTable(lake.path(table)).to_pyarrow_table().to_pylist()


def bronze_tables(lake: Lake) -> list[str]:
    return sorted(f"bronze.{p.name}" for p in Path(lake.path(QUARANTINE)).parent.iterdir() if p.is_dir())


def test_undecodable_bytes_round_trip_through_a_quarantine_any_delta_reader_opens(
    spark: SparkSession, lake: Lake, config: Config
) -> None:
    erp(config)
    long_stamp = "9" * 5000
    support = [
        SUPPORT_HEADER.encode(),
        b"TCK1,Ann Lee,a@x.com,,email,Delivery,,01/10/2026 10:00",
        b"TCK2,Ann\xff\xfe Lee,,,email,Delivery,,01/10/2026 10:00",  # the generator's invalid_utf8 row
        b"TCK3,Bob,,,email,Delivery,,\xe9" + b"x" * 300,  # undecodable and long, inside a value a reason quotes
        f"TCK4,Cy,,,email,Delivery,,{long_stamp}".encode(),
    ]
    long_sku = "SKU" + "7" * 5000
    clicks = [
        click("e1").encode(),
        click("e2").encode().replace(b'"a1"', b'"a\xc3\x281"'),
        click("e3", sku=long_sku).encode(),
        click("e4").replace('"query":null', '"query":"\\udc80"').encode(),  # valid UTF-8 escaping a lone surrogate
    ]
    write(config, "support/2026-10-01/s.csv", b"\n".join(support) + b"\n")
    write(config, "clickstream/2026-10-01/c.jsonl", b"\n".join(clicks) + b"\n")
    ingest(spark, lake, config, only=["erp", "support", "clickstream"], now=NOW)

    rows = {(r["_source"], r["_row"]): r for r in outside_spark(lake, QUARANTINE)}
    assert {k: r["reason_code"] for k, r in rows.items()} == {
        ("support", 3): "invalid_utf8",
        ("support", 4): "bad_timestamp:created_at",
        ("support", 5): "bad_timestamp:created_at",
        ("clickstream", 2): "invalid_utf8",
        ("clickstream", 3): "reference:erp.sku",
    }
    raw = {"support": support, "clickstream": clicks}
    for (source, row), r in rows.items():
        line = raw[source][row - 1]
        if r["payload_bytes"] is None:  # valid UTF-8: the text is the line
            assert r["payload"].encode() == line
        else:
            assert r["payload_bytes"] == line
            assert r["payload"] == line.decode("utf-8", errors="replace")
            assert line.decode("utf-8", errors="replace").encode() != line
    assert rows["support", 4]["reason"] == (
        "column created_at: '\ufffd" + "x" * 199 + "…' (301 characters) is not a TIMESTAMP (dd/MM/yyyy HH:mm); "
        "invalid UTF-8 byte sequence in the line"
    )
    assert rows["support", 5]["reason"] == (
        f"column created_at: '{long_stamp[:200]}…' (5000 characters) is not a TIMESTAMP (dd/MM/yyyy HH:mm)"
    )
    assert rows["clickstream", 3]["reason"] == (
        f"unknown SKU: {long_sku[:200]}… (5003 characters) (not in bronze.erp.sku)"
    )
    # A JSON escape of a lone surrogate lands as '?' (Spark's encoding of it): bronze text stays valid UTF-8.
    assert {r["event_id"]: r["query"] for r in outside_spark(lake, "bronze.clickstream")} == {"e1": None, "e4": "?"}
    written = bronze_tables(lake)
    assert written == ["bronze._ingest_log", QUARANTINE, "bronze.clickstream", "bronze.erp", "bronze.support"]
    assert {t: len(outside_spark(lake, t)) for t in written} == {t: lake.read(t).count() for t in written}


def test_a_parquet_string_that_is_not_utf8_is_quarantined_naming_its_column(
    spark: SparkSession, lake: Lake, config: Config
) -> None:
    erp(config)
    line = "struct<line_no:int,sku:string,qty:int,unit_price:double>"
    orders = spark.createDataFrame(
        [
            ("O1", "41", "416E6E", [(1, "SKU1", 1, 19.99)]),
            ("O2", "41FF", "416E6E", [(1, "SKU1", 1, 19.99)]),
            ("O3", "41", "41C328", [(1, "SKU1", 1, 19.99)]),
        ],
        f"order_id STRING, account_hex STRING, name_hex STRING, lines ARRAY<{line}>",
    ).select(
        "order_id",
        # Spark casts bytes to STRING unchecked, so the file holds exactly these bytes as UTF-8-annotated strings.
        F.unhex("account_hex").cast("string").alias("account_id"),
        F.lit(dt.datetime(2026, 10, 1, 9)).alias("order_ts"),
        F.struct(
            F.unhex("name_hex").cast("string").alias("name"),
            *[F.lit(None).cast("string").alias(c) for c in ("line1", "city", "postcode", "country")],
        ).alias("ship_to"),
        "lines",
    )
    orders.coalesce(1).write.parquet(str(Path(config.paths.raw) / "oms" / "2026-10-01"))
    ingest(spark, lake, config, only=["erp", "oms"], now=NOW)

    assert [(r["order_id"], r["account_id"]) for r in outside_spark(lake, "bronze.oms")] == [("O1", "A")]
    quarantined = {r["_row"]: (r["reason_code"], r["reason"]) for r in outside_spark(lake, QUARANTINE)}
    assert quarantined == {
        2: ("invalid_utf8:account_id", "column account_id: invalid UTF-8 byte sequence"),
        3: ("invalid_utf8:ship_to", "column ship_to: invalid UTF-8 byte sequence"),
    }


def test_a_quarantine_from_before_payload_bytes_is_rewritten_readable(
    spark: SparkSession, lake: Lake, config: Config
) -> None:
    before = [f.name for f in QUARANTINE_SCHEMA if f.name != "payload_bytes"]
    old = spark.createDataFrame(
        [("support", "support/2026-09-30/s.csv", 3, dt.date(2026, 9, 30), "invalid_utf8", "4E6FFF", "b", NOW)],
        "_source STRING, _file STRING, _row BIGINT, _landing_date DATE, reason_code STRING, hex STRING, "
        "_batch_id STRING, _ingested_at TIMESTAMP",
    ).select(
        "*",
        F.lit("invalid UTF-8 byte sequence in the line").alias("reason"),
        F.unhex("hex").cast("string").alias("payload"),  # how udp kept an undecodable line before payload_bytes
    )
    lake.overwrite(old.select(*before), QUARANTINE, partition_by=["_source"])
    enrichment = "postcode_district,income_band,urban_rural,region\nLS1,B,urban,North\n"
    write(config, "thirdparty/2026-10-01/t.csv", enrichment)
    ingest(spark, lake, config, only=["thirdparty"], now=NOW)

    [row] = outside_spark(lake, QUARANTINE)
    assert (row["_row"], row["payload"], row["payload_bytes"]) == (3, "No\ufffd", b"No\xff")
    assert [f.name for f in lake.read(QUARANTINE).schema] == QUARANTINE_SCHEMA.fieldNames()


# Hostile files (issue 14): every physical record lands whole or is quarantined with a reason, at its physical line.

THIRDPARTY_HEADER = "postcode_district,income_band,urban_rural,region"


def rows_of(lake: Lake, table: str, source: str | None = None) -> DataFrame:
    df = lake.read(table)
    if source is not None:
        df = df.where(F.col("_source") == source)
    return df


def accounted(lake: Lake, path: str) -> tuple[int, int, int, str]:
    """The ingest log's (read, landed, quarantined, status) of one file."""
    [row] = lake.read(INGEST_LOG).where(F.col("path") == path).collect()
    return row["rows_read"], row["rows_landed"], row["rows_quarantined"], row["status"]


def test_a_json_line_with_two_values_is_quarantined_not_half_landed(
    spark: SparkSession, lake: Lake, config: Config
) -> None:
    erp(config)
    lines = [click("e1"), click("e2") + click("e3"), click("e4") + "," + click("e5"), click("e6") + " x", click("e7")]
    write(config, "clickstream/2026-10-01/c.jsonl", "\n".join(lines) + "\n")
    ingest(spark, lake, config, only=["erp", "clickstream"], now=NOW)

    landed = lake.read("bronze.clickstream").select("event_id", "_row")
    assert_df_equality(
        landed,
        spark.createDataFrame([("e1", 1), ("e7", 5)], "event_id STRING, _row BIGINT"),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    assert_df_equality(
        quarantine(lake, "clickstream"),
        spark.createDataFrame(
            [("clickstream/2026-10-01/c.jsonl", n, "json_several_values") for n in (2, 3, 4)],
            "_file STRING, _row BIGINT, reason_code STRING",
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    assert accounted(lake, "clickstream/2026-10-01/c.jsonl") == (5, 2, 3, "ingested")


def test_quoted_fields_spanning_lines_land_whole_or_are_quarantined_at_their_first_line(
    spark: SparkSession, lake: Lake, config: Config
) -> None:
    lines = [
        THIRDPARTY_HEADER,  # 1
        "AB1,high,urban,Scotland",  # 2
        'AB2,"two',  # 3: a quoted field spanning lines 3-4, closed: one record
        'lines",rural,Scotland',  # 4
        "",  # 5: blank, not a record
        'AB3,"left',  # 6: a quote closed on the next line, but the record has too many fields
        'left",x,y,z,w',  # 7
        "AB4,low,urban,Wales",  # 8
        'AB5,"never closes,rural,Wales',  # 9: open to the end of the file
        "AB6,low,urban,Wales",  # 10
        "AB7,low,urban,Wales",  # 11
    ]
    write(config, "thirdparty/2026-10-01/t.csv", "\n".join(lines) + "\n")
    ingest(spark, lake, config, only=["thirdparty"], now=NOW)

    assert_df_equality(
        lake.read("bronze.thirdparty").select("postcode_district", "income_band", "_row"),
        spark.createDataFrame(
            [("AB1", "high", 2), ("AB2", "two\nlines", 3), ("AB4", "low", 8)],
            "postcode_district STRING, income_band STRING, _row BIGINT",
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    assert_df_equality(
        quarantine(lake, "thirdparty"),
        spark.createDataFrame(
            [
                ("thirdparty/2026-10-01/t.csv", 6, "malformed_csv"),
                ("thirdparty/2026-10-01/t.csv", 9, "unterminated_quote"),
            ],
            "_file STRING, _row BIGINT, reason_code STRING",
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    [open_quote] = rows_of(lake, QUARANTINE, "thirdparty").where("_row = 9").collect()
    assert open_quote["payload"] == "\n".join(lines[8:])  # every line it swallowed is kept, none landed as a fragment
    assert accounted(lake, "thirdparty/2026-10-01/t.csv") == (5, 3, 2, "ingested")


def test_a_repeated_header_is_quarantined_in_a_text_only_and_a_typed_source(
    spark: SparkSession, lake: Lake, config: Config
) -> None:
    write(config, "thirdparty/2026-10-01/t.csv", f"{THIRDPARTY_HEADER}\nAB1,high,urban,Scotland\n{THIRDPARTY_HEADER}\n")
    crm = [CRM_HEADER, crm_row("C1"), CRM_HEADER, crm_row("C2")]
    write(config, "crm/2026-10-01/crm.csv", "\n".join(crm) + "\n", encoding="latin-1")
    ingest(spark, lake, config, only=["thirdparty", "crm"], now=NOW)

    assert [(r.postcode_district, r._row) for r in lake.read("bronze.thirdparty").collect()] == [("AB1", 2)]
    assert sorted((r.customer_id, r._row) for r in lake.read("bronze.crm").collect()) == [("C1", 2), ("C2", 4)]
    codes = {(r["_file"], r["_row"], r["reason_code"]) for r in lake.read(QUARANTINE).collect()}
    assert codes == {
        ("thirdparty/2026-10-01/t.csv", 3, "repeated_header"),
        ("crm/2026-10-01/crm.csv", 3, "repeated_header"),
    }
    assert accounted(lake, "thirdparty/2026-10-01/t.csv") == (2, 1, 1, "ingested")
    assert accounted(lake, "crm/2026-10-01/crm.csv") == (3, 2, 1, "ingested")


def numbering_lines(line_break: str) -> list[str]:
    """A crm file with blank lines, a short row (line 5) and a quoted field spanning lines 7-8."""
    spanning = crm_row("C4").replace(";1 High St;", f';"1 High St{line_break}Flat 2";')
    return [CRM_HEADER, "", crm_row("C1", "Zoë"), "   ", "C2;Mr;Bob", "", spanning, crm_row("C5"), "", crm_row("C6")]


def assert_physically_numbered_crm(spark: SparkSession, lake: Lake) -> None:
    """bronze.crm holds the rows of `numbering_lines` at their physical line numbers."""
    assert_df_equality(
        lake.read("bronze.crm").select("customer_id", "first_name", "address_line1", "_row"),
        spark.createDataFrame(
            [
                ("C1", "Zoë", "1 High St", 3),
                ("C4", "Ann", "1 High St\nFlat 2", 7),
                ("C5", "Ann", "1 High St", 9),
                ("C6", "Ann", "1 High St", 11),
            ],
            "customer_id STRING, first_name STRING, address_line1 STRING, _row BIGINT",
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_latin1_line_numbers_are_physical_with_blank_lines_and_quoted_newlines(
    spark: SparkSession, lake: Lake, config: Config
) -> None:
    write(config, "crm/2026-10-01/crm.csv", "\n".join(numbering_lines("\n")) + "\n", encoding="latin-1")
    ingest(spark, lake, config, only=["crm"], now=NOW)

    assert_physically_numbered_crm(spark, lake)
    assert [(r["_row"], r["reason_code"]) for r in quarantine(lake, "crm").collect()] == [(5, "malformed_csv")]
    assert accounted(lake, "crm/2026-10-01/crm.csv") == (5, 4, 1, "ingested")


# A code unit each encoding cannot decode: a lone UTF-16 surrogate, a UTF-32 value beyond U+10FFFF.
WIDE = {
    "UTF-16LE": (b"\xff\xfe", "utf-16-le", b"\x00\xd8"),
    "UTF-32BE": (b"\x00\x00\xfe\xff", "utf-32-be", b"\x00\x11\x00\x00"),
}


@pytest.mark.parametrize("encoding", sorted(WIDE))
def test_wide_encoding_line_numbers_are_physical_and_undecodable_lines_are_quarantined(
    spark: SparkSession, lake: Lake, config: Config, encoding: str
) -> None:
    bom, codec, undecodable = WIDE[encoding]
    crlf = "\r\n".encode(codec)
    body = (
        bom
        + "\r\n".join(numbering_lines("\r\n")).encode(codec)
        + crlf
        + undecodable
        + crm_row("C7").encode(codec)
        + crlf
    )
    write(config, "crm/2026-10-01/crm.csv", body)
    [result] = ingest(spark, lake, config, only=["crm"], now=NOW)

    assert_physically_numbered_crm(spark, lake)
    rejected = sorted((r["_row"], r["reason_code"]) for r in quarantine(lake, "crm").collect())
    assert rejected == [(5, "malformed_csv"), (12, "invalid_encoding")]
    assert accounted(lake, "crm/2026-10-01/crm.csv") == (6, 4, 2, "ingested")
    assert [n.describe() for n in result.drift] == [f"byte-order mark: read as {encoding}, not the declared ISO-8859-1"]


def test_a_utf8_byte_order_mark_in_a_latin1_source_is_read_and_reported_once(
    spark: SparkSession, lake: Lake, config: Config
) -> None:
    body = "\n".join([CRM_HEADER, crm_row("C1", "Zoë"), crm_row("C2")]) + "\n"
    write(config, "crm/2026-10-01/crm.csv", b"\xef\xbb\xbf" + body.encode("utf-8"))
    [result] = ingest(spark, lake, config, only=["crm"], now=NOW)

    assert_df_equality(
        lake.read("bronze.crm").select("customer_id", "first_name", "_row"),
        spark.createDataFrame(
            [("C1", "Zoë", 2), ("C2", "Ann", 3)], "customer_id STRING, first_name STRING, _row BIGINT"
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    assert quarantine(lake, "crm").count() == 0
    assert [(n.file, n.describe()) for n in result.drift] == [
        ("crm/2026-10-01/crm.csv", "byte-order mark: read as UTF-8, not the declared ISO-8859-1")
    ]
    assert accounted(lake, "crm/2026-10-01/crm.csv") == (2, 2, 0, "ingested")


def test_a_header_with_the_wrong_delimiter_is_the_one_reason_given(
    spark: SparkSession, lake: Lake, config: Config
) -> None:
    body = "\n".join([CRM_HEADER.replace(";", ","), crm_row("C1").replace(";", ","), crm_row("C2").replace(";", ",")])
    write(config, "crm/2026-10-01/crm.csv", body + "\n", encoding="latin-1")
    [result] = ingest(spark, lake, config, only=["crm"], now=NOW)

    assert not lake.exists("bronze.crm") or lake.read("bronze.crm").count() == 0
    problem = "header (line 1) lacks required column(s) customer_id, updated_at: the header is one field, so the "
    problem += "delimiter is not ';'"
    rejected = rows_of(lake, QUARANTINE, "crm").select("_row", "reason_code", "reason")
    assert_df_equality(
        rejected,
        spark.createDataFrame(
            [(n, "bad_header", f"bad header: {problem}") for n in (2, 3)],
            "_row BIGINT, reason_code STRING, reason STRING",
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    [note] = result.drift
    assert note.header_problems == (problem,)
    assert accounted(lake, "crm/2026-10-01/crm.csv") == (2, 0, 2, "ingested")
