"""./spark-submit.sh builds complete commands for local, EMR (step or master node) and EMR Serverless."""

from __future__ import annotations

import json
import shlex
import zipfile
from pathlib import Path

import pytest

from udp import launch

ROOT = Path(__file__).resolve().parents[2]


def plan(*argv: str) -> list[list[str]]:
    args, job_args = launch.parse_args(list(argv))
    return launch.commands(args, job_args)


def test_emr_step_ships_zip_conf_and_delta_settings() -> None:
    cmds = plan(
        "--env", "emr", "--cluster-id", "j-ABC", "--artifacts", "s3://b/udp", "jobs/bronze_ingest.py", "--source", "crm"
    )
    uploads, step_cmd = cmds[:-1], cmds[-1]
    assert [c[-1] for c in uploads] == ["s3://b/udp/udp.zip", "s3://b/udp/conf.zip", "s3://b/udp/jobs/bronze_ingest.py"]
    assert step_cmd[:5] == ["aws", "emr", "add-steps", "--cluster-id", "j-ABC"]
    [step] = json.loads(step_cmd[-1])
    args = step["Args"]
    assert step["Type"] == "Spark"
    assert args[:6] == [
        "--deploy-mode",
        "cluster",
        "--py-files",
        "s3://b/udp/udp.zip",
        "--archives",
        "s3://b/udp/conf.zip#conf",
    ]
    assert "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension" in args
    assert "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog" in args
    assert "spark.yarn.appMasterEnv.PYSPARK_PYTHON=/usr/bin/python3.11" in args
    assert args[-5:] == ["s3://b/udp/jobs/bronze_ingest.py", "--conf", "conf/emr.yaml", "--source", "crm"]


def test_emr_on_master_node_runs_spark_submit_in_cluster_mode() -> None:
    [cmd] = plan("--env", "emr", "jobs/bronze_ingest.py", "--conf", "conf/emr.yaml")
    assert cmd[:3] == ["spark-submit", "--deploy-mode", "cluster"]
    assert cmd[cmd.index("--py-files") + 1].endswith("dist/udp.zip")
    assert cmd[-3:] == ["jobs/bronze_ingest.py", "--conf", "conf/emr.yaml"]


def test_dist_zip_holds_the_package_and_conf_zip_the_config() -> None:
    package, conf = launch.build_zip(ROOT / "dist")
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
    assert "udp/__init__.py" in names
    assert "udp/bronze/ingest.py" in names
    assert not [n for n in names if "__pycache__" in n]
    with zipfile.ZipFile(conf) as zf:
        assert {"base.yaml", "emr.yaml", "sources.yaml"} <= set(zf.namelist())
    first = package.read_bytes()
    launch.build_zip(ROOT / "dist")
    assert package.read_bytes() == first


def test_emr_serverless_starts_a_job_run_with_delta_jars() -> None:
    cmds = plan(
        "--env", "emr-serverless", "--application-id", "00abc", "--role-arn", "arn:aws:iam::1:role/r",
        "--artifacts", "s3://b/udp/", "jobs/bronze_ingest.py",
    )  # fmt: skip
    run = cmds[-1]
    assert run[:3] == ["aws", "emr-serverless", "start-job-run"]
    driver = json.loads(run[run.index("--job-driver") + 1])["sparkSubmit"]
    assert driver["entryPoint"] == "s3://b/udp/jobs/bronze_ingest.py"
    assert driver["entryPointArguments"] == ["--conf", "conf/emr.yaml"]
    params = driver["sparkSubmitParameters"]
    assert "--conf spark.jars=/usr/share/aws/delta/lib/delta-spark.jar" in params
    assert "--conf spark.archives=s3://b/udp/conf.zip#conf" in params


def test_local_uses_the_venv_spark_submit_with_delta_jars() -> None:
    [cmd] = plan("--env", "local", "jobs/bronze_ingest.py", "--set", "paths.raw=/r")
    assert cmd[0].endswith("/spark-submit")
    jars = cmd[cmd.index("--jars") + 1].split(",")
    assert any("delta-spark" in j for j in jars)
    assert cmd[-3:] == ["jobs/bronze_ingest.py", "--set", "paths.raw=/r"]


def test_missing_job_file_and_missing_artifacts_are_clear_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert launch.main(["--env", "emr", "--dry-run", "jobs/nope.py"]) == 2
    assert "job file not found: jobs/nope.py" in capsys.readouterr().err
    assert launch.main(["--env", "emr", "--cluster-id", "j-1", "jobs/bronze_ingest.py"]) == 2
    assert "--artifacts s3://bucket/prefix/" in capsys.readouterr().err


def test_dry_run_prints_shell_ready_commands(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--env", "emr", "--dry-run", "--cluster-id", "j-1", "--artifacts", "s3://b/u/", "jobs/bronze_ingest.py"]
    assert launch.main(argv) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 4
    assert shlex.split(printed[-1])[:3] == ["aws", "emr", "add-steps"]
