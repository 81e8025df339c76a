"""`udp personalize schedule`: the daily run as EMR steps and as an Airflow DAG, each step as the launcher builds it."""

from __future__ import annotations

import itertools
import json
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest

from udp import artifacts, schedule
from udp.personalize import job

STAGES = ["bronze", "silver", "gold", "export", "personalize"]


@pytest.fixture(autouse=True)
def _bucket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("UDP_BUCKET", "acme-data")
    monkeypatch.setattr(artifacts, "DIST", tmp_path / "dist")  # the steps' artifacts, built here, not in dist/


def test_emr_steps_run_the_five_stages_with_one_shipped_configuration(tmp_path: Path) -> None:
    out = tmp_path / "steps.json"
    argv = ["schedule", "--for", "emr-steps", "--artifacts", "s3://b/udp", "--set", "gold.export.incremental=true"]
    assert job.main([*argv, "--out", str(out)]) == 0
    steps = json.loads(out.read_text())
    assert [s["Name"] for s in steps] == [f"udp daily {s}" for s in STAGES]
    assert {(s["Type"], s["Jar"], s["ActionOnFailure"]) for s in steps} == {
        ("CUSTOM_JAR", "command-runner.jar", "CANCEL_AND_WAIT")  # a failed stage stops the day
    }
    archives = {s["Args"][s["Args"].index("--archives") + 1] for s in steps}
    assert len(archives) == 1  # every stage reads the same resolved configuration
    jobs = [a for s in steps for a in s["Args"] if a.startswith("s3://b/udp/jobs/")]
    assert jobs == [f"s3://b/udp/{path}" for _, path, _ in schedule.DAILY]
    assert steps[-1]["Args"][-3:] == ["--conf", "conf/udp.yaml", "apply"]


class Task:
    """Stands in for an Airflow operator: keeps its arguments and the edges `>>` draws."""

    edges: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def __rshift__(self, other: Task) -> Task:
        Task.edges.append((self.kwargs["task_id"], other.kwargs["task_id"]))
        return other


class Dag:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def __enter__(self) -> Dag:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def test_the_airflow_dag_chains_an_add_and_a_watch_per_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "udp_daily.py"
    assert job.main(["schedule", "--for", "airflow", "--artifacts", "s3://b/udp", "--out", str(out)]) == 0
    modules = {
        "pendulum": types.SimpleNamespace(datetime=lambda *a, **k: (a, k)),
        "airflow": types.SimpleNamespace(DAG=Dag),
        "airflow.providers.amazon.aws.operators.emr": types.SimpleNamespace(EmrAddStepsOperator=Task),
        "airflow.providers.amazon.aws.sensors.emr": types.SimpleNamespace(EmrStepSensor=Task),
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    Task.edges = []
    namespace: dict[str, Any] = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)  # the generated file runs as Python
    assert namespace["dag"].kwargs["schedule"] == "@daily"
    assert [s["Name"] for s in namespace["STEPS"]] == [f"udp daily {s}" for s in STAGES]
    chain = [f"{kind}_{s}" for s in STAGES for kind in ("add", "watch")]
    assert Task.edges == list(itertools.pairwise(chain))  # add >> watch, then watch >> the next stage's add
    text = out.read_text()
    assert 'step_id="{{ task_instance.xcom_pull(task_ids=\'add_" + stage + "\')[0] }}"' in text
    assert 'CLUSTER = "{{ var.value.udp_emr_cluster_id }}"' in text
    assert "aws s3 cp " in text  # the uploads the steps need, in the docstring


def test_a_configuration_mistake_is_one_line_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["schedule", "--for", "emr-steps", "--artifacts", "s3://b/udp", "--set", "gold.export.incremental=maybe"]
    assert job.main([*argv, "--out", str(tmp_path / "s.json")]) == 2
    assert capsys.readouterr().err.startswith("udp: error: ")
    assert not (tmp_path / "s.json").exists()
