"""Bronze on generated dumps: every planted bad record is quarantined with a reason, and no valid record is."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pytest
from deltalake import DeltaTable
from pyspark.sql import SparkSession

from udp.bronze.job import run
from udp.bronze.ledger import INGEST_LOG
from udp.bronze.quarantine import QUARANTINE
from udp.config import Config
from udp.generate import generate
from udp.lake import Lake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dumps")
    generate(out, customers=400, skus=600, days=3, seed=3, workers=1)
    return out


@pytest.fixture(scope="module")
def ingested(
    spark: SparkSession, base_config: Config, dumps: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Config, Lake, str]:
    """The dumps through one bronze run (shared: a run takes minutes): its config, lake and summary."""
    out = tmp_path_factory.mktemp("generated-lake")
    config = base_config.with_overrides(
        f"paths.raw={dumps / 'raw'}", f"paths.lake={out / 'lake'}", f"paths.export={out / 'export'}"
    )
    summary = run(spark, config, argparse.Namespace(source=[])).render()
    return config, Lake(spark, config), summary


def test_quarantine_holds_exactly_the_planted_bad_records(
    spark: SparkSession, ingested: tuple[Config, Lake, str], dumps: Path
) -> None:
    config, lake, summary = ingested
    assert "bronze ingest" in summary

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


def test_every_bronze_table_opens_outside_spark_with_the_planted_bytes_exact(
    ingested: tuple[Config, Lake, str], dumps: Path
) -> None:
    config, lake, _ = ingested

    tables = sorted(Path(lake.path(QUARANTINE)).parent.iterdir())
    assert len(tables) == len(config.sources) + 2
    for path in tables:
        arrow = DeltaTable(str(path)).to_pyarrow_table()
        arrow.validate(full=True)  # every string valid UTF-8, as Athena and other readers require
        assert arrow.num_rows == lake.read(f"bronze.{path.name}").count()
    quarantine = DeltaTable(lake.path(QUARANTINE)).to_pyarrow_table().to_pylist()
    undecodable = [r for r in quarantine if r["payload_bytes"] is not None]
    planted = [r for r in quarantine if r["reason_code"] == "invalid_utf8"]
    assert planted
    assert undecodable == planted
    for r in undecodable:
        line = (dumps / "raw" / r["_file"]).read_bytes().splitlines()[r["_row"] - 1]
        assert (r["payload_bytes"], r["payload"]) == (line, line.decode("utf-8", errors="replace"))
