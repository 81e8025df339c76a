# ruff: noqa: N803 - method parameters are the Personalize API's own (camelCase) names
"""The local Personalize's deployment operations: filters, batch inference jobs, campaigns and event trackers, and
what the runtime reads to serve a campaign.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from udp.personalize.backends.local.filters import FilterValueError, UnsupportedFilterError
from udp.personalize.backends.local.models.base import Exploration
from udp.personalize.backends.local.service import ServiceError
from udp.personalize.backends.local.serving import batch_output_line
from udp.personalize.backends.local.state import Record
from udp.personalize.storage import join
from udp.settings.recipes import Recipe, recipe_from_arn

if TYPE_CHECKING:
    pass
from udp.personalize.backends.local.lifecycle import (
    ACTIVE,
    BATCH_IN_PROGRESS,
    BATCH_PENDING,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    DELETE_PENDING,
    Lifecycle,
    clock,
    pick,
)


class DeployApi(Lifecycle):
    """Filters, batch inference, campaigns, event trackers."""

    # ------------------------------------------------------------------------------------------------------------
    # filters, batch inference, campaigns, event trackers
    # ------------------------------------------------------------------------------------------------------------

    def _create_filter(self, name: str, datasetGroupArn: str, filterExpression: str, **params: Any) -> dict[str, Any]:
        arn = self.arn("filter", name)
        with self.store.transaction() as data:
            self._get(data, datasetGroupArn, "dataset-group")
            self._unique(data, "filter", "name", name, "Filter")
            self._limit(len(self._all(data, "filter", datasetGroupArn=datasetGroupArn)), "filters")
            data[arn] = self._new(
                "filter", name=name, filterArn=arn, datasetGroupArn=datasetGroupArn, filterExpression=filterExpression
            )
        return {"filterArn": arn}

    def _delete_filter(self, filterArn: str) -> None:
        with self.store.transaction() as data:
            self._get(data, filterArn, "filter")["status"] = DELETE_PENDING

    def _create_batch_inference_job(
        self,
        jobName: str,
        solutionVersionArn: str,
        jobInput: dict[str, Any],
        jobOutput: dict[str, Any],
        roleArn: str,
        **params: Any,
    ) -> dict[str, Any]:
        arn = self.arn("batch-inference-job", jobName)
        with self.store.transaction() as data:
            version = self._get(data, solutionVersionArn, "solution-version")
            self._active(version, "Solution version")
            recipe = recipe_from_arn(version["recipeArn"])
            if recipe is None or not recipe.batch:
                raise ServiceError(
                    "InvalidInputException", f"Batch inference is not supported for {version['recipeArn']}."
                )
            if params.get("filterArn"):
                self._get(data, params["filterArn"], "filter")
            self._unique(data, "batch-inference-job", "jobName", jobName, "Batch inference job")
            pending = [
                j for j in self._all(data, "batch-inference-job") if j["status"] in (BATCH_PENDING, BATCH_IN_PROGRESS)
            ]
            self._limit(len(pending), "pending-batch-jobs")
            data[arn] = self._new(
                "batch-inference-job",
                status=BATCH_PENDING,
                jobName=jobName,
                batchInferenceJobArn=arn,
                solutionVersionArn=solutionVersionArn,
                jobInput=jobInput,
                jobOutput=jobOutput,
                roleArn=roleArn,
                numResults=int(params.get("numResults", 25)),
                batchInferenceJobMode=params.get("batchInferenceJobMode", "BATCH_INFERENCE"),
                **pick(params, "filterArn", "batchInferenceJobConfig"),
            )
        return {"batchInferenceJobArn": arn}

    def _run_batch(self, job: Record) -> Record:
        snapshot = self.store.snapshot()
        version = snapshot.get(job["solutionVersionArn"])
        recipe = recipe_from_arn(job.get("_recipe") or (version or {}).get("recipeArn", ""))
        if version is None or recipe is None or not version.get("_model_dir"):
            return {"status": CREATE_FAILED, "failureReason": "The solution version has no trained model."}
        source = job["jobInput"]["s3DataSource"]["path"]
        try:
            lines = self.files.read_bytes(source).decode("utf-8").splitlines()
        except Exception:
            return {"status": CREATE_FAILED, "failureReason": f"Input file {source} could not be read."}
        expression = snapshot.get(job.get("filterArn") or "", {}).get("filterExpression")
        exploration = Exploration.configured(recipe.exploration, job.get("batchInferenceJobConfig"))
        folder = self.store.root / version["_model_dir"]
        out: list[str] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                query = json.loads(line)
            except ValueError:
                return {"status": CREATE_FAILED, "failureReason": f"Line {number} of {source} is not valid JSON."}
            out.append(
                self._batch_line(
                    folder=folder,
                    recipe=recipe,
                    version=version,
                    query=query,
                    job=job,
                    expression=expression,
                    exploration=exploration,
                )
            )
        destination = job["jobOutput"]["s3DataDestination"]["path"]
        target = join(destination, source.rstrip("/").rsplit("/", 1)[-1] + ".out")
        self.files.write_bytes(target, ("\n".join(out) + "\n").encode("utf-8"))
        return {"status": ACTIVE}

    def _batch_line(
        self,
        *,
        folder: Path,
        recipe: Recipe,
        version: Record,
        query: dict[str, Any],
        job: Record,
        expression: str | None,
        exploration: Exploration | None,
    ) -> str:
        group = version["datasetGroupArn"]
        values = query.get("filterValues") or {}
        try:
            if recipe.type == "PERSONALIZED_RANKING":
                ranked = self.serving.rank(
                    folder,
                    group,
                    str(query["userId"]),
                    [str(i) for i in query["itemList"]],
                    filter_expression=expression,
                    filter_values=values,
                )
                return batch_output_line(query, ranked, None)
            key = "itemId" if recipe.type == "RELATED_ITEMS" else "userId"
            if key not in query:
                return batch_output_line(query, None, f"Missing {key} in the input line")
            items = self.serving.recommend(
                folder,
                recipe,
                group,
                user_id=str(query[key]) if key == "userId" else None,
                item_id=str(query[key]) if key == "itemId" else None,
                num_results=int(job.get("numResults", 25)),
                filter_expression=expression,
                filter_values=values,
                exploration=exploration,
            )
            return batch_output_line(query, items, None)
        except (UnsupportedFilterError, FilterValueError, KeyError) as e:
            return batch_output_line(query, None, str(e))

    def _create_campaign(self, name: str, solutionVersionArn: str, **params: Any) -> dict[str, Any]:
        arn = self.arn("campaign", name)
        with self.store.transaction() as data:
            version = self._get(data, solutionVersionArn, "solution-version")
            self._active(version, "Solution version")
            self._unique(data, "campaign", "name", name, "Campaign")
            group = version["datasetGroupArn"]
            in_group = [
                c
                for c in self._all(data, "campaign")
                if data.get(c["solutionVersionArn"], {}).get("datasetGroupArn") == group
            ]
            self._limit(len(in_group), "campaigns")
            data[arn] = self._new(
                "campaign",
                name=name,
                campaignArn=arn,
                solutionVersionArn=solutionVersionArn,
                minProvisionedTPS=int(params.get("minProvisionedTPS", 1)),
                campaignConfig=params.get("campaignConfig") or {},
            )
        return {"campaignArn": arn}

    def _list_campaigns(
        self, solutionArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        snapshot = self.store.snapshot()
        campaigns = self._all(snapshot, "campaign")
        if solutionArn:
            campaigns = [
                c for c in campaigns if snapshot.get(c["solutionVersionArn"], {}).get("solutionArn") == solutionArn
            ]
        return self._page(campaigns, "campaigns", nextToken, maxResults)

    def _update_campaign(self, campaignArn: str, **params: Any) -> dict[str, Any]:
        with self.store.transaction() as data:
            rec = self._get(data, campaignArn, "campaign")
            self._active(rec, "Campaign")
            update = rec.get("latestCampaignUpdate") or rec.get("latestDatasetUpdate") or {}
            if update.get("status") in (CREATE_PENDING, CREATE_IN_PROGRESS):
                raise ServiceError("ResourceInUseException", f"Campaign {rec['name']} is being updated.")
            if params.get("solutionVersionArn"):
                self._active(self._get(data, params["solutionVersionArn"], "solution-version"), "Solution version")
            now = clock()
            rec["latestCampaignUpdate"] = {
                "status": CREATE_PENDING,
                "creationDateTime": now,
                "lastUpdatedDateTime": now,
                "solutionVersionArn": params.get("solutionVersionArn", rec["solutionVersionArn"]),
                "minProvisionedTPS": int(params.get("minProvisionedTPS") or rec["minProvisionedTPS"]),
                "campaignConfig": params.get("campaignConfig", rec.get("campaignConfig", {})),
            }
        return {"campaignArn": campaignArn}

    def _delete_campaign(self, campaignArn: str) -> None:
        with self.store.transaction() as data:
            rec = self._get(data, campaignArn, "campaign")
            update = rec.get("latestCampaignUpdate") or {}
            if rec["status"] in (CREATE_PENDING, CREATE_IN_PROGRESS) or update.get("status") in (
                CREATE_PENDING,
                CREATE_IN_PROGRESS,
            ):
                raise ServiceError("ResourceInUseException", f"Campaign {rec['name']} is being created or updated.")
            rec["status"] = DELETE_PENDING

    def _create_event_tracker(self, name: str, datasetGroupArn: str, **params: Any) -> dict[str, Any]:
        with self.store.transaction() as data:
            group = self._get(data, datasetGroupArn, "dataset-group")
            self._active(group, "Dataset group")
            if self._all(data, "event-tracker", datasetGroupArn=datasetGroupArn):
                raise ServiceError(
                    "ResourceAlreadyExistsException", f"Dataset group {group['name']} already has an event tracker."
                )
            digest = hashlib.sha256(f"{datasetGroupArn}/{name}".encode()).hexdigest()
            arn = self.arn("event-tracker", digest[:8])
            tracking = str(uuid.UUID(digest[:32]))
            data[arn] = self._new(
                "event-tracker",
                name=name,
                eventTrackerArn=arn,
                accountId=self.settings.account_id,
                trackingId=tracking,
                datasetGroupArn=datasetGroupArn,
            )
        return {"eventTrackerArn": arn, "trackingId": tracking}

    def _delete_event_tracker(self, eventTrackerArn: str) -> None:
        with self.store.transaction() as data:
            self._get(data, eventTrackerArn, "event-tracker")["status"] = DELETE_PENDING

    # ------------------------------------------------------------------------------------------------------------
    # what the runtime reads (not client operations)
    # ------------------------------------------------------------------------------------------------------------

    def campaign_target(self, campaign_arn: str) -> tuple[Record, Record, Recipe, Path]:
        """(campaign, solution version, recipe, model folder) of an ACTIVE campaign."""
        snapshot = self.store.snapshot()
        campaign = snapshot.get(campaign_arn)
        if campaign is None or campaign.get("_kind") != "campaign" or campaign.get("status") != ACTIVE:
            raise ServiceError("ResourceNotFoundException", f"Campaign {campaign_arn} does not exist or is not ACTIVE.")
        version = snapshot.get(campaign["solutionVersionArn"], {})
        recipe = recipe_from_arn(version.get("recipeArn", ""))
        if recipe is None or not version.get("_model_dir"):
            raise ServiceError("ResourceNotFoundException", f"Campaign {campaign_arn} has no trained model.")
        return campaign, version, recipe, self.store.root / version["_model_dir"]

    def filter_expression(self, filter_arn: str | None) -> str | None:
        if not filter_arn:
            return None
        rec = self.store.snapshot().get(filter_arn)
        if rec is None or rec.get("_kind") != "filter":
            raise ServiceError("ResourceNotFoundException", f"Filter {filter_arn} does not exist.")
        return str(rec["filterExpression"])
