"""`make rehearsal`: udp's production path rehearsed on this machine, and checked.

1. Generate a small retailer (`udp generate`) into a work folder.
2. Start moto's S3 API server and a Spark standalone cluster (a master and two workers, separate JVMs, one core
   each, on 127.0.0.1); upload the raw dumps to `s3://<bucket>/raw/`.
3. Submit every stage — bronze, silver, gold, export, personalize apply — with `./spark-submit.sh --env cluster`,
   exactly as an operator would, from an empty folder and in an environment scrubbed to what a cluster node has
   (`env -i` plus PATH, a role's credentials, the S3 connector on the classpath, and the variables the
   configuration names). udp travels only as dist/udp.zip and the resolved configuration; the driver runs
   .venv-runtime's Python and the executors the venv-pack archive (`make venv-archive`), neither of which has udp.
4. Run the same stages locally on the same dumps, into local folders (`udp run pipeline`, `udp export`).
5. Check: every stage exited 0 and ran as an application of the standalone master (never a local master); the lake
   on S3 holds the same rows as the local lake, table by table (customer ids are stable by design, so they match);
   the export on S3 is import-ready (only the CSVs, schemas and manifest; the manifest describes every object; the
   rows equal the local export's) and the local Personalize backend imported and trained from it over the S3 API;
   nothing was written to local disk outside Spark's scratch folders and the Personalize stand-in's state.

Every service is stopped when the rehearsal ends, whatever happens. `--keep` keeps the work folder for a look.
What this cannot prove — EMRFS, Glue, IAM, YARN — is listed in README's EMR section.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.checkout import checkout_entries  # noqa: E402
from tests.services import moto_s3, spark_standalone, stop_on_signals  # noqa: E402

BUCKET = "udp-rehearsal"
PERSONALIZE_BUCKET = "udp-rehearsal-personalize"
SNAPSHOT = "rehearsal"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "rehearsal",
    "AWS_SECRET_ACCESS_KEY": "rehearsal",
    "AWS_DEFAULT_REGION": "us-east-1",
}
STAGES: list[tuple[str, list[str]]] = [
    ("jobs/bronze_ingest.py", []),
    ("jobs/silver_build.py", []),
    ("jobs/gold_build.py", []),
    ("jobs/gold_export.py", ["--snapshot", SNAPSHOT]),
    ("jobs/personalize_driver.py", ["apply", "--snapshot", SNAPSHOT]),
]
# Columns that record when or in which run a row was written, or where a raw file was found, not what it holds.
VOLATILE = {"_ingested_at", "_batch_id", "ingested_at", "batch_id", "run_id", "first_seen_at", "happened_at",
            "checked_at", "model_version"}  # fmt: skip
VOLATILE_IN = {
    "bronze._ingest_log": {"uri", "modified_ms", "modified_at"},  # the file's location and its store's timestamp
    "silver.items": {"updated_at"},  # when the ERP row was ingested
    "silver.match_model": {"version"},  # the training run's name; the m and u values themselves must agree
}
# Tables that record a run rather than the data (checked for existence only).
BOOKKEEPING = {"gold.recipe_leaderboard", "gold.personalize_preflight", "udp._runs", "udp._run_steps"}


class RehearsalFailedError(AssertionError):
    """A check of the rehearsal failed."""


@dataclass
class Work:
    """The rehearsal's folders."""

    root: Path
    logs: Path = field(init=False)

    def __post_init__(self) -> None:
        self.logs = self.root / "logs"
        for name in ("logs", "home", "cwd", "tmp", "scratch", "service", "local"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def __getitem__(self, name: str) -> Path:
        return self.root / name


def say(line: str) -> None:
    print(line, flush=True)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise RehearsalFailedError(message)


# --------------------------------------------------------------------------------------------------------------------
# Set-up
# --------------------------------------------------------------------------------------------------------------------


def s3a_jars() -> list[str]:
    import pyspark

    version = ".".join(pyspark.__version__.split(".")[:2])
    jars = sorted(str(p) for p in (ROOT / ".jars" / f"s3a-spark-{version}").glob("*.jar"))
    require(bool(jars), f".jars/s3a-spark-{version} is empty: run `make rehearsal` (it fetches the S3A connector)")
    return jars


def check_interpreters() -> tuple[Path, Path]:
    """The driver's and executors' Pythons exist and neither can import udp (it must come from dist/udp.zip)."""
    runtime = ROOT / ".venv-runtime" / "bin" / "python"
    archive = ROOT / "dist" / "udp-venv.tar.gz"
    require(runtime.exists() and archive.exists(), "run `make rehearsal`: .venv-runtime and dist/udp-venv.tar.gz")
    probe = subprocess.run(
        [str(runtime), "-c", "import udp"], capture_output=True, text=True, env={"PATH": os.environ["PATH"]}, cwd="/",
        check=False,
    )  # fmt: skip
    require(probe.returncode != 0, ".venv-runtime can import udp: the rehearsal would not prove the shipping")
    return runtime, archive


def generate(work: Work, customers: int, skus: int, days: int) -> Path:
    from udp.generate import main as generate_main

    out = work["retail"]
    if not (out / "raw").exists():
        code = generate_main(
            ["--out", str(out), f"--customers={customers}", f"--skus={skus}", f"--days={days}", "--seed=5"]
        )
        require(code == 0, "udp generate failed")
    return out / "raw"


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, **_boto_credentials())


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": CREDENTIALS["AWS_DEFAULT_REGION"],
    }


