"""Gold build: silver -> the three Personalize datasets + customer_360, then preflight on what was built.

udp run gold [--conf conf/local.yaml] [--set paths.lake=/tmp/lake]
./spark-submit.sh --env emr jobs/gold_build.py --conf conf/emr.yaml

Reads silver.touchpoints, silver.items and silver.customers; writes gold.personalize_interactions (only the event-date
partitions whose content changed), gold.personalize_items, gold.personalize_users and gold.customer_360 (each only
when its content changed), registers and documents them, and records the preflight in gold.personalize_preflight.
Preflight errors do not fail the build (they are in the summary); `udp export` refuses to export them.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence

from pyspark.sql import DataFrame, Row, SparkSession

from udp import progress, tables
from udp.config import Config
from udp.gold.build import TableWrite, with_column_comments, write_if_changed, write_partitions
from udp.gold.customer360 import to_customer_360
from udp.gold.datasets import (
    count_interaction_inputs,
    partition_column,
    to_personalize_interactions,
    to_personalize_items,
    to_personalize_users,
    touchpoints_in_periods,
)
from udp.gold.preflight import Check
from udp.gold.tables import CUSTOMER_360, INTERACTIONS, ITEMS, PREFLIGHT, USERS, gold_tables, personalize_table
from udp.gold.validation import add_report, check_and_record, gold_snapshot, run_id
from udp.lake import Lake
from udp.runner import add_config_args, run_job
from udp.summary import Summary


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="udp run gold", description="Build the gold Personalize datasets and customer_360."
    )
    add_config_args(p)
    progress.add_quiet_arg(p)
    return p


def run(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
    now = dt.datetime.now(dt.UTC)
    lake = Lake(spark, config)
    gold = config.gold
    touchpoints = lake.read(tables.TOUCHPOINTS)
    items = lake.read(tables.ITEMS)
    customers = lake.read(tables.CUSTOMERS)

    progress.step("gold", "counting touch points")
    inputs = touchpoints.transform(count_interaction_inputs(gold.interactions)).collect()
    progress.step("gold", INTERACTIONS)
    writes = [build_interactions(lake, config, touchpoints)]
    as_of = now.date()
    keyed = [
        (ITEMS, items.transform(to_personalize_items(gold.items)), "ITEM_ID"),
        (USERS, customers.transform(to_personalize_users(gold.users, as_of=as_of)), "USER_ID"),
        (
            CUSTOMER_360,
            customers.transform(
                to_customer_360(touchpoints, gold.customer_360, as_of=as_of, age_bands=gold.users.age_bands)
            ),
            "customer_id",
        ),
    ]
    for table, frame, key in keyed:
        progress.step("gold", table)
        writes.append(build_table(lake, config, table, frame, key))
    progress.step("gold", "catalog, preflight")
    for doc in gold_tables(gold):
        if doc.name != PREFLIGHT:
            lake.register(doc.name)
            lake.document(doc.name, doc.comment, doc.comments())
    checks = check_and_record(lake, config, gold_snapshot(lake, config).inputs, now=now, source="gold", run=run_id(now))
    return summarise(lake, inputs, writes, checks)


def build_interactions(lake: Lake, config: Config, touchpoints: DataFrame) -> TableWrite:
    """gold.personalize_interactions, rewriting only the event-date partitions whose content changed."""
    settings = config.gold.interactions
    comments = with_column_comments(personalize_table(config.gold, "interactions").comments())

    def interactions_of(tps: DataFrame) -> DataFrame:
        return tps.transform(to_personalize_interactions(settings)).transform(comments)

    return write_partitions(
        lake,
        INTERACTIONS,
        interactions_of(touchpoints),
        partition_column(settings),
        lambda periods: interactions_of(touchpoints.transform(touchpoints_in_periods(periods, settings.partition))),
        zorder_by=settings.zorder_by,
        optimize=config.lake.optimize_after_write,
    )


def build_table(lake: Lake, config: Config, table: str, df: DataFrame, key: str) -> TableWrite:
    """An unpartitioned gold table, rewritten only when its content changed, then Z-ordered on `key`."""
    doc = next(d for d in gold_tables(config.gold) if d.name == table)
    documented = df.transform(with_column_comments(doc.comments()))
    return write_if_changed(lake, table, documented, zorder_by=[key], optimize=config.lake.optimize_after_write)


def summarise(lake: Lake, inputs: Sequence[Row], writes: Sequence[TableWrite], checks: Sequence[Check]) -> Summary:
    """Touch points in and dropped, rows and partitions per table, the preflight outcome."""
    summary = Summary("gold build")
    rows = [r.asDict() for r in inputs]
    mapped = [r for r in rows if r["mapped"]]
    unmapped = sorted(
        ((str(r["event_type"]), int(r["touchpoints"])) for r in rows if not r["mapped"]), key=lambda x: -x[1]
    )
    eligible = sum(int(r["eligible"]) for r in mapped)
    interactions = next(w for w in writes if w.table == INTERACTIONS)
    summary.fact("lake", lake.root)
    summary.fact("touch points read", sum(int(r["touchpoints"]) for r in rows))
    summary.fact("dropped: unmapped event type", ", ".join(f"{t} {n:,}" for t, n in unmapped) or "none")
    summary.fact("dropped: no customer_id", sum(int(r["no_customer"]) for r in mapped))
    summary.fact("dropped: no item_id", sum(int(r["no_item"]) for r in mapped))
    summary.fact("dropped: duplicates", max(0, eligible - interactions.rows))
    summary.table(
        "gold tables",
        ["table", "write", "rows", "partitions written", "files after OPTIMIZE"],
        [
            [
                w.table,
                w.action,
                w.rows,
                f"{len(w.partitions_written)} of {w.partitions_total}" if w.partitions_total else "",
                _files(w),
            ]
            for w in writes
        ],
    )
    if interactions.partitions_written:
        shown = ", ".join(interactions.partitions_written[:12])
        more = (
            f" (+{len(interactions.partitions_written) - 12} more)" if len(interactions.partitions_written) > 12 else ""
        )
        summary.text("interaction partitions written", shown + more)
    return add_report(summary, checks)


def _files(write: TableWrite) -> str:
    metrics = write.optimize
    if not metrics:
        return ""
    return f"{metrics.get('numFilesRemoved', 0)} -> {metrics.get('numFilesAdded', 0)}"


def main(argv: Sequence[str] | None = None) -> int:
    return run_job(parser(), argv, run)
