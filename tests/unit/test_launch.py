"""./spark-submit.sh resolves and checks the configuration where it runs, ships it, and builds complete commands for
local, any Spark cluster, EMR (step or master node) and EMR Serverless; --wait follows what it submitted."""

from __future__ import annotations

import dataclasses
import io
import os
import shlex
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber
from moto import mock_aws

from tests.checkout import checkout_entries
from udp import artifacts, launch, submit
from udp.runner import JOBS

ROOT = Path(__file__).resolve().parents[2]
EMR_ENV = {"UDP_BUCKET": "acme-data"}


@pytest.fixture(autouse=True)
def _bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in EMR_ENV.items():
        monkeypatch.setenv(key, value)


def plan(*argv: str) -> launch.Plan:
    args, job_args = launch.parse_args(list(argv))
    return launch.plan(args, job_args)


def shipped_config(p: launch.Plan) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(p.artifacts.conf_bytes)) as zf:
        assert zf.namelist() == ["udp.yaml"]
        return dict(yaml.safe_load(zf.read("udp.yaml")))


def step_args(p: launch.Plan) -> list[str]:
    call = p.actions[-1]
    assert isinstance(call, submit.AwsCall)
    [step] = call.params["Steps"]
    return list(step["HadoopJarStep"]["Args"])


def test_emr_step_uploads_content_named_artifacts_and_adds_a_spark_step() -> None:
    p = plan(
        "--env", "emr", "--cluster-id", "j-ABC", "--artifacts", "s3://b/udp", "jobs/bronze_ingest.py", "--source", "crm"
    )
    uploads, call = p.actions[:-1], p.actions[-1]
    digest = p.artifacts.digest
    assert [u.target for u in uploads if isinstance(u, submit.Upload)] == [
        f"s3://b/udp/udp-{digest}.zip",
        f"s3://b/udp/conf-{digest}.zip",
        "s3://b/udp/jobs/bronze_ingest.py",
    ]
    assert isinstance(call, submit.AwsCall)
    assert (call.service, call.operation) == ("emr", "add_job_flow_steps")
    assert call.params["JobFlowId"] == "j-ABC"
    args = step_args(p)
    assert args[:5] == ["spark-submit", "--deploy-mode", "cluster", "--py-files",
                        f"s3://b/udp/udp-{digest}.zip,/usr/share/aws/delta/lib/delta-spark.jar"]  # fmt: skip
    assert args[args.index("--archives") + 1] == f"s3://b/udp/conf-{digest}.zip#conf"
    assert "spark.yarn.appMasterEnv.PYSPARK_PYTHON=/usr/bin/python3.11" in args
    assert args[-5:] == ["s3://b/udp/jobs/bronze_ingest.py", "--conf", "conf/udp.yaml", "--source", "crm"]


def test_the_driver_gets_the_bucket_resolved_at_launch_not_from_its_environment() -> None:
    p = plan("--env", "emr", "jobs/silver_build.py", "--set", "matching.thresholds.match=0.97")
    config = shipped_config(p)
    assert config["paths"] == {
        "raw": "s3://acme-data/raw",
        "lake": "s3://acme-data/lake",
        "export": "s3://acme-data/export",
    }
    assert config["spark"]["mode"] == "cluster"
    assert config["matching"]["thresholds"]["match"] == 0.97
    assert "${" not in p.resolved.text
    [cmd] = p.actions
    assert isinstance(cmd, submit.Command)
    assert cmd.argv[:3] == ["spark-submit", "--deploy-mode", "cluster"]
    assert cmd.argv[-3:] == ["jobs/silver_build.py", "--conf", "conf/udp.yaml"]
    assert "PYTHONPATH" in cmd.unset  # udp reaches the driver only as the zip


def test_the_shipped_file_loads_back_as_the_same_configuration(tmp_path: Path) -> None:
    from udp.config import load_config

    p = plan("--env", "emr", "jobs/gold_build.py", "--set", "gold.export.max_file_mb=64")
    shipped = tmp_path / "udp.yaml"
    shipped.write_text(p.resolved.text, encoding="utf-8")
    direct = load_config([str(ROOT / "conf/emr.yaml")], ["gold.export.max_file_mb=64"], env=EMR_ENV)
    assert load_config([str(shipped)], env={}) == dataclasses.replace(direct, files=(str(shipped),))


