"""One Spark session for the whole test run, built by udp's own session code with fast test settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tests.checkout import checkout_entries
from udp.config import Config, load_config
from udp.lake import Lake
from udp.session import build_spark

ROOT = Path(__file__).resolve().parents[1]

# Small, fast and deterministic: two cores, two shuffle partitions, no UI, no VACUUM retention guard. One JVM runs the
# whole suite (hundreds of jobs on tiny frames): memory pages sized for tiny data rather than Spark's default of up to
# 64 MB per sort or aggregation, and the context cleaner's periodic GC every minute rather than every 30, so blocks of
# frames no test holds any more (local checkpoints, broadcasts, shuffles) are freed while the suite runs. With the
# defaults and 2 GB, the Spark 3.5 suite once ran out of execution memory in a hash aggregation of the silver job.
# Expressions and plans are interpreted, not compiled to Java: compiling them (Janino) costs more than tiny frames
# ever repay, and a silver re-run took 49 s instead of 72 s this way (a warm JVM, 283 records). Spark runs its own test
# suites in this mode too; the demo, `spark-submit` (tests/integration/test_jobs.py) and the cluster rehearsal run
# with Spark's defaults, compiled.
TEST_SPARK_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.rdd.compress": "false",
    "spark.shuffle.compress": "false",
    "spark.databricks.delta.retentionDurationCheck.enabled": "false",
    "spark.driver.memory": "3g",
    "spark.buffer.pageSize": "2m",
    "spark.cleaner.periodicGC.interval": "1min",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("udp-session")


@pytest.fixture(scope="session")
def base_config(session_dir: Path) -> Config:
    overrides = [
        f"paths.raw={session_dir / 'raw'}",
        f"paths.lake={session_dir / 'lake'}",
        f"paths.export={session_dir / 'export'}",
        f"spark.jars_dir={ROOT / '.jars'}",
        "spark.master=local[2]",
        *(f"spark.conf.{k}={v}" for k, v in TEST_SPARK_CONF.items()),
    ]
    return load_config([str(ROOT / "conf" / "local.yaml")], overrides, env={})


@pytest.fixture(scope="session")
def spark(base_config: Config) -> Iterator[SparkSession]:
    session = build_spark(base_config, app_name="udp-tests")
    yield session
    session.stop()


@pytest.fixture
def config(base_config: Config, tmp_path: Path) -> Config:
    """The session's configuration with this test's own raw, lake and export folders."""
    return base_config.with_overrides(
        f"paths.raw={tmp_path / 'raw'}", f"paths.lake={tmp_path / 'lake'}", f"paths.export={tmp_path / 'export'}"
    )


@pytest.fixture
def lake(spark: SparkSession, config: Config) -> Lake:
    return Lake(spark, config)


# A test that leaves a new entry in the checkout fails: tests write under their tmp_path, and `make rehearsal`, run
# beside the suite in CI, fails when anything appears in the checkout while its cluster stages run.
@pytest.fixture(autouse=True)
def _writes_nothing_into_the_checkout() -> Iterator[None]:
    before = set(checkout_entries())
    yield
    new = sorted(str(p.relative_to(ROOT)) for p in set(checkout_entries()) - before)
    if new:
        pytest.fail(f"the test wrote into the checkout {ROOT}: {new}", pytrace=False)
