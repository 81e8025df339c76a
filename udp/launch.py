"""Launch a udp job with spark-submit: locally, on any Spark cluster, on Amazon EMR (EC2) or on EMR Serverless.

    ./spark-submit.sh --env local [--dry-run] jobs/bronze_ingest.py [job args]
    ./spark-submit.sh --env cluster --master spark://host:7077 [--python PY] [--venv-archive A] jobs/<stage>.py ...
    ./spark-submit.sh --env emr [--cluster-id j-XXX --artifacts s3://b/udp/ [--wait]] jobs/<stage>.py [job args]
    ./spark-submit.sh --env emr-serverless --application-id APP --role-arn ARN --artifacts s3://b/udp/ \\
        --venv-archive s3://b/udp-venv.tar.gz [--wait] jobs/<stage>.py [job args]

Before anything is built, uploaded or submitted, the configuration is resolved here, where the launcher runs: the
job's `--conf` files (default conf/local.yaml for local, conf/emr.yaml otherwise) with their overlays, every
`${ENV}` value and every `--set`; then it is checked (unknown keys, wrong values, the job's own argument checks). A
mistake fails here with `spark-submit.sh: error: ...` and nothing leaves the machine. The resolved configuration
travels with the job as one file: dist/conf-<digest>.zip holds it as `udp.yaml` (shipped with `--archives ...#conf`)
and the job reads `--conf conf/udp.yaml`, so the driver on the cluster needs nothing from the submitting shell's
environment (docs/decisions.md says why this and not forwarding variables). Credentials never go into it: they come
from the cluster's role through the AWS default chain. Artifact names carry a digest of their content, so
concurrent launches never overwrite each other's files.

- local: the venv's spark-submit, `--master local[2]`, the Delta jars fetched by `make setup`.
- cluster: spark-submit to `--master` (Spark standalone, YARN or Kubernetes) with only what udp ships: the package
  (dist/udp-<digest>.zip) and the Delta jar on `--py-files`, the Delta jars on `--jars`, the configuration. Python
  is `--python` on every node, or the executors run from a venv-pack archive (`--venv-archive`).
- emr: the same on EMR's YARN in cluster deploy mode with EMR's own Delta jars. Without --cluster-id it runs
  spark-submit on this (master) node; with --cluster-id it uploads the artifacts to --artifacts and adds an EMR step.
- emr-serverless: uploads the artifacts and starts a job run. It needs `--venv-archive` (built by `make
  venv-archive`), or `--python` naming an interpreter in the release's image that has udp's dependencies.

`--wait` (emr with --cluster-id, emr-serverless) polls the step or job run, prints each state change and where the
driver's log is, and exits 1 on FAILED or CANCELLED with the failure reason. `--dry-run` writes nothing: it prints
the resolved configuration and every command or AWS call (as the `aws` CLI line that does the same).
"""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from udp.artifacts import ROOT, SHIPPED_CONF, Artifacts, build_artifacts
from udp.submit import Action, AwsCall, Command, Upload, execute, wait

DELTA_CONFS = [
    "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.sql.legacy.timeParserPolicy=CORRECTED",
    "spark.sql.session.timeZone=UTC",
]
EMR_DELTA_JAR = "/usr/share/aws/delta/lib/delta-spark.jar"
EMR_DELTA_JARS = f"{EMR_DELTA_JAR},/usr/share/aws/delta/lib/delta-storage.jar"
GLUE_FACTORY = "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
ENVS = ("local", "cluster", "emr", "emr-serverless")


class LaunchError(Exception):
    """A launcher argument, the job's arguments or its configuration is wrong; nothing was submitted."""


