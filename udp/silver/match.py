"""Scoring candidate pairs and deciding: match, review, or nothing.

Decision order for a pair:
1. a guard fires (a clear disagreement on a guarded comparison whose fitted m of `else` is below `veto_max_m`, or a
   compound guard such as a different email with a first name that is only similar: household members) — never an
   automatic match, whatever the score; kept for review if its probability reaches the review band;
2. a deterministic identifier agrees (exact email, mobile phone or loyalty id, on no more than
   `max_records_per_value` records) — match, rule `exact <identifier>`;
3. nothing but the names agrees (no `corroboration` level: email, phone, date of birth or address) — review at
   most, rule `names only`: two people can share a rare name, whose term-frequency weight alone would link them;
4. probability >= `thresholds.match` — match, rule `probabilistic`; >= `thresholds.review` — review.
Every kept pair carries its per-comparison evidence (level and weight), its probability and the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from udp.errors import ConfigError
from udp.settings.matching import MatchingSettings
from udp.silver.compare import MISSING, NULL, Comparison, level_problem, with_comparison_levels
from udp.silver.model import Model, evidence, match_weight, prefixed, probability
from udp.silver.records import MATCH_KEYS

Transform = Callable[[DataFrame], DataFrame]

MATCH_COLUMNS = (
    "record_id",
    "source",
    "m_first",
    "m_first_key",
    "m_first_forms",
    "m_last",
    "m_last_key",
    "m_email",
    "m_email_local",
    "m_phone",
    "m_phone_mobile",
    "m_postcode",
    "m_outward",
    "m_address",
    "m_house",
    "m_dob",
    "m_loyalty",
    "m_national_id",
)
TF_KEYS = {"first_name": "m_first_key", "last_name": "m_last_key"}
LINK_COLUMNS = (
    "left_id",
    "right_id",
    "blocking_rule",
    "match_weight",
    "probability",
    "decision",
    "rule",
    "guard",
    "evidence",
    "model_version",
)


def pair_frame(pairs: DataFrame, records: DataFrame) -> DataFrame:
    """Candidate pairs with both records' match keys as `l_*` and `r_*` columns."""
    keys = records.select(*MATCH_COLUMNS)
    left = prefixed(keys, "l")
    right = prefixed(keys, "r")
    return (
        pairs.withColumnRenamed("rule", "blocking_rule")
        .join(left, F.col("left_id") == F.col("l_record_id"))
        .join(right, F.col("right_id") == F.col("r_record_id"))
    )


def with_term_frequencies(tf_tables: Mapping[str, DataFrame]) -> Transform:
    """Add `tf_<comparison>`: how common the left record's value is (used when both sides agree exactly)."""

    def transform(pairs: DataFrame) -> DataFrame:
        for name, table in tf_tables.items():
            key = F.col(f"l_{TF_KEYS[name]}")
            tf = table.select(F.col("value").alias(f"_tf_value_{name}"), F.col("tf").alias(f"tf_{name}"))
            pairs = pairs.join(F.broadcast(tf), key == F.col(f"_tf_value_{name}"), "left").drop(f"_tf_value_{name}")
        return pairs

    return transform


def with_scores(model: Model, comparisons: tuple[Comparison, ...], tf: Sequence[str]) -> Transform:
    """Levels, match weight, probability and evidence for each pair."""

    def transform(pairs: DataFrame) -> DataFrame:
        levels = pairs.transform(with_comparison_levels(comparisons))
        weight = match_weight(model, comparisons, tf)
        return levels.withColumns(
            {"match_weight": weight, "probability": probability(weight), "evidence": evidence(model, comparisons)}
        )

    return transform


def shared_values(records: DataFrame, identifiers: Sequence[str], max_records: int) -> dict[str, DataFrame]:
    """Per deterministic identifier, the values held by more than `max_records` records (not identifiers)."""
    out = {}
    for name in identifiers:
        if name not in MATCH_KEYS:
            raise ConfigError(
                f"matching.deterministic.identifiers: unknown identifier {name!r}; keys: {', '.join(MATCH_KEYS)}"
            )
        column = MATCH_KEYS[name]
        out[name] = (
            records.where(F.col(column).isNotNull())
            .groupBy(F.col(column).alias("value"))
            .agg(F.count(F.lit(1)).alias("n"))
            .where(F.col("n") > max_records)
            .select("value")
        )
    return out


def level_in(
    comparisons: Sequence[Comparison], name: str, labels: Sequence[str], key: str, *, allow_missing: bool = False
) -> Column:
    """True where comparison `name` is at one of `labels` (with `allow_missing`, also where a side lacks the value); a
    clear error naming `key` for an unknown name or label."""
    known = {c.name: c.labels for c in comparisons}
    problem = level_problem(known, name, labels, key, allow_missing=allow_missing)
    if problem:
        raise ConfigError(problem)
    indices = [NULL if label == MISSING else known[name].index(label) for label in labels]
    return F.coalesce(F.col(f"c_{name}").isin(indices), F.lit(MISSING in labels))


