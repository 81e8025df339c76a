"""Silver killed mid-run and resumed converges to a clean run: the same match model, links and customer ids.

A kill is simulated by raising from inside the stage right after a chosen table write commits (the Lake's write
methods are wrapped), which leaves the lake exactly as a process killed at that moment would.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from udp.bronze.ingest import ingest
from udp.config import Config
from udp.generate import generate
from udp.lake import Lake
from udp.silver import job

pytestmark = pytest.mark.slow
ARGS = argparse.Namespace(retrain=False, full=False)
# Columns that hold the run's own timestamp (a resumed run is a later run); everything else must be identical.
RUN_COLUMNS = {job.MODEL: {"version"}, job.LINKS: {"model_version"}, job.XREF: {"first_seen_at"}}
COMPARED = (job.RECORDS, job.MODEL, job.LINKS, job.XREF)
WRITES = ("append", "overwrite", "replace_where", "merge", "delete")


class KilledError(Exception):
    """Stands for the process dying right after a commit."""


Snapshot = dict[str, list[tuple[str, ...]]]


def snapshot(lake: Lake) -> Snapshot:
    out = {}
    for table in COMPARED:
        df = lake.read(table)
        columns = sorted(c for c in df.columns if c not in RUN_COLUMNS.get(table, set()))
        out[table] = sorted(tuple(str(v) for v in r) for r in df.select(*columns).collect())
    return out


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory, spark: SparkSession, base_config: Config) -> Path:
    """A folder holding `days12` (a lake with the bronze of two days) and `bronze123` (bronze of three days), of the
    customer sources only: matching and ids are what recovery must reproduce, and the other sources cost time."""
    root = tmp_path_factory.mktemp("silver-recovery")
    generate(root / "dumps", customers=200, skus=200, days=3, seed=11, workers=1)
    days = sorted(p.name for p in (root / "dumps" / "raw" / "crm").iterdir())

    def land(day: str) -> None:
        for source in (root / "dumps" / "raw").iterdir():
            if (source / day).is_dir():
                shutil.copytree(source / day, root / "raw" / source.name / day)

    config = base_config.with_overrides(f"paths.raw={root / 'raw'}", f"paths.lake={root / 'days12'}")
    customers = [name for name, contract in config.sources.items() if contract.entity == "customer"]
    for day in days[:2]:
        land(day)
    ingest(spark, Lake(spark, config), config, only=customers)
    shutil.copytree(root / "days12", root / "days123")
    land(days[2])
    config = config.with_overrides(f"paths.lake={root / 'days123'}")
    ingest(spark, Lake(spark, config), config, only=customers)
    shutil.move(root / "days123" / "bronze", root / "bronze123")
    return root


def lake_at(spark: SparkSession, base_config: Config, path: Path, source: Path) -> tuple[Config, Lake]:
    shutil.copytree(source, path)
    config = base_config.with_overrides(f"paths.lake={path}")
    return config, Lake(spark, config)


def add_third_day(lake_dir: Path, lakes: Path) -> None:
    shutil.rmtree(lake_dir / "bronze")
    shutil.copytree(lakes / "bronze123", lake_dir / "bronze")


def test_a_killed_first_run_resumes_to_the_clean_runs_model_links_and_ids(
    spark: SparkSession, base_config: Config, lakes: Path, tmp_path: Path
) -> None:
    config, lake = lake_at(spark, base_config, tmp_path / "clean", lakes / "days12")
    job.run(spark, config, ARGS)
    clean = snapshot(lake)
    assert clean[job.LINKS]
    assert clean[job.XREF]

    # After the records (nothing matched yet), after the model (trained, nothing scored), after the links.
    for table in (job.RECORDS, job.MODEL, job.LINKS):
        config, lake = lake_at(spark, base_config, tmp_path / f"killed-{table}", lakes / "days12")
        with pytest.MonkeyPatch.context() as mp:
            kill_after_in(mp, table)
            with pytest.raises(KilledError):
                job.run(spark, config, ARGS)
        job.run(spark, config, ARGS)
        assert snapshot(lake) == clean, f"killed after {table}"


def test_a_killed_incremental_run_resumes_to_the_clean_runs_links_and_ids(
    spark: SparkSession, base_config: Config, lakes: Path, tmp_path: Path
) -> None:
    config, lake = lake_at(spark, base_config, tmp_path / "clean", lakes / "days12")
    job.run(spark, config, ARGS)
    shutil.copytree(tmp_path / "clean", tmp_path / "first")
    add_third_day(tmp_path / "clean", lakes)
    compared = dict(job.run(spark, config, ARGS).facts)["records compared (touched)"]
    assert int(compared.replace(",", "")) > 0  # the third day's records were matched, not taken as unchanged
    clean = snapshot(lake)

    # The records of the third day are merged, then the run dies before they are compared with anything.
    config, lake = lake_at(spark, base_config, tmp_path / "killed", tmp_path / "first")
    add_third_day(tmp_path / "killed", lakes)
    with pytest.MonkeyPatch.context() as mp:
        kill_after_in(mp, job.RECORDS)
        with pytest.raises(KilledError):
            job.run(spark, config, ARGS)
    job.run(spark, config, ARGS)
    assert snapshot(lake) == clean


def kill_after_in(monkeypatch: pytest.MonkeyPatch, table: str) -> None:
    """Within `monkeypatch`'s scope, the next write to `table` commits, then the run dies."""

    def wrap(original: Callable[..., None]) -> Callable[..., None]:
        def write(self: Lake, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            if next(a for a in args if isinstance(a, str)) == table:
                raise KilledError(f"killed after writing {table}")

        return write

    for name in WRITES:
        monkeypatch.setattr(Lake, name, wrap(getattr(Lake, name)))
