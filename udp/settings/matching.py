"""Typed settings of the silver layer (conf/matching.yaml): standardisation, matching, clustering, survivorship."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class EmailProvider:
    """Mailbox rules of one provider: Gmail ignores dots in the local part; many ignore `+tags`."""

    remove_dots: bool = False
    strip_plus: bool = True
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class StandardiseSettings:
    default_country_code: str = "44"
    national_prefix: str = "0"
    mobile_prefixes: tuple[str, ...] = ("7",)
    junk_values: tuple[str, ...] = ()
    junk_emails: tuple[str, ...] = ()
    junk_phones: tuple[str, ...] = ()
    dummy_dates_of_birth: tuple[str, ...] = ()
    junk_identifiers: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    nicknames: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    email_providers: Mapping[str, EmailProvider] = field(default_factory=dict)
    street_abbreviations: Mapping[str, str] = field(default_factory=dict)
    postcode_format: Literal["uk", "none"] = "uk"


@dataclass(frozen=True)
class BlockingRule:
    """Candidate pairs: records whose `left` keys equal the other record's `right` keys (default: same keys)."""

    name: str
    keys: tuple[str, ...]
    swap_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class BlockingSettings:
    max_block_size: int = 2000
    rules: tuple[BlockingRule, ...] = ()


@dataclass(frozen=True)
class DeterministicSettings:
    """Exact identifiers that link two records outright, unless shared by too many records or a guard fires."""

    identifiers: tuple[str, ...] = ("email", "phone", "loyalty_id")
    max_records_per_value: int = 8


@dataclass(frozen=True)
class TrainingSettings:
    max_iterations: int = 30
    tolerance: float = 1e-5
    u_sample_pairs: int = 2_000_000
    seed: int = 42
    fixed_m: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    fixed_u: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    term_frequency: tuple[str, ...] = ("first_name", "last_name")
    blocking_rules: tuple[str, ...] = ("name", "email", "phone", "dob_surname", "postcode_first")


@dataclass(frozen=True)
class ThresholdSettings:
    """Match probability cut-offs: link automatically at `match`, keep for review from `review`."""

    match: float = 0.99
    review: float = 0.8


@dataclass(frozen=True)
class ClusterSettings:
    max_size: int = 25
    max_iterations: int = 40
    split_thresholds: tuple[float, ...] = (0.999, 0.9999, 0.99999)
    # Comparisons two records of one customer may never clearly disagree on (level `else`): a cluster holding such a
    # pair (two dates of birth) is re-clustered with its stronger links, as an oversized one is.
    conflicts: tuple[str, ...] = ("date_of_birth",)


@dataclass(frozen=True)
class Survivorship:
    """Which record supplies an attribute: the first source in `sources` with a value, else by `prefer`."""

    sources: tuple[str, ...] = ()
    prefer: Literal["priority", "recent", "frequent"] = "priority"


@dataclass(frozen=True)
class TouchpointSettings:
    stitch_sessions: bool = True
    stitch_devices: bool = True
    min_device_logins: int = 1


@dataclass(frozen=True)
class MatchingSettings:
    standardise: StandardiseSettings = field(default_factory=StandardiseSettings)
    blocking: BlockingSettings = field(default_factory=BlockingSettings)
    deterministic: DeterministicSettings = field(default_factory=DeterministicSettings)
    # Candidate vetoes: a clear disagreement on one of these blocks an automatic match only when the fitted model
    # says matches almost never disagree there (m of level `else` below `veto_max_m`); otherwise it is evidence.
    guards: tuple[str, ...] = ("first_name", "date_of_birth")
    veto_max_m: float = 0.01
    # name -> {comparison: levels}: fires when every listed comparison is at one of its listed levels.
    compound_guards: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    # comparison -> levels that corroborate a name; a probabilistic match needs one of them ({} = no such rule).
    corroboration: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    thresholds: ThresholdSettings = field(default_factory=ThresholdSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    survivorship: Mapping[str, Survivorship] = field(default_factory=dict)
    touchpoints: TouchpointSettings = field(default_factory=TouchpointSettings)
