"""`udp personalize plan|apply|status|teardown|compare`: import, train, compare and deploy an export snapshot.

    udp personalize plan     [--conf F] [--set k=v] [--snapshot ID]     every call apply would make, and why
    udp personalize apply    [--snapshot ID] [--retry-failed]          create or reuse, wait, record, resume
    udp personalize status   [--snapshot ID]                           the run manifest with live statuses
    udp personalize teardown [--snapshot ID] [--all-snapshots] [--dry-run]   delete what apply created
    udp personalize compare  [--snapshot ID]                           gold.recipe_leaderboard, best per metric
    udp personalize schedule --for emr-steps|airflow --artifacts S3    the daily run as EMR steps or an Airflow DAG
    ./spark-submit.sh --env emr jobs/personalize_driver.py apply --conf conf/emr.yaml

The backend (`personalize.backend`: local | aws) decides the clients; everything else is the same code. A Spark
session is built only when needed (the leaderboard, or training in the local backend), via udp.session.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
)

from udp import runlog
from udp.config import Config
from udp.errors import UdpError
from udp.lake import table_location
from udp.personalize.backends import NO_CREDENTIALS, NO_REGION, Clients, make_clients
from udp.personalize.driver import Driver
from udp.personalize.errors import AwsSetupError, TeardownIncompleteError
from udp.personalize.leaderboard import (
    LEADERBOARD,
    compare_report,
    leaderboard_rows,
    read_leaderboard,
    select_rows,
    trend_report,
    write_leaderboard,
)
from udp.personalize.manifest import RunManifest
from udp.personalize.resources import KINDS, MetricsSink, Resource, VersionMetrics
from udp.personalize.snapshot import (
    RUN_MANIFEST,
    SnapshotError,
    list_snapshots,
    load_snapshot,
    resolve_snapshot,
    snapshots_root,
)
from udp.personalize.storage import join
from udp.personalize.teardown import status, teardown
from udp.runner import add_config_args, config_from_args, fail
from udp.summary import Summary

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

COMMANDS = ("plan", "apply", "status", "teardown", "compare")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="udp personalize", description="Import, train, compare and deploy Amazon Personalize recipes."
    )
    p.add_argument("command", choices=(*COMMANDS, "schedule"), help="schedule: see `udp personalize schedule -h`")
    add_config_args(p)
    p.add_argument("--snapshot", default="", help="export snapshot id (default: personalize.snapshot, else newest)")
    p.add_argument("--retry-failed", action="store_true", help="apply: replace a failed import/training/batch job")
    p.add_argument("--all-snapshots", action="store_true", help="teardown: what every snapshot's run created")
    p.add_argument("--force", action="store_true", help="apply: a snapshot exported past failed preflight rules")
    p.add_argument("--dry-run", action="store_true", help="teardown: list what it would delete, delete nothing")
    return p


def say(line: str) -> None:
    """Progress goes out at once, also when stdout is a log file (EMR steps)."""
    print(line, flush=True)


class SparkProvider:
    """Builds the session on first use only (plan and status on the aws backend never start a JVM)."""

    def __init__(self, config: Config, spark: SparkSession | None = None) -> None:
        self.config = config
        self.session = spark

    def __call__(self) -> SparkSession:
        if self.session is None:
            from udp.session import build_spark

            self.session = build_spark(self.config, app_name=f"{self.config.spark.app_name}-personalize")
        return self.session


def run(
    config: Config,
    command: str,
    *,
    snapshot: str = "",
    retry_failed: bool = False,
    all_snapshots: bool = False,
    force: bool = False,
    dry_run: bool = False,
    spark: Callable[[], SparkSession] | None = None,
    clients: Clients | None = None,
    leaderboard: MetricsSink | None = None,
    out: Callable[[str], None] = say,
) -> Summary:
    """Run one command; returns its summary. Library code: `spark` builds or returns the session when needed."""
    settings = config.personalize
    provider = spark or SparkProvider(config)
    clients = clients or make_clients(settings, provider)
    summary = Summary(f"personalize {command}")
    summary.fact("backend", f"{clients.backend} ({clients.region})")
    summary.fact("dataset group", settings.dataset_group)
    if command == "compare":
        return _compare(config, snapshot or settings.snapshot, provider, summary, out)
    snapshot_id = resolve_snapshot(clients.files, config.paths.export, snapshot or settings.snapshot)
    summary.fact("snapshot", snapshot_id)
    snap = load_snapshot(clients.files, config.paths.export, snapshot_id)
    manifest = RunManifest.load(clients.files, snap.run_manifest_uri, snap.id, clients.backend, settings.dataset_group)
    summary.fact("run manifest", manifest.uri)

    sink = leaderboard or LeaderboardSink(config, provider, clients.backend)
    driver = Driver(clients, settings, snap, manifest, out=out, retry_failed=retry_failed, leaderboard=sink)
    if command == "plan":
        resources = driver.plan()
        _resources_table(summary, resources, "plan")
        if driver.notes:
            summary.text("cost (rough; see udp/personalize/cost.py)", "\n".join(driver.notes))
    elif command == "apply":
        resources = driver.apply(force=force)
        _resources_table(summary, resources, "resources")
        if driver.metrics:
            summary.table(
                f"metrics (also in {LEADERBOARD})",
                ["solution", "recipe", "p@10", "ndcg@10", "mrr@25", "coverage"],
                [
                    [
                        m.solution_key,
                        m.recipe,
                        m.metrics.get("precision_at_10"),
                        m.metrics.get("normalized_discounted_cumulative_gain_at_10"),
                        m.metrics.get("mean_reciprocal_rank_at_25"),
                        m.metrics.get("coverage"),
                    ]
                    for m in driver.metrics
                ],
            )
    elif command == "status":
        _resources_table(summary, status(driver), "resources")
    elif command == "teardown":
        manifests = [manifest]
        if all_snapshots:
            manifests = []
            for other in list_snapshots(clients.files, config.paths.export):
                uri = join(snapshots_root(config.paths.export), other, RUN_MANIFEST)
                try:
                    manifests.append(
                        RunManifest.load(clients.files, uri, other, clients.backend, settings.dataset_group)
                    )
                except SnapshotError as e:  # a run of another backend or dataset group: not ours to delete
                    out(f"skip    {uri}: {e}")
        done = teardown(driver, manifests, dry_run=dry_run)
        _resources_table(summary, done.resources, "would delete" if dry_run else "deleted")
        if done.left:
            names = ", ".join(f"{KINDS[r.kind].label} {r.name} ({r.status}: {r.why})" for r in done.left)
            summary.failure = TeardownIncompleteError(
                f"teardown left {len(done.left)} resource(s): {names}; fix what keeps them and run teardown again "
                "(it retries only what is left)"
            )
    return summary


class LeaderboardSink:
    """gold.recipe_leaderboard as the driver's metrics sink (Spark starts only when there is something to write)."""

    def __init__(self, config: Config, spark: Callable[[], SparkSession], backend: str) -> None:
        self.config = config
        self.spark = spark
        self.backend = backend
        self.location = table_location(config, LEADERBOARD)

    def write(self, versions: list[VersionMetrics]) -> None:
        from udp.lake import Lake

        rows = leaderboard_rows(self.backend, self.config.personalize.dataset_group, versions)
        write_leaderboard(Lake(self.spark(), self.config), rows)


