"""Build and run the spark-submit command for a job, locally or on Amazon EMR (run by ./spark-submit.sh).

    ./spark-submit.sh --env local [--dry-run] jobs/bronze_ingest.py [job args]
    ./spark-submit.sh --env emr [--cluster-id j-XXX --artifacts s3://b/udp/] [--dry-run] jobs/<stage>.py [job args]
    ./spark-submit.sh --env emr-serverless --application-id APP --role-arn ARN --artifacts s3://b/udp/ jobs/<stage>.py

- local: the venv's spark-submit, `--master local[2]`, the Delta jars fetched by `make setup`.
- emr: builds dist/udp.zip (the udp package, for --py-files) and dist/conf.zip (conf/, shipped with --archives as
  ./conf). Without --cluster-id it runs `spark-submit --deploy-mode cluster` on this (master) node; with
  --cluster-id it uploads the artifacts to --artifacts and adds an EMR step with `aws emr add-steps`.
- emr-serverless: uploads the artifacts and starts a job run with `aws emr-serverless start-job-run`.

--dry-run prints the exact commands instead of running them. This module uses the standard library only, so it also
runs with a cluster node's plain python3.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DELTA_CONFS = [
    "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.sql.legacy.timeParserPolicy=CORRECTED",
]
EMR_DELTA_JARS = "/usr/share/aws/delta/lib/delta-spark.jar,/usr/share/aws/delta/lib/delta-storage.jar"
GLUE_FACTORY = "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)


class LaunchError(Exception):
    """A launcher argument is missing or wrong."""


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="spark-submit.sh",
        description="Run a udp job with spark-submit locally, on EMR (EC2) or on EMR Serverless.",
        epilog="Everything after the job file is passed to the job, e.g. --conf conf/emr.yaml --set paths.raw=...",
    )
    parser.add_argument("--env", required=True, choices=["local", "emr", "emr-serverless"])
    parser.add_argument("--dry-run", action="store_true", help="print the commands instead of running them")
    parser.add_argument("--master", default="local[2]", help="local only (default local[2])")
    parser.add_argument("--cluster-id", default=os.environ.get("UDP_EMR_CLUSTER_ID"), help="emr: add a step here")
    parser.add_argument("--application-id", default=os.environ.get("UDP_EMR_APPLICATION_ID"), help="emr-serverless")
    parser.add_argument("--role-arn", default=os.environ.get("UDP_EMR_ROLE_ARN"), help="emr-serverless job role")
    parser.add_argument("--artifacts", default=os.environ.get("UDP_ARTIFACTS"), help="s3:// prefix for the zips")
    parser.add_argument("--python", default="/usr/bin/python3.11", help="emr: Python on the nodes (default 3.11)")
    parser.add_argument("--venv-archive", help="emr-serverless: s3:// venv-pack archive to run the job's Python from")
    parser.add_argument("--step-name", help="emr: step name (default: udp <job>)")
    parser.add_argument("job", help="jobs/<stage>.py")
    # Launcher options come before the job file; everything after it belongs to the job, verbatim.
    split = next((i for i, a in enumerate(argv) if a.endswith(".py")), len(argv))
    args = parser.parse_args([*argv[:split], *argv[split : split + 1]])
    return args, list(argv[split + 1 :])


def build_zip(dist: Path) -> tuple[Path, Path]:
    """dist/udp.zip (the package) and dist/conf.zip (conf/*), byte-for-byte reproducible."""
    dist.mkdir(parents=True, exist_ok=True)
    package = dist / "udp.zip"
    conf = dist / "conf.zip"
    _zip(package, ROOT, sorted(p for p in (ROOT / "udp").rglob("*") if _shippable(p)))
    _zip(conf, ROOT / "conf", sorted(p for p in (ROOT / "conf").rglob("*") if p.is_file()))
    return package, conf


def _shippable(path: Path) -> bool:
    return path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".typed", ".json", ".yaml")


def _zip(target: Path, base: Path, files: Sequence[Path]) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            info = zipfile.ZipInfo(str(f.relative_to(base)), date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, f.read_bytes())


def local_jars() -> str:
    import pyspark  # the venv's

    version = ".".join(pyspark.__version__.split(".")[:2])
    folder = ROOT / ".jars" / f"spark-{version}"
    jars = sorted(str(p) for p in folder.glob("*.jar"))
    if not jars:
        raise LaunchError(f"Delta jars not found in {folder}: run `make setup`")
    return ",".join(jars)


def local_command(args: argparse.Namespace, job_args: list[str]) -> list[list[str]]:
    spark_submit = str(Path(sys.executable).parent / "spark-submit")
    cmd = [spark_submit, "--master", args.master, "--jars", local_jars()]
    for conf in [*DELTA_CONFS, "spark.sql.session.timeZone=UTC", "spark.ui.showConsoleProgress=false"]:
        cmd += ["--conf", conf]
    return [[*cmd, args.job, *job_args]]


def cluster_submit_args(args: argparse.Namespace, py_files: str, conf_archive: str, job: str) -> list[str]:
    """spark-submit arguments for YARN cluster mode on EMR (EC2)."""
    submit = ["--deploy-mode", "cluster", "--py-files", py_files, "--archives", f"{conf_archive}#conf"]
    submit += ["--jars", EMR_DELTA_JARS]
    confs = [
        *DELTA_CONFS,
        f"spark.yarn.appMasterEnv.PYSPARK_PYTHON={args.python}",
        f"spark.executorEnv.PYSPARK_PYTHON={args.python}",
        "spark.sql.session.timeZone=UTC",
    ]
    for conf in confs:
        submit += ["--conf", conf]
    return [*submit, job]


def with_default_conf(job_args: list[str], conf: str) -> list[str]:
    return job_args if "--conf" in job_args else ["--conf", conf, *job_args]


def emr_commands(args: argparse.Namespace, job_args: list[str]) -> list[list[str]]:
    package, conf = build_zip(ROOT / "dist")
    job_args = with_default_conf(job_args, "conf/emr.yaml")
    if not args.cluster_id:
        submit = cluster_submit_args(args, str(package), str(conf), args.job)
        return [["spark-submit", *submit, *job_args]]
    prefix = _artifacts(args)
    remote_job = f"{prefix}jobs/{Path(args.job).name}"
    cmds = _uploads(args, package, conf, prefix, remote_job)
    step = {
        "Type": "Spark",
        "Name": args.step_name or f"udp {Path(args.job).stem}",
        "ActionOnFailure": "CONTINUE",
        "Args": [*cluster_submit_args(args, f"{prefix}udp.zip", f"{prefix}conf.zip", remote_job), *job_args],
    }
    cmds.append(["aws", "emr", "add-steps", "--cluster-id", args.cluster_id, "--steps", json.dumps([step])])
    return cmds


def serverless_commands(args: argparse.Namespace, job_args: list[str]) -> list[list[str]]:
    missing = [n for n, v in (("--application-id", args.application_id), ("--role-arn", args.role_arn)) if not v]
    if missing:
        raise LaunchError(f"--env emr-serverless needs {' and '.join(missing)}")
    package, conf = build_zip(ROOT / "dist")
    prefix = _artifacts(args)
    remote_job = f"{prefix}jobs/{Path(args.job).name}"
    cmds = _uploads(args, package, conf, prefix, remote_job)
    params = [
        f"--py-files {prefix}udp.zip",
        f"--conf spark.jars={EMR_DELTA_JARS}",
        *(f"--conf {c}" for c in DELTA_CONFS),
        f"--conf spark.hadoop.hive.metastore.client.factory.class={GLUE_FACTORY}",
        "--conf spark.sql.session.timeZone=UTC",
    ]
    archives = [f"{prefix}conf.zip#conf"]
    if args.venv_archive:
        archives.append(f"{args.venv_archive}#environment")
        python = "./environment/bin/python"
        params += [
            f"--conf spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON={python}",
            f"--conf spark.emr-serverless.driverEnv.PYSPARK_PYTHON={python}",
            f"--conf spark.executorEnv.PYSPARK_PYTHON={python}",
        ]
    params.append(f"--conf spark.archives={','.join(archives)}")
    driver = {
        "sparkSubmit": {
            "entryPoint": remote_job,
            "entryPointArguments": with_default_conf(job_args, "conf/emr.yaml"),
            "sparkSubmitParameters": " ".join(params),
        }
    }
    cmds.append(
        [
            "aws", "emr-serverless", "start-job-run",
            "--application-id", args.application_id,
            "--execution-role-arn", args.role_arn,
            "--name", args.step_name or f"udp {Path(args.job).stem}",
            "--job-driver", json.dumps(driver),
        ]
    )  # fmt: skip
    return cmds


def _artifacts(args: argparse.Namespace) -> str:
    if not args.artifacts or not args.artifacts.startswith("s3://"):
        raise LaunchError("--artifacts s3://bucket/prefix/ (or UDP_ARTIFACTS) is required to ship the job to EMR")
    return args.artifacts.rstrip("/") + "/"


def _uploads(args: argparse.Namespace, package: Path, conf: Path, prefix: str, remote_job: str) -> list[list[str]]:
    return [
        ["aws", "s3", "cp", str(package), f"{prefix}udp.zip"],
        ["aws", "s3", "cp", str(conf), f"{prefix}conf.zip"],
        ["aws", "s3", "cp", str(ROOT / args.job) if not Path(args.job).is_absolute() else args.job, remote_job],
    ]


def commands(args: argparse.Namespace, job_args: list[str]) -> list[list[str]]:
    """The commands the launcher runs for these arguments (also what --dry-run prints)."""
    job = ROOT / args.job if not Path(args.job).is_absolute() else Path(args.job)
    if not job.is_file() or job.suffix != ".py":
        raise LaunchError(f"job file not found: {args.job} (expected jobs/<stage>.py)")
    if args.env == "local":
        return local_command(args, job_args)
    if args.env == "emr":
        return emr_commands(args, job_args)
    return serverless_commands(args, job_args)


def main(argv: Sequence[str] | None = None) -> int:
    args, job_args = parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        cmds = commands(args, job_args)
    except LaunchError as error:
        print(f"spark-submit.sh: error: {error}", file=sys.stderr)
        return 2
    # Local jobs run with the venv's Python on the driver and the workers.
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable) if args.env == "local" else None
    for cmd in cmds:
        if args.dry_run:
            print(shlex.join(cmd))
            continue
        code = subprocess.call(cmd, env=env, cwd=ROOT)
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
