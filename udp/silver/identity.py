"""Stable customer ids across runs: silver.customer_xref and silver.customer_id_history.

Clusters are recomputed from the links every run; ids are carried over from the previous xref:
- every previous id has a *home*: the cluster holding most of its records (ties: the smallest cluster label);
- a cluster keeps the oldest previous id whose home it is (oldest = earliest first_seen_at, then smallest id);
  the other previous ids homed there are recorded as merged into it;
- records of a previous id that ended in other clusters are recorded as split off to those clusters' ids;
- a cluster with no previous id gets a new id derived from its smallest record id (so a rebuild from scratch gives
  the same ids), unless that id is already taken.
Re-running on the same input produces the same ids and no history rows.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

XREF_COLUMNS = (
    "source",
    "source_key",
    "record_id",
    "customer_id",
    "cluster_size",
    "match_probability",
    "match_rule",
    "first_seen_at",
)
HISTORY_SCHEMA = (
    "run_id STRING, event STRING, customer_id STRING, other_customer_id STRING, records INT, happened_at TIMESTAMP,"
    " xref_version BIGINT"
)


def new_id(seed: Column) -> Column:
    return F.concat(F.lit("cus_"), F.substring(F.sha2(seed, 256), 1, 16))


def assign_ids(
    clusters: DataFrame, previous: DataFrame | None, run_id: str, now: dt.datetime
) -> tuple[DataFrame, DataFrame]:
    """(record_id -> customer_id, first_seen_at) and the history events of this run.

    `clusters`: (record_id, cluster). `previous`: the last xref (record_id, customer_id, first_seen_at) or None.
    """
    spark = clusters.sparkSession
    at = F.lit(now).cast("timestamp")
    if previous is None:
        previous = spark.createDataFrame([], "record_id STRING, customer_id STRING, first_seen_at TIMESTAMP")
    prev = previous.select("record_id", F.col("customer_id").alias("prev_id"), "first_seen_at")
    placed = clusters.join(prev, "record_id", "left")
    counts = placed.where(F.col("prev_id").isNotNull()).groupBy("prev_id", "cluster").agg(F.count(F.lit(1)).alias("n"))
    by_size = Window.partitionBy("prev_id").orderBy(F.desc("n"), F.asc("cluster"))
    homes = counts.withColumn("_rank", F.row_number().over(by_size))
    home = homes.where(F.col("_rank") == 1).select("prev_id", "cluster", "n")
    ages = prev.groupBy("prev_id").agg(F.min("first_seen_at").alias("since"))
    candidates = home.join(ages, "prev_id")
    oldest = Window.partitionBy("cluster").orderBy(F.asc("since"), F.asc("prev_id"))
    ranked = candidates.withColumn("_rank", F.row_number().over(oldest))
    survivors = ranked.where(F.col("_rank") == 1).select("cluster", F.col("prev_id").alias("customer_id"))

    taken = prev.select(F.col("prev_id").alias("id")).distinct()
    fresh = clusters.join(survivors, "cluster", "left_anti").groupBy("cluster").agg(F.min("record_id").alias("seed"))
    fresh = fresh.withColumn("candidate", new_id(F.col("seed")))
    fresh = fresh.join(taken, F.col("candidate") == F.col("id"), "left").select(
        "cluster",
        F.when(F.col("id").isNull(), F.col("candidate"))
        .otherwise(new_id(F.concat(F.col("seed"), F.lit("|"), F.lit(run_id))))
        .alias("customer_id"),
    )
    ids = survivors.unionByName(fresh)
    assigned = placed.join(ids, "cluster").select(
        "record_id", "cluster", "customer_id", F.coalesce("first_seen_at", at).alias("first_seen_at"), "prev_id"
    )

    def events(df: DataFrame, event: str, other: str) -> DataFrame:
        """History rows: `prev_id` merged into / split away to `other`, with the records involved."""
        return df.select(
            F.lit(run_id).alias("run_id"),
            F.lit(event).alias("event"),
            F.col("prev_id").alias("customer_id"),
            F.col(other).alias("other_customer_id"),
            F.col("n").cast("int").alias("records"),
            at.alias("happened_at"),
        )

    merges = ranked.where(F.col("_rank") > 1).join(survivors.withColumnRenamed("customer_id", "into"), "cluster")
    away = counts.join(home.select("prev_id", F.col("cluster").alias("home")), "prev_id").where(
        F.col("cluster") != F.col("home")
    )
    return assigned, events(merges, "merge", "into").unionByName(
        events(away.join(ids, "cluster"), "split", "customer_id")
    )


def best_links(links: DataFrame) -> DataFrame:
    """Per record, its strongest match link: (record_id, match_probability, match_rule)."""
    matches = links.where(F.col("decision") == "match")
    ends = matches.select(F.col("left_id").alias("record_id"), "probability", "rule").unionByName(
        matches.select(F.col("right_id").alias("record_id"), "probability", "rule")
    )
    strongest = Window.partitionBy("record_id").orderBy(F.desc("probability"), F.asc("rule"))
    return (
        ends.withColumn("_rank", F.row_number().over(strongest))
        .where(F.col("_rank") == 1)
        .select("record_id", F.col("probability").alias("match_probability"), F.col("rule").alias("match_rule"))
    )


def to_xref(assigned: DataFrame, records: DataFrame, links: DataFrame) -> DataFrame:
    """silver.customer_xref rows: (source, source_key) -> customer_id, with the link that put it there."""
    sizes = assigned.groupBy("customer_id").agg(F.count(F.lit(1)).cast("int").alias("cluster_size"))
    return (
        assigned.join(records.select("record_id", "source", "source_key"), "record_id")
        .join(sizes, "customer_id")
        .join(best_links(links), "record_id", "left")
        .withColumn("match_rule", F.coalesce("match_rule", F.lit("single record")))
        .select(*XREF_COLUMNS)
    )