def _resources_table(summary: Summary, resources: Sequence[Resource], title: str) -> None:
    rows = [[r.action, KINDS[r.kind].label, r.name, r.status, r.arn or r.why] for r in resources]
    summary.fact("resources", len(resources))
    summary.table(title, ["action", "kind", "name", "status", "arn / why"], rows)


def _compare(
    config: Config, snapshot: str, spark: Callable[[], SparkSession], summary: Summary, out: Callable[[str], None]
) -> Summary:
    from udp.lake import Lake

    settings = config.personalize
    board = read_leaderboard(Lake(spark(), config))
    chosen, rows = select_rows(board, backend=settings.backend, dataset_group=settings.dataset_group, snapshot=snapshot)
    summary.fact("snapshot", chosen or "(none)")
    summary.fact("solution versions", len(rows))
    summary.text("comparison", compare_report(rows, chosen, settings.backend, settings.dataset_group))
    mine = [r for r in board if r["backend"] == settings.backend and r["dataset_group"] == settings.dataset_group]
    trend = trend_report(mine, settings.gate.metric)
    if trend:
        summary.text("trend", trend)
    return summary


def _client_error_message(error: ClientError) -> str:
    err: dict[str, Any] = dict(error.response.get("Error", {}))
    op = error.operation_name
    return f"Personalize {op} failed: {err.get('Code', 'error')}: {err.get('Message', '')}".strip()


def _user_error(error: Exception) -> UdpError | None:
    """The one-line error a user can act on, or None for a bug (re-raised with its traceback)."""
    if isinstance(error, UdpError):
        return error
    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return AwsSetupError(NO_CREDENTIALS)
    if isinstance(error, NoRegionError):
        return AwsSetupError(NO_REGION)
    if isinstance(error, EndpointConnectionError):
        return UdpError(f"cannot reach {error.kwargs.get('endpoint_url')}: check the region and network")
    if isinstance(error, ParamValidationError):
        return UdpError(f"invalid Personalize request: {error}")
    if isinstance(error, ClientError):
        return UdpError(_client_error_message(error))
    return None


def main(argv: Sequence[str] | None = None, *, spark: SparkSession | None = None) -> int:
    """CLI entry (also jobs/personalize_driver.py): one line `udp: error: ...` for every user-facing problem."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["schedule"]:  # the daily run as EMR steps or an Airflow DAG: no snapshot, no Personalize call
        from udp import schedule

        return schedule.main(argv[1:])
    started = time.monotonic()
    clock = runlog.RunClock.start("personalize")
    provider: SparkProvider | None = None
    try:
        args = parser().parse_args(argv)
        config = config_from_args(args)
        provider = SparkProvider(config, spark)
        summary = run(
            config,
            args.command,
            snapshot=args.snapshot,
            retry_failed=args.retry_failed,
            all_snapshots=args.all_snapshots,
            force=args.force,
            dry_run=args.dry_run,
            spark=provider,
        )
    except KeyboardInterrupt:
        print(
            "udp: interrupted: run the same command again to resume (the run manifest has every step)", file=sys.stderr
        )
        return 130
    except Exception as error:
        user_error = _user_error(error)
        if provider is not None and provider.session is not None:
            runlog.write_failed(provider.session, config, clock, user_error or error)
        if user_error is None:
            raise
        return fail(user_error)
    if provider is not None and provider.session is not None:  # logged when Spark ran: see udp/runlog.py
        logged = clock.finish(config, summary)
        runlog.write(provider.session, config, clock, logged)
        print(logged.render())
    else:
        summary.started = started
        print(summary.render())
    return fail(summary.failure) if summary.failure is not None else 0
