"""The run report's charts and page without Spark: every chart is SVG text with its data tagged, the page escapes
what the lake holds and flags failures."""

from __future__ import annotations

import datetime as dt
import re

from udp.report import charts, page
from udp.report.sections import Note, Section, Table, probability_weight, series_of


def test_a_chart_is_inline_svg_with_each_bar_tagged_and_no_metadata() -> None:
    chart = charts.bars("rules", "Pairs per rule", ["email", "phone"], [120, 30], xlabel="pairs", ylabel="")
    assert chart.svg.startswith("<svg")
    assert "<metadata>" not in chart.svg
    assert re.findall(r'id="(rules-data-\d+)"', chart.svg) == ["rules-data-0", "rules-data-1"]
    assert ">Pairs per rule<" in chart.svg  # text stays text
    assert chart.points == 2


def test_two_charts_of_the_same_shape_share_no_ids() -> None:
    a = charts.columns("a", "A", [1, 2], [3, 4], xlabel="x", ylabel="y")
    b = charts.columns("b", "B", [1, 2], [3, 4], xlabel="x", ylabel="y")
    ids = lambda svg: set(re.findall(r'id="([^"]+)"', svg))  # noqa: E731
    assert not ids(a.svg) & ids(b.svg)


def test_lines_draw_one_series_per_name_over_dates() -> None:
    rows = [
        {"source": "crm", "day": dt.date(2026, 10, 1), "n": 5},
        {"source": "crm", "day": dt.date(2026, 10, 2), "n": 7},
        {"source": "erp", "day": dt.date(2026, 10, 1), "n": 2},
    ]
    series = series_of(rows, "source", "day", lambda r: r["n"])
    assert series == {"crm": [(dt.date(2026, 10, 1), 5), (dt.date(2026, 10, 2), 7)], "erp": [(dt.date(2026, 10, 1), 2)]}
    chart = charts.lines("landed", "Rows landed", series, xlabel="day", ylabel="rows")
    assert chart.points == 3
    assert re.findall(r'id="(landed-data-\d+)"', chart.svg) == ["landed-data-0", "landed-data-1"]


def test_a_waterfall_ends_at_the_sum_of_its_steps() -> None:
    chart = charts.waterfall("w", "One pair", [("prior", -7.5), ("email exact", 11.6)], total_label="match weight")
    assert "match weight (+4.1)" in chart.svg


def test_the_long_tail_ranks_every_item() -> None:
    chart = charts.rank_curve("tail", "Long tail", {1: 50, 2: 10, 40: 1}, what="items", per="interactions")
    assert chart.points == 61


def test_thresholds_are_marked_where_their_probability_lies() -> None:
    assert probability_weight(0.5) == 0
    assert round(probability_weight(0.99), 3) == 6.629


def test_the_page_escapes_values_and_flags_failed_rows() -> None:
    section = Section("gold", "Gold")
    section.blocks += [
        Table("Preflight", ["rule", "passed"], [["<script>x</script>", False], ["ok", True]], [True, False]),
        Note("a & b"),
    ]
    html = page.render("udp run report", "lake /tmp/lake", [section])
    assert "<script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert '<tr class="flagged"><td>&lt;script&gt;' in html
    assert "<td>no</td>" in html
    assert "a &amp; b" in html
    assert '<a href="#gold">Gold</a>' in html
