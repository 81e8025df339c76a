"""Typed settings of the Personalize step (conf/personalize.yaml).

The loader in udp/config.py already rejects unknown keys, wrong types and enum values (`Literal`); the checks in
`PersonalizeSettings.__post_init__` add Personalize's own rules (recipe names, resource-name pattern and length,
filter expressions, tags, deploy options per recipe), so a mistake is a `ConfigError` naming the key before any
call is made. What only the aws backend needs (a role ARN, a bucket) is checked when a command runs
(`require_aws`), so a job that never touches Personalize does not need those variables set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from udp.errors import ConfigError, unknown_name
from udp.settings.metric_keys import METRIC_KEYS
from udp.settings.names import name_problem
from udp.settings.recipes import BASELINE, RECIPES, Recipe

Backend = Literal["aws", "local"]
DeployMode = Literal["none", "batch", "campaign"]
ImportMode = Literal["FULL", "INCREMENTAL"]
Domain = Literal["none", "ECOMMERCE"]

ROLE_ARN_RE = re.compile(r"arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
# Personalize's tag pattern is ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$; \w and \s are Python's closest classes.
TAG_RE = re.compile(r"[\w\s.:/=+\-@]*")
SCHEDULE_RE = re.compile(r"rate\((\d+) days?\)")
FILTER_RE = re.compile(r"\s*(INCLUDE|EXCLUDE)\s+(ItemID|UserID|ActionID)\s+WHERE\s+.+", re.IGNORECASE | re.DOTALL)
LOCAL_ROLE_ARN = "arn:aws:iam::000000000000:role/udp-local-personalize"
LOCAL_BUCKET = "udp-local"


@dataclass(frozen=True)
class DeploySettings:
    """How a trained solution version is used: not at all, a batch inference job, or a real-time campaign."""

    mode: DeployMode = "none"
    min_tps: int = 1  # campaign: minProvisionedTPS, billed per hour whether used or not
    num_results: int = 25  # batch: recommendations per query (Personalize allows 1-500)
    exploration_weight: float | None = None  # aws-user-personalization: itemExplorationConfig (AWS default 0.3)
    exploration_item_age_cutoff_days: int | None = None  # aws-user-personalization (AWS default 30)
    batch_input: str = ""  # s3:// JSON Lines input; default: built from the snapshot (every user or item)
    max_batch_queries: int = 0  # default input: at most this many queries (0 = all)
    gate: bool = True  # false: deploy this solution's versions whatever their metrics (personalize.gate is skipped)

    def exploration_config(self) -> dict[str, str]:
        """itemExplorationConfig for a campaign or batch job ({} = Personalize's defaults)."""
        out = {}
        if self.exploration_weight is not None:
            out["explorationWeight"] = str(self.exploration_weight)
        if self.exploration_item_age_cutoff_days is not None:
            out["explorationItemAgeCutOff"] = str(self.exploration_item_age_cutoff_days)
        return out


@dataclass(frozen=True)
class GateSettings:
    """Which trained versions are deployed: one that beats the baseline recipe's and the campaign's current version."""

    metric: str = "normalized_discounted_cumulative_gain_at_10"  # one of Personalize's offline metrics
    margin: float = 0.0  # the version must exceed each rival's value by more than this (absolute)
    baseline: str = BASELINE  # the recipe whose version, trained on the same snapshot, must be beaten ("" = none)


@dataclass(frozen=True)
class TrainingSettings:
    """When a snapshot gets a new solution version: a FULL training every `full_every` applied snapshots; on the others
    the version in service is kept, or (aws-user-personalization only) an UPDATE version trains on the new data."""

    full_every: int = 1
    between: Literal["keep", "update"] = "keep"


@dataclass(frozen=True)
class SolutionSettings:
    """One solution: a recipe, its training options and how its versions are deployed."""

    recipe: str
    enabled: bool = True
    event_type: str = ""  # train on this EVENT_TYPE only ("" = all types, equal weight)
    event_value_threshold: str = ""  # keep events with EVENT_VALUE >= this (a number, as a string)
    hyperparameters: Mapping[str, str] = field(default_factory=dict)  # solutionConfig.algorithmHyperParameters
    perform_auto_training: bool = False  # Personalize's default is true: a paid retrain every 7 days
    auto_training_schedule: str = ""  # with perform_auto_training: rate(N days), N in 1..30
    training: TrainingSettings = field(default_factory=TrainingSettings)
    deploy: DeploySettings = field(default_factory=DeploySettings)

    @property
    def recipe_info(self) -> Recipe:
        return RECIPES[self.recipe]


@dataclass(frozen=True)
class PollSettings:
    """Waiting for Personalize: botocore ships no waiters for it, so udp polls describe_* with backoff."""

    initial_seconds: float = 15.0
    max_seconds: float = 120.0
    factor: float = 1.5
    timeout_minutes: float = 1440.0  # a solution version can train for hours
    quota_retries: int = 30  # LimitExceededException on a create (e.g. 5 pending import jobs): wait, retry


@dataclass(frozen=True)
class AlsSettings:
    """The local user-personalization model: Spark MLlib ALS on implicit feedback."""

    rank: int = 32
    max_iter: int = 10
    reg_param: float = 0.1
    alpha: float = 1.0


@dataclass(frozen=True)
class LocalSettings:
    """The offline backend: state folder, where s3:// URIs map to, and its models' knobs."""

    state_dir: str = "./data/personalize-local"
    s3: Literal["folder", "api"] = "folder"  # folder: s3:// maps under s3_root; api: a real S3 API through boto3
    s3_root: str = ""  # s3://bucket/key -> <s3_root>/bucket/key; default <state_dir>/s3
    account_id: str = "000000000000"
    region: str = "us-east-1"
    seed: int = 42  # user split of the evaluation, ALS initialisation
    als: AlsSettings = field(default_factory=AlsSettings)
    content_weight: float = 0.1  # blend of the user's category/brand profile into ALS scores (0 = pure ALS)
    cold_item_interactions: int = 5  # items with fewer interactions are cold (metadata + exploration)
    trending_window_days: float = 7.0


@dataclass(frozen=True)
class PersonalizeSettings:
    """The Personalize step's configuration (`personalize:` in conf/personalize.yaml)."""

    backend: Backend = "local"
    region: str = ""  # aws: "" = boto3's default chain (AWS_DEFAULT_REGION, the profile's region)
    dataset_group: str = "udp-retail"
    domain: Domain = "none"
    role_arn: str = ""  # IAM role Personalize assumes to read and write the bucket
    bucket: str = ""
    prefix: str = "personalize"
    import_mode: ImportMode = "FULL"
    snapshot: str = ""  # "" = the newest snapshot under <paths.export>/personalize
    solutions: Mapping[str, SolutionSettings] = field(default_factory=dict)
    filters: Mapping[str, str] = field(default_factory=dict)
    event_tracker: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)
    gate: GateSettings = field(default_factory=GateSettings)
    poll: PollSettings = field(default_factory=PollSettings)
    local: LocalSettings = field(default_factory=LocalSettings)

    def __post_init__(self) -> None:
        _check_name("personalize.dataset_group", self.dataset_group)
        for key, solution in self.solutions.items():
            _check_solution(f"personalize.solutions.{key}", self.dataset_group, key, solution)
        for key, expression in self.filters.items():
            _check_name(f"personalize.filters.{key}", f"{self.dataset_group}-{key}", what="filter name")
            if not 1 <= len(expression) <= 2500 or not FILTER_RE.fullmatch(expression):
                raise ConfigError(
                    f"key 'personalize.filters.{key}' must be a filter expression of at most 2500 characters, "
                    "e.g. 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"Purchase\")'"
                )
        for key, value in self.tags.items():
            if not 1 <= len(key) <= 128 or not TAG_RE.fullmatch(key) or len(value) > 256 or not TAG_RE.fullmatch(value):
                raise ConfigError(
                    f"key 'personalize.tags.{key}': tag keys are 1-128 and values 0-256 letters, digits, spaces "
                    "or _ . : / = + - @"
                )
        if self.role_arn and not ROLE_ARN_RE.fullmatch(self.role_arn):
            raise ConfigError(
                f"key 'personalize.role_arn' must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>), "
                f"got {self.role_arn!r}"
            )
        if self.bucket and not BUCKET_RE.fullmatch(self.bucket):
            raise ConfigError(f"key 'personalize.bucket' must be an S3 bucket name, got {self.bucket!r}")
        if self.prefix.startswith("/") or "//" in self.prefix:
            raise ConfigError(
                f"key 'personalize.prefix' must be a key prefix such as 'personalize', got {self.prefix!r}"
            )
        _check_gate(self.gate)
        _check_poll(self.poll)
        _check_local(self.local)

    @property
    def enabled_solutions(self) -> dict[str, SolutionSettings]:
        return {k: s for k, s in self.solutions.items() if s.enabled}

    @property
    def effective_bucket(self) -> str:
        return self.bucket or (LOCAL_BUCKET if self.backend == "local" else "")

    @property
    def effective_role_arn(self) -> str:
        return self.role_arn or (LOCAL_ROLE_ARN if self.backend == "local" else "")

    def require_aws(self) -> None:
        """The aws backend's own requirements, checked when a Personalize command runs."""
        if not self.role_arn:
            raise ConfigError(
                "key 'personalize.role_arn' is empty: the aws backend needs the IAM role Personalize assumes to "
                "read the bucket (set UDP_PERSONALIZE_ROLE_ARN or personalize.role_arn)"
            )
        if not self.bucket:
            raise ConfigError("key 'personalize.bucket' is empty: the aws backend imports from s3://<bucket>/<prefix>/")


