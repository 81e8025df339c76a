"""Benchmark the gold build at catalogue scale: time, layout (files per partition, file sizes), data skipping.

    .venv/bin/python bench/bench_gold.py                                  # --skus 1000000 --interactions 20000000
    .venv/bin/python bench/bench_gold.py --interactions 5000000 --max-file-mb 16

Silver-shaped input is generated directly with Spark `range` frames (no dependency on the silver stage): touch points
with skewed item popularity (a few items get most views, as in retail) over `--days` days, the catalogue and the
customers, written as silver.touchpoints (partitioned by event_date), silver.items and silver.customers. Then:

1. the full gold build (`udp run gold` in-process: interactions, items, users, customer_360, OPTIMIZE ZORDER,
   preflight), timed;
2. an incremental rebuild after one new day of touch points lands: only that month's partition is rewritten;
3. the layout: files and sizes per interactions partition and per table;
4. point queries on one ITEM_ID and one USER_ID against interactions (and items/users): files read vs files in the
   table, from the scan's own metrics (Delta's min/max data skipping after Z-ordering).

`--max-file-mb` sets OPTIMIZE's target file size (Delta's default is 1024). At laptop scale a month of interactions
is far below 1 GB, so the default would leave one file per partition and nothing to skip; a smaller target gives the
file count per partition that production-size partitions (>= 1 GB each, ~1 GB files) have.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from udp.config import load_config  # noqa: E402
from udp.gold import job  # noqa: E402
from udp.gold.tables import INTERACTIONS, ITEMS, USERS  # noqa: E402
from udp.lake import Lake  # noqa: E402
from udp.models import SILVER_CUSTOMERS_DDL, SILVER_ITEMS_DDL, SILVER_TOUCHPOINTS_DDL  # noqa: E402
from udp.session import build_spark  # noqa: E402

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

START = 1735689600  # 2025-01-01T00:00:00Z


def _typed(spark: SparkSession, df: DataFrame, ddl: str) -> DataFrame:
    from pyspark.sql import functions as F

    schema = spark.createDataFrame([], ddl).schema
    return df.select(
        *[
            (F.col(f.name) if f.name in df.columns else F.lit(None)).cast(f.dataType).alias(f.name)
            for f in schema.fields
        ]
    )


def touchpoints(spark: SparkSession, n: int, customers: int, skus: int, *, days: int, first: int = 0) -> DataFrame:
    """`n` touch points from id `first`: 70 % views, 15 % add-to-cart, 10 % purchases, 5 % searches; items skewed."""
    seconds = days * 86400
    df = spark.range(first, first + n).selectExpr(
        "concat('T', id) AS touchpoint_id",
        "CASE WHEN id % 3 = 0 THEN 'app' ELSE 'web' END AS source",
        f"concat('C', CAST(pmod(xxhash64(id, 1), {customers}) AS STRING)) AS customer_id",
        "'account' AS identity_method",
        "CASE WHEN id % 3 = 0 THEN 'app' WHEN id % 7 = 0 THEN 'store' ELSE 'web' END AS channel",
        "pmod(xxhash64(id, 2), 100) AS r",
        f"concat('SKU', CAST(floor(pow(pmod(xxhash64(id, 3), 1000000) / 1000000.0, 3) * {skus}) AS STRING)) AS sku",
        f"timestamp_seconds({START} + pmod(xxhash64(id, 4), {seconds})) AS occurred_at",
    )
    df = df.selectExpr(
        "*",
        "CASE WHEN r < 70 THEN 'view' WHEN r < 85 THEN 'add_to_cart' WHEN r < 95 THEN 'purchase' ELSE 'search' END "
        "AS event_type",
    ).selectExpr(
        "*",
        "CASE WHEN event_type = 'search' THEN NULL ELSE sku END AS item_id",
        "CASE WHEN event_type = 'purchase' THEN CAST(5 + r AS DOUBLE) END AS value",
        "CASE WHEN channel = 'app' THEN 'ios' WHEN channel = 'store' THEN 'pos' ELSE 'web' END AS device",
        "1 AS quantity",
        "'GBP' AS currency",
        "to_date(occurred_at) AS event_date",
    )
    return _typed(spark, df, SILVER_TOUCHPOINTS_DDL)


def items(spark: SparkSession, skus: int) -> DataFrame:
    df = spark.range(skus).selectExpr(
        "concat('SKU', CAST(id AS STRING)) AS item_id",
        "concat('Item ', id) AS name",
        "concat('Description of item ', id, ': a durable, comfortable everyday product.') AS description",
        "concat('Brand', id % 500) AS brand",
        "concat('L1-', id % 12) AS category_l1",
        "concat('L2-', id % 120) AS category_l2",
        "concat('L3-', id % 1200) AS category_l3",
        "CAST(5 + id % 200 AS DOUBLE) AS price",
        "'GBP' AS currency",
        "date_add(DATE'2015-01-01', CAST(id % 3650 AS INT)) AS launched_at",
        "true AS active",
        "timestamp_seconds(1730000000) AS updated_at",
    )
    return _typed(spark, df, SILVER_ITEMS_DDL)


def customers(spark: SparkSession, n: int) -> DataFrame:
    df = spark.range(n).selectExpr(
        "concat('C', CAST(id AS STRING)) AS customer_id",
        "date_add(DATE'1950-01-01', CAST(id % 20000 AS INT)) AS date_of_birth",
        "CASE WHEN id % 10 = 0 THEN 'gold' WHEN id % 3 = 0 THEN 'silver' ELSE 'bronze' END AS loyalty_tier",
        "concat('Region', id % 12) AS region",
        "CASE WHEN id % 3 = 0 THEN 'high' WHEN id % 3 = 1 THEN 'mid' ELSE 'low' END AS income_band",
        "CASE WHEN id % 4 = 0 THEN 'rural' ELSE 'urban' END AS urban_rural",
        "'GB' AS country",
        "1 AS record_count",
        "array('crm') AS sources",
        "timestamp_seconds(1700000000) AS first_seen_at",
        "timestamp_seconds(1730000000) AS updated_at",
    )
    return _typed(spark, df, SILVER_CUSTOMERS_DDL)


def scan_files(spark: SparkSession, df: DataFrame) -> tuple[int, int]:
    """Run `df` and return (files read, rows) from its scan's metrics (AQE off so the plan is final). The rows are
    collected, not counted: `count()` runs another plan, and only the executed plan's scan has metrics."""
    rows = len(df.collect())
    plan = df._jdf.queryExecution().executedPlan()
    files = 0
    leaves = plan.collectLeaves()
    for i in range(leaves.size()):
        metrics = leaves.apply(i).metrics()
        if metrics.contains("numFiles"):
            files += int(metrics.apply("numFiles").value())
    return files, rows


