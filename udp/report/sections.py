"""What the run report shows, section by section: each reads the lake's tables, aggregates in Spark and brings only
the small aggregate to the driver (per day, per reason, per count — never a table's rows), then draws it.

A section whose tables do not exist yet says which stage writes them instead of drawing an empty chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from udp import tables
from udp.report import charts
from udp.report.charts import Chart

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from udp.config import Config
    from udp.lake import Lake

PRIOR = "_prior"  # silver.match_model's row for the prior match weight
RESOURCE_KINDS = ("solution-version", "campaign", "batch-inference-job", "event-tracker")
KEY_METRICS = (
    ("normalized_discounted_cumulative_gain_at_10", "NDCG@10"),
    ("precision_at_10", "precision@10"),
    ("mean_reciprocal_rank_at_25", "MRR@25"),
    ("coverage", "coverage"),
)


@dataclass(frozen=True)
class Table:
    """A small HTML table; `flagged` rows are highlighted (failures)."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    flagged: Sequence[bool] = ()


@dataclass(frozen=True)
class Note:
    text: str


Block = Chart | Table | Note


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def need(self, lake: Lake, table: str, stage: str) -> bool:
        """True when `table` exists; otherwise a note says which stage writes it."""
        if lake.exists(table):
            return True
        self.blocks.append(Note(f"No data yet: {table} is written by {stage}."))
        return False


def series_of(rows: Sequence[Any], name: str, x: str, y: Callable[[Any], float]) -> dict[str, list[tuple[Any, float]]]:
    """Rows (in x order) as one (x, y) series per value of the column `name`, for `charts.lines`."""
    series: dict[str, list[tuple[Any, float]]] = {}
    for r in rows:
        series.setdefault(str(r[name]), []).append((r[x], y(r)))
    return series


def bronze_section(lake: Lake) -> Section:
    from pyspark.sql import functions as F

    section = Section("bronze", "Bronze: what landed and what was refused")
    if not section.need(lake, tables.INGEST_LOG, "udp run bronze"):
        return section
    log = lake.read(tables.INGEST_LOG)
    per_day = (
        log.groupBy("source", "landing_date")
        .agg(*(F.sum(c).alias(c) for c in ("rows_read", "rows_landed", "rows_quarantined")))
        .orderBy("landing_date")
        .collect()
    )
    landed = series_of(per_day, "source", "landing_date", lambda r: r["rows_landed"])
    rate = series_of(per_day, "source", "landing_date", lambda r: r["rows_quarantined"] / max(r["rows_read"], 1))
    section.blocks.append(
        charts.lines(
            "bronze-landed",
            "Rows landed per source per landing day",
            landed,
            xlabel="landing day",
            ylabel="rows landed",
        )
    )
    section.blocks.append(
        charts.lines(
            "bronze-quarantine-rate",
            "Quarantine rate per source per landing day",
            rate,
            xlabel="landing day",
            ylabel="rows quarantined (% of rows read)",
            percent=True,
        )
    )
    if lake.exists(tables.BRONZE_QUARANTINE):
        reasons = (
            lake.read(tables.BRONZE_QUARANTINE)
            .groupBy("_source", "reason_code")
            .agg(
                F.count("*").alias("rows"),
                F.min(F.struct("_file", "_row")).alias("first"),
            )
            .orderBy(F.desc("rows"), "_source", "reason_code")
            .limit(15)
            .collect()
        )
        rows = [
            [r["_source"], r["reason_code"], r["rows"], f"{r['first']['_file']} line {r['first']['_row']}"]
            for r in reasons
        ]
        section.blocks.append(
            Table(
                "Top quarantine reasons (the first row refused for each)", ["source", "reason", "rows", "example"], rows
            )
        )
    drift = (
        log.where(F.col("drift").isNotNull() & (F.col("drift") != ""))
        .select("source", "path", "landing_date", "drift")
        .orderBy(F.desc("landing_date"), "source")
        .limit(20)
        .collect()
    )
    section.blocks.append(
        Table("Schema drift events", ["source", "file", "landing day", "drift"], [list(r) for r in drift])
        if drift
        else Note("No schema drift: every landed file had the columns its contract expects.")
    )
    return section


def probability_weight(probability: float) -> float:
    """A match probability as a match weight (log2 of the odds), where the score chart marks it."""
    return math.log2(probability / (1 - probability))