# --------------------------------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="spark-submit.sh",
        description="Run a udp job with spark-submit locally, on a Spark cluster, on EMR (EC2) or on EMR Serverless.",
        epilog="Everything after the job file is the job's: --conf FILE and --set KEY=VALUE are resolved here and "
        "shipped as one file; other arguments are passed on verbatim.",
    )
    parser.add_argument("--env", required=True, choices=ENVS)
    parser.add_argument("--dry-run", action="store_true", help="print the configuration and commands; write nothing")
    parser.add_argument("--wait", action="store_true", help="emr --cluster-id / emr-serverless: wait for the end")
    parser.add_argument("--master", help="local (default local[2]) and cluster (required): the Spark master URL")
    parser.add_argument("--deploy-mode", choices=["client", "cluster"], default="client", help="cluster only")
    parser.add_argument("--jars", help="cluster: Delta jars, comma-separated (default: those `make setup` fetched)")
    parser.add_argument("--cluster-id", default=os.environ.get("UDP_EMR_CLUSTER_ID"), help="emr: add a step here")
    parser.add_argument("--application-id", default=os.environ.get("UDP_EMR_APPLICATION_ID"), help="emr-serverless")
    parser.add_argument("--role-arn", default=os.environ.get("UDP_EMR_ROLE_ARN"), help="emr-serverless job role")
    parser.add_argument("--artifacts", default=os.environ.get("UDP_ARTIFACTS"), help="s3:// prefix for the zips")
    parser.add_argument(
        "--python",
        help="Python on the cluster's nodes (emr default /usr/bin/python3.11; cluster default python3; "
        "emr-serverless: only an interpreter you know has udp's dependencies)",
    )
    parser.add_argument(
        "--venv-archive", help="cluster, emr-serverless: venv-pack archive the executors run Python from"
    )
    parser.add_argument("--step-name", help="emr, emr-serverless: step or job run name (default: udp <job>)")
    parser.add_argument("--poll-seconds", type=float, default=30.0, help="--wait: seconds between status checks")
    parser.add_argument("job", help="jobs/<stage>.py")
    # Launcher options come before the job file; everything after it belongs to the job, verbatim.
    split = next((i for i, a in enumerate(argv) if a.endswith(".py")), len(argv))
    args = parser.parse_args([*argv[:split], *argv[split : split + 1]])
    return args, list(argv[split + 1 :])