def _check_name(key: str, name: str, what: str = "name") -> None:
    problem = name_problem(name)
    if problem:
        raise ConfigError(f"key '{key}': Personalize {what} {name!r} {problem}")


def _check_solution(key: str, group: str, solution_key: str, s: SolutionSettings) -> None:
    if s.recipe not in RECIPES:
        raise ConfigError(f"key '{key}.recipe': {unknown_name('recipe', s.recipe, list(RECIPES))}")
    _check_name(key, f"{group}-{solution_key}", what="solution name (<dataset_group>-<key>)")
    _check_training(key, s)
    _check_deploy(key, s, RECIPES[s.recipe])


def _check_training(key: str, s: SolutionSettings) -> None:
    """What the solution trains on and how often."""
    if len(s.event_type) > 256:
        raise ConfigError(f"key '{key}.event_type' is longer than 256 characters")
    if s.event_value_threshold:
        try:
            float(s.event_value_threshold)
        except ValueError:
            raise ConfigError(
                f"key '{key}.event_value_threshold' must be a number, got {s.event_value_threshold!r}"
            ) from None
    if len(s.hyperparameters) > 100:
        raise ConfigError(f"key '{key}.hyperparameters': at most 100 hyperparameters")
    if s.auto_training_schedule:
        m = SCHEDULE_RE.fullmatch(s.auto_training_schedule)
        if not m or not 1 <= int(m.group(1)) <= 30:
            raise ConfigError(f"key '{key}.auto_training_schedule' must be 'rate(N days)' with N from 1 to 30")
        if not s.perform_auto_training:
            raise ConfigError(f"key '{key}.auto_training_schedule' needs perform_auto_training: true")
    if s.training.full_every < 1:
        raise ConfigError(f"key '{key}.training.full_every' must be at least 1 (1 = a FULL training every snapshot)")
    if s.training.between == "update" and s.recipe != "aws-user-personalization":
        raise ConfigError(
            f"key '{key}.training.between': trainingMode UPDATE works only with aws-user-personalization, not "
            f"{s.recipe} (use keep)"
        )


