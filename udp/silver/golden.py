"""silver.customers: one golden record per customer, each attribute with the record that supplied it.

Survivorship per attribute (conf/matching.yaml `survivorship`): candidates are the customer's records with a value;
the first source in the attribute's `sources` list wins (sources not listed come after), ties broken by `prefer`:
`recent` (latest updated_at), `frequent` (the value most records agree on) or `priority` (smallest record id).
Gaps fill themselves: a CRM record without an address takes the address of the customer's web account.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from udp.models import SURVIVING_ATTRIBUTES
from udp.settings.matching import Survivorship
from udp.silver.standardise import postcode_outward

ENRICHMENT_COLUMNS = ("income_band", "urban_rural", "region")


def _source_rank(sources: tuple[str, ...]) -> Column:
    rank: Column = F.lit(len(sources))
    for i, s in reversed(list(enumerate(sources))):
        rank = F.when(F.col("source") == s, F.lit(i)).otherwise(rank)
    return rank


def golden_records(
    records: DataFrame, rules: Mapping[str, Survivorship], enrichment: DataFrame | None = None
) -> DataFrame:
    """Golden records from customer records that carry `customer_id` (one aggregation over all attributes)."""
    frequent = [a for a in SURVIVING_ATTRIBUTES if rules.get(a, Survivorship()).prefer == "frequent"]
    for a in frequent:
        records = records.withColumn(f"_freq_{a}", F.count(a).over(Window.partitionBy("customer_id", a)))
    picks = []
    for a in SURVIVING_ATTRIBUTES:
        rule = rules.get(a, Survivorship())
        if rule.prefer == "recent":
            tiebreak = -F.unix_micros(F.coalesce(F.col("updated_at"), F.col("created_at")).cast("timestamp"))
        elif rule.prefer == "frequent":
            tiebreak = -F.col(f"_freq_{a}").cast("long")
        else:
            tiebreak = F.lit(0).cast("long")
        order = F.when(
            F.col(a).isNotNull(),
            F.struct(_source_rank(rule.sources).alias("rank"), F.coalesce(tiebreak, F.lit(0)).alias("t"), "record_id"),
        )
        chosen = F.min_by(F.struct(F.col(a).alias("value"), F.col("record_id").alias("supplier")), order)
        picks.append(chosen.alias(f"_pick_{a}"))
    grouped = records.groupBy("customer_id").agg(
        *picks,
        F.count(F.lit(1)).cast("int").alias("record_count"),
        F.array_sort(F.collect_set("source")).alias("sources"),
        F.min("created_at").alias("first_seen_at"),
        F.max("updated_at").alias("updated_at"),
    )
    golden = grouped.select(
        "customer_id",
        *[F.col(f"_pick_{a}.value").alias(a) for a in SURVIVING_ATTRIBUTES],
        *[F.col(f"_pick_{a}.supplier").alias(f"{a}_source") for a in SURVIVING_ATTRIBUTES],
        postcode_outward(F.col("_pick_postcode.value")).alias("postcode_district"),
        "record_count",
        "sources",
        "first_seen_at",
        "updated_at",
    )
    if enrichment is None:
        enriched = golden.select("*", *[F.lit(None).cast("string").alias(c) for c in ENRICHMENT_COLUMNS])
    else:
        lookup = enrichment.select(
            F.col("postcode_district").alias("_district"), *[F.col(c).cast("string") for c in ENRICHMENT_COLUMNS]
        ).dropDuplicates(["_district"])
        enriched = golden.join(F.broadcast(lookup), F.col("postcode_district") == F.col("_district"), "left").drop(
            "_district"
        )
    columns = [
        "customer_id",
        *SURVIVING_ATTRIBUTES,
        *[f"{a}_source" for a in SURVIVING_ATTRIBUTES],
        "postcode_district",
        *ENRICHMENT_COLUMNS,
        "record_count",
        "sources",
        "first_seen_at",
        "updated_at",
    ]
    return enriched.select(*columns)
