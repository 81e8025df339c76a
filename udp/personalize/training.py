"""The training steps: one solution per configured recipe, one solution version per solution and snapshot (FULL, or
UPDATE between full retrainings as `training` says), and their offline metrics to the leaderboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from udp.personalize.cadence import earlier_versions, training_mode
from udp.personalize.engine import Engine
from udp.personalize.errors import (
    DefinitionMismatchError,
    PersonalizeError,
)
from udp.personalize.manifest import Entry
from udp.personalize.resources import (
    ACTIVE,
    Resource,
    VersionMetrics,
    status_of,
)
from udp.settings.names import resource_name
from udp.settings.personalize import SolutionSettings
from udp.settings.recipes import RECIPES, recipe_from_arn


class TrainingSteps(Engine):
    """Training the snapshot's solution versions and collecting their metrics."""

    def solution(self, key: str, sol: SolutionSettings, group: Resource) -> Resource:
        name = f"{self.s.dataset_group}-{key}"
        recipe = RECIPES[sol.recipe]
        params: dict[str, Any] = {
            "name": name,
            "datasetGroupArn": group.arn,
            "recipeArn": recipe.arn,
            "performAutoTraining": sol.perform_auto_training,
            **self.tags(),
        }
        if sol.event_type:
            params["eventType"] = sol.event_type
        config: dict[str, Any] = {}
        if sol.event_value_threshold:
            config["eventValueThreshold"] = sol.event_value_threshold
        if sol.hyperparameters:
            config["algorithmHyperParameters"] = dict(sol.hyperparameters)
        if sol.auto_training_schedule:
            config["autoTrainingConfig"] = {"schedulingExpression": sol.auto_training_schedule}
        if config:
            params["solutionConfig"] = config

        def check(res: Resource, desc: dict[str, Any]) -> None:
            theirs = recipe_from_arn(str(desc.get("recipeArn", "")))
            if desc.get("recipeArn") != recipe.arn or (desc.get("eventType") or "") != sol.event_type:
                raise DefinitionMismatchError(
                    f"solution {name} exists with recipe {theirs.name if theirs else desc.get('recipeArn')} and "
                    f"eventType {desc.get('eventType') or '(all)'}; the configuration says {sol.recipe}, "
                    f"{sol.event_type or '(all)'}. Solutions are immutable: rename personalize.solutions.{key}, or "
                    "run `udp personalize teardown`"
                )
            if bool(desc.get("performAutoTraining")) != sol.perform_auto_training and res.status == ACTIVE:
                res.action, res.why = "update", f"performAutoTraining -> {sol.perform_auto_training}"
                if not self.dry:
                    update: dict[str, Any] = {"solutionArn": res.arn, "performAutoTraining": sol.perform_auto_training}
                    if sol.auto_training_schedule:
                        update["solutionUpdateConfig"] = {
                            "autoTrainingConfig": {"schedulingExpression": sol.auto_training_schedule}
                        }
                    self.call("update_solution", **update)

        return self.ensure(
            Resource("solution", key, name),
            find=lambda: self.find(
                "list_solutions", "solutions", lambda s: s["name"] == name, datasetGroupArn=group.arn
            ),
            arn_key="solutionArn",
            create=("create_solution", params),
            parent=group,
            check=check,
        )

    def solution_version(self, key: str, solution: Resource) -> Resource:
        base = Resource("solution-version", key, resource_name(self.s.dataset_group, key, self.snapshot.id))
        training = self.s.solutions[key].training
        mode, latest, since_full = training_mode(
            earlier_versions(self.files, self.manifest, key), training.full_every, training.between
        )
        cadence = f"{since_full} snapshot(s) since the last FULL training, FULL every {training.full_every}"
        current = self.manifest.get(base.kind, key)  # this snapshot's, when apply runs again
        if mode == "KEEP" and latest is not None and (current is None or current.extra.get("kept_from")):
            return self._keep_version(key, current or latest, cadence)
        if mode == "KEEP":  # this snapshot trained its own version before the configuration changed
            mode = "FULL" if current is None else current.extra.get("training_mode", "FULL")

        def make(res: Resource) -> Resource:
            params = {"solutionArn": solution.arn, "name": res.name, "trainingMode": mode, **self.tags()}
            res.extra["training_mode"] = mode
            return self.ensure(
                res,
                find=lambda: self._find_version(solution, res.name),
                arn_key="solutionVersionArn",
                create=("create_solution_version", params),
                parent=solution,
                creating=f"; trains ({mode}) on this snapshot (billed per training hour)"
                + (f"; {cadence}" if mode == "UPDATE" else ""),
            )

        return self.ensure_attempts(base, make)

    def _keep_version(self, key: str, latest: Entry, cadence: str) -> Resource:
        """No training on this snapshot: the latest earlier version goes on (to metrics, the gate and deployment)."""
        res = Resource("solution-version", key, latest.name, latest.arn, extra=dict(latest.extra))
        desc = self.describe(res.kind, res.arn)
        if desc is None:
            raise PersonalizeError(f"solution version {latest.name} ({latest.arn}) is gone: set training.full_every=1")
        res.status, res.failure_reason = status_of(res.kind, desc)
        res.action, res.why = "keep", f"no training on this snapshot ({cadence})"
        res.extra["kept_from"] = latest.extra.get("kept_from") or latest.name
        self.resources.append(res)
        self.remember(res)
        self.show(res)
        return res

    def _find_version(self, solution: Resource, name: str) -> dict[str, Any] | None:
        """Solution version summaries carry no name: describe each until one has ours."""

        def named(summary: dict[str, Any]) -> bool:
            desc = self.describe("solution-version", summary["solutionVersionArn"])
            return desc is not None and desc.get("name") == name

        return self.find("list_solution_versions", "solutionVersions", named, solutionArn=solution.arn)

    def collect_metrics(self, versions: Sequence[tuple[str, Resource]]) -> list[VersionMetrics]:
        """get_solution_metrics of every ACTIVE version, written to the leaderboard unless already there."""
        trained: list[tuple[Resource, VersionMetrics]] = []
        for key, version in versions:
            if self.dry:
                target = self.leaderboard.location if self.leaderboard is not None else "(no leaderboard)"
                arn = version.arn or "<from create>"
                self.out(f"{'metrics':<7} {'solution version':<20} {version.name}  get_solution_metrics("
                         f"solutionVersionArn={arn}) -> {target}")  # fmt: skip
                continue
            if version.status != ACTIVE:
                continue
            metrics = self.call("get_solution_metrics", solutionVersionArn=version.arn).get("metrics", {})
            desc = self.describe("solution-version", version.arn) or {}
            trained_at = desc.get("lastUpdatedDateTime")
            sol = self.s.solutions[key]
            version.extra["metrics"] = {k: float(v) for k, v in metrics.items()}
            trained.append(
                (
                    version,
                    VersionMetrics(
                        recipe=sol.recipe,
                        solution=f"{self.s.dataset_group}-{key}",
                        solution_key=key,
                        version_name=version.name,
                        version_arn=version.arn,
                        snapshot=self.snapshot.id,
                        metrics=dict(version.extra["metrics"]),
                        trained_at=trained_at if isinstance(trained_at, dt.datetime) else None,
                    ),
                )
            )
        sink = self.leaderboard
        if sink is not None:
            # a version already written to this leaderboard is not written again (no Spark session needed)
            todo = [m for v, m in trained if v.extra.get("leaderboard") != sink.location]
            if todo:
                sink.write(todo)
                self.out(f"  wrote   {len(todo)} solution version(s) to {sink.location}")
        for version, _ in trained:
            if sink is not None:
                version.extra["leaderboard"] = sink.location
            self.remember(version)
        self.metrics = [m for _, m in trained]
        return self.metrics
