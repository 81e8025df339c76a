"""`udp report` on a lake built by the real jobs (two days of a small generated retailer through bronze, silver and
gold, then bronze again, each run logged), opened in a real headless Chromium: every section there, every chart drew
its data, no console errors. Screenshots of each section are left in the test's folder for a person to look at."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from udp import cli, tables
from udp.config import Config
from udp.generate import dump_days, generate, land
from udp.lake import Lake
from udp.personalize.leaderboard import leaderboard_rows, write_leaderboard
from udp.personalize.resources import VersionMetrics

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SECTIONS = ["history", "bronze", "silver", "gold", "personalize"]
CHARTS = [
    "history-durations",
    "history-steps",
    "bronze-landed",
    "bronze-quarantine-rate",
    "silver-weights",
    "silver-scores",
    "silver-blocking",
    "silver-waterfall-match",
    "silver-clusters",
    "gold-sizes",
    "gold-events",
    "gold-item-tail",
    "gold-user-counts",
    "personalize-ndcg-at-10",
    "personalize-versions",
]


@pytest.fixture(scope="module")
def report(spark: SparkSession, base_config: Config, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Lake]:
    root = tmp_path_factory.mktemp("report")
    dumps = root / "dumps"
    generate(dumps, customers=120, skus=100, days=2, seed=3, workers=1)
    config = base_config.with_overrides(f"paths.raw={root / 'raw'}", f"paths.lake={root / 'lake'}")
    on_lake = ["--set", f"paths.raw={root / 'raw'}", "--set", f"paths.lake={root / 'lake'}", "--quiet"]
    land(dumps, root / "raw", dump_days(dumps))
    for stage in ("bronze", "silver", "gold", "bronze"):  # bronze twice: the second run finds nothing new
        assert cli.main(["run", stage, *on_lake]) == 0
    lake = Lake(spark, config)
    trained = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    versions = [
        VersionMetrics(
            recipe, recipe, recipe, f"v{day}", f"arn:{recipe}:{day}", "s", metrics, trained + dt.timedelta(days=day)
        )
        for day in (0, 1)
        for recipe, metrics in (
            (
                "aws-user-personalization",
                {
                    "normalized_discounted_cumulative_gain_at_10": 0.21 + day / 100,
                    "precision_at_10": 0.05,
                    "coverage": 0.4,
                },
            ),
            (
                "aws-popularity-count",
                {"normalized_discounted_cumulative_gain_at_10": 0.12, "precision_at_10": 0.03, "coverage": 0.02},
            ),
        )
    ]
    write_leaderboard(lake, leaderboard_rows("local", "udp-retail", versions))
    out = root / "report.html"
    assert cli.main(["report", "--out", str(out), *on_lake]) == 0
    return out, lake


def test_the_report_is_one_self_contained_file(report: tuple[Path, Lake]) -> None:
    text = report[0].read_text(encoding="utf-8")
    assert "<script" not in text
    assert "src=" not in text  # nothing fetched: charts are inline SVG
    assert "https://" not in text
    assert "http://" not in text.replace("http://www.w3.org/", "")  # SVG's namespaces are names, not fetched


def test_the_report_draws_every_chart_in_a_real_browser(report: tuple[Path, Lake], tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    path, lake = report
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        browser.get(path.as_uri())
        found = browser.execute_script(
            """
            const out = {sections: [...document.querySelectorAll('section')].map(s => s.id), charts: {}};
            for (const fig of document.querySelectorAll('figure.chart')) {
              const svg = fig.querySelector('svg');
              const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
              const data = svg ? [...svg.querySelectorAll(`[id^="${fig.id}-data"]`)] : [];
              const drawn = data.filter(g => { const b = g.getBBox(); return b.width > 0 || b.height > 0; });
              const texts = svg ? [...svg.querySelectorAll('text')].map(t => t.textContent.trim()) : [];
              out.charts[fig.id] = {width: box.width, height: box.height, points: +fig.dataset.points,
                                    series: data.length, drawn: drawn.length, texts: texts.filter(Boolean).length};
            }
            return out;
            """
        )
        for section in SECTIONS:
            element = browser.find_element("id", section)
            browser.execute_script("arguments[0].scrollIntoView()", element)
            element.screenshot(str(path.parent / f"report-{section}.png"))
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        browser.quit()
    assert errors == []
    assert found["sections"] == SECTIONS
    assert set(CHARTS) <= set(found["charts"]), sorted(found["charts"])
    for chart, seen in found["charts"].items():
        assert min(seen["width"] - 300, seen["height"] - 150) > 0, (chart, seen)
        assert min(seen["points"], seen["series"]) > 0, (chart, seen)
        assert seen["drawn"] > 0, (chart, seen)  # a line or bar with a size (a bar of 0 has none)
        assert seen["texts"] >= 3, (chart, seen)  # a title and axis labels at least

    runs = lake.read(tables.RUNS).count()
    assert runs == 4
    landed_days = lake.read(tables.INGEST_LOG).select("source", "landing_date").distinct().count()
    assert found["charts"]["bronze-landed"]["points"] == landed_days


def test_the_silver_run_logged_its_steps_matching_in_parts(report: tuple[Path, Lake]) -> None:
    lake = report[1]
    [run] = [r["run_id"] for r in lake.read(tables.RUNS).where("stage = 'silver'").collect()]
    first = [r["message"] for r in lake.read(tables.RUN_STEPS).where(f"run_id = '{run}'").orderBy("step").collect()]
    assert first[:6] == [
        "starting Spark",
        "customer records",
        "matching",
        "matching: candidate pairs compared",
        "matching: training the model (u from random pairs, m by EM per training rule)",
        "matching: pairs scored, decided and written",
    ]
    assert first[6:] == ["clusters, ids, golden records", "items", "touch points"]