def guard_evidence(model: Model, guards: Sequence[str]) -> list[tuple[str, float]]:
    """(comparison, m of its `else` level) per candidate guard: how often true matches clearly disagree there."""
    out = []
    for name in guards:
        if name not in model.m:
            raise ConfigError(f"matching.guards: unknown comparison {name!r}; comparisons: {', '.join(model.m)}")
        out.append((name, model.m[name][-1]))
    return out


def active_guards(model: Model, guards: Sequence[str], veto_max_m: float) -> tuple[str, ...]:
    """The guards the fitted model supports as vetoes: true matches disagree there less often than `veto_max_m`.

    Elsewhere a disagreement is evidence (its EM weight), not a veto: where typos in dates of birth are common, a
    veto on them would turn a typo into a decision."""
    return tuple(name for name, m_else in guard_evidence(model, guards) if m_else < veto_max_m)


def guard_column(
    comparisons: Sequence[Comparison],
    guards: Sequence[str],
    compound: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
) -> Column:
    """The first guard that fires (a clear disagreement on a guarded comparison, or every condition of a compound
    guard), or null."""
    fired: Column = F.lit(None).cast("string")
    for guard, conditions in reversed(list((compound or {}).items())):
        key = f"matching.compound_guards.{guard}"
        every = [level_in(comparisons, n, labels, key, allow_missing=True) for n, labels in conditions.items()]
        if every:
            fired = F.when(reduce(lambda a, b: a & b, every), F.lit(guard)).otherwise(fired)
    for name in reversed(guards):
        labels = next((c.labels for c in comparisons if c.name == name), ("else",))
        disagree = level_in(comparisons, name, [labels[-1]], "matching.guards")
        fired = F.when(disagree, F.lit(f"{name} differs")).otherwise(fired)
    return fired


def corroborated(comparisons: Sequence[Comparison], corroboration: Mapping[str, Sequence[str]]) -> Column:
    """True where some comparison other than the names is at a corroborating level (always true when none is set)."""
    checks = [level_in(comparisons, n, labels, "matching.corroboration") for n, labels in corroboration.items()]
    return reduce(lambda a, b: a | b, checks) if checks else F.lit(True)


def with_decisions(
    settings: MatchingSettings,
    comparisons: Sequence[Comparison],
    shared: Mapping[str, DataFrame],
    guards: Sequence[str] | None = None,
) -> Transform:
    """Add `guard`, `rule` and `decision` (match | review | none) to scored pairs; `guards` are the vetoes in force
    (`active_guards` of the fitted model; default: every configured guard)."""
    vetoes = settings.guards if guards is None else guards

    def transform(pairs: DataFrame) -> DataFrame:
        deterministic: Column = F.lit(None).cast("string")
        for name in reversed(list(shared)):
            column = MATCH_KEYS[name]
            blocked = f"_shared_{name}"
            values = shared[name].select(F.col("value").alias(blocked), F.lit(True).alias(f"{blocked}_flag"))
            pairs = pairs.join(F.broadcast(values), F.col(f"l_{column}") == F.col(blocked), "left").drop(blocked)
            agree = (F.col(f"l_{column}") == F.col(f"r_{column}")) & F.col(f"{blocked}_flag").isNull()
            deterministic = F.when(F.coalesce(agree, F.lit(False)), F.lit(f"exact {name}")).otherwise(deterministic)
        pairs = pairs.withColumn("guard", guard_column(comparisons, vetoes, settings.compound_guards))
        pairs = pairs.withColumn("_deterministic", deterministic)
        names_only = ~corroborated(comparisons, settings.corroboration)
        p, t = F.col("probability"), settings.thresholds
        review_or_none = F.when(p >= t.review, F.lit("review")).otherwise(F.lit("none"))
        decision = (
            F.when(F.col("guard").isNotNull(), review_or_none)
            .when(F.col("_deterministic").isNotNull(), F.lit("match"))
            .when(names_only, review_or_none)
            .when(p >= t.match, F.lit("match"))
            .when(p >= t.review, F.lit("review"))
            .otherwise(F.lit("none"))
        )
        rule = (
            F.when(F.col("guard").isNotNull(), F.lit("guarded"))
            .when(F.col("_deterministic").isNotNull(), F.col("_deterministic"))
            .when(names_only, F.lit("names only"))
            .otherwise(F.lit("probabilistic"))
        )
        flags = [c for c in pairs.columns if c.startswith("_shared_")]
        return pairs.withColumns({"decision": decision, "rule": rule}).drop("_deterministic", *flags)

    return transform


def to_links(scored: DataFrame, model_version: str) -> DataFrame:
    """The rows of silver.customer_links: pairs kept for matching or review."""
    return scored.where(F.col("decision") != "none").select(
        *[c for c in LINK_COLUMNS if c != "model_version"], F.lit(model_version).alias("model_version")
    )