def silver_section(lake: Lake, thresholds: dict[str, float]) -> Section:
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    section = Section("silver", "Silver: matching and the Single Customer View")
    if section.need(lake, tables.MATCH_MODEL, "udp run silver"):
        model = lake.read(tables.MATCH_MODEL)
        latest = model.agg(F.max("version")).collect()[0][0]
        levels = model.where(F.col("version") == latest).orderBy("comparison", F.desc("level")).collect()
        section.blocks.append(
            charts.bars(
                "silver-weights",
                "Match weight per comparison level",
                [r["label"] if r["comparison"] == PRIOR else f"{r['comparison']}: {r['label']}" for r in levels],
                [r["weight"] for r in levels],
                xlabel=f"match weight (log2 of m / u), model {latest}",
                ylabel="",
                colours=[charts.GOOD if r["weight"] >= 0 else charts.BAD for r in levels],
            )
        )
        section.blocks.append(
            Table(
                "m and u per comparison level",
                ["comparison", "level", "m", "u", "weight"],
                [
                    [r["comparison"], r["label"], f"{r['m']:.4f}", f"{r['u']:.6f}", f"{r['weight']:+.2f}"]
                    for r in levels
                ],
            )
        )
    if section.need(lake, tables.CUSTOMER_LINKS, "udp run silver"):
        links = lake.read(tables.CUSTOMER_LINKS)
        bins = links.groupBy(F.floor("match_weight").alias("bin")).count().orderBy("bin").collect()
        marks = {f"{name} p ≥ {p:g}": probability_weight(p) for name, p in thresholds.items()}
        section.blocks.append(
            charts.columns(
                "silver-scores",
                "Scored candidate pairs by match weight, with the thresholds",
                [r["bin"] + 0.5 for r in bins],
                [r["count"] for r in bins],
                xlabel="match weight (log2 of the odds), bins of 1",
                ylabel="pairs (log)",
                width=0.9,
                log_y=True,
                marks=marks,
            )
        )
        rules = links.groupBy("blocking_rule").count().orderBy(F.desc("count")).collect()
        section.blocks.append(
            charts.bars(
                "silver-blocking",
                "Candidate pairs per blocking rule",
                [str(r["blocking_rule"]) for r in rules],
                [r["count"] for r in rules],
                xlabel="candidate pairs scored",
                ylabel="",
            )
        )
        ranked = Window.partitionBy("decision").orderBy("match_weight", "left_id", "right_id")
        samples = (  # the pair of median weight of each decision: typical, not an extreme
            links.where(F.col("evidence").isNotNull())
            .withColumn("n", F.row_number().over(ranked))
            .withColumn("of", F.count("*").over(Window.partitionBy("decision")))
            .where(F.col("n") == F.floor(F.col("of") / 2) + 1)
            .orderBy(F.desc("match_weight"))
            .collect()
        )
        for r in samples:
            section.blocks.append(_waterfall(r))
    if section.need(lake, tables.CUSTOMER_XREF, "udp run silver"):
        sizes = (
            lake.read(tables.CUSTOMER_XREF)
            .groupBy("customer_id")
            .count()
            .groupBy(F.col("count").alias("size"))
            .count()
            .orderBy("size")
            .collect()
        )
        section.blocks.append(
            charts.columns(
                "silver-clusters",
                "Customers by how many source records they unite",
                [r["size"] for r in sizes],
                [r["count"] for r in sizes],
                xlabel="source records per customer",
                ylabel="customers (log)",
                log_y=True,
            )
        )
    if lake.exists(tables.CUSTOMER_ID_HISTORY):
        changes = (
            lake.read(tables.CUSTOMER_ID_HISTORY)
            .groupBy("happened_at", "event")
            .count()
            .orderBy("happened_at")
            .collect()
        )
        series = series_of(changes, "event", "happened_at", lambda r: r["count"])
        if series:
            section.blocks.append(
                charts.lines(
                    "silver-id-changes",
                    "Customer id merges and splits per silver run",
                    series,
                    xlabel="silver run",
                    ylabel="ids changed",
                )
            )
        else:
            section.blocks.append(Note("No customer id has been merged or split yet."))
    return section


def _waterfall(link: Any) -> Chart:
    evidence = link["evidence"].asDict()
    steps = [(f"{name} {v['level']}", float(v["weight"])) for name, v in evidence.items() if v and v["weight"]]
    prior = float(link["match_weight"]) - sum(w for _, w in steps)  # the prior, and term-frequency adjustments
    decision = link["decision"]
    return charts.waterfall(
        f"silver-waterfall-{decision}",
        f"How one {decision} pair's weight adds up: {link['left_id']} ~ {link['right_id']}",
        [("prior, term frequencies", prior), *steps],
        total_label="match weight",
    )


