"""Scoring candidate pairs and deciding: match, review, or nothing.

Decision order for a pair:
1. a guard fires (both first names present and clearly different, or two different dates of birth) — never an
   automatic match, whatever the score; kept for review if its probability reaches the review band;
2. a deterministic identifier agrees (exact email, mobile phone or loyalty id, on no more than
   `max_records_per_value` records) — match, rule `exact <identifier>`;
3. probability >= `thresholds.match` — match, rule `probabilistic`; >= `thresholds.review` — review.
Every kept pair carries its per-comparison evidence (level and weight), its probability and the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from udp.errors import ConfigError
from udp.silver.compare import Comparison, with_comparison_levels
from udp.silver.model import Model, evidence, match_weight, prefixed, probability
from udp.silver.records import MATCH_KEYS
from udp.silver.settings import MatchingSettings

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


def guard_column(comparisons: Sequence[Comparison], guards: Sequence[str]) -> Column:
    """The first guard that fires (a clear disagreement on a guarded comparison), or null."""
    known = {c.name: c for c in comparisons}
    fired: Column = F.lit(None).cast("string")
    for name in reversed(guards):
        if name not in known:
            raise ConfigError(f"matching.guards: unknown comparison {name!r}; comparisons: {', '.join(known)}")
        disagree = F.col(f"c_{name}") == F.lit(len(known[name].labels) - 1)
        fired = F.when(disagree, F.lit(f"{name} differs")).otherwise(fired)
    return fired


def with_decisions(
    settings: MatchingSettings, comparisons: Sequence[Comparison], shared: Mapping[str, DataFrame]
) -> Transform:
    """Add `guard`, `rule` and `decision` (match | review | none) to scored pairs."""

    def transform(pairs: DataFrame) -> DataFrame:
        deterministic: Column = F.lit(None).cast("string")
        for name in reversed(list(shared)):
            column = MATCH_KEYS[name]
            blocked = f"_shared_{name}"
            values = shared[name].select(F.col("value").alias(blocked), F.lit(True).alias(f"{blocked}_flag"))
            pairs = pairs.join(F.broadcast(values), F.col(f"l_{column}") == F.col(blocked), "left").drop(blocked)
            agree = (F.col(f"l_{column}") == F.col(f"r_{column}")) & F.col(f"{blocked}_flag").isNull()
            deterministic = F.when(F.coalesce(agree, F.lit(False)), F.lit(f"exact {name}")).otherwise(deterministic)
        pairs = pairs.withColumn("guard", guard_column(comparisons, settings.guards))
        pairs = pairs.withColumn("_deterministic", deterministic)
        p, t = F.col("probability"), settings.thresholds
        decision = (
            F.when(F.col("guard").isNotNull(), F.when(p >= t.review, F.lit("review")).otherwise(F.lit("none")))
            .when(F.col("_deterministic").isNotNull(), F.lit("match"))
            .when(p >= t.match, F.lit("match"))
            .when(p >= t.review, F.lit("review"))
            .otherwise(F.lit("none"))
        )
        rule = F.when(F.col("guard").isNotNull(), F.lit("guarded")).otherwise(
            F.coalesce(F.col("_deterministic"), F.lit("probabilistic"))
        )
        flags = [c for c in pairs.columns if c.startswith("_shared_")]
        return pairs.withColumns({"decision": decision, "rule": rule}).drop("_deterministic", *flags)

    return transform


def to_links(scored: DataFrame, model_version: str) -> DataFrame:
    """The rows of silver.customer_links: pairs kept for matching or review."""
    return scored.where(F.col("decision") != "none").select(
        *[c for c in LINK_COLUMNS if c != "model_version"], F.lit(model_version).alias("model_version")
    )
