"""conf/personalize.yaml -> PersonalizeSettings: Personalize's rules are checked before any call is made."""

from __future__ import annotations

from pathlib import Path

import pytest

from udp.config import load_config
from udp.errors import ConfigError
from udp.settings.personalize import LOCAL_ROLE_ARN, PersonalizeSettings

ROOT = Path(__file__).resolve().parents[2]
LOCAL = str(ROOT / "conf" / "local.yaml")


def load(*overrides: str) -> PersonalizeSettings:
    return load_config([LOCAL], list(overrides), env={}).personalize


def test_shipped_configuration_is_local_with_five_recipes_and_no_auto_training() -> None:
    s = load()
    assert s.backend == "local"
    assert {sol.recipe for sol in s.solutions.values()} == {
        "aws-popularity-count",
        "aws-user-personalization",
        "aws-similar-items",
        "aws-personalized-ranking",
        "aws-trending-now",
    }
    assert not any(sol.perform_auto_training for sol in s.solutions.values())
    assert s.solutions["user-personalization"].deploy.mode == "batch"
    assert s.effective_role_arn == LOCAL_ROLE_ARN


def test_unknown_recipe_names_the_key_and_suggests_the_right_one() -> None:
    with pytest.raises(
        ConfigError, match=r"personalize\.solutions\.popularity\.recipe': unknown recipe 'aws-popularity'"
    ):
        load("personalize.solutions.popularity.recipe=aws-popularity")
    with pytest.raises(ConfigError, match=r"did you mean 'aws-sims'"):
        load("personalize.solutions.popularity.recipe=aws-simss")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("personalize.dataset_group=my group", r"'personalize\.dataset_group'.*must match"),
        ("personalize.dataset_group=" + "g" * 64, r"'personalize\.dataset_group'.*64 characters long \(at most 63\)"),
        ("personalize.dataset_group=-lead", r"'personalize\.dataset_group'.*must match"),
        (
            "personalize.solutions." + "k" * 60 + ".recipe=aws-sims",
            r"solution name \(<dataset_group>-<key>\) .* \(at most 63\)",
        ),
        ("personalize.filters.bad=SELECT 1", r"'personalize\.filters\.bad' must be a filter expression"),
        ("personalize.solutions.popularity.deploy.min_tps=0", r"deploy\.min_tps' must be at least 1"),
        ("personalize.solutions.popularity.deploy.num_results=501", r"deploy\.num_results' must be from 1 to 500"),
        ("personalize.solutions.trending.deploy.mode=batch", r"aws-trending-now does not support batch inference"),
        ("personalize.solutions.ranking.deploy.mode=batch", r"needs an input file"),
        ("personalize.solutions.popularity.deploy.exploration_weight=0.3", r"aws-user-personalization only"),
        ("personalize.solutions.popularity.event_value_threshold=lots", r"event_value_threshold' must be a number"),
        ("personalize.solutions.popularity.auto_training_schedule=rate(40 days)", r"rate\(N days\)"),
        ("personalize.solutions.popularity.auto_training_schedule=rate(7 days)", r"needs perform_auto_training"),
        ("personalize.role_arn=arn:aws:iam::12:role/x", r"'personalize\.role_arn' must be an IAM role ARN"),
        ("personalize.bucket=Not_A_Bucket", r"'personalize\.bucket' must be an S3 bucket name"),
        ("personalize.tags.project=a;b", r"'personalize\.tags\.project'"),
        ("personalize.local.content_weight=2", r"content_weight' must be from 0 to 1"),
    ],
)
def test_personalize_rules_are_config_errors_naming_the_key(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(override)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("personalize.backend=cloud", r"key 'personalize\.backend' must be one of 'aws', 'local', got 'cloud'"),
        ("personalize.import_mode=APPEND", r"key 'personalize\.import_mode' must be one of 'FULL', 'INCREMENTAL'"),
        ("personalize.solutions.popularity.deploy.mode=sometimes", r"deploy\.mode' must be one of 'none'"),
        ("personalize.domain=VIDEO", r"key 'personalize\.domain' must be one of 'none', 'ECOMMERCE'"),
        ("personalize.solutions.popularity.recipee=x", r"unknown key 'personalize\.solutions\.popularity\.recipee'"),
    ],
)
def test_enums_and_unknown_keys_are_rejected_by_the_loader(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(override)


def test_aws_backend_needs_role_and_bucket_only_when_a_command_runs() -> None:
    s = load("personalize.backend=aws")  # loading works: bronze jobs on EMR need no Personalize variables
    with pytest.raises(ConfigError, match=r"'personalize\.role_arn' is empty"):
        s.require_aws()
    s = load("personalize.backend=aws", "personalize.role_arn=arn:aws:iam::123456789012:role/p")
    with pytest.raises(ConfigError, match=r"'personalize\.bucket' is empty"):
        s.require_aws()
    load(
        "personalize.backend=aws", "personalize.role_arn=arn:aws:iam::123456789012:role/p", "personalize.bucket=acme"
    ).require_aws()


def test_role_arn_comes_from_the_environment() -> None:
    arn = "arn:aws:iam::123456789012:role/personalize"
    cfg = load_config([LOCAL], env={"UDP_PERSONALIZE_ROLE_ARN": arn, "UDP_PERSONALIZE_BUCKET": "acme-ml"})
    assert (cfg.personalize.role_arn, cfg.personalize.bucket) == (arn, "acme-ml")


def test_a_solution_can_be_disabled_by_an_overlay() -> None:
    s = load("personalize.solutions.trending.enabled=false")
    assert "trending" not in s.enabled_solutions
    assert "popularity" in s.enabled_solutions
