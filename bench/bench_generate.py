"""Benchmark `udp generate` at full scale: wall time, output bytes, rows per source and peak RSS.

    .venv/bin/python bench/bench_generate.py                   # 1M customers, 1M SKUs, 30 days, seed 1
    .venv/bin/python bench/bench_generate.py --customers 100000 --skus 100000

Prints the one-screen report, then a Markdown table header and one row to paste into the benchmark log.
Peak RSS is the larger of this process and its largest worker (resource.getrusage of self and children).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from udp.generate import GenerateReport, generate

COLUMNS = (
    "date",
    "customers",
    "skus",
    "days",
    "workers",
    "cpus",
    "wall s",
    "output GB",
    "rows",
    "clickstream",
    "pos",
    "oms",
    "crm",
    "ecom",
    "support",
    "erp",
    "bad",
    "peak RSS MB",
)


def peak_rss_mb() -> float:
    """Peak resident set size of this process or its largest (waited-for) child, in MB (Linux reports KB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / (1024 * 1024)
    return max(own, children) * scale


def markdown_row(report: GenerateReport, wall: float, rss: float) -> str:
    p, s = report.params, report.sources
    truth_bytes = sum(f.stat().st_size for f in (report.out / "truth").iterdir())
    values = [
        dt.date.today().isoformat(),
        f"{p.customers:,}",
        f"{p.skus:,}",
        str(p.days),
        str(report.workers),
        str(os.cpu_count()),
        f"{wall:.1f}",
        f"{(report.total_bytes + truth_bytes) / 1e9:.2f}",
        f"{report.total_rows:,}",
        *(f"{s[name].rows:,}" for name in ("clickstream", "pos", "oms", "crm", "ecom", "support", "erp")),
        f"{report.total_bad:,}",
        f"{rss:,.0f}",
    ]
    return "| " + " | ".join(values) + " |"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--skus", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--dir", type=Path, default=None, help="parent of the temporary output folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="udp-bench-", dir=args.dir) as tmp:
        started = time.monotonic()
        report = generate(
            Path(tmp) / "out",
            customers=args.customers,
            skus=args.skus,
            days=args.days,
            seed=args.seed,
            workers=args.workers,
        )
        wall = time.monotonic() - started
        rss = peak_rss_mb()
        print(report.render())
        print()
        print(f"python {platform.python_version()} on {platform.machine()}")
        print("| " + " | ".join(COLUMNS) + " |")
        print("|" + "|".join("---" for _ in COLUMNS) + "|")
        print(markdown_row(report, wall, rss))
    return 0


if __name__ == "__main__":
    sys.exit(main())