def upload_raw(s3: Any, raw: Path) -> int:
    for bucket in (BUCKET, PERSONALIZE_BUCKET):
        s3.create_bucket(Bucket=bucket)
    files = sorted(p for p in raw.rglob("*") if p.is_file())
    for path in files:
        s3.upload_file(str(path), BUCKET, f"raw/{path.relative_to(raw).as_posix()}")
    return len(files)


def node_env(work: Work, endpoint: str) -> dict[str, str]:
    """What a cluster node has: PATH, a role's credentials, the S3 connector, the variables the config reads."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(work["home"]),
        "TMPDIR": str(work["tmp"]),
        "SPARK_SUBMIT_OPTS": f"-Djava.io.tmpdir={work['tmp']} -XX:-UsePerfData",
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOCAL_DIRS": str(work["scratch"] / "driver"),
        "SPARK_DIST_CLASSPATH": ":".join(s3a_jars()),
        **CREDENTIALS,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "UDP_BUCKET": BUCKET,
        "UDP_S3_ENDPOINT": endpoint,
        "UDP_PERSONALIZE_BUCKET": PERSONALIZE_BUCKET,
        "UDP_PERSONALIZE_SERVICE_DIR": str(work["service"]),
    }


# --------------------------------------------------------------------------------------------------------------------
# Running the stages
# --------------------------------------------------------------------------------------------------------------------


def submit(argv: Sequence[str], env: dict[str, str], cwd: Path, log: Path) -> tuple[int, float]:
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        code = subprocess.call(list(argv), env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    return code, time.monotonic() - started


def run_on_cluster(work: Work, master: str, env: dict[str, str], runtime: Path, archive: Path) -> list[float]:
    seconds = []
    for job, args in STAGES:
        name = Path(job).stem
        argv = [
            str(ROOT / "spark-submit.sh"), "--env", "cluster", "--master", master,
            "--python", str(runtime), "--venv-archive", str(archive),
            job, *args, "--conf", "conf/emr.yaml", "--conf", "tests/rehearsal/rehearsal.yaml",
        ]  # fmt: skip
        log = work.logs / f"cluster-{name}.log"
        code, took = submit(argv, env, work["cwd"], log)
        say(f"  cluster  {name:<20} exit {code}  {took:6.1f} s  ({log})")
        if code:
            say(_tail(log))
        require(code == 0, f"{job} failed on the cluster with exit code {code}; log: {log}")
        seconds.append(took)
    return seconds


def run_locally(work: Work, raw: Path) -> list[float]:
    """bronze, silver and gold in one process (`udp run pipeline`), then `udp export`, into local folders."""
    local = work["local"]
    sets = [
        f"paths.raw={raw}", f"paths.lake={local / 'lake'}", f"paths.export={local / 'export'}",
        f"personalize.local.state_dir={local / 'personalize'}", f"spark.jars_dir={ROOT / '.jars'}",
    ]  # fmt: skip
    config = ["--conf", str(ROOT / "conf" / "local.yaml"), *(a for s in sets for a in ("--set", s))]
    env = {"PATH": os.environ["PATH"], "HOME": str(local), "TMPDIR": str(work["tmp"])}
    udp = str(Path(sys.executable).parent / "udp")
    seconds = []
    for name, argv in (
        ("pipeline", [udp, "run", "pipeline", *config]),
        ("export", [udp, "export", *config, "--snapshot", SNAPSHOT]),
    ):
        log = work.logs / f"local-{name}.log"
        code, took = submit(argv, env, local, log)
        say(f"  local    {name:<20} exit {code}  {took:6.1f} s")
        require(code == 0, f"udp {name} failed locally with exit code {code}; log: {log}")
        seconds.append(took)
    return seconds


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


# --------------------------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------------------------


def check_ran_on_cluster(status: dict[str, Any]) -> None:
    """Each stage was an application of the standalone master that got executors' cores."""
    apps = status.get("completedapps", []) + status.get("activeapps", [])
    require(len(apps) >= len(STAGES), f"the master saw {len(apps)} applications for {len(STAGES)} stages")
    for app in apps:
        require(int(app.get("cores", 0)) > 0, f"application {app.get('name')} ran without executors")
    say(f"  the master ran {len(apps)} applications: {', '.join(sorted(a['name'] for a in apps))}")


