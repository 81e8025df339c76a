"""The gold build on real Delta tables: content, layout, documentation, catalog, incremental rebuilds, preflight."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from tests.integration.test_gold_fixtures import built_gold, copy_lake, job_args, silver_touchpoints
from tests.progress import other_lines, progress_lines
from udp.config import Config
from udp.gold import commands, job
from udp.gold.datasets import to_personalize_interactions
from udp.gold.tables import CUSTOMER_360, INTERACTIONS, ITEMS, PREFLIGHT, USERS, gold_tables
from udp.lake import Lake

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(spark: SparkSession, base_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Config:
    return built_gold(spark, base_config, tmp_path_factory)


@pytest.fixture(scope="module")
def lake(spark: SparkSession, built: Config) -> Lake:
    return Lake(spark, built)


def test_gold_tables_match_their_documented_columns_and_comments(lake: Lake, built: Config) -> None:
    for doc in gold_tables(built.gold):
        schema = lake.read(doc.name).schema
        assert [(f.name, f.dataType.simpleString().upper()) for f in schema.fields] == [
            (c.name, c.type) for c in doc.columns
        ], doc.name
        assert {f.name: f.metadata.get("comment") for f in schema.fields} == doc.comments(), doc.name
        assert lake.detail(doc.name)["description"] == doc.comment


def test_interactions_are_partitioned_by_month_and_the_others_are_not(lake: Lake) -> None:
    assert lake.detail(INTERACTIONS)["partitionColumns"] == ["event_month"]
    for table in (ITEMS, USERS, CUSTOMER_360, PREFLIGHT):
        assert lake.detail(table)["partitionColumns"] == []


def test_gold_tables_keep_the_base_protocol_athena_reads(lake: Lake, built: Config) -> None:
    for doc in gold_tables(built.gold):
        detail = lake.detail(doc.name)
        assert (detail["minReaderVersion"], detail["minWriterVersion"]) == (1, 2), doc.name
        assert detail["properties"].get("delta.enableDeletionVectors") == "false"
        assert "delta.columnMapping.mode" not in detail["properties"]


def test_interactions_hold_deduplicated_mapped_touch_points(lake: Lake) -> None:
    interactions = lake.read(INTERACTIONS)
    # 1,200 generated + 1 purchase in the same second as a view; the duplicate, the touch point without a customer,
    # the search and the support contact are dropped.
    assert interactions.count() == 1201
    first = interactions.where("USER_ID = 'C000' AND ITEM_ID = 'SKU0000' AND TIMESTAMP = 1735689600")
    assert [(r.EVENT_TYPE, r.EVENT_VALUE, r.event_month.isoformat()) for r in first.collect()] == [
        ("Purchase", 10.0, "2025-01-01")
    ]


def test_gold_tables_are_registered_in_the_catalog(spark: SparkSession, lake: Lake) -> None:
    counts = spark.sql(
        "SELECT (SELECT count(*) FROM gold.personalize_items) AS items, "
        "(SELECT count(*) FROM gold.personalize_users) AS users, "
        "(SELECT count(*) FROM gold.customer_360) AS customers"
    ).first()
    assert counts is not None
    assert tuple(counts) == (100, 40, 40)


def test_customer_360_has_no_raw_pii_by_default(lake: Lake) -> None:
    columns = set(lake.read(CUSTOMER_360).columns)
    assert not columns & {"first_name", "last_name", "email", "phone", "address_line1", "postcode", "date_of_birth"}
    row = lake.read(CUSTOMER_360).where("customer_id = 'C000'").first()
    assert row is not None
    # 30 generated touch points (every 120th in the app) + a second purchase record of the first one
    assert (row.touches, row.purchases, row.app_touches, row.web_touches) == (31, 31, 10, 21)
    assert row.lifetime_value == sum(10 + (40 * k) % 7 for k in range(30)) + 99.0


def test_the_build_records_one_preflight_row_per_rule(spark: SparkSession, lake: Lake) -> None:
    rows = lake.read(PREFLIGHT).where("source = 'gold' AND snapshot IS NULL").collect()
    runs = {r.run_id for r in rows}
    assert runs
    first = [r for r in rows if r.run_id == min(runs)]
    assert len(first) == len({(r.dataset, r.rule) for r in first}) > 60
    failed = {(r.dataset, r.rule, r.severity) for r in first if not r.passed}
    assert failed == {("interactions", "duplicate_interactions", "warning")}
    dup = next(r for r in first if r.rule == "duplicate_interactions")
    assert dup.samples == ['{"USER_ID":"C002","ITEM_ID":"SKU0002","TIMESTAMP":1735696800,"rows":2}']


def test_udp_sql_prints_a_query_result(capsys: pytest.CaptureFixture[str], built: Config) -> None:
    query = "SELECT EVENT_TYPE, count(*) AS n FROM gold.personalize_interactions GROUP BY EVENT_TYPE ORDER BY n"
    assert commands.sql_main([*job_args(built), query]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:5] == ["EVENT_TYPE    n", "----------  ---", "AddToCart   120", "Purchase    121", "View        960"]


def test_udp_sql_prints_values_exactly_and_only_rows_on_stdout_as_csv_or_json(
    capsys: pytest.CaptureFixture[str], built: Config
) -> None:
    query = "SELECT 'C1' AS id, CAST(4096.74 AS DOUBLE) AS ltv, CAST(1234.500 AS DECIMAL(10,3)) AS d, NULL AS x"
    assert commands.sql_main([*job_args(built), query]) == 0
    assert capsys.readouterr().out.splitlines()[2].split() == ["C1", "4096.74", "1234.500", "NULL"]
    assert commands.sql_main([*job_args(built), query, "--format", "csv"]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == ["id,ltv,d,x", "C1,4096.74,1234.500,"]
    assert "rows  1" in printed.err  # the summary, off stdout
    assert [line.split()[1:] for line in progress_lines(printed.err)] == [["sql", "starting", "Spark"]]
    assert commands.sql_main([*job_args(built), query, "--format", "json", "--quiet"]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == ['{"id": "C1", "ltv": 4096.74, "d": "1234.500", "x": null}']
    assert progress_lines(printed.err) == []
    assert commands.sql_main([*job_args(built), f"{query} WHERE false", "--format", "json"]) == 0
    assert capsys.readouterr().out == ""  # no rows: no line at all


def test_udp_sql_prints_timestamps_in_utc_whatever_the_shells_time_zone(
    capsys: pytest.CaptureFixture[str], built: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()  # PySpark turns a collected TIMESTAMP into the Python process's local time
    try:
        query = "SELECT TIMESTAMP '2026-01-02 03:04:05' AS at"
        assert commands.sql_main([*job_args(built), query, "--format", "csv"]) == 0
    finally:
        monkeypatch.undo()
        time.tzset()
    assert capsys.readouterr().out.splitlines() == ["at", "2026-01-02 03:04:05"]


def test_every_query_in_the_analysts_page_runs_on_the_gold_tables(spark: SparkSession, built: Config) -> None:
    page = (ROOT / "docs" / "analysts.md").read_text(encoding="utf-8")
    queries = re.findall(r"```sql\n(.*?)```", page, flags=re.DOTALL)
    assert len(queries) == 8
    a_user = spark.sql("SELECT min(USER_ID) FROM gold.personalize_interactions").collect()[0][0]
    answers = [spark.sql(q.replace("cus_0123456789abcdef", a_user)).collect() for q in queries]
    assert all(answers[i] for i in (0, 1, 2, 3, 4, 7))  # a customer with interactions has a history
    (channels,) = answers[4]
    assert channels.customers == spark.table("gold.customer_360").count() >= channels.online_and_store


def test_udp_sql_reports_a_bad_query_on_one_line(capsys: pytest.CaptureFixture[str], built: Config) -> None:
    assert commands.sql_main([*job_args(built), "SELECT nope FROM gold.personalize_items"]) == 2
    err = other_lines(capsys.readouterr().err)
    assert len(err) == 1
    assert err[0].startswith("udp: error: sql: ")


def test_udp_validate_passes_the_built_tables(capsys: pytest.CaptureFixture[str], built: Config) -> None:
    assert commands.validate_main(job_args(built)) == 0
    out = capsys.readouterr().out
    assert "preflight     passed:" in out
    assert "interactions.duplicate_interactions (warning): 1 row(s) repeat" in out


def test_a_rebuild_rewrites_only_the_changed_partition(
    spark: SparkSession, built: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = copy_lake(built, tmp_path)
    lake = Lake(spark, config)

    def files(month: str) -> set[str]:
        return {
            r[0]
            for r in lake.read(INTERACTIONS)
            .where(f"event_month = '{month}'")
            .select(F.input_file_name())
            .distinct()
            .collect()
        }

    january = files("2025-01-01")
    versions = {t: lake.version(t) for t in (INTERACTIONS, ITEMS, USERS, CUSTOMER_360)}
    late = silver_touchpoints(spark).where("touchpoint_id = 'T01000'")  # one more touch point, in February 2025
    late = late.withColumn("touchpoint_id", F.lit("T09999")).withColumn("item_id", F.lit("SKU0042"))
    lake.append(late, "silver.touchpoints")
    capsys.readouterr()
    assert job.main(job_args(config)) == 0
    out = capsys.readouterr().out
    assert "gold.personalize_interactions  partitions  1,202  1 of 2" in out
    assert "gold.personalize_items         unchanged" in out
    assert "interaction partitions written\n2025-02-01" in out
    assert files("2025-01-01") == january
    last = lake.delta_table(INTERACTIONS).history(1).first()
    assert last is not None
    assert last["operation"] == "OPTIMIZE"
    assert "2025-02-01" in last["operationParameters"]["predicate"]
    after = {t: lake.version(t) for t in versions}
    assert after[ITEMS] == versions[ITEMS]
    assert after[USERS] == versions[USERS]
    assert after[INTERACTIONS] > versions[INTERACTIONS]
    assert after[CUSTOMER_360] > versions[CUSTOMER_360]
    expected = lake.read("silver.touchpoints").transform(to_personalize_interactions(config.gold.interactions))
    assert_df_equality(
        lake.read(INTERACTIONS), expected, ignore_row_order=True, ignore_nullable=True, ignore_metadata=True
    )