def gold_section(lake: Lake) -> Section:
    from pyspark.sql import functions as F

    section = Section("gold", "Gold: the Personalize datasets")
    sizes = [
        (name, lake.read(table).count()) for name, table in tables.PERSONALIZE_DATASETS.items() if lake.exists(table)
    ]
    if not sizes:
        section.blocks.append(Note("No data yet: the gold.personalize_* tables are written by udp run gold."))
        return section
    section.blocks.append(
        charts.bars(
            "gold-sizes",
            "Rows per Personalize dataset",
            [n for n, _ in sizes],
            [c for _, c in sizes],
            xlabel="rows",
            ylabel="",
        )
    )
    if lake.exists(tables.PERSONALIZE_INTERACTIONS):
        interactions = lake.read(tables.PERSONALIZE_INTERACTIONS)
        per_day = (
            interactions.groupBy(F.to_date(F.timestamp_seconds("TIMESTAMP")).alias("day"), "EVENT_TYPE")
            .count()
            .orderBy("day")
            .collect()
        )
        series = series_of(per_day, "EVENT_TYPE", "day", lambda r: r["count"])
        section.blocks.append(
            charts.lines(
                "gold-events", "Interactions per event type per day", series, xlabel="day (UTC)", ylabel="interactions"
            )
        )
        section.blocks.append(
            charts.rank_curve(
                "gold-item-tail",
                "Item popularity: the long tail",
                _how_many_have(interactions, "ITEM_ID"),
                what="items",
                per="interactions",
            )
        )
        per_user = _how_many_have(interactions, "USER_ID")
        bins: dict[int, int] = {}
        for n, users in per_user.items():
            bins[int(math.log2(n))] = bins.get(int(math.log2(n)), 0) + users
        section.blocks.append(
            charts.columns(
                "gold-user-counts",
                "Users by their number of interactions",
                [float(b) for b in sorted(bins)],
                [bins[b] for b in sorted(bins)],
                tick_labels=[str(2**b) if b == 0 else f"{2**b}-{2 ** (b + 1) - 1}" for b in sorted(bins)],
                xlabel="interactions per user (bins doubling in width)",
                ylabel="users",
            )
        )
    if lake.exists(tables.PERSONALIZE_PREFLIGHT):
        preflight = lake.read(tables.PERSONALIZE_PREFLIGHT)
        latest = preflight.agg(F.max_by("run_id", "checked_at")).collect()[0][0]
        checks = (
            preflight.where(F.col("run_id") == latest)
            .orderBy("passed", "dataset", "rule")
            .select("dataset", "rule", "severity", "passed", "value", "limit_value", "message")
            .collect()
        )
        failed = sum(1 for r in checks if not r["passed"])
        section.blocks.append(
            Table(
                f"Preflight of the latest gold build ({len(checks)} rules, {failed} failed)",
                ["dataset", "rule", "severity", "passed", "value", "limit", "message"],
                [list(r) for r in checks],
                [not r["passed"] for r in checks],
            )
        )
    return section


def _how_many_have(interactions: DataFrame, key: str) -> dict[int, int]:
    """{interactions: how many keys have that many} — a few hundred rows however many keys there are."""
    from pyspark.sql import functions as F

    counts = interactions.groupBy(key).count().groupBy(F.col("count").alias("n")).count()
    return {r["n"]: r["count"] for r in counts.collect()}


def _resources(config: Config, lake: Lake) -> Table | Note:
    """The campaigns, batch jobs and solution versions of the latest snapshot's Personalize run, from its manifest."""
    from udp.errors import UdpError
    from udp.personalize.backends import make_clients
    from udp.personalize.manifest import RunManifest
    from udp.personalize.snapshot import load_snapshot, resolve_snapshot

    settings = config.personalize
    try:
        clients = make_clients(settings, lambda: lake.spark)
        snapshot = load_snapshot(
            clients.files, config.paths.export, resolve_snapshot(clients.files, config.paths.export, "")
        )
        manifest = RunManifest.load(
            clients.files, snapshot.run_manifest_uri, snapshot.id, clients.backend, settings.dataset_group
        )
    except (UdpError, OSError) as error:
        return Note(f"The latest Personalize run's resources are not readable here: {error}")
    shown = [e for e in manifest.entries if e.kind in RESOURCE_KINDS]
    if not shown:
        return Note(f"No campaign, batch job or solution version recorded for snapshot {snapshot.id} yet.")
    return Table(
        f"Personalize resources of snapshot {snapshot.id} ({clients.backend} backend), from its run manifest",
        ["kind", "name", "status", "action", "updated at", "failure"],
        [[e.kind, e.name, e.status, e.action, e.updated_at, e.failure_reason] for e in shown],
        [bool(e.failure_reason) or "FAILED" in e.status for e in shown],
    )


