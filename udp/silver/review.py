"""`udp review export|apply`: people decide the pairs the model is unsure of.

    udp review export --out review.csv [--format csv|json] [--matches N]   review-band pairs, one row per pair
    udp review apply review.csv                                            record the labels in silver.match_labels

An export row holds both record ids, each record's source and source key, the pair's match weight and probability,
each comparison's level and the weight it added (from the stored model), the two records' standardised fields side
by side, and an empty `label` column to fill with yes or no. Pairs already labelled are left out. `--matches N` adds
a random sample of N automatic matches, so labels can also measure precision (`udp evaluate-matching --labels`).
The next `udp run silver` honours the labels: yes always links, no never links. The file holds PII: it is for
internal review and never goes to gold.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from udp import progress
from udp.config import Config
from udp.errors import UdpError
from udp.lake import Lake
from udp.models import SURVIVING_ATTRIBUTES
from udp.runner import add_config_args, run_job
from udp.silver import labels
from udp.summary import Summary
from udp.tables import CUSTOMER_LINKS as LINKS
from udp.tables import CUSTOMER_RECORDS as RECORDS

FORMATS = ("csv", "json")
# Standardised display fields of silver.customer_records shown side by side: the model's surviving attributes that
# describe the person (not the loyalty tier or consent flag).
SHOWN_FIELDS = tuple(a for a in SURVIVING_ATTRIBUTES if a not in ("loyalty_tier", "marketing_consent"))
PAIR_COLUMNS = ("left_id", "right_id", "decision", "rule", "probability", "match_weight")


def review_pairs(links: DataFrame, given: DataFrame | None, matches: int = 0, seed: int = 42) -> DataFrame:
    """Links in the review band, plus a sample of `matches` automatic matches; never a pair already labelled."""
    if given is not None:
        links = links.join(given.select(*labels.PAIR_KEYS), list(labels.PAIR_KEYS), "left_anti")
    review = links.where(F.col("decision") == "review")
    if matches > 0:
        # A hash of the pair ids, not rand(): the same lake and seed give the same sample.
        order = F.xxhash64(F.col("left_id"), F.col("right_id"), F.lit(seed))
        automatic = links.where(F.col("decision") == "match")
        review = review.unionByName(automatic.orderBy(order).limit(matches))
    return review


def to_review_rows(records: DataFrame) -> Callable[[DataFrame], DataFrame]:
    """Pairs -> export rows: ids, sources, score, each comparison's level and weight, both records' fields side by
    side, and an empty `label`."""

    def transform(pairs: DataFrame) -> DataFrame:
        shown = [f for f in SHOWN_FIELDS if f in records.columns]
        keep = ["record_id", "source", "source_key", *shown]
        left = records.select(*[F.col(c).alias(f"left_{c}") for c in keep])
        right = records.select(*[F.col(c).alias(f"right_{c}") for c in keep])
        comparisons = _evidence_fields(pairs)
        evidence = []
        for name in comparisons:
            evidence += [
                F.col("evidence")[name]["level"].alias(f"{name}_level"),
                F.col("evidence")[name]["weight"].alias(f"{name}_weight"),
            ]
        side_by_side = [
            F.col(f"{side}_{f}").cast("string").alias(f"{side}_{f}") for f in shown for side in ("left", "right")
        ]
        return (
            pairs.join(left, F.col("left_id") == F.col("left_record_id"))
            .join(right, F.col("right_id") == F.col("right_record_id"))
            .select(
                *PAIR_COLUMNS,
                "left_source",
                "left_source_key",
                "right_source",
                "right_source_key",
                *evidence,
                *side_by_side,
                F.lit("").alias("label"),
            )
            .orderBy(F.desc("probability"), "left_id", "right_id")
        )

    return transform


def _evidence_fields(links: DataFrame) -> list[str]:
    evidence = links.schema["evidence"].dataType
    return list(evidence.names) if isinstance(evidence, T.StructType) else []


def write_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], out: Path, fmt: str) -> None:
    """The export file: CSV with a header row, or a JSON array of objects (null fields kept as null)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        if fmt == "json":
            json.dump([{c: r[c] for c in columns} for r in rows], handle, indent=1, default=str)
            handle.write("\n")
            return
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)


