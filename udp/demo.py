"""`make demo`: the whole pipeline, offline, on generated data — one command, one Spark session, no AWS account.

    python -m udp.demo [--dir demo] [--customers 2000] [--skus 1500] [--days 14] [--seed 7]

Day one: generate `--days` days of raw dumps and land all but the last -> bronze -> silver -> gold (+ preflight) ->
export -> Personalize (local backend: import, train five recipes, metrics, deploy gate, batch inference) -> the
recipe leaderboard. Day two: the last day's dumps land -> bronze, silver, gold again (each only what changed) ->
export of the interactions added since day one -> Personalize imports them INCREMENTAL, trains an UPDATE version of
user personalization (a FULL one weekly) and FULL versions of the rest -> the leaderboard with its trend; matching
scored against the generator's truth, the recommendations for the most active customer next to what they
bought and viewed, and the run report (report.html: charts of every layer and the run history). Every step is the
same `main(argv)` the `udp` command and `spark-submit jobs/*.py` run; the demo
only chains them with the demo folder's paths. Re-running it reuses what is there (bronze ingests nothing new,
silver changes nothing).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from udp import tables

ROOT = Path(__file__).resolve().parents[1]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="udp.demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", default="demo", help="working folder: dumps/, raw/, lake/, export/ (default ./demo)")
    p.add_argument("--customers", type=int, default=2000)
    p.add_argument("--skus", type=int, default=1500)
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--seed", type=int, default=7)
    return p


def config_args(work: Path) -> list[str]:
    """The local configuration pointed at the demo folder."""
    return [
        "--conf",
        str(ROOT / "conf" / "local.yaml"),
        "--set",
        f"paths.raw={work / 'raw'}",
        "--set",
        f"paths.lake={work / 'lake'}",
        "--set",
        f"paths.export={work / 'export'}",
        "--set",
        f"personalize.local.state_dir={work / 'personalize-local'}",
        "--set",
        "spark.log_level=ERROR",
        "--set",
        "gold.export.incremental=true",
        "--set",
        "personalize.solutions.user-personalization.training.full_every=7",
        "--set",
        "personalize.solutions.user-personalization.training.between=update",
    ]


def step(title: str, fn: Callable[[list[str]], int], argv: list[str]) -> None:
    print(f"\n=== {title}", flush=True)
    started = time.monotonic()
    code = fn(argv)
    if code:
        raise SystemExit(f"demo: step '{title}' failed with exit code {code}")
    print(f"--- {title} done in {time.monotonic() - started:.0f} s", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    work = Path(args.dir).resolve()
    conf = config_args(work)
    started = time.monotonic()

    from udp.bronze import job as bronze
    from udp.generate import dump_days, land
    from udp.generate import main as generate
    from udp.gold import commands as gold_commands
    from udp.gold import job as gold
    from udp.personalize import job as personalize
    from udp.report import command as report
    from udp.silver import evaluate
    from udp.silver import job as silver

    generate_args = [f"--{k}={v}" for k, v in (("customers", args.customers), ("skus", args.skus), ("days", args.days))]
    dumps = work / "dumps"
    if (dumps / "truth" / "customers.csv").exists():
        print(f"=== generate: {dumps} already holds generated dumps; reusing them (rm -r {args.dir} to start over)")
    else:
        step("generate", generate, ["--out", str(dumps), *generate_args, f"--seed={args.seed}"])
    days = dump_days(dumps)
    land(dumps, work / "raw", days[:-1])
    print(f"\n=== day one: {len(days) - 1} days of dumps landed in {work / 'raw'}", flush=True)
    step("bronze", bronze.main, conf)
    step("silver", silver.main, conf)
    step("gold", gold.main, conf)
    step("export", gold_commands.export_main, [*conf, "--snapshot", "demo"])
    step(
        "analyst query",
        gold_commands.sql_main,
        [
            *conf,
            "SELECT loyalty_tier, count(*) AS customers, round(avg(lifetime_value), 2) AS avg_ltv "
            "FROM gold.customer_360 GROUP BY loyalty_tier ORDER BY customers DESC",
        ],
    )
    step("personalize plan", personalize.main, ["plan", *conf, "--snapshot", "demo"])
    step("personalize apply", personalize.main, ["apply", *conf, "--snapshot", "demo"])
    land(dumps, work / "raw", days[-1:])
    print(f"\n=== day two: the dumps of {days[-1]} landed", flush=True)
    step("bronze (day two)", bronze.main, conf)
    step("silver (day two)", silver.main, conf)
    step("gold (day two)", gold.main, conf)
    step("export (day two)", gold_commands.export_main, [*conf, "--snapshot", "demo-2"])
    step("personalize apply (day two)", personalize.main, ["apply", *conf, "--snapshot", "demo-2"])
    step("personalize compare", personalize.main, ["compare", *conf, "--snapshot", "demo-2"])
    step("evaluate matching", evaluate.main, [*conf, "--truth", str(dumps / "truth")])
    show_recommendations(work, conf)
    step("report", report.main, [*conf, "--out", str(work / "report.html")])
    print(f"\ndemo finished in {time.monotonic() - started:.0f} s; everything is under {work}")
    print(f"the run report: {work / 'report.html'} (open it in a browser)")
    return 0


def show_recommendations(work: Path, conf: list[str], num: int = 10) -> None:
    """The most active customer's favourite categories next to what user personalization recommends for them (the
    batch inference job's output, Personalize's JSON-lines format), with each item's category and brand."""
    from pyspark.sql import functions as F

    from udp.lake import Lake
    from udp.runner import config_from_argv
    from udp.session import build_spark

    outputs = [p for p in work.rglob("*.json.out") if p.is_file()]
    if not outputs:
        print("\n(no batch inference output found)")
        return
    outputs.sort(key=lambda p: p.stat().st_mtime, reverse=True)  # the newest batch job's
    config = config_from_argv(conf)
    spark = build_spark(config)
    lake = Lake(spark, config)
    interactions = lake.read(tables.PERSONALIZE_INTERACTIONS)
    items = lake.read(tables.PERSONALIZE_ITEMS).select("ITEM_ID", "CATEGORY_L1", "CATEGORY_L2", "BRAND")
    recs = spark.read.json(str(outputs[0])).select(
        F.col("input.userId").alias("USER_ID"), F.col("output.recommendedItems").alias("items")
    )
    top = interactions.join(recs, "USER_ID").groupBy("USER_ID").count().orderBy(F.desc("count"), "USER_ID").first()
    if top is None:
        return
    user = top["USER_ID"]
    print(f"\n=== recommendations for customer {user} ({top['count']} interactions)")
    history = (
        interactions.where(F.col("USER_ID") == user)
        .join(items, "ITEM_ID")
        .groupBy("CATEGORY_L1", "CATEGORY_L2")
        .count()
        .orderBy(F.desc("count"), "CATEGORY_L1", "CATEGORY_L2")
    )
    print("their interactions by category: " + ", ".join(f"{r[0]} > {r[1]} ({r[2]})" for r in history.take(5)))
    row = recs.where(F.col("USER_ID") == user).first()
    recommended = list(row["items"][:num]) if row else []
    details = {r["ITEM_ID"]: r for r in items.where(F.col("ITEM_ID").isin(recommended)).collect()}
    print(f"top {len(recommended)} from user-personalization ({outputs[0].relative_to(work)}):")
    for rank, item in enumerate(recommended, 1):
        d = details.get(item)
        where = f"{d['CATEGORY_L1']} > {d['CATEGORY_L2']}, {d['BRAND']}" if d else "?"
        print(f"  {rank:2d}. {item}  {where}")


if __name__ == "__main__":
    sys.exit(main())
