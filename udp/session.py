"""The one place a SparkSession is built. Library code receives `spark`; it never builds one.

- local: `spark.jars` lists the Delta jars fetched by `make setup` into `<spark.jars_dir>/spark-<major.minor>/`
  (picked by the running pyspark version, so the same config serves the Spark 4.0 and 3.5 venvs), Delta's SQL
  extension and catalog, UTC, small shuffles, and a Hive metastore kept under the lake.
- cluster: no jar handling (EMR ships Delta: `/usr/share/aws/delta/lib`, or `--jars` from the launcher); the
  metastore is whatever the cluster configures (Glue on EMR).
"""

from __future__ import annotations

import atexit
import os
import posixpath
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from udp.errors import EnvironmentSetupError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from udp.config import Config

DELTA_CONFS = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}

# Settings udp relies on in every mode. Spark 3.5 defaults to EXCEPTION, which fails a job on a date such as
# 31/02/1985 instead of letting udp quarantine it; CORRECTED is Spark 4's default.
COMMON_CONFS = {
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
}

# Settings that make local mode start and shuffle fast on a laptop; config's `spark.conf` can override any of them.
LOCAL_CONFS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.default.parallelism": "4",
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "4",
}


def spark_minor_version() -> str:
    """`4.0` or `3.5`: the running pyspark's major.minor, which selects the Delta jar folder."""
    import pyspark

    major, minor = pyspark.__version__.split(".")[:2]
    return f"{major}.{minor}"


def delta_jars(jars_dir: str) -> list[str]:
    """The Delta jars fetched for this pyspark version, or a clear error naming the folder and the fix."""
    folder = Path(jars_dir).expanduser().resolve() / f"spark-{spark_minor_version()}"
    jars = sorted(str(p) for p in folder.glob("*.jar"))
    if not any("delta-spark" in Path(j).name for j in jars):
        raise EnvironmentSetupError(
            f"Delta jars not found in {folder}: run `make setup` (it fetches them with mvn), "
            f"or set spark.jars_dir to the folder that holds spark-{spark_minor_version()}/"
        )
    return jars


def session_confs(config: Config) -> dict[str, str]:
    """Every Spark conf udp sets for `config`, in the order they are applied (later wins)."""
    confs: dict[str, str] = {**DELTA_CONFS, **COMMON_CONFS}
    if config.spark.mode == "local":
        confs.update(LOCAL_CONFS)
        confs["spark.jars"] = ",".join(delta_jars(config.spark.jars_dir))
        # Python workers run this interpreter (the venv with numpy and pyarrow), not whatever `python3` is on PATH.
        confs["spark.pyspark.python"] = os.environ.get("PYSPARK_PYTHON", sys.executable)
        confs["spark.sql.warehouse.dir"] = _local_dir(posixpath.join(config.paths.lake, "_warehouse"))
        if config.catalog.implementation == "hive":
            metastore = config.catalog.metastore_dir or posixpath.join(config.paths.lake, "_metastore")
            confs["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
                f"jdbc:derby:;databaseName={_local_dir(metastore)}/metastore_db;create=true"
            )
            confs["spark.driver.extraJavaOptions"] += f" -Dderby.system.home={_local_dir(metastore)}"
    confs["spark.sql.catalogImplementation"] = config.catalog.implementation
    confs.update(config.spark.conf)
    return confs


def build_spark(config: Config, app_name: str | None = None) -> SparkSession:
    """Build (or reuse) the SparkSession described by `config`."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name or config.spark.app_name)
    if config.spark.mode == "local":
        builder = builder.master(config.spark.master)
        # pyspark starts Python workers (the name-similarity UDF) with $PYSPARK_PYTHON, not spark.pyspark.python.
        os.environ.setdefault("PYSPARK_PYTHON", session_confs(config)["spark.pyspark.python"])
    for key, value in session_confs(config).items():
        builder = builder.config(key, value)
    if config.catalog.implementation == "hive":
        builder = builder.enableHiveSupport()
    if config.spark.mode == "local":
        _adopt_orphans()
    spark = builder.getOrCreate()
    _stop_at_exit(spark)
    spark.sparkContext.setLogLevel(config.spark.log_level)
    if config.spark.mode == "cluster":
        require_cluster_master(str(spark.sparkContext.master))
    return spark


_STOPPING: set[int] = set()


def _stop_at_exit(spark: SparkSession) -> None:
    """Once per JVM: stop the session and that JVM when Python exits, so no udp process outlives udp."""
    gateway = spark.sparkContext._gateway
    if id(gateway) not in _STOPPING:
        _STOPPING.add(id(gateway))
        atexit.register(stop_spark, spark)


def stop_spark(spark: SparkSession, timeout: float = 60.0) -> None:
    """Stop the session and, when this Python launched the JVM (not under spark-submit), end the JVM and wait for it.

    Left alone, the JVM notices its closed stdin only after Python has gone and runs Spark's shutdown hooks as an
    orphan for seconds (its Python workers with it), still holding the metastore and the lake's files.
    """
    gateway = spark.sparkContext._gateway
    proc: subprocess.Popen[bytes] | None = getattr(gateway, "proc", None)
    try:
        spark.stop()
    finally:
        if gateway is not None and proc is not None and proc.poll() is None:
            gateway.shutdown()  # also stops py4j's finalizers, which would call the JVM once it has gone
            if proc.stdin is not None:
                proc.stdin.close()  # the gateway's signal to exit (PythonGatewayServer exits on EOF)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            _reap_orphans(time.monotonic() + 10)


PR_SET_CHILD_SUBREAPER = 36


def _adopt_orphans() -> None:
    """Linux: become the subreaper of the processes the JVM starts. spark-submit's launcher leaves a finished shell
    as the JVM's zombie child; once the JVM ends it would linger in udp's process group until init reaps it."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _reap_orphans(deadline: float) -> None:
    """Wait for every remaining child (orphans adopted from the JVM included), at most until `deadline`."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no child left
        if pid == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)


def require_cluster_master(master: str) -> None:
    """A cluster configuration run on a local master would silently do a cluster's work on one machine: refuse."""
    if master.startswith("local"):
        raise EnvironmentSetupError(
            f"spark.mode is cluster but the Spark master is {master}: submit with ./spark-submit.sh --env "
            "cluster|emr|emr-serverless (spark-submit provides the master), or use conf/local.yaml"
        )


def _local_dir(path: str) -> str:
    """Absolute local path for a folder Spark keeps its own state in (warehouse, metastore)."""
    if "://" in path:
        return path
    folder = Path(path).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)
