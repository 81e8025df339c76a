"""The Personalize driver: plan and apply, the same code for the aws and local backends (status and teardown:
udp/personalize/teardown.py).

`apply` creates or reuses every resource by its deterministic name, in dependency order: dataset group, schemas,
datasets, the snapshot's upload to S3, one import job per dataset and snapshot, solutions, one solution version per
solution and snapshot, their metrics (to gold.recipe_leaderboard through a `MetricsSink`), filters, batch inference
jobs, campaigns, the event tracker. Each step is recorded in the run manifest at once, so a crashed or interrupted
apply resumes where it stopped; a create whose response was lost (botocore retried it) meets
ResourceAlreadyExistsException and is found by name. botocore ships no waiters for Personalize, so the driver polls
describe_* with exponential backoff and prints progress; CREATE FAILED stops the run with the resource, Personalize's
failureReason and what to do. `plan` makes the same lookups (read-only) and prints every call apply would make.
"""

from __future__ import annotations

from udp.personalize import cost
from udp.personalize.deployment import DeploySteps
from udp.personalize.errors import PersonalizeError
from udp.personalize.imports import NOTHING_NEW, UNCHANGED, DataSteps
from udp.personalize.resources import Resource
from udp.personalize.training import TrainingSteps

__all__ = ["NOTHING_NEW", "UNCHANGED", "Driver"]


class Driver(DataSteps, TrainingSteps, DeploySteps):
    """One run over one snapshot: `plan` (lookups only, every call printed) or `apply` (create or reuse everything).

    The engine (udp/personalize/engine.py) calls, finds, records and waits; each base class adds one family of
    resources: data (imports.py), training (training.py), deployment (deployment.py).
    """

    def plan(self) -> list[Resource]:
        """Print every call `apply` would make and why; create nothing."""
        self.dry = True
        try:
            return self.apply()
        finally:
            self.dry = False

    def apply(self, force: bool = False) -> list[Resource]:
        """Create or reuse everything, in dependency order, waiting for each stage; returns the resources."""
        if self.snapshot.preflight_errors:
            failed = ", ".join(self.snapshot.preflight_errors)
            if not force and not self.dry:
                raise PersonalizeError(
                    f"snapshot {self.snapshot.id} was exported past failed preflight rules ({failed}): Personalize "
                    "would likely reject it; fix gold and export again, or run apply --force"
                )
            self.notes.append(f"snapshot {self.snapshot.id} failed preflight rules: {failed}")
        group = self.dataset_group()
        self.wait([group])
        datasets = {}
        for ds in self.snapshot.datasets.values():
            schema = self.schema(ds)
            datasets[ds.name] = self.dataset(ds, group, schema)
        self.wait(datasets.values())
        self.upload()
        jobs = [self.import_job(ds, datasets[ds.name]) for ds in self.snapshot.datasets.values()]
        self.wait(jobs)
        solutions = {key: self.solution(key, sol, group) for key, sol in self.s.enabled_solutions.items()}
        self.wait(solutions.values())
        versions = {key: self.solution_version(key, solutions[key]) for key in solutions}
        self.wait(versions.values())
        self.collect_metrics(list(versions.items()))
        filters = [self.filter(key, expression, group) for key, expression in self.s.filters.items()]
        self.wait(filters)
        passed = {
            key: sol
            for key, sol in self.s.enabled_solutions.items()
            if sol.deploy.mode != "none" and self.gate(key, sol, versions)
        }
        self.wait(
            [self.batch_job(key, sol, versions[key]) for key, sol in passed.items() if sol.deploy.mode == "batch"]
        )
        campaigns = [
            self.campaign(key, sol, versions[key]) for key, sol in passed.items() if sol.deploy.mode == "campaign"
        ]
        self.wait(campaigns)
        if self.s.event_tracker:
            self.wait([self.event_tracker(group)])
        self._cost_notes(versions)
        return self.resources

    def _cost_notes(self, versions: dict[str, Resource]) -> None:
        training = sum(1 for v in versions.values() if v.action == "create")
        rows = self.snapshot.datasets["interactions"].rows
        uploaded = sum(ds.bytes for ds in self.snapshot.datasets.values())
        notes = []
        if any(r.action == "create" for r in self.resources if r.kind == "import-job"):
            notes.append(cost.ingestion_note(uploaded / 1e9))
        if training:
            notes.append(cost.training_note(training, rows))
        self.notes = notes + self.notes
        if self.notes:
            self.notes.append(cost.ASSUMPTIONS)