def export(spark: SparkSession, lake: Lake, args: argparse.Namespace) -> Summary:
    for table in (LINKS, RECORDS):
        if not lake.exists(table):
            raise UdpError(f"{table} does not exist under {lake.root}: run `udp run silver` first")
    given = lake.read(labels.LABELS) if lake.exists(labels.LABELS) else None
    pairs = review_pairs(lake.read(LINKS), given, args.matches, args.seed)
    rows_df = pairs.transform(to_review_rows(lake.read(RECORDS)))
    if args.limit:
        rows_df = rows_df.limit(args.limit)
    rows = [r.asDict() for r in rows_df.collect()]
    out = Path(args.out)
    write_rows(rows, rows_df.columns, out, args.format)
    summary = Summary("review export")
    summary.fact("pairs to label", len(rows))
    summary.fact("of which automatic matches (sample)", sum(1 for r in rows if r["decision"] == "match"))
    summary.fact("file", str(out))
    summary.fact("next", f"fill `label` with yes/no, then: udp review apply {out}")
    return summary


def apply(spark: SparkSession, lake: Lake, args: argparse.Namespace) -> Summary:
    given = labels.read_label_file(args.file)
    now = dt.datetime.now(dt.UTC)
    fresh = labels.label_frame(spark, given, str(Path(args.file).resolve()), now)
    existing = lake.read(labels.LABELS).localCheckpoint() if lake.exists(labels.LABELS) else None
    changed = fresh.transform(labels.changed_labels(existing))
    written = changed.count()
    if written:
        lake.merge(changed, labels.LABELS)
        lake.document(labels.LABELS, labels.LABELS_COMMENT, labels.LABELS_COLUMNS)
        lake.register(labels.LABELS)
    summary = Summary("review apply")
    summary.fact(
        "labels in file",
        f"{sum(x.label == labels.YES for x in given)} yes, {sum(x.label == labels.NO for x in given)} no",
    )
    summary.fact("labels recorded (new or changed)", written)
    summary.fact("labels in total", lake.read(labels.LABELS).count() if lake.exists(labels.LABELS) else 0)
    summary.fact("table", labels.LABELS)
    summary.fact("next", "udp run silver  (labelled pairs are decided by their label from then on)")
    return summary


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="udp review",
        description="Export the pairs the matcher is unsure of for a person to label, and record the labels.",
    )
    commands = p.add_subparsers(dest="command", required=True, metavar="{export,apply}")
    e = commands.add_parser(
        "export",
        help="write the review-band pairs with their evidence to a file to label",
        description="Write the review-band pairs of silver.customer_links, one row per pair with both records' "
        "standardised fields and each comparison's level and weight, and an empty `label` column to fill with "
        "yes or no. Pairs already labelled are left out. The file holds PII: internal review only.",
    )
    add_config_args(e)
    progress.add_quiet_arg(e)
    e.add_argument("--out", required=True, metavar="FILE", help="the file to write (a local path)")
    e.add_argument("--format", choices=FORMATS, help="csv or json (default: from the --out extension, else csv)")
    e.add_argument(
        "--matches",
        type=int,
        default=0,
        metavar="N",
        help="also export a random sample of N automatic matches, so labels measure precision too (default 0)",
    )
    e.add_argument("--seed", type=int, default=42, help="seed of the --matches sample (default 42)")
    e.add_argument("--limit", type=int, default=0, metavar="N", help="at most N rows, most probable first (0: all)")
    a = commands.add_parser(
        "apply",
        help="record the yes/no labels of an exported file in silver.match_labels",
        description="Record the labels of a file written by `udp review export` (label: yes or no; blank rows are "
        "skipped) in silver.match_labels. Re-applying a file changes nothing; a later label for a pair replaces "
        "the earlier one. The next `udp run silver` links every yes pair and never links a no pair.",
    )
    add_config_args(a)
    progress.add_quiet_arg(a)
    a.add_argument("file", metavar="FILE", help="the labelled CSV or JSON file")
    return p


def check(config: Config, args: argparse.Namespace) -> None:
    """Before Spark starts: the export format, and every label of the file to apply."""
    if args.command == "export":
        if args.format is None:
            args.format = "json" if args.out.lower().endswith(".json") else "csv"
        if args.matches < 0 or args.limit < 0:
            raise UdpError("--matches and --limit must be 0 or more")
    else:
        labels.read_label_file(args.file)


def run(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
    lake = Lake(spark, config)
    return export(spark, lake, args) if args.command == "export" else apply(spark, lake, args)


def main(argv: Sequence[str] | None = None) -> int:
    return run_job(parser(), argv, run, check)