def comparison_session(endpoint: str) -> Any:
    """A local session that reads both lakes: Delta, and s3a:// with the rehearsal's endpoint."""
    from pyspark.sql import SparkSession

    import udp.launch

    jars = [*udp.launch.local_jars(), *s3a_jars()]
    builder = SparkSession.builder.master("local[2]").appName("udp-rehearsal-check")
    confs = {
        "spark.jars": ",".join(jars),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.endpoint.region": "us-east-1",
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
        "spark.hadoop.fs.s3a.access.key": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "spark.hadoop.fs.s3a.secret.key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }
    for key, value in confs.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def tables_under(s3: Any, local_lake: Path) -> tuple[set[str], set[str]]:
    def is_table(keys: set[str], prefix: str) -> bool:
        return any(k.startswith(f"{prefix}/_delta_log/") for k in keys)

    keys = {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="lake/")
            for o in page.get("Contents", [])}  # fmt: skip
    remote = set()
    for key in keys:
        parts = key.split("/")
        if len(parts) > 3 and parts[3] == "_delta_log":
            remote.add(f"{parts[1]}.{parts[2]}")
    local = {f"{p.parent.parent.name}.{p.parent.name}" for p in local_lake.glob("*/*/_delta_log")}
    return remote, local


def rounded(column: Any, data_type: Any) -> Any:
    """Doubles to 9 decimals, however deeply nested: a sum over partitions differs in its last bits between a
    cluster's partitioning and a local one (9.6922106238662 and 9.692210623866202), and that is not a difference."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, DoubleType, FloatType, MapType, StructType

    if isinstance(data_type, (DoubleType, FloatType)):
        return F.round(column, 9)
    if isinstance(data_type, StructType):
        fields = [rounded(column[f.name], f.dataType).alias(f.name) for f in data_type.fields]
        return F.when(column.isNotNull(), F.struct(*fields))
    if isinstance(data_type, ArrayType):
        return F.transform(column, lambda x: rounded(x, data_type.elementType))
    if isinstance(data_type, MapType):
        return F.transform_values(column, lambda _, v: rounded(v, data_type.valueType))
    return column


def compare_lakes(spark: Any, s3: Any, local_lake: Path) -> None:
    """The lake on S3 holds the same rows as the local lake, table by table (minus when-and-which-run columns)."""
    from pyspark.sql import functions as F

    remote, local = tables_under(s3, local_lake)
    missing = sorted((local - remote) - BOOKKEEPING)
    require(not missing, f"tables written locally but not on S3: {', '.join(missing)}")
    rows = []
    for table in sorted(local - BOOKKEEPING):
        layer, name = table.split(".")
        a = spark.read.format("delta").load(f"s3a://{BUCKET}/lake/{layer}/{name}")
        b = spark.read.format("delta").load(str(local_lake / layer / name))
        require(a.columns == b.columns, f"{table}: columns differ on S3 ({a.columns}) and locally ({b.columns})")
        kept = [f for f in a.schema.fields if f.name not in VOLATILE | VOLATILE_IN.get(table, set())]
        a, b = (df.select(*(rounded(F.col(f.name), f.dataType).alias(f.name) for f in kept)) for df in (a, b))
        only_s3, only_local = a.exceptAll(b).count(), b.exceptAll(a).count()
        n = a.count()
        rows.append((table, n, only_s3, only_local))
        if only_s3 or only_local:
            sample = a.exceptAll(b).limit(3).collect() + b.exceptAll(a).limit(3).collect()
            raise RehearsalFailedError(
                f"{table}: {only_s3} row(s) only on S3 and {only_local} only locally (of {n}); e.g. {sample}"
            )
    for table, n, _, _ in rows:
        say(f"  same rows  {table:<34} {n:>8,}")
    say(f"  {len(rows)} tables identical on S3 and locally (customer ids included)")


def check_export(s3: Any, local_export: Path) -> None:
    """Only the CSVs, schemas and manifest; the manifest describes every object; rows equal the local export's."""
    from udp.personalize.snapshot import RUN_MANIFEST

    prefix = f"export/personalize/{SNAPSHOT}/"
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="export/")
    # Keys ending in "/" are S3A's empty directory markers (as the S3 console's folders), not files.
    objects = {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", []) if not o["Key"].endswith("/")}
    stray = sorted(k for k in objects if not k.startswith(prefix) or k.rsplit("/", 1)[-1].startswith((".", "_")))
    require(not stray, f"the export holds stray objects (staging, markers, checksums): {stray[:5]}")
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix}manifest.json")["Body"].read())
    require(manifest["preflight"]["passed"], f"the export's preflight failed: {manifest['preflight']}")
    listed = {f"{prefix}manifest.json"}
    for dataset, info in manifest["datasets"].items():
        listed.add(f"{prefix}{info['schema_file']}")
        lines: list[str] = []
        for f in info["files"]:
            key = f"{prefix}{f['path']}"
            listed.add(key)
            body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            require(len(body) == f["bytes"] == objects[key], f"{key}: size differs from the manifest")
            require(hashlib.sha256(body).hexdigest() == f["sha256"], f"{key}: sha256 differs from the manifest")
            text = body.decode("utf-8").splitlines()
            require(text[0] == info["header"], f"{key}: header {text[0]!r} is not {info['header']!r}")
            lines += text[1:]
        require(len(lines) == info["rows"], f"{dataset}: {len(lines)} rows in the files, {info['rows']} listed")
        local_lines = [
            line for p in sorted((local_export / "personalize" / SNAPSHOT / dataset).glob("*.csv"))
            for line in p.read_text(encoding="utf-8").splitlines()[1:]
        ]  # fmt: skip
        require(sorted(lines) == sorted(local_lines), f"{dataset}: the S3 export's rows differ from the local export's")
        say(f"  export     {dataset:<12} {info['rows']:>8,} rows in {len(info['files'])} file(s), same as local")
    run_manifest = f"{prefix}{RUN_MANIFEST}"  # the personalize stage's record of its resources, not export data
    require(run_manifest in objects, f"the personalize stage left no {run_manifest}")
    require(set(objects) == listed | {run_manifest}, f"objects not in the manifest: {sorted(set(objects) - listed)}")