def split_config_args(job_args: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(--conf files, --set overrides, the other job arguments) from a job's argument list."""
    files: list[str] = []
    sets: list[str] = []
    rest: list[str] = []
    it = iter(job_args)
    for arg in it:
        name, eq, value = arg.partition("=")
        if name in ("--conf", "--set"):
            if not eq:
                value = next(it, "")
                if not value:
                    raise LaunchError(f"{name} needs a value")
            (files if name == "--conf" else sets).append(value)
        else:
            rest.append(arg)
    return files, sets, rest


# --------------------------------------------------------------------------------------------------------------------
# The configuration, resolved and checked where the launcher runs
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """The job's configuration resolved at launch: the file that ships with the job, and its sources."""

    text: str
    files: tuple[str, ...]
    sets: tuple[str, ...]
    stage_args: tuple[str, ...]


def resolve(args: argparse.Namespace, job_args: Sequence[str], env: dict[str, str] | None = None) -> Resolved:
    """Load, interpolate and check the job's configuration here; a mistake is a LaunchError before any upload."""
    from udp.config import load_config, resolved_yaml
    from udp.errors import UdpError

    files, sets, rest = split_config_args(job_args)
    files = files or ["conf/local.yaml" if args.env == "local" else "conf/emr.yaml"]
    in_root = [f if Path(f).is_absolute() or Path(f).exists() else str(ROOT / f) for f in files]
    try:
        config = load_config(in_root, sets, env=os.environ if env is None else env)
        _check_placement(args.env, config)
        _check_job_args(args.job, [*rest, *(a for f in in_root for a in ("--conf", f))], config)
    except UdpError as error:
        raise LaunchError(" ".join(str(error).split())) from None
    header = "\n".join(
        [
            "udp configuration resolved by ./spark-submit.sh: every overlay, environment variable and --set applied.",
            f"from: {', '.join(files)}" + (f"; --set {' --set '.join(sets)}" if sets else ""),
        ]
    )
    return Resolved(resolved_yaml(config, header), tuple(files), tuple(sets), tuple(rest))


def _check_placement(env: str, config: Any) -> None:
    """A cluster job needs a cluster-mode configuration whose locations every node can reach."""
    from udp.errors import ConfigError

    if env == "local":
        return
    if config.spark.mode != "cluster":
        raise ConfigError(
            f"--env {env} runs on a cluster, but spark.mode is {config.spark.mode!r} (use conf/emr.yaml or "
            "--set spark.mode=cluster)"
        )
    for key in ("raw", "lake", "export"):
        location = getattr(config.paths, key)
        uri = "://" in location
        if env in ("emr", "emr-serverless") and not uri:
            raise ConfigError(f"paths.{key} is {location!r}: a job on EMR needs an s3:// location")
        if not uri and not location.startswith("/"):
            raise ConfigError(f"paths.{key} is {location!r}: a cluster job needs a URI or an absolute shared path")


def _check_job_args(job: str, argv: list[str], config: Any) -> None:
    """Parse the job's own arguments with the job's parser and run its pre-Spark check."""
    from udp.runner import JOBS

    entry = JOBS.get(Path(job).stem)
    if entry is None:
        return
    try:
        module = importlib.import_module(entry.module)
    except ImportError as error:  # pyspark is not importable here (a bare node): the cluster checks the arguments
        if (error.name or "").split(".")[0] in ("pyspark", "py4j", "delta"):
            print(
                f"spark-submit.sh: note: {entry.module} not importable here; its arguments are checked on the cluster"
            )
            return
        raise
    parser: argparse.ArgumentParser = getattr(module, entry.parser)()
    try:
        namespace = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse printed the usage and the problem
        raise LaunchError(f"job arguments rejected by {entry.module}: {shlex.join(argv)}") from exit_
    if entry.check:
        getattr(module, entry.check)(config, namespace)


# --------------------------------------------------------------------------------------------------------------------
# The actions for each environment (udp/submit.py runs them)
# --------------------------------------------------------------------------------------------------------------------


def local_jars() -> list[str]:
    """The Delta jars `make setup` fetched for the pyspark version this launcher runs with."""
    import pyspark

    version = ".".join(pyspark.__version__.split(".")[:2])
    folder = ROOT / ".jars" / f"spark-{version}"
    jars = sorted(str(p) for p in folder.glob("*.jar"))
    if not jars:
        raise LaunchError(f"Delta jars not found in {folder}: run `make setup`")
    return jars


def spark_home() -> str:
    """SPARK_HOME of the pyspark this launcher runs with (its bin/spark-submit)."""
    import pyspark

    return os.environ.get("SPARK_HOME") or str(Path(pyspark.__file__).parent)


def _confs(confs: Sequence[str]) -> list[str]:
    return [a for c in confs for a in ("--conf", c)]


def local_actions(args: argparse.Namespace, resolved: Resolved, out: Artifacts) -> list[Action]:
    """The venv's spark-submit on this machine; the job reads the same files and --sets, already checked here."""
    spark_submit = str(Path(sys.executable).parent / "spark-submit")
    cmd = [spark_submit, "--master", args.master or "local[2]", "--jars", ",".join(local_jars())]
    cmd += _confs([*DELTA_CONFS, "spark.ui.showConsoleProgress=false"])
    config = [a for f in resolved.files for a in ("--conf", f)] + [a for v in resolved.sets for a in ("--set", v)]
    # Local jobs run with the venv's Python on the driver and the workers.
    return [Command([*cmd, args.job, *config, *resolved.stage_args], {"PYSPARK_PYTHON": sys.executable})]


def cluster_actions(args: argparse.Namespace, resolved: Resolved, out: Artifacts) -> list[Action]:
    """spark-submit to any master with only what udp ships (standalone apps in Python run in client mode)."""
    if not args.master:
        raise LaunchError("--env cluster needs --master (spark://host:port, yarn or k8s://...)")
    jars = args.jars.split(",") if args.jars else local_jars()
    delta = [j for j in jars if Path(j).name.startswith("delta-spark")]
    python = args.python or "python3"
    confs = [*DELTA_CONFS, "spark.ui.showConsoleProgress=false", f"spark.pyspark.driver.python={python}"]
    archives = [f"{out.conf_archive}#conf"]
    if args.venv_archive:
        archives.append(f"{args.venv_archive}#environment")
        confs.append("spark.pyspark.python=./environment/bin/python")
    else:
        confs.append(f"spark.pyspark.python={python}")
    submit = [str(Path(spark_home()) / "bin" / "spark-submit"), "--master", args.master]
    submit += ["--deploy-mode", args.deploy_mode, "--jars", ",".join(jars)]
    submit += ["--py-files", ",".join([str(out.package), *delta]), "--archives", ",".join(archives)]
    # In client mode the driver runs here and reads the resolved file directly; in cluster mode, the shipped copy.
    conf = str(out.conf_file) if args.deploy_mode == "client" else f"conf/{SHIPPED_CONF}"
    job = [args.job, "--conf", conf, *resolved.stage_args]
    # PYTHONPATH (./spark-submit.sh points it at this checkout) is dropped: udp reaches the driver only as udp.zip.
    return [Command([*submit, *_confs(confs), *job], {"SPARK_HOME": spark_home()}, unset=("PYTHONPATH",))]


def emr_submit_args(args: argparse.Namespace, py_files: str, conf_archive: str, job: str) -> list[str]:
    """spark-submit arguments for YARN cluster mode on EMR (EC2)."""
    python = args.python or "/usr/bin/python3.11"
    submit = ["--deploy-mode", "cluster", "--py-files", f"{py_files},{EMR_DELTA_JAR}"]
    submit += ["--archives", f"{conf_archive}#conf", "--jars", EMR_DELTA_JARS]
    confs = [
        *DELTA_CONFS,
        f"spark.yarn.appMasterEnv.PYSPARK_PYTHON={python}",
        f"spark.executorEnv.PYSPARK_PYTHON={python}",
    ]
    return [*submit, *_confs(confs), job]


def emr_actions(args: argparse.Namespace, resolved: Resolved, out: Artifacts) -> list[Action]:
    job_args = ["--conf", f"conf/{SHIPPED_CONF}", *resolved.stage_args]
    if not args.cluster_id:
        submit = emr_submit_args(args, str(out.package), str(out.conf_archive), args.job)
        return [Command(["spark-submit", *submit, *job_args], unset=("PYTHONPATH",))]
    prefix = _artifacts_prefix(args)
    remote_job = f"{prefix}jobs/{Path(args.job).name}"
    step = {
        "Name": args.step_name or f"udp {Path(args.job).stem}",
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {
            "Jar": "command-runner.jar",
            "Args": [
                "spark-submit",
                *emr_submit_args(args, f"{prefix}{out.package.name}", f"{prefix}{out.conf_archive.name}", remote_job),
                *job_args,
            ],
        },
    }
    return [
        *_uploads(args, out, prefix, remote_job),
        AwsCall("emr", "add_job_flow_steps", {"JobFlowId": args.cluster_id, "Steps": [step]}),
    ]


def serverless_actions(args: argparse.Namespace, resolved: Resolved, out: Artifacts) -> list[Action]:
    missing = [n for n, v in (("--application-id", args.application_id), ("--role-arn", args.role_arn)) if not v]
    if missing:
        raise LaunchError(f"--env emr-serverless needs {' and '.join(missing)}")
    if not args.venv_archive and not args.python:
        raise LaunchError(
            "--env emr-serverless runs the release's default Python (3.9 on EMR 7.x), which lacks udp's "
            "dependencies: pass --venv-archive s3://.../udp-venv.tar.gz (make venv-archive), or --python PATH for "
            "an interpreter in your image that has them"
        )
    prefix = _artifacts_prefix(args)
    remote_job = f"{prefix}jobs/{Path(args.job).name}"
    params = [
        f"--py-files {prefix}{out.package.name},{EMR_DELTA_JAR}",
        f"--conf spark.jars={EMR_DELTA_JARS}",
        *(f"--conf {c}" for c in DELTA_CONFS),
        f"--conf spark.hadoop.hive.metastore.client.factory.class={GLUE_FACTORY}",
    ]
    archives = [f"{prefix}{out.conf_archive.name}#conf"]
    python = args.python
    if args.venv_archive:
        archives.append(f"{args.venv_archive}#environment")
        python = "./environment/bin/python"
    params += [
        f"--conf spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON={python}",
        f"--conf spark.emr-serverless.driverEnv.PYSPARK_PYTHON={python}",
        f"--conf spark.executorEnv.PYSPARK_PYTHON={python}",
        f"--conf spark.archives={','.join(archives)}",
    ]
    driver = {
        "sparkSubmit": {
            "entryPoint": remote_job,
            "entryPointArguments": ["--conf", f"conf/{SHIPPED_CONF}", *resolved.stage_args],
            "sparkSubmitParameters": " ".join(params),
        }
    }
    run = {
        "applicationId": args.application_id,
        "executionRoleArn": args.role_arn,
        "name": args.step_name or f"udp {Path(args.job).stem}",
        "jobDriver": driver,
    }
    return [*_uploads(args, out, prefix, remote_job), AwsCall("emr-serverless", "start_job_run", run)]


def _artifacts_prefix(args: argparse.Namespace) -> str:
    if not args.artifacts or not args.artifacts.startswith("s3://"):
        raise LaunchError("--artifacts s3://bucket/prefix/ (or UDP_ARTIFACTS) is required to ship the job to EMR")
    return args.artifacts.rstrip("/") + "/"


def _uploads(args: argparse.Namespace, out: Artifacts, prefix: str, remote_job: str) -> list[Action]:
    job = Path(args.job) if Path(args.job).is_absolute() else ROOT / args.job
    return [
        Upload(out.package, f"{prefix}{out.package.name}"),
        Upload(out.conf_archive, f"{prefix}{out.conf_archive.name}"),
        Upload(job, remote_job),
    ]


ACTIONS: dict[str, Callable[[argparse.Namespace, Resolved, Artifacts], list[Action]]] = {
    "local": local_actions,
    "cluster": cluster_actions,
    "emr": emr_actions,
    "emr-serverless": serverless_actions,
}


@dataclass(frozen=True)
class Plan:
    """Everything a launch does, computed before anything is written, uploaded or submitted."""

    resolved: Resolved
    artifacts: Artifacts
    actions: list[Action]


def plan(args: argparse.Namespace, job_args: Sequence[str]) -> Plan:
    """The resolved configuration, the artifacts and the actions for these arguments (what --dry-run prints)."""
    job = ROOT / args.job if not Path(args.job).is_absolute() else Path(args.job)
    if not job.is_file() or job.suffix != ".py":
        raise LaunchError(f"job file not found: {args.job} (expected jobs/<stage>.py)")
    if args.wait and not (args.env == "emr-serverless" or (args.env == "emr" and args.cluster_id)):
        raise LaunchError("--wait applies to --env emr with --cluster-id and to --env emr-serverless")
    resolved = resolve(args, job_args)
    out = build_artifacts(resolved.text)
    return Plan(resolved, out, ACTIONS[args.env](args, resolved, out))


def main(argv: Sequence[str] | None = None) -> int:
    args, job_args = parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        launch = plan(args, job_args)
    except LaunchError as error:
        print(f"spark-submit.sh: error: {error}", file=sys.stderr)
        return 2
    if args.dry_run:
        shipped = "checked here; the job reads the same files" if args.env == "local" else "shipped with the job"
        print(f"# the resolved configuration ({shipped})")
        print(launch.resolved.text.rstrip())
        print("# commands")
        for action in launch.actions:
            print(action.shell())
        return 0
    if args.env != "local":
        launch.artifacts.write()
    code, responses = execute(launch.actions)
    if code or not args.wait:
        return code
    return wait(args, responses)


if __name__ == "__main__":
    sys.exit(main())