def test_a_config_mistake_fails_before_anything_is_written_or_submitted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(artifacts, "DIST", tmp_path / "dist")
    argv = ["--env", "emr", "--cluster-id", "j-1", "--artifacts", "s3://b/u/", "jobs/silver_build.py"]
    assert launch.main([*argv, "--set", "matching.x=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spark-submit.sh: error: --set: unknown key 'matching.x'")
    monkeypatch.delenv("UDP_BUCKET")
    assert launch.main(argv) == 2
    assert "environment variable UDP_BUCKET is not set" in capsys.readouterr().err
    assert not (tmp_path / "dist").exists()


def test_the_jobs_own_arguments_are_checked_at_launch(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--env", "emr", "--dry-run", "jobs/bronze_ingest.py"]
    assert launch.main([*argv, "--source", "crmm"]) == 2
    assert "unknown source 'crmm'" in capsys.readouterr().err
    assert launch.main([*argv, "--no-such-flag"]) == 2
    assert "job arguments rejected by udp.bronze.job" in capsys.readouterr().err


def test_a_cluster_launch_needs_cluster_mode_and_shared_locations(capsys: pytest.CaptureFixture[str]) -> None:
    assert launch.main(["--env", "emr", "--dry-run", "jobs/gold_build.py", "--conf", "conf/local.yaml"]) == 2
    assert "spark.mode is 'local'" in capsys.readouterr().err
    argv = ["--env", "emr", "--dry-run", "jobs/gold_build.py", "--set", "paths.lake=./lake"]
    assert launch.main(argv) == 2
    assert "paths.lake is './lake': a job on EMR needs an s3:// location" in capsys.readouterr().err


def test_credentials_never_go_into_the_shipped_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--env", "emr", "--dry-run", "jobs/gold_build.py"]
    assert launch.main([*argv, "--set", "spark.conf.spark.hadoop.fs.s3a.secret.key=abc"]) == 2
    assert "is a credential: secrets never go into configuration" in capsys.readouterr().err
    assert launch.main([*argv, "--set", "personalize.role_arn=${AWS_SECRET_ACCESS_KEY}"]) == 2
    assert "which holds a secret" in capsys.readouterr().err


def test_dry_run_writes_nothing_in_an_empty_environment(tmp_path: Path) -> None:
    """As the README promises: `env -i PATH=$PATH UDP_BUCKET=b ./spark-submit.sh --env emr --dry-run jobs/...`."""
    before = _checkout_files()
    env = {"PATH": os.environ["PATH"], "UDP_BUCKET": "b"}
    proc = subprocess.run(
        [str(ROOT / "spark-submit.sh"), "--env", "emr", "--dry-run", "jobs/bronze_ingest.py"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    config_text, commands = proc.stdout.split("# commands\n")
    assert "raw: s3://b/raw" in config_text
    assert "lake: s3://b/lake" in config_text
    [line] = commands.strip().splitlines()
    assert shlex.split(line)[-2:] == ["--conf", "conf/udp.yaml"]
    assert list(tmp_path.iterdir()) == []
    assert _checkout_files() == before


def _checkout_files() -> dict[str, float]:
    """Every file of the checkout outside .git, the venvs and the jars, with its modification time."""
    tops = checkout_entries(with_dist=True)  # a dry run builds nothing, not even in dist/
    files = [f for t in tops for f in ([t] if t.is_file() else t.rglob("*")) if f.is_file()]
    return {str(f): f.stat().st_mtime for f in files}


def test_artifacts_are_reproducible_and_hold_only_the_package() -> None:
    first = plan("--env", "emr", "jobs/gold_build.py").artifacts
    again = plan("--env", "emr", "jobs/gold_build.py").artifacts
    assert (first.digest, first.package_bytes) == (again.digest, again.package_bytes)
    with zipfile.ZipFile(io.BytesIO(first.package_bytes)) as zf:
        names = zf.namelist()
    assert "udp/__init__.py" in names
    assert "udp/bronze/ingest.py" in names
    assert not [n for n in names if "__pycache__" in n or not n.startswith("udp/")]
    other = plan("--env", "emr", "jobs/gold_build.py", "--set", "lake.vacuum_retention_hours=200").artifacts
    assert other.digest != first.digest  # another configuration, other names: concurrent launches never collide


def test_cluster_ships_the_zip_delta_and_a_python_for_every_node() -> None:
    p = plan(
        "--env", "cluster", "--master", "spark://10.0.0.1:7077", "--python", "/opt/py/bin/python",
        "--venv-archive", "/tmp/venv.tar.gz", "--jars", "/j/delta-spark_2.13-4.0.1.jar,/j/delta-storage-4.0.1.jar",
        "jobs/gold_build.py", "--set", "paths.raw=s3a://b/raw", "--set", "paths.lake=s3a://b/lake",
        "--set", "paths.export=s3a://b/export",
    )  # fmt: skip
    [cmd] = p.actions
    assert isinstance(cmd, submit.Command)
    argv = cmd.argv
    assert argv[argv.index("--master") + 1] == "spark://10.0.0.1:7077"
    assert argv[argv.index("--deploy-mode") + 1] == "client"
    assert argv[argv.index("--py-files") + 1] == f"{p.artifacts.package},/j/delta-spark_2.13-4.0.1.jar"
    assert argv[argv.index("--archives") + 1] == f"{p.artifacts.conf_archive}#conf,/tmp/venv.tar.gz#environment"
    assert "spark.pyspark.python=./environment/bin/python" in argv
    assert "spark.pyspark.driver.python=/opt/py/bin/python" in argv
    assert argv[-3:] == ["jobs/gold_build.py", "--conf", str(p.artifacts.conf_file)]  # client mode: the driver is here


def test_emr_serverless_needs_a_python_with_udps_dependencies(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--env", "emr-serverless", "--application-id", "00abc", "--role-arn", "arn:aws:iam::1:role/r",
            "--artifacts", "s3://b/udp/", "--dry-run", "jobs/bronze_ingest.py"]  # fmt: skip
    assert launch.main(base) == 2
    assert "--venv-archive" in capsys.readouterr().err
    p = plan(
        *[a for a in base if a != "--dry-run"][:-1], "--venv-archive", "s3://b/venv.tar.gz", "jobs/bronze_ingest.py"
    )
    call = p.actions[-1]
    assert isinstance(call, submit.AwsCall)
    assert call.operation == "start_job_run"
    driver = call.params["jobDriver"]["sparkSubmit"]
    assert driver["entryPoint"] == "s3://b/udp/jobs/bronze_ingest.py"
    assert driver["entryPointArguments"] == ["--conf", "conf/udp.yaml"]
    params = driver["sparkSubmitParameters"]
    assert (
        f"--conf spark.archives=s3://b/udp/conf-{p.artifacts.digest}.zip#conf,s3://b/venv.tar.gz#environment" in params
    )
    assert "spark.emr-serverless.driverEnv.PYSPARK_PYTHON=./environment/bin/python" in params
    vouched = plan(
        *[a for a in base if a != "--dry-run"][:-1], "--python", "/usr/bin/python3.11", "jobs/bronze_ingest.py"
    )
    assert (
        "spark.executorEnv.PYSPARK_PYTHON=/usr/bin/python3.11"
        in vouched.actions[-1].params["jobDriver"][  # type: ignore[union-attr]
            "sparkSubmit"
        ]["sparkSubmitParameters"]
    )


def test_local_passes_the_checked_config_arguments_through() -> None:
    p = plan("--env", "local", "jobs/bronze_ingest.py", "--set", "paths.raw=/tmp", "--source", "erp")
    [cmd] = p.actions
    assert isinstance(cmd, submit.Command)
    assert cmd.argv[0].endswith("/spark-submit")
    assert any("delta-spark" in j for j in cmd.argv[cmd.argv.index("--jars") + 1].split(","))
    assert cmd.argv[-7:] == ["jobs/bronze_ingest.py", "--conf", "conf/local.yaml", "--set", "paths.raw=/tmp",
                             "--source", "erp"]  # fmt: skip


def test_missing_job_file_and_missing_artifacts_are_clear_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert launch.main(["--env", "emr", "--dry-run", "jobs/nope.py"]) == 2
    assert "job file not found: jobs/nope.py" in capsys.readouterr().err
    assert launch.main(["--env", "emr", "--cluster-id", "j-1", "jobs/bronze_ingest.py"]) == 2
    assert "--artifacts s3://bucket/prefix/" in capsys.readouterr().err
    assert launch.main(["--env", "emr", "--wait", "jobs/bronze_ingest.py"]) == 2
    assert "--wait applies to --env emr with --cluster-id" in capsys.readouterr().err


def test_every_job_file_runs_the_module_the_launcher_checks() -> None:
    files = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "jobs").glob("*.py")}
    assert set(files) == set(JOBS)
    for name, entry in JOBS.items():
        wanted = f"from {entry.module} import {entry.main}" + ("" if entry.main == "main" else " as main")
        assert wanted in files[name], name


# --------------------------------------------------------------------------------------------------------------------
# Submitting to EMR and waiting, against botocore's Stubber (requests validated against the service model) and moto
# --------------------------------------------------------------------------------------------------------------------


def _stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.client(service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def test_emr_step_is_submitted_and_followed_to_completion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(artifacts, "DIST", tmp_path)
    args, job_args = launch.parse_args(
        ["--env", "emr", "--cluster-id", "j-1", "--artifacts", "s3://art/udp/", "--wait", "--poll-seconds", "0",
         "jobs/gold_build.py"]
    )  # fmt: skip
    p = launch.plan(args, job_args)
    p.artifacts.write()
    emr, stub = _stubbed("emr")
    stub.add_response("add_job_flow_steps", {"StepIds": ["s-1"]}, {"JobFlowId": "j-1", "Steps": ANY})
    stub.add_response("describe_cluster", {"Cluster": {"Id": "j-1", "LogUri": "s3n://logs/"}}, {"ClusterId": "j-1"})
    for state in ("PENDING", "RUNNING", "RUNNING", "COMPLETED"):
        stub.add_response("describe_step", {"Step": {"Id": "s-1", "Status": {"State": state}}},
                          {"ClusterId": "j-1", "StepId": "s-1"})  # fmt: skip
    said: list[str] = []
    with mock_aws(), stub:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="art")
        clients = {"s3": s3, "emr": emr}
        code, responses = submit.execute(p.actions, client=clients.__getitem__, say=said.append)
        assert code == 0
        assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket="art")["Contents"]) == sorted(
            [f"udp/udp-{p.artifacts.digest}.zip", f"udp/conf-{p.artifacts.digest}.zip", "udp/jobs/gold_build.py"]
        )
        assert submit.wait_for_step(emr, "j-1", responses[-1]["StepIds"][0], poll=0, say=said.append) == 0
        stub.assert_no_pending_responses()
    assert "step s-1 on j-1: logs (stderr has the driver's output in cluster mode) at s3n://logs/j-1/steps/s-1/" in said
    assert [s for s in said if s.startswith("step s-1: ")] == ["step s-1: PENDING", "step s-1: RUNNING",
                                                               "step s-1: COMPLETED"]  # fmt: skip