def _check_deploy(key: str, s: SolutionSettings, recipe: Recipe) -> None:
    """How the solution's versions are put to work: a campaign's sizes, batch inference, exploration."""
    d = s.deploy
    if d.min_tps < 1:
        raise ConfigError(f"key '{key}.deploy.min_tps' must be at least 1")
    if not 1 <= d.num_results <= 500:
        raise ConfigError(f"key '{key}.deploy.num_results' must be from 1 to 500")
    if d.max_batch_queries < 0:
        raise ConfigError(f"key '{key}.deploy.max_batch_queries' must be 0 (all) or more")
    if d.mode == "batch" and not recipe.batch:
        raise ConfigError(f"key '{key}.deploy.mode': {s.recipe} does not support batch inference (use campaign)")
    if d.mode == "batch" and recipe.batch_query == "userId+itemList" and not d.batch_input:
        raise ConfigError(
            f"key '{key}.deploy.batch_input': batch inference with {s.recipe} needs an input file of "
            '{"userId": ..., "itemList": [...]} lines (an s3:// URI)'
        )
    if d.batch_input and not d.batch_input.startswith("s3://"):
        raise ConfigError(f"key '{key}.deploy.batch_input' must be an s3:// URI, got {d.batch_input!r}")
    exploring = d.exploration_weight is not None or d.exploration_item_age_cutoff_days is not None
    if exploring and not recipe.exploration:
        raise ConfigError(f"key '{key}.deploy': exploration settings apply to aws-user-personalization only")
    if d.exploration_weight is not None and not 0.0 <= d.exploration_weight <= 1.0:
        raise ConfigError(f"key '{key}.deploy.exploration_weight' must be from 0 to 1")
    if d.exploration_item_age_cutoff_days is not None and d.exploration_item_age_cutoff_days < 1:
        raise ConfigError(f"key '{key}.deploy.exploration_item_age_cutoff_days' must be at least 1")


