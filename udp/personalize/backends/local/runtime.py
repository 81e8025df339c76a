# ruff: noqa: N803 - method parameters are the Personalize API's own (camelCase) names
"""The local `personalize-runtime` (GetRecommendations, GetPersonalizedRanking) and `personalize-events` (PutEvents).

Both read the state of a `LocalPersonalize` client: a campaign must be ACTIVE, and answers come from its solution
version's trained model with the campaign's itemExplorationConfig (Personalize's defaults: weight 0.3, 30 days).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from udp.personalize.backends.local.filters import FilterValueError, UnsupportedFilterError
from udp.personalize.backends.local.models.base import Exploration
from udp.personalize.backends.local.personalize import LocalPersonalize
from udp.personalize.backends.local.service import LocalService, ServiceError


class LocalRuntime(LocalService):
    """`boto3.client("personalize-runtime")`, offline."""

    service_name = "personalize-runtime"

    def __init__(self, personalize: LocalPersonalize) -> None:
        super().__init__(region=personalize.settings.region)
        self.personalize = personalize

    def _get_recommendations(
        self,
        *,
        campaignArn: str | None = None,
        recommenderArn: str | None = None,
        itemId: str | None = None,
        userId: str | None = None,
        numResults: int = 25,
        filterArn: str | None = None,
        filterValues: dict[str, str] | None = None,
        **ignored: Any,
    ) -> dict[str, Any]:
        if recommenderArn or not campaignArn:
            raise ServiceError("InvalidInputException", "The local backend serves campaigns (campaignArn) only.")
        if not 0 < numResults <= 500:
            raise ServiceError("InvalidInputException", "numResults must be from 1 to 500.")
        campaign, version, recipe, folder = self.personalize.campaign_target(campaignArn)
        if recipe.type == "PERSONALIZED_RANKING":
            raise ServiceError("InvalidInputException", "Use GetPersonalizedRanking with a ranking campaign.")
        if recipe.type == "RELATED_ITEMS" and not itemId:
            raise ServiceError("InvalidInputException", f"itemId is required for {recipe.name}.")
        if recipe.type == "USER_PERSONALIZATION" and not userId:
            raise ServiceError("InvalidInputException", f"userId is required for {recipe.name}.")
        try:
            items = self.personalize.serving.recommend(
                folder,
                recipe,
                version["datasetGroupArn"],
                user_id=userId,
                item_id=itemId,
                num_results=numResults,
                filter_expression=self.personalize.filter_expression(filterArn),
                filter_values=filterValues,
                exploration=Exploration.configured(recipe.exploration, campaign.get("campaignConfig")),
            )
        except (UnsupportedFilterError, FilterValueError) as e:
            raise ServiceError("InvalidInputException", str(e)) from None
        return {
            "itemList": [{"itemId": i, "score": s} for i, s in items],
            "recommendationId": f"RID-{uuid.uuid4()}",
        }

    def _get_personalized_ranking(
        self,
        *,
        campaignArn: str,
        inputList: list[str],
        userId: str,
        filterArn: str | None = None,
        filterValues: dict[str, str] | None = None,
        **ignored: Any,
    ) -> dict[str, Any]:
        _, version, recipe, folder = self.personalize.campaign_target(campaignArn)
        if recipe.type != "PERSONALIZED_RANKING":
            raise ServiceError(
                "InvalidInputException", f"Campaign {campaignArn} is not a personalized-ranking campaign."
            )
        try:
            ranked = self.personalize.serving.rank(
                folder,
                version["datasetGroupArn"],
                userId,
                inputList,
                filter_expression=self.personalize.filter_expression(filterArn),
                filter_values=filterValues,
            )
        except (UnsupportedFilterError, FilterValueError) as e:
            raise ServiceError("InvalidInputException", str(e)) from None
        return {
            "personalizedRanking": [{"itemId": i, "score": s} for i, s in ranked],
            "recommendationId": f"RID-{uuid.uuid4()}",
        }


class LocalEvents(LocalService):
    """`boto3.client("personalize-events")`, offline: PutEvents appends to the Interactions dataset."""

    service_name = "personalize-events"

    def __init__(self, personalize: LocalPersonalize) -> None:
        super().__init__(region=personalize.settings.region)
        self.personalize = personalize

    def _put_events(
        self, trackingId: str, sessionId: str, eventList: list[dict[str, Any]], userId: str | None = None
    ) -> None:
        received = time.time()
        events = [
            {
                "USER_ID": userId or sessionId,  # anonymous events are attributed to the session
                "ITEM_ID": e["itemId"],
                "TIMESTAMP": epoch(e["sentAt"]),
                "EVENT_TYPE": e["eventType"],
                "EVENT_VALUE": e.get("eventValue"),
                "_at": received,
            }
            for e in eventList
            if e.get("itemId")
        ]
        self.personalize.datasets.record_events(trackingId, events)


def epoch(value: Any) -> int:
    """`sentAt` as boto3 accepts it (datetime, epoch number or ISO string) -> epoch seconds."""
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, (int, float)):
        return int(value)
    return int(dt.datetime.fromisoformat(str(value)).timestamp())