def check_personalize(spark: Any, s3: Any) -> None:
    """The local backend imported from the S3 API and trained: a leaderboard row per configured solution."""
    from udp.config import load_config

    config = load_config([str(ROOT / "conf" / "local.yaml")], env={})
    board = spark.read.format("delta").load(f"s3a://{BUCKET}/lake/gold/recipe_leaderboard")
    recipes = {r["solution"] for r in board.select("solution").collect()} if "solution" in board.columns else set()
    require(board.count() >= len(config.personalize.solutions), "gold.recipe_leaderboard lacks trained versions")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=PERSONALIZE_BUCKET).get("Contents", [])]
    require(any(k.endswith(".csv") for k in keys), f"nothing was uploaded to s3://{PERSONALIZE_BUCKET} for import")
    say(f"  personalize: {board.count()} solution versions on the leaderboard {sorted(recipes)}; "
        f"{len(keys)} objects in s3://{PERSONALIZE_BUCKET}")  # fmt: skip


def download_bucket(s3: Any, folder: Path) -> None:
    """Every object of the rehearsal's bucket under `folder`, for a look after the services are gone (--keep)."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            if obj["Key"].endswith("/"):  # S3A's directory markers
                continue
            target = folder / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(BUCKET, obj["Key"], str(target))


def snapshot_files(*folders: Path) -> set[str]:
    return {str(p) for f in folders if f.exists() for p in f.rglob("*") if "__pycache__" not in p.parts}


def check_local_disk(work: Work, repo_before: set[str], tmp_before: set[str], *, shared_machine: bool) -> None:
    """Nothing written outside Spark's scratch folders and the Personalize stand-in's state."""
    for name in ("cwd", "home"):
        left = sorted(str(p.relative_to(work[name])) for p in work[name].rglob("*"))
        require(not left, f"a job wrote to its {name} folder: {left[:10]}")
    tmp_new = sorted(str(p.relative_to(work["tmp"])) for p in work["tmp"].iterdir())
    require(not tmp_new, f"a job left files in TMPDIR: {tmp_new[:10]}")
    repo_new = sorted(snapshot_files(*checkout_entries()) - repo_before)
    require(not repo_new, f"a job wrote into the checkout: {repo_new[:10]}")
    # hsperfdata_<user> holds the performance counters of each running JVM (a file per JVM, removed when it exits):
    # every JVM on any host writes there, whatever it runs.
    new_tmp = sorted(
        n for n in set(os.listdir("/tmp")) - tmp_before - {work.root.name} if not n.startswith("hsperfdata_")
    )
    if shared_machine:  # other jobs write to /tmp too: a new entry cannot be told apart from theirs
        say("  /tmp not checked (--shared-machine)")
    else:
        require(not new_tmp, f"something was written to /tmp: {new_tmp[:10]}")
    say("  no local writes outside Spark's scratch folders and the Personalize stand-in's state")


# --------------------------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rehearse", description=__doc__.split("\n\n")[0])
    p.add_argument("--work", help="work folder (default: a new temporary folder, removed unless --keep)")
    p.add_argument("--keep", action="store_true", help="keep the work folder and a copy of the bucket")
    p.add_argument(
        "--shared-machine",
        action="store_true",
        help="other jobs run here: skip the check that nothing new appeared in /tmp (every process of the rehearsal "
        "has its temp folders pointed into the work folder). As root, `make rehearsal REHEARSAL_PRIVATE_TMP=1` keeps "
        "the check with an empty /tmp of the rehearsal's own, as CI does",
    )
    # Personalize needs >= 1,000 interactions to train: about 600 customers over 8 days of dumps.
    p.add_argument("--customers", type=int, default=600)
    p.add_argument("--skus", type=int, default=300)
    p.add_argument("--days", type=int, default=8)
    return p


def rehearse(work: Work, args: argparse.Namespace, stack: ExitStack) -> tuple[float, float]:
    """Set up, run every stage on the cluster and locally, check; returns the seconds of each run."""
    tmp_before = set(os.listdir("/tmp"))
    runtime, archive = check_interpreters()
    raw = generate(work, args.customers, args.skus, args.days)
    endpoint = stack.enter_context(moto_s3(work.logs))
    s3 = s3_client(endpoint)
    if args.keep:  # runs before the S3 API stops, also when a check fails
        stack.callback(download_bucket, s3, work["s3"])
    say(f"S3 API (moto server) at {endpoint}: {upload_raw(s3, raw)} raw files uploaded to s3://{BUCKET}/raw/")
    env = node_env(work, endpoint)
    nodes = {k: env[k] for k in ("SPARK_DIST_CLASSPATH", *CREDENTIALS)}
    nodes["SPARK_DAEMON_JAVA_OPTS"] = f"-Djava.io.tmpdir={work['scratch']} -XX:-UsePerfData"
    cluster = stack.enter_context(spark_standalone(work.logs, work["scratch"], workers=2, env=nodes))
    say(f"Spark standalone at {cluster.master_url}: {len(cluster.status()['workers'])} workers")
    repo_before = snapshot_files(*checkout_entries())
    say("stages on the cluster (./spark-submit.sh --env cluster, empty environment):")
    cluster_seconds = run_on_cluster(work, cluster.master_url, env, runtime, archive)
    status = cluster.status()
    check_local_disk(work, repo_before, tmp_before, shared_machine=args.shared_machine)
    say("the same stages locally (udp run pipeline, udp export):")
    local_seconds = run_locally(work, raw)
    say("checks:")
    check_ran_on_cluster(status)
    spark = comparison_session(endpoint)
    try:
        compare_lakes(spark, s3, work["local"] / "lake")
        check_export(s3, work["local"] / "export")
        check_personalize(spark, s3)
    finally:
        spark.stop()
    return sum(cluster_seconds), sum(local_seconds)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    started = time.monotonic()
    root = Path(args.work).resolve() if args.work else Path(tempfile.mkdtemp(prefix="udp-rehearsal-"))
    work = Work(root)
    say(f"rehearsal in {root}")
    try:
        with stop_on_signals(), ExitStack() as stack:
            cluster_seconds, local_seconds = rehearse(work, args, stack)
    except RehearsalFailedError as failure:
        say(f"REHEARSAL FAILED: {failure}")
        say(f"logs: {work.logs}" + (f"; the bucket's objects: {work['s3']}" if args.keep else ""))
        return 1
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(root, ignore_errors=True)
    say(
        f"rehearsal passed in {time.monotonic() - started:.0f} s "
        f"(cluster stages {cluster_seconds:.0f} s, local stages {local_seconds:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
