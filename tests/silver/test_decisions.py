"""Match decisions: guards (simple and compound), deterministic identifiers, and the corroboration rule."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession

from udp.config import load_config
from udp.errors import ConfigError
from udp.settings.matching import MatchingSettings
from udp.silver.compare import comparisons
from udp.silver.match import active_guards, guard_evidence, with_decisions
from udp.silver.model import Model
from udp.silver.records import MATCH_KEYS

ROOT = Path(__file__).resolve().parents[2]
SETTINGS: MatchingSettings = load_config([str(ROOT / "conf" / "local.yaml")], env={}).matching
IDENTIFIERS = [MATCH_KEYS[name] for name in SETTINGS.deterministic.identifiers]

NAMES = {"first_name": "exact", "last_name": "exact"}
# case -> (levels by comparison (not listed: missing), same email value on both sides, probability, decision, rule)
CASES: dict[str, tuple[dict[str, str], bool, float, str, str]] = {
    "names and address agree": (
        {"first_name": "exact", "last_name": "exact", "address": "exact"},
        False,
        0.999,
        "match",
        "probabilistic",
    ),
    "a rare name and nothing else": (
        {"first_name": "exact", "last_name": "exact"},
        False,
        0.999,
        "review",
        "names only",
    ),
    "a rare name and a different email (and no birth date or phone to tell two people apart)": (
        {"first_name": "exact", "last_name": "exact", "email": "else"},
        False,
        0.995,
        "review",
        "guarded",
    ),
    "household: similar first name, other email, same address": (
        {"first_name": "typo", "last_name": "exact", "email": "else", "address": "exact"},
        False,
        0.998,
        "review",
        "guarded",
    ),
    "nickname, same email (deterministic)": (
        {"first_name": "nickname", "last_name": "exact", "email": "exact"},
        True,
        0.9999,
        "match",
        "exact email",
    ),
    "first names clearly differ despite one email": (
        {"first_name": "else", "last_name": "exact", "email": "exact"},
        True,
        0.9999,
        "review",
        "guarded",
    ),
    "namesakes: no birth date on one side, two different phones and emails": (
        {"first_name": "exact", "last_name": "exact", "email": "else", "phone": "else", "address": "exact"},
        False,
        0.999,
        "review",
        "guarded",
    ),
    "one person: no birth date on one side, two emails, one mobile": (
        {"first_name": "exact", "last_name": "exact", "email": "else", "phone": "exact_mobile", "address": "exact"},
        False,
        0.9999,
        "match",
        "probabilistic",
    ),
    "a weak first name with only surname and address behind it": (
        {"first_name": "fuzzy", "last_name": "exact", "address": "exact"},
        False,
        0.995,
        "review",
        "guarded",
    ),
    "low score": (
        {"first_name": "exact", "last_name": "exact", "address": "exact"},
        False,
        0.5,
        "none",
        "probabilistic",
    ),
}


def pairs(spark: SparkSession, cases: Mapping[str, tuple[dict[str, str], bool, float]]) -> DataFrame:
    """One pair per case (levels by comparison, same email value on both sides, probability), with its comparison
    levels, probability and identifier values."""
    labels = {c.name: c.labels for c in comparisons()}
    columns = ["case STRING", *(f"c_{n} INT" for n in labels), "probability DOUBLE"]
    columns += [f"{side}_{c} STRING" for c in IDENTIFIERS for side in ("l", "r")]
    rows = []
    for case, (levels, same_email, p) in cases.items():
        ints = [labels[n].index(levels[n]) if n in levels else -1 for n in labels]
        ids: list[str | None] = []
        for c in IDENTIFIERS:
            left = "a@x.com" if c == "m_email" else None
            right = left if same_email else ("b@x.com" if c == "m_email" else None)
            ids += [left, right]
        rows.append((case, *ints, p, *ids))
    return spark.createDataFrame(rows, ", ".join(columns))


def all_cases(spark: SparkSession) -> DataFrame:
    return pairs(spark, {case: (levels, same_email, p) for case, (levels, same_email, p, _, _) in CASES.items()})


def shared(spark: SparkSession) -> dict[str, DataFrame]:
    return {name: spark.createDataFrame([], "value STRING") for name in SETTINGS.deterministic.identifiers}


def test_each_pair_gets_the_decision_and_rule_of_the_first_rule_that_applies(spark: SparkSession) -> None:
    decided = all_cases(spark).transform(with_decisions(SETTINGS, comparisons(), shared(spark)))
    got = {r["case"]: (r["decision"], r["rule"], r["guard"]) for r in decided.collect()}
    for case, (_, _, _, decision, rule) in CASES.items():
        assert got[case][:2] == (decision, rule), case
    assert got["household: similar first name, other email, same address"][2] == "household_similar_names"
    assert got["first names clearly differ despite one email"][2] == "first_name differs"
    namesakes = "namesakes: no birth date on one side, two different phones and emails"
    assert got[namesakes][2] == "household_no_birth_date_phones_differ"
    weak = "a weak first name with only surname and address behind it"
    assert got[weak][2] == "household_weak_first_name_address_only"


def test_an_unknown_level_in_a_compound_guard_is_a_config_error(spark: SparkSession) -> None:
    settings = dataclasses.replace(SETTINGS, compound_guards={"g": {"email": ("similar",)}})
    with pytest.raises(
        ConfigError, match=r"matching.compound_guards.g.email: unknown level\(s\) similar; levels: exact"
    ):
        all_cases(spark).transform(with_decisions(settings, comparisons(), shared(spark)))
    # `missing` (a side lacks the value) is a level a compound guard may name, and only a compound guard.
    settings = dataclasses.replace(SETTINGS, corroboration={"email": ("missing",)})
    with pytest.raises(
        ConfigError, match=r"matching\.corroboration\.email: unknown level\(s\) missing; levels: exact, else$"
    ):
        all_cases(spark).transform(with_decisions(settings, comparisons(), shared(spark)))
    settings = dataclasses.replace(SETTINGS, corroboration={"shoe_size": ("exact",)})
    with pytest.raises(ConfigError, match=r"matching\.corroboration: unknown comparison 'shoe_size'"):
        all_cases(spark).transform(with_decisions(settings, comparisons(), shared(spark)))


def test_a_guard_is_a_veto_only_where_matches_almost_never_disagree_there() -> None:
    m = {"first_name": (0.9, 0.05, 0.02, 0.01, 0.01, 0.002), "date_of_birth": (0.8, 0.02, 0.05, 0.03, 0.1)}
    u = {"first_name": (0.01, 0.01, 0.01, 0.01, 0.01, 0.95), "date_of_birth": (0.001, 0.001, 0.01, 0.02, 0.968)}
    fitted = Model(0.001, m, u, {"first_name": ("",) * 6, "date_of_birth": ("",) * 5})
    assert guard_evidence(fitted, ("first_name", "date_of_birth")) == [("first_name", 0.002), ("date_of_birth", 0.1)]
    assert active_guards(fitted, ("first_name", "date_of_birth"), veto_max_m=0.01) == ("first_name",)


@pytest.mark.parametrize(
    ("levels", "guard"),
    [
        # A national id copied within a household does not make two people one.
        (
            {"first_name": "else", "last_name": "exact", "date_of_birth": "else", "national_id": "exact"},
            "different_people",
        ),
        # Sisters at one address (Sophie/Sophia Harper, 1962 and 1976), not one person with two mistakes.
        (
            {"first_name": "typo", "last_name": "exact", "date_of_birth": "else", "phone": "else", "address": "exact"},
            "different_people_weak_first_name",
        ),
    ],
    ids=["shared national id", "sisters"],
)
def test_two_clearly_different_people_never_link_where_a_birth_date_is_only_evidence(
    spark: SparkSession, levels: dict[str, str], guard: str
) -> None:
    pair = pairs(spark, {"pair": (levels, False, 0.9999)})
    decided = pair.transform(with_decisions(SETTINGS, comparisons(), shared(spark), guards=())).first()
    assert decided is not None
    assert (decided["decision"], decided["guard"]) == ("review", guard)
