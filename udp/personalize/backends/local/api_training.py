# ruff: noqa: N803 - method parameters are the Personalize API's own (camelCase) names
"""The local Personalize's training operations: solutions, solution versions (trained offline at the step that
leaves IN_PROGRESS, in Spark where the recipe needs ALS) and their metrics.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

from udp.personalize.backends.local.service import ServiceError
from udp.personalize.backends.local.state import Record
from udp.personalize.backends.local.training import TrainingFailedError, train
from udp.settings.recipes import RECIPES, recipe_from_arn

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

from udp.personalize.backends.local.lifecycle import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    CREATE_STOPPING,
    DELETE_PENDING,
    Lifecycle,
    clock,
    pick,
)


class TrainingApi(Lifecycle):
    """Solutions, solution versions, metrics."""

    # ------------------------------------------------------------------------------------------------------------
    # solutions, versions, metrics
    # ------------------------------------------------------------------------------------------------------------

    def _create_solution(self, name: str, datasetGroupArn: str, **params: Any) -> dict[str, Any]:
        if params.get("performAutoML"):
            raise ServiceError("InvalidInputException", "performAutoML (legacy HRNN recipes) is not available.")
        recipe = recipe_from_arn(str(params.get("recipeArn", "")))
        if recipe is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Recipe {params.get('recipeArn')} not found; the local backend knows {', '.join(RECIPES)}.",
            )
        arn = self.arn("solution", name)
        with self.store.transaction() as data:
            group = self._get(data, datasetGroupArn, "dataset-group")
            self._active(group, "Dataset group")
            self._unique(data, "solution", "name", name, "Solution")
            self._limit(len(self._all(data, "solution", datasetGroupArn=datasetGroupArn)), "solutions")
            data[arn] = self._new(
                "solution",
                name=name,
                solutionArn=arn,
                datasetGroupArn=datasetGroupArn,
                recipeArn=recipe.arn,
                performHPO=bool(params.get("performHPO", False)),
                performAutoML=False,
                performAutoTraining=bool(params.get("performAutoTraining", True)),  # Personalize's default
                **pick(params, "eventType", "solutionConfig", "performIncrementalUpdate"),
            )
        return {"solutionArn": arn}

    def _describe_solution(self, solutionArn: str) -> dict[str, Any]:
        rec = self._advance(solutionArn, "solution")
        versions = self._all(self.store.snapshot(), "solution-version", solutionArn=solutionArn)
        if versions:
            rec["latestSolutionVersion"] = max(versions, key=lambda v: float(v["creationDateTime"]))
        return {"solution": rec}

    def _update_solution(self, solutionArn: str, **params: Any) -> dict[str, Any]:
        with self.store.transaction() as data:
            rec = self._get(data, solutionArn, "solution")
            self._active(rec, "Solution")
            if "performAutoTraining" in params:
                rec["performAutoTraining"] = params["performAutoTraining"]
            config = params.get("solutionUpdateConfig", {}).get("autoTrainingConfig")
            if config:
                rec.setdefault("solutionConfig", {})["autoTrainingConfig"] = config
            rec["lastUpdatedDateTime"] = clock()
        return {"solutionArn": solutionArn}

    def _delete_solution(self, solutionArn: str) -> None:
        with self.store.transaction() as data:
            rec = self._get(data, solutionArn, "solution")
            versions = {v["solutionVersionArn"] for v in self._all(data, "solution-version", solutionArn=solutionArn)}
            if any(c.get("solutionVersionArn") in versions for c in self._all(data, "campaign")):
                raise ServiceError("ResourceInUseException", f"Solution {rec['name']} has a campaign; delete it first.")
            training = [
                v
                for v in self._all(data, "solution-version", solutionArn=solutionArn)
                if v["status"] in (CREATE_PENDING, CREATE_IN_PROGRESS, CREATE_STOPPING)
            ]
            if training:
                raise ServiceError("ResourceInUseException", f"Solution {rec['name']} has a version in training.")
            rec["status"] = DELETE_PENDING

    def _create_solution_version(self, solutionArn: str, **params: Any) -> dict[str, Any]:
        mode = params.get("trainingMode", "FULL")
        name = params.get("name")
        with self.store.transaction() as data:
            solution = self._get(data, solutionArn, "solution")
            self._active(solution, "Solution")
            if name:
                self._unique(data, "solution-version", "name", name, "Solution version", solutionArn=solutionArn)
            versions = self._all(data, "solution-version", solutionArn=solutionArn)
            if mode == "UPDATE":
                recipe = recipe_from_arn(solution["recipeArn"])
                if recipe is None or recipe.name != "aws-user-personalization":
                    raise ServiceError("InvalidInputException", "trainingMode UPDATE needs aws-user-personalization.")
                if not any(v["status"] == ACTIVE and v.get("trainingMode") == "FULL" for v in versions):
                    raise ServiceError("InvalidInputException", "trainingMode UPDATE needs an ACTIVE FULL version.")
            pending = [
                v for v in self._all(data, "solution-version") if v["status"] in (CREATE_PENDING, CREATE_IN_PROGRESS)
            ]
            self._limit(len(pending), "pending-solution-versions")
            vid = hashlib.sha256(f"{solutionArn}/{name}".encode()).hexdigest()[:8] if name else uuid.uuid4().hex[:8]
            arn = f"{solutionArn}/{vid}"
            data[arn] = self._new(
                "solution-version",
                name=name,
                solutionVersionArn=arn,
                solutionArn=solutionArn,
                trainingMode=mode,
                trainingType="MANUAL",
                **pick(
                    solution,
                    "recipeArn",
                    "eventType",
                    "datasetGroupArn",
                    "solutionConfig",
                    "performHPO",
                    "performAutoML",
                    "performIncrementalUpdate",
                ),
            )
        return {"solutionVersionArn": arn}

    def _stop_solution_version_creation(self, solutionVersionArn: str) -> None:
        with self.store.transaction() as data:
            rec = self._get(data, solutionVersionArn, "solution-version")
            if rec["status"] not in (CREATE_PENDING, CREATE_IN_PROGRESS):
                raise ServiceError(
                    "InvalidInputException", f"Solution version {solutionVersionArn} is {rec['status']}."
                )
            rec["status"] = CREATE_STOPPING
            rec["lastUpdatedDateTime"] = clock()

    def _get_solution_metrics(self, solutionVersionArn: str) -> dict[str, Any]:
        rec = self._get(self.store.snapshot(), solutionVersionArn, "solution-version")
        if rec["status"] != ACTIVE:
            raise ServiceError("ResourceInUseException", f"Solution version {solutionVersionArn} is {rec['status']}.")
        return {"solutionVersionArn": solutionVersionArn, "metrics": rec.get("_metrics", {})}

    def _run_training(self, version: Record) -> Record:
        recipe = recipe_from_arn(version["recipeArn"])
        assert recipe is not None
        group = version["datasetGroupArn"]
        inter = self.datasets.interactions(group)
        if len(inter) == 0:
            return {
                "status": CREATE_FAILED,
                "failureReason": "No interactions data: import into the Interactions dataset before training.",
            }
        if self.spark is None and recipe.local_model == "als":
            return {"status": CREATE_FAILED, "failureReason": "The local backend needs Spark to train ALS."}
        items = self.datasets.items(group)
        config = version.get("solutionConfig") or {}
        try:
            result = train(
                recipe,
                inter,
                items,
                self.settings,
                event_type=version.get("eventType") or "",
                event_value_threshold=str(config.get("eventValueThreshold") or ""),
                hyperparameters=config.get("algorithmHyperParameters") or {},
                spark=self._spark,
            )
        except TrainingFailedError as e:
            return {"status": CREATE_FAILED, "failureReason": str(e)}
        model_dir = f"models/{version['solutionVersionArn'].rsplit(':', 1)[-1].replace('/', '_')}"
        result.model.meta["trained_at"] = clock()
        result.model.save(self.store.root / model_dir)
        return {
            "status": ACTIVE,
            "trainingHours": round(result.seconds / 3600, 6),
            "_metrics": result.metrics,
            "_model_dir": model_dir,
        }

    def _spark(self) -> SparkSession:
        assert self.spark is not None
        return self.spark()
