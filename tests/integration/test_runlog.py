"""The run log: each job appends its run to udp._runs and its steps to udp._run_steps, and prints its summary from
that row; a run that fails after Spark started is logged with its error."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tests.progress import progress_lines
from udp import tables
from udp.bronze import job
from udp.config import Config
from udp.lake import Lake
from udp.runlog import Run

ROOT = Path(__file__).resolve().parents[2]
LOCAL = str(ROOT / "conf" / "local.yaml")
ERP = (
    "sku,name,description,brand,category_path,price,currency,launched,active\n"
    "SKU1,Shirt,Soft,Acme,Men > Shirts,19.99,GBP,2025-01-01,Y\n"
)


def as_run(row: object) -> Run:
    r = row.asDict(recursive=True)  # type: ignore[attr-defined]
    return Run(
        run_id=r["run_id"],
        stage=r["stage"],
        title=r["title"],
        config_digest=r["config_digest"],
        code_version=r["code_version"],
        started_at=r["started_at"],
        ended_at=r["ended_at"],
        status=r["status"],
        figures=[(f["name"], f["value"]) for f in r["figures"]],
        sections=[(s["title"], s["body"]) for s in r["sections"]],
        warnings=r["warnings"],
        error=r["error"],
    )


def test_each_run_is_logged_and_its_summary_is_printed_from_the_log(
    spark: SparkSession, config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landed = tmp_path / "raw" / "erp" / "2026-10-01"
    landed.mkdir(parents=True)
    (landed / "erp.csv").write_text(ERP, encoding="utf-8")
    argv = ["--conf", LOCAL, "--set", f"paths.raw={tmp_path / 'raw'}", "--set", f"paths.lake={tmp_path / 'lake'}"]
    printed = []
    for _ in range(2):  # the second run finds nothing new
        assert job.main(argv) == 0
        out = capsys.readouterr()
        printed.append((out.out.strip(), progress_lines(out.err)))

    lake = Lake(spark, config)
    runs = [as_run(r) for r in lake.read(tables.RUNS).orderBy("started_at").collect()]
    assert [(r.stage, r.status, r.title, r.error) for r in runs] == [("bronze", "succeeded", "bronze ingest", None)] * 2
    assert [dict(r.figures)["rows landed"] for r in runs] == ["1", "0"]
    assert runs[0].run_id != runs[1].run_id
    assert runs[0].config_digest == runs[1].config_digest
    assert [r.render() for r in runs] == [text for text, _ in printed]  # the summary is the logged row, as printed

    steps = lake.read(tables.RUN_STEPS).where(f"run_id = '{runs[0].run_id}'").orderBy("step").collect()
    assert [s["message"] for s in steps][:2] == ["starting Spark", "erp: 1 new file(s), 0.0 MB"]
    assert [s["message"] for s in steps] == [line.split(maxsplit=2)[2] for line in printed[0][1]]
    assert [s["step"] for s in steps] == list(range(1, len(steps) + 1))
    assert all(a["ended_at"] == b["started_at"] for a, b in itertools.pairwise(steps))
    assert steps[-1]["ended_at"] == runs[0].ended_at
    landed_sql = "SELECT map_from_entries(figures)['rows landed'] AS n FROM udp._runs ORDER BY started_at"
    assert [r["n"] for r in spark.sql(landed_sql).collect()] == ["1", "0"]  # registered for `udp sql`


def test_a_run_that_fails_after_spark_started_is_logged_with_its_error(
    spark: SparkSession, config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landed = tmp_path / "raw" / "crm" / "2026-10-01"
    landed.mkdir(parents=True)
    (landed / "customers.csv").write_text("customer_id,first_name\nC1,Ann\n", encoding="latin-1")
    typo = "sources.crm.mapping.first_name=initcap(first_nme)"
    paths = ["--set", f"paths.raw={tmp_path / 'raw'}", "--set", f"paths.lake={tmp_path / 'lake'}"]
    assert job.main(["--conf", LOCAL, *paths, "--set", typo]) == 2
    printed = capsys.readouterr().err.strip().splitlines()[-1]
    [run] = Lake(spark, config).read(tables.RUNS).collect()
    assert (run["stage"], run["status"], run["figures"]) == ("bronze", "failed", [])
    assert printed == f"udp: error: {run['error']}"
