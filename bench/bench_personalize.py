"""Benchmark the local Personalize recipes on data with planted preferences, under Personalize's own evaluation.

    .venv/bin/python bench/bench_personalize.py                     # --users 3000 --items 1500 --interactions 80000
    .venv/bin/python bench/bench_personalize.py --users 5000 --items 2000 --interactions 100000 --seed 3

Every recipe is trained exactly as a local solution version is (udp/personalize/backends/local/training.py): the
users are split 90/10 by seeded hash, the model trains on the 90 %, each test user's oldest 90 % of interactions is
the input and the newest 10 % is scored (top 25, no filter); then the served model is trained on every user.
"training s" is that whole solution-version time. NDCG is reported both as Personalize documents it (hit-based ideal)
and as textbook NDCG (ideal over min(|relevant|, K)). The run fails (exit 1) unless user personalization beats
popularity count on precision_at_10 and NDCG@10 (both variants): the claim the local backend is built to honour.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from udp.config import load_config  # noqa: E402
from udp.personalize import synthetic  # noqa: E402
from udp.personalize.backends.local.data import interactions_from_rows, items_from_rows  # noqa: E402
from udp.personalize.backends.local.models.als_fit import clear_fit_cache  # noqa: E402
from udp.personalize.backends.local.training import train  # noqa: E402
from udp.session import build_spark  # noqa: E402
from udp.settings.recipes import RECIPES  # noqa: E402

RECIPE_ORDER = (
    "aws-popularity-count",
    "aws-trending-now",
    "aws-similar-items",
    "aws-user-personalization",
    "aws-personalized-ranking",
)
COLUMNS = (
    ("p@5", "precision_at_5"),
    ("p@10", "precision_at_10"),
    ("p@25", "precision_at_25"),
    ("ndcg@10 (docs)", "normalized_discounted_cumulative_gain_at_10"),
    ("ndcg@10 (textbook)", "normalized_discounted_cumulative_gain_standard_at_10"),
    ("ndcg@25 (docs)", "normalized_discounted_cumulative_gain_at_25"),
    ("mrr@25", "mean_reciprocal_rank_at_25"),
    ("coverage", "coverage"),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--items", type=int, default=1500)
    parser.add_argument("--interactions", type=int, default=80000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="udp-bench-personalize-"))
    config = load_config(
        [str(ROOT / "conf" / "local.yaml")],
        [
            f"paths.lake={work / 'lake'}",
            f"spark.jars_dir={ROOT / '.jars'}",
            "catalog.implementation=in-memory",
            "spark.conf.spark.sql.shuffle.partitions=4",
        ],
    )
    settings = config.personalize.local
    t = time.monotonic()
    data = synthetic.generate(users=args.users, items=args.items, interactions=args.interactions, seed=args.seed)
    inter = interactions_from_rows(synthetic.INTERACTION_FIELDS, data.interactions)
    items = items_from_rows(synthetic.ITEM_FIELDS, data.items)
    gen_s = time.monotonic() - t
    spark = build_spark(config, app_name="bench-personalize")

    warm = synthetic.generate(users=100, items=50, interactions=1500, seed=1)  # JVM and MLlib warm-up, not timed
    train(RECIPES["aws-user-personalization"], interactions_from_rows(synthetic.INTERACTION_FIELDS, warm.interactions),
          items_from_rows(synthetic.ITEM_FIELDS, warm.items), settings, spark=lambda: spark)  # fmt: skip
    results = {}
    for name in RECIPE_ORDER:
        clear_fit_cache()  # ranking would otherwise reuse user personalization's ALS fit
        result = train(RECIPES[name], inter, items, settings, spark=lambda: spark)
        results[name] = (result.metrics, result.seconds)

    command = "bench/bench_personalize.py " + " ".join(
        f"--{k} {v}" for k, v in (("users", args.users), ("items", args.items), ("interactions", args.interactions))
    )
    print(f"command: .venv/bin/python {command} --seed {args.seed}")
    print(
        f"data: {len(inter):,} interactions, {args.users:,} users, {args.items:,} items (planted category/brand "
        f"tastes), generated in {gen_s:.1f} s"
    )
    print(
        f"machine: {machine(config.spark.master)}; ALS rank {settings.als.rank}, maxIter "
        f"{settings.als.max_iter}, regParam {settings.als.reg_param}, alpha {settings.als.alpha}, content weight "
        f"{settings.content_weight}"
    )
    print()
    print("| recipe | " + " | ".join(c for c, _ in COLUMNS) + " | training s |")
    print("|---|" + "---:|" * (len(COLUMNS) + 1))
    for name, (metrics, seconds) in results.items():
        cells = " | ".join(f"{metrics[key]:.4f}" for _, key in COLUMNS)
        print(f"| {name} | {cells} | {seconds:.1f} |")
    als, pop = results["aws-user-personalization"][0], results["aws-popularity-count"][0]
    keys = [
        "precision_at_10",
        "normalized_discounted_cumulative_gain_at_10",
        "normalized_discounted_cumulative_gain_standard_at_10",
    ]
    wins = {key: als[key] > pop[key] for key in keys}
    print()
    for key in keys:
        lift = (als[key] - pop[key]) / pop[key] if pop[key] else float("inf")
        verdict = "beats" if wins[key] else "DOES NOT beat"
        print(f"aws-user-personalization {verdict} aws-popularity-count on {key}: ", end="")
        print(f"{als[key]:.4f} vs {pop[key]:.4f} ({lift:+.0%})")
    spark.stop()
    return 0 if all(wins.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
