"""Connected components of match links, computed in Spark, with a guard against giant clusters.

Min-label propagation: every record starts with its own id as label; each round, every record takes the smallest
label among itself and its neighbours; it stops when no label changes (rounds = the longest chain). Lineage is cut
every round (`checkpoint`), so long chains grow neither the plan nor its size estimate. Nothing is collected to the
driver.

A cluster larger than `max_size` is re-clustered using only its stronger links (probability at or above each
`split_thresholds` value in turn, deterministic links always count); what is still too large is split into single
records and reported — a person is rarely 25 records, a chain of false links often is. A cluster that holds two
records clearly disagreeing on a `conflicts` comparison, joined only through records that lack the field (two
different dates of birth: two people chained together through records that lack one), is re-clustered the same way,
but never broken into single records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from udp.errors import UdpError
from udp.silver.compare import Comparison


class ClusteringError(UdpError):
    """Connected components did not converge within the configured rounds."""


@dataclass(frozen=True)
class SplitReport:
    cluster: str
    size: int
    parts: int
    threshold: str


def checkpoint(frame: DataFrame) -> DataFrame:
    """`frame` computed now and kept on the executors (a local checkpoint), with its plan cut — and its size estimate.

    Since Spark 3.4 a checkpoint carries its plan's estimated size forward (SPARK-39834), and a join's estimate is
    the product of its sides'; a loop that joins a checkpoint with itself (clusters with their own members) doubles
    the estimate's digits every round, until planning a query exhausts the driver's memory (SPARK-52163). Rebuilt
    from its rows, the frame has Spark's default estimate instead; adaptive execution still sizes joins at run time.
    """
    done = frame.localCheckpoint()
    spark = done.sparkSession
    return DataFrame(spark._jsparkSession.createDataFrame(done._jdf.rdd(), done._jdf.schema()), spark)


def connected_components(nodes: DataFrame, edges: DataFrame, max_iterations: int) -> tuple[DataFrame, int]:
    """(id, cluster) for every node in `nodes` (column `id`), `edges` (src, dst); returns rounds used too."""
    both = edges.select("src", "dst").unionByName(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    both = checkpoint(both.where(F.col("src") != F.col("dst")).distinct())
    labels = checkpoint(nodes.select("id", F.col("id").alias("cluster")))
    for rounds in range(1, max_iterations + 1):
        offered = both.join(labels, both.src == labels.id).select(F.col("dst").alias("id"), "cluster")
        updated = checkpoint(labels.unionByName(offered).groupBy("id").agg(F.min("cluster").alias("cluster")))
        changed = updated.alias("n").join(labels.alias("o"), "id").where(F.col("n.cluster") != F.col("o.cluster"))
        labels = updated
        if changed.limit(1).count() == 0:
            return labels, rounds
    raise ClusteringError(
        f"clustering did not converge in {max_iterations} rounds (a chain of links that long is almost certainly "
        "false matches): raise matching.cluster.max_iterations or the match threshold"
    )


def conflicted(
    labels: DataFrame,
    records: DataFrame,
    conflicts: Sequence[Comparison],
    edges: DataFrame | None = None,
    max_iterations: int = 50,
) -> DataFrame:
    """(cluster) of every cluster holding two records that clearly disagree (level `else`) on a `conflicts` one and
    are joined only through records that lack the field.

    Without `edges` (src, dst: the match links) any such pair counts. With them, a pair joined by a path of links
    whose records all carry the field is not a conflict: every step of it weighed the field's evidence (a typo'd date
    linked by the same identifier and names); a pair chained through records without one (two brothers, each linked
    to an account that has no date of birth) was never weighed.
    """
    if not conflicts:
        return labels.select("cluster").where(F.lit(False))
    columns = sorted({c for c in records.columns if c.startswith("m_")})
    multi = labels.groupBy("cluster").count().where(F.col("count") > 1).select("cluster")
    keyed = labels.join(multi, "cluster").join(records.select(F.col("record_id").alias("id"), *columns), "id")
    left = keyed.select("cluster", F.col("id").alias("_l"), *[F.col(c).alias(f"l_{c}") for c in columns])
    right = keyed.select(
        F.col("cluster").alias("_rc"), F.col("id").alias("_r"), *[F.col(c).alias(f"r_{c}") for c in columns]
    )
    pairs = left.join(right, (F.col("cluster") == F.col("_rc")) & (F.col("_l") < F.col("_r")))
    clash = reduce(lambda a, b: a | b, [c.level() == F.lit(len(c.levels)) for c in conflicts])
    clashing = checkpoint(pairs.where(clash).select("cluster", "_l", "_r"))
    if edges is None:
        return clashing.select("cluster").distinct()
    members = keyed.join(clashing.select("cluster").distinct(), "cluster")
    src = members.select(
        F.col("id").alias("src"), F.col("cluster").alias("_sc"), *[F.col(c).alias(f"l_{c}") for c in columns]
    )
    dst = members.select(
        F.col("id").alias("dst"), F.col("cluster").alias("_dc"), *[F.col(c).alias(f"r_{c}") for c in columns]
    )
    carry = reduce(lambda a, b: a & b, [c.present for c in conflicts])
    weighed = edges.select("src", "dst").join(src, "src").join(dst, "dst").where((F.col("_sc") == F.col("_dc")) & carry)
    parts, _ = connected_components(members.select("id"), weighed.select("src", "dst"), max_iterations)
    part_l = parts.select(F.col("id").alias("_l"), F.col("cluster").alias("_pl"))
    part_r = parts.select(F.col("id").alias("_r"), F.col("cluster").alias("_pr"))
    unweighed = clashing.join(part_l, "_l").join(part_r, "_r").where(F.col("_pl") != F.col("_pr"))
    return unweighed.select("cluster").distinct()


def split_parts(before: DataFrame, after: DataFrame) -> dict[str, int]:
    """Into how many clusters each cluster of `before` (cluster, id) fell in `after` (id, cluster)."""
    was = before.select("id", F.col("cluster").alias("_was"))
    counts = after.join(was, "id").groupBy("_was").agg(F.countDistinct("cluster").alias("parts")).collect()
    return {str(r["_was"]): int(r["parts"]) for r in counts}


def cluster_records(
    records: DataFrame,
    links: DataFrame,
    *,
    max_size: int,
    split_thresholds: Sequence[float],
    max_iterations: int,
    conflicts: Sequence[Comparison] = (),
) -> tuple[DataFrame, list[SplitReport], int]:
    """(record_id, cluster) for every record from its `match` links; giant or conflicting clusters split; reports and
    rounds."""
    nodes = records.select(F.col("record_id").alias("id"))
    matches = links.where(F.col("decision") == "match")
    edges = matches.select(F.col("left_id").alias("src"), F.col("right_id").alias("dst"), "probability", "rule")
    labels, rounds = connected_components(nodes, edges, max_iterations)
    reports: list[SplitReport] = []
    suspects = records  # only records of a cluster just re-clustered can still be in a conflicting one
    for threshold in [*split_thresholds, None]:
        sizes = labels.groupBy("cluster").agg(F.count(F.lit(1)).alias("size"))
        giants = sizes.where(F.col("size") > max_size)
        if threshold is not None:  # conflicts are re-clustered at the thresholds, never broken into singletons
            clashing = sizes.join(
                conflicted(
                    labels.join(suspects.select(F.col("record_id").alias("id")), "id"),
                    suspects,
                    conflicts,
                    edges,
                    max_iterations,
                ),
                "cluster",
            )
            giants = giants.unionByName(clashing.select(*giants.columns)).distinct()
        big = giants.collect()
        if not big:
            break
        members = checkpoint(labels.join(giants.select("cluster"), "cluster"))
        suspects = suspects.join(members.select(F.col("id").alias("record_id")), "record_id", "left_semi")
        inside = (
            edges.join(members.select(F.col("id").alias("src"), F.col("cluster").alias("_c")), "src")
            .join(members.select(F.col("id").alias("dst"), F.col("cluster").alias("_c2")), "dst")
            .where(F.col("_c") == F.col("_c2"))
        )
        if threshold is None:
            kept = inside.where(F.lit(False))
            shown = "singletons"
        else:
            kept = inside.where((F.col("probability") >= threshold) | (F.col("rule") != "probabilistic"))
            shown = str(threshold)
        relabelled, more = connected_components(members.select("id"), kept, max_iterations)
        rounds += more
        parts = split_parts(members, relabelled)
        for g in big:
            reports.append(SplitReport(str(g["cluster"]), int(g["size"]), parts.get(str(g["cluster"]), 1), shown))
        labels = checkpoint(labels.join(members.select("id"), "id", "left_anti").unionByName(relabelled))
    return labels.select(F.col("id").alias("record_id"), "cluster"), reports, rounds
