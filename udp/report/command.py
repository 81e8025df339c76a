"""`udp report [--out report.html] [--runs N]`: read the lake, draw every section, write one HTML file.

It only reads the lake (nothing is logged in udp._runs). matplotlib comes with udp's `report` extra
(`pip install 'udp[report]'`; `make setup` installs it).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from udp import progress
from udp.errors import UdpError
from udp.runner import add_config_args, run_job
from udp.summary import Summary

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from udp.config import Config


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="udp report",
        description="Write the run report: one self-contained HTML file (charts as inline SVG, no network) with "
        "bronze's landings and quarantine, silver's match model, scores, clusters and id changes, gold's datasets "
        "and preflight, Personalize's leaderboard, and the run history from udp._runs.",
    )
    add_config_args(p)
    progress.add_quiet_arg(p)
    p.add_argument("--out", default="report.html", help="the HTML file to write (default ./report.html)")
    p.add_argument("--runs", type=int, default=50, help="runs shown in the history (default the last 50)")
    return p


def check(config: Config, args: argparse.Namespace) -> None:
    if args.runs < 1:
        raise UdpError(f"--runs must be at least 1, not {args.runs}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UdpError("udp report draws with matplotlib: pip install 'udp[report]'") from None
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UdpError(f"--out: folder {out.parent} does not exist")


def write_report(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
    from udp.lake import Lake
    from udp.report import page
    from udp.report.charts import Chart
    from udp.report.sections import (
        bronze_section,
        gold_section,
        history_section,
        personalize_section,
        silver_section,
    )

    lake = Lake(spark, config)
    thresholds = {"review": config.matching.thresholds.review, "match": config.matching.thresholds.match}
    built = []
    for name, draw in (
        ("history", lambda: history_section(lake, args.runs)),
        ("bronze", lambda: bronze_section(lake)),
        ("silver", lambda: silver_section(lake, thresholds)),
        ("gold", lambda: gold_section(lake)),
        ("personalize", lambda: personalize_section(lake, config)),
    ):
        progress.step("report", name)
        built.append(draw())
    now = datetime.now(UTC)
    text = page.render("udp run report", f"lake {lake.root} · written {now:%Y-%m-%d %H:%M} UTC", built)
    out = Path(args.out).resolve()
    out.write_text(text, encoding="utf-8")
    summary = Summary("report").fact("report", str(out))
    summary.fact("charts", sum(1 for s in built for b in s.blocks if isinstance(b, Chart)))
    summary.fact("size", f"{len(text.encode('utf-8')) / 1024:,.0f} KiB")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    return run_job(parser(), argv, write_report, check, logged=False)
