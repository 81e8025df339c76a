"""Operating bronze: an empty landing zone warns, a no-op rerun does no Delta work, no process outlives udp."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from udp import session
from udp.bronze import ingest as ingest_module
from udp.bronze import job
from udp.bronze.ingest import ingest
from udp.bronze.ledger import INGEST_LOG
from udp.config import Config, load_config
from udp.lake import Lake

ROOT = Path(__file__).resolve().parents[2]
LOCAL = str(ROOT / "conf" / "local.yaml")
NOW = dt.datetime(2026, 10, 31, 12, 0, tzinfo=dt.UTC)
ERP = (
    "sku,name,description,brand,category_path,price,currency,launched,active\n"
    "SKU1,Shirt,Soft,Acme,Men > Shirts,19.99,GBP,2025-01-01,Y\n"
)
TOUCHING = ("read", "append", "overwrite", "replace_where", "merge", "delete", "optimize", "last_commit")


def land(raw: Path, relative: str, content: str) -> None:
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


def test_an_empty_landing_zone_warns_once_saying_where_it_looked(
    spark: SparkSession, config: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, lake = Path(config.paths.raw), Path(config.paths.lake)
    (raw / "crm" / "2026-10-01").mkdir(parents=True)  # folders, but no file any source's path matches
    land(raw, "notes/readme.txt", "not a source")
    monkeypatch.setattr(session, "build_spark", lambda *_args, **_kwargs: spark)

    assert job.main(["--conf", LOCAL, "--set", f"paths.raw={raw}", "--set", f"paths.lake={lake}"]) == 0

    out, err = capsys.readouterr()
    sources = load_config([LOCAL]).sources
    [warning] = [line for line in err.splitlines() if line.startswith("udp: warning:")]
    assert str(raw) in warning
    assert all(f"{name}: {contract.path}" in warning for name, contract in sources.items())
    assert out.count("warning: no file found for any source") == 1
    assert not (lake / "bronze").exists()  # nothing to ingest, so no table was created either


def test_a_rerun_that_finds_nothing_new_reads_only_the_ingest_log(
    spark: SparkSession, lake: Lake, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = Path(config.paths.raw)
    land(raw, "erp/2026-10-01/erp.csv", ERP)
    land(raw, "erp/2026-10-02/erp.csv", ERP.replace("SKU1", "SKU2"))
    ingest(spark, lake, config, only=["erp"], now=NOW)
    touched: list[tuple[str, str]] = []

    def spy(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: Lake, *args: Any, **kwargs: Any) -> Any:
            touched.append((name, next(a for a in args if isinstance(a, str))))
            return original(self, *args, **kwargs)

        return call

    for name in TOUCHING:
        monkeypatch.setattr(Lake, name, spy(name, getattr(Lake, name)))
    monkeypatch.setattr(ingest_module, "read_batch", None)  # any parse of a file would fail

    results = ingest(spark, lake, config, now=NOW + dt.timedelta(hours=1))

    assert touched == [("read", INGEST_LOG)]
    assert {r.source: (r.found, r.files) for r in results if r.found} == {"erp": (2, [])}


@pytest.mark.slow
def test_no_process_of_udp_outlives_it(tmp_path: Path) -> None:
    land(tmp_path / "raw", "erp/2026-10-01/erp.csv", ERP)
    udp = Path(sys.executable).parent / "udp"
    cmd = [
        str(udp), "run", "bronze", "--conf", LOCAL, "--source", "erp",
        "--set", f"paths.raw={tmp_path / 'raw'}", "--set", f"paths.lake={tmp_path / 'lake'}",
    ]  # fmt: skip
    # Its own session, hence its own process group: whatever udp starts (the JVM, Python workers) inherits it.
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=900)

    assert proc.returncode == 0, err.decode()[-2000:]
    assert b"== bronze ingest ==" in out
    assert group(proc.pid) == []


def group(pgid: int) -> list[str]:
    """Every process (zombies included) whose process group is `pgid`: `pid state command`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended while listing
            continue
        comm_end = text.rindex(")")
        state, _ppid, pgrp = text[comm_end + 2 :].split()[:3]
        if int(pgrp) == pgid:
            found.append(f"{stat.parent.name} {state} {text[text.index('(') + 1 : comm_end]}")
    return found
