"""Candidate pairs from several OR'ed blocking rules — never a cross join.

Each rule is an equi-join on match keys (`keys`, or `keys` against `swap_keys` for crosswise rules such as swapped
first and last names). A pair is produced by the first rule that finds it: rule i keeps only pairs that no earlier
rule matched, so no DISTINCT over the union is needed. Keys shared by more than `max_block_size` records (a shop's
phone number, a placeholder) are skipped for that rule and reported, so one hot key cannot explode the job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from udp.errors import ConfigError
from udp.silver.records import MATCH_KEYS
from udp.silver.settings import BlockingRule, BlockingSettings

ID = "record_id"


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


def _agrees(rule: BlockingRule) -> Column:
    """True when a pair (columns l_<key>, r_<key>) meets the rule in either orientation."""
    left, right = rule_columns(rule)

    def oriented(a: Sequence[str], b: Sequence[str], la: str, rb: str) -> Column:
        cond = F.lit(True)
        for x, y in zip(a, b, strict=True):
            cond = cond & F.col(f"{la}_{x}").isNotNull() & (F.col(f"{la}_{x}") == F.col(f"{rb}_{y}"))
        return cond

    cond = oriented(left, right, "l", "r")
    if rule.swap_keys:
        cond = cond | oriented(left, right, "r", "l")
    return F.coalesce(cond, F.lit(False))


def oversized_keys(records: DataFrame, rule: BlockingRule, max_block_size: int) -> DataFrame:
    """Key values of the rule shared by more than `max_block_size` records."""
    left, _ = rule_columns(rule)
    keyed = records.where(" AND ".join(f"`{c}` IS NOT NULL" for c in left))
    return keyed.groupBy(*left).agg(F.count(F.lit(1)).alias("records")).where(F.col("records") > max_block_size)


def candidate_pairs(
    records: DataFrame, settings: BlockingSettings, touched: DataFrame | None = None
) -> tuple[DataFrame, list[SkippedBlock]]:
    """Pairs (left_id < right_id, rule) from `settings.rules`; with `touched` (record ids), only pairs involving one.

    `records` holds `record_id` and the match key columns. Returns the pairs and the skipped oversize blocks.
    """
    key_columns = sorted({c for rule in settings.rules for side in rule_columns(rule) for c in side})
    keyed = records.select(ID, *key_columns)
    skipped: list[SkippedBlock] = []
    frames = []
    for i, rule in enumerate(settings.rules):
        left, right = rule_columns(rule)
        big = oversized_keys(keyed, rule, settings.max_block_size)
        for row in big.orderBy(F.desc("records")).limit(20).collect():
            value = "|".join(str(row[c]) for c in left)
            skipped.append(SkippedBlock(rule.name, value, int(row["records"])))
        lhs = keyed.join(F.broadcast(big.select(*left)), left, "left_anti")
        pairs = _join_rule(lhs, keyed, left, right, touched)
        earlier = [_agrees(r) for r in settings.rules[:i]]
        for cond in earlier:
            pairs = pairs.where(~cond)
        frames.append(pairs.select("left_id", "right_id", F.lit(rule.name).alias("rule")))
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out, skipped


def _join_rule(
    lhs: DataFrame, rhs: DataFrame, left: list[str], right: list[str], touched: DataFrame | None
) -> DataFrame:
    """Pairs of one rule, as l_*/r_* key columns with left_id < right_id."""
    columns = lhs.columns
    a = lhs.where(" AND ".join(f"`{c}` IS NOT NULL" for c in left))
    if touched is not None:
        a = a.join(touched.select(ID), ID, "left_semi")
    b = rhs.where(" AND ".join(f"`{c}` IS NOT NULL" for c in right))
    a = a.select([F.col(c).alias(f"a_{c}") for c in columns])
    b = b.select([F.col(c).alias(f"b_{c}") for c in columns])
    on = [F.col(f"a_{x}") == F.col(f"b_{y}") for x, y in zip(left, right, strict=True)]
    joined = a.join(b, on).where(F.col(f"a_{ID}") != F.col(f"b_{ID}"))
    if touched is None and left == right:
        joined = joined.where(F.col(f"a_{ID}") < F.col(f"b_{ID}"))
    first = F.col(f"a_{ID}") < F.col(f"b_{ID}")
    oriented = joined.select(
        *[F.when(first, F.col(f"a_{c}")).otherwise(F.col(f"b_{c}")).alias(f"l_{c}") for c in columns],
        *[F.when(first, F.col(f"b_{c}")).otherwise(F.col(f"a_{c}")).alias(f"r_{c}") for c in columns],
    )
    oriented = oriented.withColumnsRenamed({f"l_{ID}": "left_id", f"r_{ID}": "right_id"})
    if touched is not None or left != right:
        oriented = oriented.dropDuplicates(["left_id", "right_id"])
    return oriented
