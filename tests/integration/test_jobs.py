"""Jobs fail with one line naming the problem, and really run under spark-submit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.progress import other_lines, progress_lines
from udp.bronze import job

ROOT = Path(__file__).resolve().parents[2]
LOCAL = str(ROOT / "conf" / "local.yaml")


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert job.main(argv) == 2
    err = other_lines(capsys.readouterr().err)  # after the progress lines of a job that started Spark
    assert len(err) == 1, err
    return err[0]


def test_misspelt_config_key_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line_error(capsys, ["--conf", LOCAL, "--set", "paths.lakee=/tmp/x"])
    assert line == (
        "udp: error: --set: unknown key 'paths.lakee' (did you mean 'lake'?); allowed keys here: export, lake, raw"
    )


def test_missing_config_file_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert one_line_error(capsys, ["--conf", "conf/nope.yaml"]) == "udp: error: config file not found: conf/nope.yaml"


def test_wrong_raw_path_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-raw"
    line = one_line_error(capsys, ["--conf", LOCAL, "--set", f"paths.raw={missing}"])
    assert line == f"udp: error: raw folder (paths.raw) not found: {missing}"


def test_unknown_source_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = one_line_error(capsys, ["--conf", LOCAL, "--set", f"paths.raw={tmp_path}", "--source", "crmm"])
    assert line.startswith(
        "udp: error: unknown source 'crmm' (did you mean 'crm'?); sources in the contract: crm, ecom"
    )


def test_a_typo_in_a_mapping_expression_is_named_before_any_data_is_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    landed = tmp_path / "crm" / "2026-10-01"
    landed.mkdir(parents=True)
    (landed / "customers.csv").write_text("customer_id,first_name\nC1,Ann\n", encoding="latin-1")
    typo = "sources.crm.mapping.first_name=initcap(first_nme)"
    paths = ["--set", f"paths.raw={tmp_path}", "--set", f"paths.lake={tmp_path / 'lake'}"]  # the session starts
    line = one_line_error(capsys, ["--conf", LOCAL, *paths, "--set", typo])
    assert line.startswith(
        "udp: error: source 'crm': field 'mapping.first_name' has an invalid expression 'initcap(first_nme)': "
    )
    assert "first_nme" in line.split(": ", 3)[-1]


def test_cli_prints_no_traceback_for_a_user_error() -> None:
    udp = Path(sys.executable).parent / "udp"
    proc = subprocess.run(
        [str(udp), "run", "bronze", "--conf", "missing.yaml"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr == "udp: error: config file not found: missing.yaml\n"


@pytest.mark.slow
def test_spark_submit_local_runs_bronze_end_to_end(tmp_path: Path) -> None:
    raw = tmp_path / "raw" / "erp" / "2026-10-01"
    raw.mkdir(parents=True)
    (raw / "erp.csv").write_text(
        "sku,name,description,brand,category_path,price,currency,launched,active\n"
        "SKU1,Shirt,Soft,Acme,Men > Shirts,19.99,GBP,2025-01-01,Y\n",
        encoding="utf-8",
    )
    cmd = [
        str(ROOT / "spark-submit.sh"), "--env", "local", "jobs/bronze_ingest.py", "--conf", LOCAL,
        "--set", f"paths.raw={tmp_path / 'raw'}", "--set", f"paths.lake={tmp_path / 'lake'}",
        "--set", "catalog.implementation=in-memory", "--source", "erp",
    ]  # fmt: skip
    env = {**os.environ, "UDP_PYTHON": sys.executable}  # the Spark of the venv running the tests
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "== bronze ingest ==" in proc.stdout
    assert (tmp_path / "lake" / "bronze" / "erp" / "_delta_log").is_dir()
    assert (tmp_path / "lake" / "udp" / "_runs" / "_delta_log").is_dir()  # the run log, written on the cluster too
    erp_line = next(line for line in proc.stdout.splitlines() if line.startswith("erp "))
    assert erp_line.split()[1:5] == ["1", "1", "1", "0"]
    # spark-submit runs a Python driver with its stderr merged into stdout (Spark's PythonRunner): look in both
    steps = [line.split(maxsplit=1)[1] for line in progress_lines(proc.stdout + proc.stderr)]
    assert steps[0].split() == ["bronze", "starting", "Spark"]
    assert steps[1].split() == ["bronze", "erp:", "1", "new", "file(s),", "0.0", "MB"]
    assert steps[2].startswith("bronze   erp: done in ")
