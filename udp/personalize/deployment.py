"""The deployment steps: filters, the deploy gate, batch inference jobs, campaigns (created or updated to the new
version) and the event tracker.
"""

from __future__ import annotations

from typing import Any

from udp.personalize import cost
from udp.personalize.batch import batch_queries
from udp.personalize.engine import Engine
from udp.personalize.errors import (
    DefinitionMismatchError,
)
from udp.personalize.gate import judge
from udp.personalize.resources import (
    ACTIVE,
    Resource,
)
from udp.personalize.storage import join
from udp.settings.names import resource_name
from udp.settings.personalize import SolutionSettings
from udp.settings.recipes import RECIPES


class DeploySteps(Engine):
    """Putting versions that pass the gate to work."""

    def filter(self, key: str, expression: str, group: Resource) -> Resource:
        name = f"{self.s.dataset_group}-{key}"

        def check(res: Resource, desc: dict[str, Any]) -> None:
            if desc.get("filterExpression") != expression:
                raise DefinitionMismatchError(
                    f"filter {name} exists with expression {desc.get('filterExpression')!r}; filters are immutable: "
                    f"rename personalize.filters.{key}, or run `udp personalize teardown`"
                )

        return self.ensure(
            Resource("filter", key, name),
            find=lambda: self.find("list_filters", "Filters", lambda f: f["name"] == name, datasetGroupArn=group.arn),
            arn_key="filterArn",
            create=(
                "create_filter",
                {"name": name, "datasetGroupArn": group.arn, "filterExpression": expression, **self.tags()},
            ),
            parent=group,
            check=check,
        )

    def batch_job(self, key: str, sol: SolutionSettings, version: Resource) -> Resource:
        base = Resource("batch-inference-job", key, resource_name(self.s.dataset_group, key, self.snapshot.id))
        folder = join(self.target, "batch", key)
        input_uri = sol.deploy.batch_input or join(folder, "input.json")
        # the S3 objects udp writes for this job, removed by teardown (a user's own batch_input never is)
        written = {"objects": [] if sol.deploy.batch_input else [input_uri], "prefixes": [join(folder, "output") + "/"]}

        def make(res: Resource) -> Resource:
            res.extra.update(written)
            params: dict[str, Any] = {
                "jobName": res.name,
                "solutionVersionArn": version.arn,
                "jobInput": {"s3DataSource": {"path": input_uri}},
                "jobOutput": {"s3DataDestination": {"path": join(folder, "output") + "/"}},
                "roleArn": self.s.effective_role_arn,
                "numResults": sol.deploy.num_results,
                **self.tags(),
            }
            config = sol.deploy.exploration_config()
            if config:
                params["batchInferenceJobConfig"] = {"itemExplorationConfig": config}

            def find() -> dict[str, Any] | None:
                return self.find(
                    "list_batch_inference_jobs",
                    "batchInferenceJobs",
                    lambda j: j["jobName"] == res.name,
                    solutionVersionArn=version.arn,
                )

            def prepare() -> None:
                queries = batch_queries(self.files, self.snapshot, sol, input_uri, say=self.out)
                self.notes.append(cost.batch_note(res.name, queries, sol.deploy.num_results))

            made = self.ensure(
                res,
                find=find,
                arn_key="batchInferenceJobArn",
                create=("create_batch_inference_job", params),
                parent=version,
                prepare=prepare,
            )
            if self.dry and made.action == "create":
                queries = batch_queries(self.files, self.snapshot, sol, input_uri)
                self.notes.append(cost.batch_note(res.name, queries, sol.deploy.num_results) + " (if the gate passes)")
            return made

        return self.ensure_attempts(base, make)

    def gate(self, key: str, sol: SolutionSettings, versions: dict[str, Resource]) -> bool:
        """Whether `key`'s new version may be deployed (udp/personalize/gate.py); a held one is shown and noted."""
        version, g = versions[key], self.s.gate
        if not sol.deploy.gate:
            return True
        # the baseline is a rival only for a recipe answering the same query (a user's items, not an item's neighbours)
        same_query = bool(g.baseline) and RECIPES[g.baseline].batch_query == sol.recipe_info.batch_query
        baselines = [
            k for k, o in self.s.enabled_solutions.items() if same_query and o.recipe == g.baseline and k != key
        ]
        if "metrics" not in version.extra:  # plan, before the version is trained
            rivals = [*baselines, *(["the campaign's current version"] if sol.deploy.mode == "campaign" else [])]
            self.out(f"{'gate':<7} {'solution version':<20} {version.name} - deployed only if its {g.metric} beats "
                     f"{' and '.join(rivals) or 'nothing'} (decided after training)")  # fmt: skip
            return True
        scored = [(f"{k} ({g.baseline})", versions[k].extra.get("metrics", {}).get(g.metric)) for k in baselines]
        serving = self._serving_version(key) if sol.deploy.mode == "campaign" else ""
        if serving and serving != version.arn:
            metrics = self.call("get_solution_metrics", solutionVersionArn=serving).get("metrics", {})
            value = metrics.get(g.metric)
            scored.append(("the campaign's current version", None if value is None else float(value)))
        verdict = judge(g.metric, g.margin, version.extra["metrics"].get(g.metric), scored)
        if verdict.deploy:
            self.out(f"{'gate':<7} {'solution version':<20} {version.name} - {verdict.why}")
            return True
        kind = "campaign" if sol.deploy.mode == "campaign" else "batch-inference-job"
        res = Resource(kind, key, version.name, action="hold", why=verdict.why)
        self.resources.append(res)
        self.show(res)
        self.notes.append(f"{key}: {version.name} {verdict.why}")
        return False

    def _serving_version(self, key: str) -> str:
        """The solution version the campaign of `key` serves now ("" when there is no campaign)."""
        name = f"{self.s.dataset_group}-{key}"
        hit = self.existing(Resource("campaign", key, name), lambda: self._find_campaign(name), "campaignArn")
        return str(hit[1].get("solutionVersionArn", "")) if hit is not None else ""

    def _find_campaign(self, name: str) -> dict[str, Any] | None:
        return self.find("list_campaigns", "campaigns", lambda c: c["name"] == name)

    def campaign(self, key: str, sol: SolutionSettings, version: Resource) -> Resource:
        name = f"{self.s.dataset_group}-{key}"
        campaign_config: dict[str, Any] = {}
        exploration = sol.deploy.exploration_config()
        if exploration:
            campaign_config["itemExplorationConfig"] = exploration
        params: dict[str, Any] = {
            "name": name,
            "solutionVersionArn": version.arn,
            "minProvisionedTPS": sol.deploy.min_tps,
            **self.tags(),
        }
        if campaign_config:
            params["campaignConfig"] = campaign_config
        self.notes.append(cost.campaign_note(name, sol.deploy.min_tps))

        def check(res: Resource, desc: dict[str, Any]) -> None:
            changes = []
            if version.arn and desc.get("solutionVersionArn") != version.arn:
                changes.append(f"solution version -> {version.name}")
            if int(desc.get("minProvisionedTPS", 1)) != sol.deploy.min_tps:
                changes.append(f"minProvisionedTPS -> {sol.deploy.min_tps}")
            if campaign_config and (desc.get("campaignConfig") or {}).get("itemExplorationConfig") != exploration:
                changes.append("itemExplorationConfig")
            if not changes or res.status != ACTIVE:
                return
            res.action, res.why = "update", ", ".join(changes)
            if not self.dry:
                update = {"campaignArn": res.arn, "minProvisionedTPS": sol.deploy.min_tps}
                if version.arn:
                    update["solutionVersionArn"] = version.arn
                if campaign_config:
                    update["campaignConfig"] = campaign_config
                self.call("update_campaign", **update)
                res.status = "UPDATE CREATE PENDING"

        return self.ensure(
            Resource("campaign", key, name),
            find=lambda: self._find_campaign(name),
            arn_key="campaignArn",
            create=("create_campaign", params),
            parent=version,
            check=check,
        )

    def event_tracker(self, group: Resource) -> Resource:
        name = f"{self.s.dataset_group}-events"
        return self.ensure(
            Resource("event-tracker", "events", name),
            find=lambda: self.find("list_event_trackers", "eventTrackers", lambda t: True, datasetGroupArn=group.arn),
            arn_key="eventTrackerArn",
            create=("create_event_tracker", {"name": name, "datasetGroupArn": group.arn, **self.tags()}),
            parent=group,
        )
