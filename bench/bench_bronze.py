"""Benchmark bronze ingestion against a plain Spark read -> Delta append of the same files, in one run.

    .venv/bin/python bench/bench_bronze.py                          # --customers 200000 --skus 200000 --days 30
    .venv/bin/python bench/bench_bronze.py --customers 20000 --skus 50000
    .venv/bin/python bench/bench_bronze.py --parallel 1                # bronze one source at a time

The plain copy reads each source with Spark's own reader and the source's format options (CSV as text columns with
the header, JSON lines and Parquet with the contract's schema) and appends it to a Delta table: no line numbers, no
typing checks, no quarantine, no ingest log. udp's bronze does all of that. Both run in the same Spark session on the
same files, plain copy first after a warm-up; the ratio is plain time / bronze time (1.0 = no overhead).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from udp.bronze.files import list_files  # noqa: E402
from udp.bronze.ingest import ingest  # noqa: E402
from udp.config import Config, load_config  # noqa: E402
from udp.generate import generate  # noqa: E402
from udp.lake import Lake  # noqa: E402
from udp.session import build_spark  # noqa: E402

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def plain_copy(spark: SparkSession, config: Config, lake_root: Path, only: Sequence[str] = ()) -> int:
    """Each source's files read with Spark's reader and appended to a Delta table; returns rows written."""
    rows = 0
    for name, contract in config.sources.items():
        if only and name not in only:
            continue
        uris = [f.uri for f in list_files(spark, config.paths.raw, contract.path) if f.size > 0]
        if not uris:
            continue
        if contract.format == "csv":
            reader = spark.read.options(header=contract.options.get("header", "true"), sep=contract.delimiter)
            df = reader.options(encoding=contract.encoding, quote='"', escape='"').csv(uris)
        elif contract.format == "jsonl":
            df = spark.read.schema(contract.schema).json(uris)
        else:
            df = spark.read.schema(contract.schema).parquet(*uris)
        df.write.format("delta").mode("append").save(str(lake_root / name))
        rows += spark.read.format("delta").load(str(lake_root / name)).count()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--skus", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--parallel", type=int, default=2, help="lake.bronze_parallel_sources for udp bronze")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and lakes")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="udp-bench-bronze-"))
    try:
        t = time.monotonic()
        report = generate(work / "data", customers=args.customers, skus=args.skus, days=args.days, seed=args.seed)
        gen_s = time.monotonic() - t
        config = load_config(
            [str(ROOT / "conf" / "local.yaml")],
            [
                f"paths.raw={work / 'data' / 'raw'}",
                f"paths.lake={work / 'lake'}",
                f"spark.jars_dir={ROOT / '.jars'}",
                "catalog.implementation=in-memory",
                "spark.conf.spark.driver.memory=6g",
                f"lake.bronze_parallel_sources={args.parallel}",
            ],
        )
        spark = build_spark(config, app_name="bench-bronze")
        plain_copy(spark, config, work / "warmup", only=["thirdparty"])  # JVM warm-up, not timed

        t = time.monotonic()
        plain_rows = plain_copy(spark, config, work / "plain")
        plain_s = time.monotonic() - t

        t = time.monotonic()
        results = ingest(spark, Lake(spark, config), config)
        bronze_s = time.monotonic() - t
        landed = sum(r.total("rows_landed") for r in results)
        quarantined = sum(r.total("rows_quarantined") for r in results)
        read = sum(r.total("rows_read") for r in results)

        print(f"data: {report.total_rows:,} raw rows, {report.total_bytes / 1e6:,.0f} MB, generated in {gen_s:.1f} s")
        print(f"machine: {machine('local[2]')}")
        print("| step | rows | seconds | rows/s |")
        print("|---|---|---|---|")
        print(f"| plain read -> Delta append | {plain_rows:,} | {plain_s:.1f} | {plain_rows / plain_s:,.0f} |")
        label = f"udp bronze ({landed:,} landed + {quarantined:,} quarantined), {args.parallel} sources at a time"
        print(f"| {label} | {read:,} | {bronze_s:.1f} | {read / bronze_s:,.0f} |")
        print(f"ratio plain/bronze = {plain_s / bronze_s:.2f}")
        spark.stop()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
