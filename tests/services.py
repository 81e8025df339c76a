"""Real services for tests and the rehearsal, each started and stopped by the code that needs it.

    with moto_s3(logs) as endpoint: ...                      moto's S3 API server on a free loopback port
    with spark_standalone(logs, workers=2) as cluster: ...   a Spark standalone master and workers (separate JVMs)

Every service runs as its own process group (session), on 127.0.0.1 only, and its whole group is stopped when the
block exits, whatever happens: a failure, Ctrl-C, SIGTERM or SIGHUP (`stop_on_signals` turns those into an exit
that unwinds every block) — what a shell script's `trap ... EXIT` gives.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


class ServiceError(RuntimeError):
    """A service did not start (its log's tail is in the message)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    """A started service process and its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.popen.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


@contextmanager
def started(name: str, argv: Sequence[str], log: Path, env: Mapping[str, str]) -> Iterator[Process]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        popen = subprocess.Popen(
            list(argv), stdout=out, stderr=subprocess.STDOUT, env=dict(env), start_new_session=True
        )
    process = Process(name, popen, log)
    try:
        yield process
    finally:
        process.stop()


def wait_until(ready: Any, process: Process, timeout: float = 90.0, what: str = "ready") -> None:
    """Poll `ready()` until it is true; fail with the service's log when it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise ServiceError(f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise ServiceError(f"{process.name} not {what} after {timeout:.0f} s:\n{process.tail()}")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex((LOOPBACK, port)) == 0


def base_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment with only PATH, a temp folder and `extra`: services see nothing else of ours."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    for key in ("JAVA_HOME", "TMPDIR"):
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra or {})
    return env


# --------------------------------------------------------------------------------------------------------------------
# moto's S3 API server
# --------------------------------------------------------------------------------------------------------------------


@contextmanager
def moto_s3(logs: Path) -> Iterator[str]:
    """moto's server mode (`moto_server`, from moto[server]) on a free loopback port; yields the endpoint URL."""
    port = free_port()
    server = Path(sys.executable).parent / "moto_server"
    with started("moto_server", [str(server), "-H", LOOPBACK, "-p", str(port)], logs / "moto.log", base_env()) as p:
        endpoint = f"http://{LOOPBACK}:{port}"
        wait_until(lambda: urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).status == 200, p)
        yield endpoint


# --------------------------------------------------------------------------------------------------------------------
# Spark standalone
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandaloneCluster:
    master_url: str
    ui_url: str

    def status(self) -> dict[str, Any]:
        """The master's JSON status: workers, active and completed applications."""
        import json

        with urllib.request.urlopen(f"{self.ui_url}/json/", timeout=5) as r:
            return dict(json.loads(r.read()))


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


@contextmanager
def spark_standalone(
    logs: Path,
    scratch: Path,
    *,
    workers: int = 2,
    cores: int = 1,
    memory: str = "1536m",
    env: Mapping[str, str] | None = None,
) -> Iterator[StandaloneCluster]:
    """A master and `workers` workers from the installed pyspark (`spark-class`), each its own JVM on loopback.

    `env` is what the nodes have (e.g. credentials standing in for an instance role, SPARK_DIST_CLASSPATH for the
    S3 connector); executors inherit it from their worker. Work and scratch folders go under `scratch`.
    """
    home = spark_home()
    spark_class = str(home / "bin" / "spark-class")
    port, ui = free_port(), free_port()
    node_env = base_env({"SPARK_HOME": str(home), "SPARK_LOCAL_IP": LOOPBACK, "SPARK_NO_DAEMONIZE": "1", **(env or {})})
    master = f"spark://{LOOPBACK}:{port}"
    ui_url = f"http://{LOOPBACK}:{ui}"
    with ExitStack() as stack:
        m = stack.enter_context(
            started(
                "spark master",
                [spark_class, "org.apache.spark.deploy.master.Master", "--host", LOOPBACK, "--port", str(port),
                 "--webui-port", str(ui)],
                logs / "spark-master.log",
                {**node_env, "SPARK_LOCAL_DIRS": str(scratch / "master")},
            )
        )  # fmt: skip
        wait_until(lambda: port_open(port) and port_open(ui), m, what="listening")
        cluster = StandaloneCluster(master, ui_url)
        for i in range(workers):
            folder = scratch / f"worker-{i}"
            folder.mkdir(parents=True, exist_ok=True)
            w = stack.enter_context(
                started(
                    f"spark worker {i}",
                    [spark_class, "org.apache.spark.deploy.worker.Worker", master, "--cores", str(cores),
                     "--memory", memory, "--host", LOOPBACK, "--webui-port", "0", "--work-dir", str(folder / "work")],
                    logs / f"spark-worker-{i}.log",
                    {**node_env, "SPARK_LOCAL_DIRS": str(folder / "local"), "SPARK_WORKER_DIR": str(folder / "work")},
                )
            )  # fmt: skip
            expected = i + 1
            wait_until(lambda n=expected: len(cluster.status().get("workers", [])) >= n, w, what="registered")
        yield cluster


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into SystemExit (Ctrl-C is KeyboardInterrupt already), so every `with` block above
    unwinds and stops its service."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