def test_a_failed_step_exits_1_with_the_reason() -> None:
    emr, stub = _stubbed("emr")
    stub.add_response("describe_cluster", {"Cluster": {"Id": "j-1"}}, {"ClusterId": "j-1"})
    failed = {
        "State": "FAILED",
        "FailureDetails": {"Reason": "Unknown Error.", "LogFile": "s3://logs/j-1/steps/s-9/stderr.gz"},
    }
    stub.add_response("describe_step", {"Step": {"Id": "s-9", "Status": failed}}, {"ClusterId": "j-1", "StepId": "s-9"})
    said: list[str] = []
    with stub:
        assert submit.wait_for_step(emr, "j-1", "s-9", poll=0, say=said.append) == 1
    assert said[-1] == "step s-9 FAILED: Unknown Error.; s3://logs/j-1/steps/s-9/stderr.gz"


def test_an_emr_serverless_run_is_followed_and_its_failure_reported() -> None:
    client, stub = _stubbed("emr-serverless")

    def run(state: str, details: str = "") -> dict[str, Any]:
        logs = {"s3MonitoringConfiguration": {"logUri": "s3://logs/"}}
        return {
            "jobRun": {
                "applicationId": "00abc",
                "jobRunId": "r-1",
                "arn": "arn:aws:emr-serverless:eu-west-1:1:/applications/00abc/jobruns/r-1",
                "createdBy": "arn:aws:iam::123456789012:user/ops",
                "createdAt": 0,
                "updatedAt": 0,
                "executionRole": "arn:aws:iam::1:role/r",
                "state": state,
                "stateDetails": details or state.title(),
                "releaseLabel": "emr-7.9.0",
                "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/j.py"}},
                "configurationOverrides": {"monitoringConfiguration": logs},
            }
        }

    for state in ("SCHEDULED", "RUNNING"):
        stub.add_response("get_job_run", run(state), {"applicationId": "00abc", "jobRunId": "r-1"})
    stub.add_response(
        "get_job_run", run("FAILED", "Job failed, ExitCode: 1"), {"applicationId": "00abc", "jobRunId": "r-1"}
    )
    said: list[str] = []
    with stub:
        assert submit.wait_for_job_run(client, "00abc", "r-1", poll=0, say=said.append) == 1
    assert said[0] == "job run r-1: driver log at s3://logs/applications/00abc/jobs/r-1/SPARK_DRIVER/"
    assert said[1:] == ["job run r-1: SCHEDULED", "job run r-1: RUNNING", "job run r-1: FAILED",
                        "job run r-1 FAILED: Job failed, ExitCode: 1"]  # fmt: skip
