"""Candidate pairs from several OR'ed blocking rules — never a cross join.

Each rule is an equi-join on match keys (`keys`, or `keys` against `swap_keys` for crosswise rules such as swapped
first and last names). A pair found by several rules is kept once, named after the first rule that finds it and
carrying the set of every rule that found it (`rule_bits`, bit i for rule i: training reads each rule's own pairs from
it): one aggregation over the union of the rules' (left_id, right_id) pairs. (Filtering each rule's pairs by the negated
conditions of every earlier rule avoids that shuffle, but with a dozen rules Spark's constraint inference over those
predicates takes minutes to plan.) Keys shared by more than `max_block_size` records (a shop's
phone number, a placeholder) are skipped for that rule and reported, so one hot key cannot explode the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from itertools import groupby, islice

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from udp.errors import ConfigError
from udp.settings.matching import BlockingRule, BlockingSettings
from udp.silver.records import MATCH_KEYS

ID = "record_id"
MAX_RULES = 63  # rule_bits is a BIGINT with one bit per rule


@dataclass(frozen=True)
class SkippedBlock:
    rule: str
    key: str
    records: int


# Which comparison a match key feeds: a blocking rule on these keys says nothing about those comparisons.
KEY_COMPARISON = {
    "first_name": "first_name",
    "first_key": "first_name",
    "first_initial": "first_name",
    "last_name": "last_name",
    "last_key": "last_name",
    "last_initial": "last_name",
    "last_soundex": "last_name",
    "email": "email",
    "email_local": "email",
    "phone": "phone",
    "phone_mobile": "phone",
    "phone_last6": "phone",
    "postcode": "address",
    "postcode_outward": "address",
    "address": "address",
    "house_number": "address",
    "date_of_birth": "date_of_birth",
    "birth_year": "date_of_birth",
    "birth_month_day": "date_of_birth",
    "first_soundex": "first_name",
    "first_prefix": "first_name",
    "last_prefix": "last_name",
    "national_id": "national_id",
}


def rule_comparisons(rule: BlockingRule) -> frozenset[str]:
    """The comparisons a rule's keys decide (left out when training on that rule's pairs)."""
    names = {KEY_COMPARISON[k] for k in (*rule.keys, *rule.swap_keys) if k in KEY_COMPARISON}
    return frozenset(names)


def rule_columns(rule: BlockingRule) -> tuple[list[str], list[str]]:
    """(left, right) record columns of a rule, with a clear error for an unknown key name."""
    for name in (*rule.keys, *rule.swap_keys):
        if name not in MATCH_KEYS:
            raise ConfigError(
                f"matching.blocking rule {rule.name!r}: unknown key {name!r}; keys: {', '.join(MATCH_KEYS)}"
            )
    if rule.swap_keys and len(rule.swap_keys) != len(rule.keys):
        raise ConfigError(f"matching.blocking rule {rule.name!r}: swap_keys must have as many keys as keys")
    left = [MATCH_KEYS[k] for k in rule.keys]
    right = [MATCH_KEYS[k] for k in (rule.swap_keys or rule.keys)]
    return left, right


def oversized_keys(records: DataFrame, rule: BlockingRule, max_block_size: int) -> DataFrame:
    """Key values of the rule shared by more than `max_block_size` records."""
    left, _ = rule_columns(rule)
    keyed = records.where(" AND ".join(f"`{c}` IS NOT NULL" for c in left))
    return keyed.groupBy(*left).agg(F.count(F.lit(1)).alias("records")).where(F.col("records") > max_block_size)


def skipped_blocks(records: DataFrame, settings: BlockingSettings) -> list[SkippedBlock]:
    """Every rule's oversized key values (key columns joined by `|`), largest first, found in one Spark job: a job
    per rule costs more than the aggregation itself on small inputs, and most rules have none."""
    per_rule = [
        oversized_keys(records, rule, settings.max_block_size).select(
            F.lit(i).alias("_rule"),
            F.concat_ws("|", *[F.col(c).cast("string") for c in rule_columns(rule)[0]]).alias("_key"),
            "records",
        )
        for i, rule in enumerate(settings.rules)
    ]
    rows = reduce(DataFrame.unionByName, per_rule).collect()
    ordered = sorted(rows, key=lambda r: (r["_rule"], -r["records"], r["_key"]))
    return [SkippedBlock(settings.rules[r["_rule"]].name, r["_key"], int(r["records"])) for r in ordered]


def candidate_pairs(
    records: DataFrame, settings: BlockingSettings, touched: DataFrame | None = None
) -> tuple[DataFrame, list[SkippedBlock]]:
    """Pairs (left_id < right_id, rule, rule_bits) from `settings.rules`; with `touched` (record ids), only pairs
    involving one. `rule` names the first rule that found the pair; bit i of `rule_bits` is set when rule i found it.

    `records` holds `record_id` and the match key columns. Returns the pairs and the skipped oversize blocks (at
    most 20 per rule in the report; every oversized key is left out of its rule's pairs).
    """
    key_columns = sorted({c for rule in settings.rules for side in rule_columns(rule) for c in side})
    keyed = records.select(ID, *key_columns)
    skipped = skipped_blocks(keyed, settings)
    oversized = {b.rule for b in skipped}
    frames = []
    for i, rule in enumerate(settings.rules):
        left, right = rule_columns(rule)
        lhs = keyed
        if rule.name in oversized:
            big = oversized_keys(keyed, rule, settings.max_block_size)
            lhs = keyed.join(F.broadcast(big.select(*left)), left, "left_anti")
        pairs = _join_rule(lhs, keyed, left, right, touched)
        frames.append(pairs.select("left_id", "right_id", F.lit(i).alias("_rule")))
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    names = F.array(*[F.lit(r.name) for r in settings.rules])
    bit = F.expr("shiftleft(CAST(1 AS BIGINT), _rule)")
    found = out.groupBy("left_id", "right_id").agg(F.min("_rule").alias("_rule"), F.bit_or(bit).alias("rule_bits"))
    report = [b for _, blocks in groupby(skipped, key=lambda b: b.rule) for b in islice(blocks, 20)]
    first = F.element_at(names, F.col("_rule") + 1).alias("rule")
    return found.select("left_id", "right_id", first, "rule_bits"), report


def _join_rule(
    lhs: DataFrame, rhs: DataFrame, left: list[str], right: list[str], touched: DataFrame | None
) -> DataFrame:
    """Pairs (left_id < right_id) of one rule. Only ids and the rule's keys are carried: a projection of every key
    column per rule makes Spark's constraint inference over a dozen unioned joins take minutes."""
    a = lhs.where(" AND ".join(f"`{c}` IS NOT NULL" for c in left)).select(ID, *left)
    if touched is not None:
        a = a.join(touched.select(ID), ID, "left_semi")
    b = rhs.where(" AND ".join(f"`{c}` IS NOT NULL" for c in right)).select(ID, *right)
    a = a.select(F.col(ID).alias("a_id"), *[F.col(c).alias(f"a_{i}") for i, c in enumerate(left)])
    b = b.select(F.col(ID).alias("b_id"), *[F.col(c).alias(f"b_{i}") for i, c in enumerate(right)])
    on = [F.col(f"a_{i}") == F.col(f"b_{i}") for i in range(len(left))]
    joined = a.join(b, on).where(F.col("a_id") != F.col("b_id"))
    if touched is None and left == right:
        joined = joined.where(F.col("a_id") < F.col("b_id"))
    oriented = joined.select(F.least("a_id", "b_id").alias("left_id"), F.greatest("a_id", "b_id").alias("right_id"))
    if touched is not None or left != right:
        oriented = oriented.dropDuplicates(["left_id", "right_id"])
    return oriented
