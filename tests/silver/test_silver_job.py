"""The silver stage end to end on generated dumps: re-running changes nothing; a second day keeps ids."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from udp.bronze.ingest import ingest
from udp.config import Config
from udp.generate import generate
from udp.lake import Lake
from udp.silver import explain, job

pytestmark = pytest.mark.slow
ARGS = argparse.Namespace(retrain=False, full=False)
TABLES = (job.RECORDS, job.LINKS, job.XREF, job.CUSTOMERS, job.ITEMS, job.TOUCHPOINTS)


def snapshot(lake: Lake, table: str) -> list[tuple[object, ...]]:
    df = lake.read(table)
    return sorted(tuple(str(v) for v in r) for r in df.select(*sorted(df.columns)).collect())


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("silver-dumps")
    generate(out, customers=300, skus=400, days=3, seed=5, workers=1)
    return out


def land(dumps: Path, raw: Path, days: list[str]) -> None:
    for source in (dumps / "raw").iterdir():
        for day in days:
            if (source / day).is_dir():
                shutil.copytree(source / day, raw / source.name / day, dirs_exist_ok=True)


def test_rerun_changes_nothing_and_a_second_day_keeps_existing_ids(
    spark: SparkSession, config: Config, dumps: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = Path(config.paths.raw)
    days = sorted(p.name for p in (dumps / "raw" / "crm").iterdir())
    land(dumps, raw, days[:2])
    lake = Lake(spark, config)
    ingest(spark, lake, config)
    job.run(spark, config, ARGS)
    before = {t: snapshot(lake, t) for t in TABLES}
    first_ids = {r["record_id"]: r["customer_id"] for r in lake.read(job.XREF).collect()}

    summary = job.run(spark, config, ARGS).render()
    assert "records compared (touched)  0" in summary
    assert {t: snapshot(lake, t) for t in TABLES} == before
    assert not lake.exists(job.HISTORY)

    land(dumps, raw, days[2:])
    ingest(spark, lake, config)
    job.run(spark, config, ARGS)
    after = {r["record_id"]: r["customer_id"] for r in lake.read(job.XREF).collect()}
    merged = set()
    if lake.exists(job.HISTORY):
        merged = {r["customer_id"] for r in lake.read(job.HISTORY).where("event = 'merge'").collect()}
    changed = {rid for rid, cid in first_ids.items() if after.get(rid) != cid}
    assert len(after) > len(first_ids)
    assert all(first_ids[rid] in merged for rid in changed), "an id changed without a merge in the history"

    assert_explain_shows_the_cluster(spark, config, lake, capsys)


def assert_explain_shows_the_cluster(
    spark: SparkSession, config: Config, lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    """`udp explain` on the lake just built: every record of a multi-record cluster and its links' evidence."""
    xref = lake.read(job.XREF)
    customer = xref.groupBy("customer_id").count().where("count > 1").orderBy("customer_id").first()
    assert customer is not None
    records = {r["record_id"] for r in xref.where(xref.customer_id == customer["customer_id"]).collect()}

    text = explain.explain(spark, config, argparse.Namespace(customer_id=customer["customer_id"], record=None)).render()
    assert all(record in text for record in records)
    assert "links (evidence" in text

    source, key = sorted(records)[0].split(":", 1)
    by_record = explain.explain(spark, config, argparse.Namespace(customer_id=None, record=f"{source}:{key}"))
    assert f"explain {customer['customer_id']}" in by_record.render()
    assert explain.main(["--set", f"paths.lake={config.paths.lake}", "--customer-id", "nobody"]) == 2
    assert "customer_id nobody is not in silver.customer_xref" in capsys.readouterr().err
