"""Facts about the Personalize recipes udp trains: type, runtime API, batch input shape, what each supports.

Recipe ARNs are `arn:aws:personalize:::recipe/<name>`. The local backend implements every recipe listed here
(v1 and v2 names map to the same local algorithm); see docs/personalize.md for what each local model does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RecipeType = Literal["USER_PERSONALIZATION", "PERSONALIZED_RANKING", "RELATED_ITEMS", "POPULAR_ITEMS"]


@dataclass(frozen=True)
class Recipe:
    """One predefined recipe and what the driver needs to know about it."""

    name: str
    type: RecipeType
    batch: bool = True  # batch inference supported
    exploration: bool = False  # itemExplorationConfig (cold items) supported
    local_model: Literal["als", "sims", "popularity", "trending"] = "popularity"

    @property
    def arn(self) -> str:
        return recipe_arn(self.name)

    @property
    def batch_query(self) -> Literal["userId", "itemId", "userId+itemList"]:
        """The key of one batch inference input line (JSON Lines)."""
        if self.type == "RELATED_ITEMS":
            return "itemId"
        if self.type == "PERSONALIZED_RANKING":
            return "userId+itemList"
        return "userId"


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe("aws-user-personalization", "USER_PERSONALIZATION", exploration=True, local_model="als"),
        Recipe("aws-user-personalization-v2", "USER_PERSONALIZATION", local_model="als"),
        Recipe("aws-personalized-ranking", "PERSONALIZED_RANKING", local_model="als"),
        Recipe("aws-personalized-ranking-v2", "PERSONALIZED_RANKING", local_model="als"),
        Recipe("aws-similar-items", "RELATED_ITEMS", local_model="sims"),
        Recipe("aws-sims", "RELATED_ITEMS", local_model="sims"),
        Recipe("aws-popularity-count", "POPULAR_ITEMS", local_model="popularity"),
        Recipe("aws-trending-now", "POPULAR_ITEMS", batch=False, local_model="trending"),
    )
}

# AWS's advice: compare recipes on the same data against popularity count.
BASELINE = "aws-popularity-count"


def recipe_arn(name: str) -> str:
    return f"arn:aws:personalize:::recipe/{name}"


def recipe_from_arn(arn: str) -> Recipe | None:
    """The recipe of a `arn:aws:personalize:::recipe/<name>` ARN, or None when udp does not know it."""
    return RECIPES.get(arn.rsplit("/", 1)[-1])