def personalize_section(lake: Lake, config: Config) -> Section:
    from pyspark.sql import functions as F

    section = Section("personalize", "Personalize: recipes compared")
    if not section.need(lake, tables.RECIPE_LEADERBOARD, "udp personalize apply"):
        return section
    board = lake.read(tables.RECIPE_LEADERBOARD)
    latest = board.groupBy("recipe").agg(F.max_by(F.struct("*"), "trained_at").alias("r")).select("r.*").collect()
    latest = sorted(latest, key=lambda r: -(r["normalized_discounted_cumulative_gain_at_10"] or 0))
    baseline = next((r for r in latest if "popularity" in r["recipe"]), None)
    for key, name in KEY_METRICS:
        shown = [r for r in latest if r[key] is not None]
        if not shown:
            continue
        marks = {"popularity baseline": baseline[key]} if baseline is not None and baseline[key] is not None else {}
        section.blocks.append(
            charts.bars(
                f"personalize-{name.replace('@', '-at-').lower()}",
                f"{name} of each recipe's latest solution version",
                [r["recipe"] for r in shown],
                [r[key] for r in shown],
                xlabel=f"{name} (offline, 0 to 1)",
                ylabel="",
                marks=marks,
            )
        )
    history = board.orderBy("trained_at").select("recipe", "trained_at", KEY_METRICS[0][0]).collect()
    trained = [r for r in history if r[KEY_METRICS[0][0]] is not None and r["trained_at"] is not None]
    series = series_of(trained, "recipe", "trained_at", lambda r: r[KEY_METRICS[0][0]])
    if series:
        section.blocks.append(
            charts.lines(
                "personalize-versions",
                "NDCG@10 of every solution version as it was trained",
                series,
                xlabel="trained at (UTC)",
                ylabel="NDCG@10",
            )
        )
    section.blocks.append(_resources(config, lake))
    rows = [[r["recipe"], r["solution_version"], r["snapshot"], r["trained_at"], r["backend"]] for r in latest]
    section.blocks.append(
        Table("Latest solution version per recipe", ["recipe", "version", "snapshot", "trained at", "backend"], rows)
    )
    return section


def history_section(lake: Lake, runs: int) -> Section:
    from pyspark.sql import functions as F

    section = Section("history", f"Run history (the last {runs} runs)")
    if not section.need(lake, tables.RUNS, "every udp job"):
        return section
    recent = (
        lake.read(tables.RUNS)
        .orderBy(F.desc("started_at"))
        .limit(runs)
        .select("run_id", "stage", "started_at", "seconds", "status", "error")
        .collect()
    )[::-1]
    series = series_of(recent, "stage", "started_at", lambda r: r["seconds"])
    section.blocks.append(
        charts.lines(
            "history-durations",
            "Duration of each stage's runs",
            series,
            xlabel="started at (UTC)",
            ylabel="duration (s)",
        )
    )
    if lake.exists(tables.RUN_STEPS):
        ids = [r["run_id"] for r in recent]
        last = lake.read(tables.RUN_STEPS).where(F.col("run_id").isin(ids))
        slowest = last.orderBy(F.desc("seconds")).limit(12).collect()
        if slowest:
            section.blocks.append(
                charts.bars(
                    "history-steps",
                    "The slowest steps of these runs",
                    [f"{r['stage']} {r['started_at']:%m-%d %H:%M}: {r['message'][:60]}" for r in slowest],
                    [r["seconds"] for r in slowest],
                    xlabel="seconds",
                    ylabel="",
                )
            )
    section.blocks.append(
        Table(
            "Runs",
            ["started at (UTC)", "stage", "status", "seconds", "run id", "error"],
            [
                [r["started_at"], r["stage"], r["status"], f"{r['seconds']:.1f}", r["run_id"], r["error"] or ""]
                for r in recent[::-1]
            ],
            [r["status"] != "succeeded" for r in recent[::-1]],
        )
    )
    return section