def layout(lake: Lake, table: str, partition: str | None) -> dict[str, Any]:
    """Files and bytes of the table's current version, per partition."""
    df = lake.read(table)
    per: dict[str, list[int]] = defaultdict(list)
    for uri in df.inputFiles():
        path = uri.removeprefix("file:")
        part = next((p.split("=", 1)[1] for p in path.split("/") if partition and p.startswith(f"{partition}=")), "-")
        per[part].append(os.path.getsize(path))
    sizes = [s for v in per.values() for s in v]
    return {"partitions": len(per), "files": len(sizes), "bytes": sum(sizes), "per": dict(sorted(per.items()))}


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skus", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=20_000_000, help="silver touch points to generate")
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--partition", choices=("day", "month"), default="month")
    parser.add_argument("--max-file-mb", type=int, default=32, help="OPTIMIZE target file size (Delta default 1024)")
    parser.add_argument("--shuffle-partitions", type=int, default=16)
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--work", help="work folder (default: a temp folder, deleted unless --keep)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="udp-bench-gold-"))
    overrides = [
        f"paths.lake={work / 'lake'}",
        f"paths.export={work / 'export'}",
        f"paths.raw={work / 'raw'}",
        f"spark.jars_dir={ROOT / '.jars'}",
        "catalog.implementation=in-memory",
        f"gold.interactions.partition={args.partition}",
        f"spark.conf.spark.driver.memory={args.driver_memory}",
        f"spark.conf.spark.sql.shuffle.partitions={args.shuffle_partitions}",
        f"spark.conf.spark.databricks.delta.optimize.maxFileSize={args.max_file_mb * 1024 * 1024}",
    ]
    config = load_config([str(ROOT / "conf" / "local.yaml")], overrides)
    cli = ["--conf", str(ROOT / "conf" / "local.yaml"), *[a for o in overrides for a in ("--set", o)]]
    try:
        spark = build_spark(config, app_name="bench-gold")
        lake = Lake(spark, config)
        print(f"machine: {machine(config.spark.master)}, driver {args.driver_memory}")
        print(
            f"input: {args.interactions:,} touch points over {args.days} days, {args.skus:,} SKUs, "
            f"{args.customers:,} customers; partition by {args.partition}; OPTIMIZE target {args.max_file_mb} MB"
        )

        t = time.monotonic()
        tps = touchpoints(spark, args.interactions, args.customers, args.skus, days=args.days)
        lake.overwrite(tps.repartition("event_date"), "silver.touchpoints", partition_by=["event_date"])
        lake.overwrite(items(spark, args.skus), "silver.items")
        lake.overwrite(customers(spark, args.customers), "silver.customers")
        silver_s = time.monotonic() - t
        print(f"silver generated and written: {silver_s:,.0f} s")

        t = time.monotonic()
        assert job.main(cli) == 0
        build_s = time.monotonic() - t

        t = time.monotonic()
        day = touchpoints(
            spark, args.interactions // args.days, args.customers, args.skus, days=1, first=args.interactions
        )
        lake.append(
            day.withColumn("occurred_at", day["occurred_at"] + _days(args.days - 1))
            .drop("event_date")
            .selectExpr("*", "to_date(occurred_at) AS event_date"),
            "silver.touchpoints",
        )
        assert job.main(cli) == 0
        incremental_s = time.monotonic() - t

        inter = layout(lake, INTERACTIONS, "event_month" if args.partition == "month" else "event_date")
        rows = lake.read(INTERACTIONS).count()
        print()
        print("| step | seconds |")
        print("|---|---|")
        print(f"| generate + write silver ({args.interactions:,} touch points) | {silver_s:,.0f} |")
        print(f"| gold build, first run ({rows:,} interactions at the end) | {build_s:,.0f} |")
        print(f"| gold rebuild after one new day (one partition rewritten) | {incremental_s:,.0f} |")
        print()
        print("| table | partitions | files | size | mean file |")
        print("|---|---|---|---|---|")
        for table, part in ((INTERACTIONS, "event_month"), (ITEMS, None), (USERS, None)):
            info = inter if table == INTERACTIONS else layout(lake, table, part)
            mean = info["bytes"] / max(1, info["files"])
            print(f"| {table} | {info['partitions']} | {info['files']} | {mb(info['bytes'])} | {mb(mean)} |")
        print()
        print(
            "interactions files per partition: "
            + ", ".join(f"{p}: {len(v)} ({mb(sum(v))})" for p, v in inter["per"].items())
        )

        spark.conf.set("spark.sql.adaptive.enabled", "false")
        from pyspark.sql import functions as F

        popular = lake.read(INTERACTIONS).groupBy("ITEM_ID").count().orderBy(F.desc("count")).limit(500)
        item_row = popular.orderBy("count").first()  # a mid-popularity item among the top 500
        user_row = lake.read(INTERACTIONS).select("USER_ID").first()
        if item_row is None or user_row is None:
            raise SystemExit("gold.personalize_interactions is empty: nothing to query")
        item, user = item_row[0], user_row[0]
        print()
        print("| point query | rows | files read | files in table | skipped |")
        print("|---|---|---|---|---|")
        for label, table, column, value in (
            (f"interactions ITEM_ID = '{item}'", INTERACTIONS, "ITEM_ID", item),
            (f"interactions USER_ID = '{user}'", INTERACTIONS, "USER_ID", user),
            (f"items ITEM_ID = '{item}'", ITEMS, "ITEM_ID", item),
            (f"users USER_ID = '{user}'", USERS, "USER_ID", user),
        ):
            total = int(lake.detail(table)["numFiles"])
            read, found = scan_files(spark, lake.read(table).where(F.col(column) == value))
            print(f"| {label} | {found:,} | {read} | {total} | {1 - read / total:.0%} |")
        spark.stop()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    return 0


def _days(n: int) -> Any:
    from pyspark.sql import functions as F

    return F.expr(f"INTERVAL {n} DAYS")


if __name__ == "__main__":
    sys.exit(main())
