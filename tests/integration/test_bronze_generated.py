"""Bronze on generated dumps: every planted bad record is quarantined with a reason, and no valid record is."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from udp.bronze.ingest import INGEST_LOG, QUARANTINE
from udp.bronze.job import run
from udp.config import Config
from udp.generate import generate
from udp.lake import Lake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dumps")
    generate(out, customers=400, skus=600, days=3, seed=3, workers=1)
    return out


def test_quarantine_holds_exactly_the_planted_bad_records(spark: SparkSession, config: Config, dumps: Path) -> None:
    config = config.with_overrides(f"paths.raw={dumps / 'raw'}")
    lake = Lake(spark, config)
    summary = run(spark, config, argparse.Namespace(source=[]))
    assert "bronze ingest" in summary.render()

    with (dumps / "truth" / "bad_records.csv").open(encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    planted = {(t["source"], t["file"], int(t["record"])) for t in truth if t["record"]}
    quarantined = {(r["_source"], r["_file"], r["_row"]): r["reason"] for r in lake.read(QUARANTINE).collect()}
    assert planted, "the generator planted no bad records"
    assert set(quarantined) == planted
    assert all(quarantined.values())
    empty = {t["file"] for t in truth if t["defect"] == "empty_file"}
    log = {r["path"]: r for r in lake.read(INGEST_LOG).collect()}
    assert {p for p, r in log.items() if r["status"] == "empty"} == empty
    assert all(r["rows_read"] == r["rows_landed"] + r["rows_quarantined"] for r in log.values())

    versions = {t: lake.version(t) for t in ("bronze.crm", "bronze.clickstream", QUARANTINE, INGEST_LOG)}
    again = run(spark, config, argparse.Namespace(source=[])).render()
    assert "files ingested    0" in again
    assert {t: lake.version(t) for t in versions} == versions