def _check_gate(g: GateSettings) -> None:
    if g.metric not in METRIC_KEYS:
        raise ConfigError(f"key 'personalize.gate.metric' must be one of {', '.join(METRIC_KEYS)}, got {g.metric!r}")
    if g.margin < 0:
        raise ConfigError("key 'personalize.gate.margin' must be 0 or more")
    if g.baseline and g.baseline not in RECIPES:
        raise ConfigError(f"key 'personalize.gate.baseline' must be a recipe name or empty, got {g.baseline!r}")


def _check_poll(p: PollSettings) -> None:
    if p.initial_seconds < 0 or p.max_seconds < p.initial_seconds or p.factor < 1 or p.timeout_minutes <= 0:
        raise ConfigError(
            "key 'personalize.poll': need 0 <= initial_seconds <= max_seconds, factor >= 1, timeout_minutes > 0"
        )
    if p.quota_retries < 0:
        raise ConfigError("key 'personalize.poll.quota_retries' must be 0 or more")


def _check_local(s: LocalSettings) -> None:
    if not re.fullmatch(r"\d{12}", s.account_id):
        raise ConfigError("key 'personalize.local.account_id' must be 12 digits")
    if s.als.rank < 1 or s.als.max_iter < 1 or s.als.reg_param < 0 or s.als.alpha < 0:
        raise ConfigError("key 'personalize.local.als': rank and max_iter >= 1, reg_param and alpha >= 0")
    if not 0.0 <= s.content_weight <= 1.0:
        raise ConfigError("key 'personalize.local.content_weight' must be from 0 to 1")
    if s.cold_item_interactions < 0 or s.trending_window_days <= 0:
        raise ConfigError("key 'personalize.local': cold_item_interactions >= 0 and trending_window_days > 0")
