"""Carry out a launch: the actions it is made of (a command run here, an upload to S3, an AWS API call), run in
order, and the EMR step or EMR Serverless job run they submitted, followed to its end.

Every action prints as the shell line that does the same (`aws ... --cli-input-json` for an API call), which is what
--dry-run shows. AWS clients come from boto3's standard chain (credentials, region, AWS_ENDPOINT_URL_<SERVICE>).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from udp.artifacts import ROOT

FINAL_STEP_STATES = {"COMPLETED": 0, "FAILED": 1, "CANCELLED": 1, "INTERRUPTED": 1}
FINAL_RUN_STATES = {"SUCCESS": 0, "FAILED": 1, "CANCELLED": 1}


@dataclass(frozen=True)
class Command:
    """A process the launcher runs (spark-submit), with the variables it adds to the environment."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()

    def shell(self) -> str:
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        return f"{prefix} {shlex.join(self.argv)}".strip()


@dataclass(frozen=True)
class Upload:
    """A local artifact copied to S3."""

    source: Path
    target: str

    def shell(self) -> str:
        return shlex.join(["aws", "s3", "cp", str(self.source), self.target])


@dataclass(frozen=True)
class AwsCall:
    """One AWS API call (boto3), printed as the `aws` CLI line that makes the same request."""

    service: str
    operation: str  # boto3's snake_case name
    params: dict[str, Any]

    def shell(self) -> str:
        cli_op = self.operation.replace("_", "-")
        return shlex.join(["aws", self.service, cli_op, "--cli-input-json", json.dumps(self.params)])


Action = Command | Upload | AwsCall


def aws_client(service: str) -> Any:
    """A boto3 client from the standard chain (credentials, region, AWS_ENDPOINT_URL_<SERVICE>)."""
    import boto3

    return boto3.client(service)


def execute(
    actions: Sequence[Action],
    *,
    client: Callable[[str], Any] = aws_client,
    say: Callable[[str], None] = print,
) -> tuple[int, list[dict[str, Any]]]:
    """Run the actions in order; returns the first non-zero exit code (or 0) and the AWS calls' responses."""
    responses: list[dict[str, Any]] = []
    for action in actions:
        if isinstance(action, Command):
            say(f"+ {action.shell()}")
            env = {k: v for k, v in os.environ.items() if k not in action.unset}
            code = subprocess.call(action.argv, env={**env, **action.env}, cwd=ROOT)
            if code:
                return code, responses
        elif isinstance(action, Upload):
            bucket, _, key = action.target.removeprefix("s3://").partition("/")
            say(f"+ {action.shell()}")
            client("s3").upload_file(str(action.source), bucket, key)
        else:
            say(f"+ {action.service} {action.operation}")
            responses.append(getattr(client(action.service), action.operation)(**action.params))
    return 0, responses


def wait_for_step(
    emr: Any, cluster_id: str, step_id: str, *, poll: float, say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> int:  # fmt: skip
    """Poll an EMR step until it ends; print state changes and where its logs are; 0 when COMPLETED."""
    log_uri = emr.describe_cluster(ClusterId=cluster_id)["Cluster"].get("LogUri", "")
    where = f"{log_uri.rstrip('/')}/{cluster_id}/steps/{step_id}/" if log_uri else "(the cluster has no LogUri)"
    say(f"step {step_id} on {cluster_id}: logs (stderr has the driver's output in cluster mode) at {where}")
    last = ""
    while True:
        status = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]["Status"]
        state = status["State"]
        if state != last:
            say(f"step {step_id}: {state}")
            last = state
        if state in FINAL_STEP_STATES:
            if FINAL_STEP_STATES[state]:
                details = status.get("FailureDetails", {})
                reason = "; ".join(str(details[k]) for k in ("Reason", "Message", "LogFile") if details.get(k))
                say(f"step {step_id} {state}: {reason or status.get('StateChangeReason', {}).get('Message', '')}")
            return FINAL_STEP_STATES[state]
        sleep(poll)


def wait_for_job_run(
    serverless: Any, application_id: str, job_run_id: str, *, poll: float, say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> int:  # fmt: skip
    """Poll an EMR Serverless job run until it ends; print state changes and its driver log; 0 on SUCCESS."""
    last = ""
    while True:
        run = serverless.get_job_run(applicationId=application_id, jobRunId=job_run_id)["jobRun"]
        state = run["state"]
        if not last:
            say(f"job run {job_run_id}: driver log at {_driver_log(run, application_id, job_run_id)}")
        if state != last:
            say(f"job run {job_run_id}: {state}")
            last = state
        if state in FINAL_RUN_STATES:
            if FINAL_RUN_STATES[state]:
                say(f"job run {job_run_id} {state}: {run.get('stateDetails', '')}")
            return FINAL_RUN_STATES[state]
        sleep(poll)


def _driver_log(run: dict[str, Any], application_id: str, job_run_id: str) -> str:
    monitoring = run.get("configurationOverrides", {}).get("monitoringConfiguration", {})
    log_uri = monitoring.get("s3MonitoringConfiguration", {}).get("logUri")
    if log_uri:
        return f"{log_uri.rstrip('/')}/applications/{application_id}/jobs/{job_run_id}/SPARK_DRIVER/"
    return f"the application's managed storage (aws emr-serverless get-dashboard-for-job-run --job-run-id {job_run_id})"


def wait(
    args: argparse.Namespace, responses: Sequence[dict[str, Any]], client: Callable[[str], Any] = aws_client
) -> int:
    """Follow the step (--env emr) or job run (emr-serverless) the last AWS call started; 0 when it succeeded."""
    if args.env == "emr":
        [step_id] = responses[-1]["StepIds"]
        return wait_for_step(client("emr"), args.cluster_id, step_id, poll=args.poll_seconds)
    job_run_id = responses[-1]["jobRunId"]
    return wait_for_job_run(client("emr-serverless"), args.application_id, job_run_id, poll=args.poll_seconds)
