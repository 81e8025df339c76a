"""Charts for the run report as inline SVG, drawn with matplotlib (pinned in setup.py's `report` extra).

matplotlib renders on the machine that runs `udp report`, so the HTML needs no script and no network to show its
charts. Every id inside a chart's SVG starts with the chart's id, so many charts live in one page without clashing, and
every drawn line or bar carries the id `<chart id>-data-<n>`: the browser test finds them to prove a chart drew data.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

WIDTH, HEIGHT = 9.6, 3.4  # inches at 96 dpi: fits the page's 1,120-pixel column
COLOURS = ("#1f6fb2", "#e07b24", "#2a9d5b", "#c23b3b", "#7d5ba6", "#8c6d3f", "#d45fa0", "#6b7a8f")
GOOD, BAD, MARK = "#2a9d5b", "#c23b3b", "#333333"


@dataclass(frozen=True)
class Chart:
    """One drawn chart: its id, title, the SVG text and how many data points it shows."""

    id: str
    title: str
    svg: str
    points: int


def _figure(chart_id: str, height: float = HEIGHT) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",  # text stays text: selectable, searchable, small
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 10,
        }
    )
    fig, ax = plt.subplots(figsize=(WIDTH, height), dpi=96, layout="constrained")  # room for every label
    return fig, ax


def _finish(fig: Any, ax: Any, chart_id: str, title: str, *, xlabel: str, ylabel: str, points: int) -> Chart:
    import matplotlib.pyplot as plt

    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = out.getvalue()
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", text[text.index("<svg") :], flags=re.DOTALL)  # RDF: not needed
    return Chart(chart_id, title, _own_ids(svg, chart_id), points)


def _own_ids(svg: str, chart_id: str) -> str:
    """Every id in the SVG prefixed with the chart's (and every `#id` reference with it): matplotlib numbers its
    groups `axes_1`, `text_1`, … in every figure, and ids must be unique in the page that holds them all."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))

    def own(name: str) -> str:
        return name if name.startswith(f"{chart_id}-data-") else f"{chart_id}-{name}"

    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{own(m[1])}"', svg)
    return re.sub(r'(href="#|url\(#)([^")]+)', lambda m: m[1] + (own(m[2]) if m[2] in ids else m[2]), svg)


def _tag(bars: Any, chart_id: str) -> None:
    """Give every bar its own id, `<chart id>-data-<n>`."""
    for i, patch in enumerate(bars.patches):
        patch.set_gid(f"{chart_id}-data-{i}")


def lines(
    chart_id: str,
    title: str,
    series: Mapping[str, Sequence[tuple[Any, float]]],
    *,
    xlabel: str,
    ylabel: str,
    percent: bool = False,
) -> Chart:
    """One line per series over x (dates, times or numbers), with markers so a single point shows."""
    fig, ax = _figure(chart_id)
    points = 0
    for i, (name, xy) in enumerate(sorted(series.items())):
        xs = [x for x, _ in xy]
        ys = [y * 100 if percent else y for _, y in xy]
        ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.4, color=COLOURS[i % len(COLOURS)], label=name)
        ax.lines[-1].set_gid(f"{chart_id}-data-{i}")
        points += len(xs)
    if any(isinstance(x, (date, datetime)) for xy in series.values() for x, _ in xy):
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if len(series) > 1:
        fig.legend(frameon=False, fontsize=8, loc="outside right upper")
    ax.set_ylim(bottom=0)
    return _finish(fig, ax, chart_id, title, xlabel=xlabel, ylabel=ylabel, points=points)


def bars(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    xlabel: str,
    ylabel: str,
    colours: Sequence[str] | None = None,
    marks: Mapping[str, float] | None = None,
) -> Chart:
    """Horizontal bars, one per label (top to bottom in the order given), with optional vertical reference lines."""
    height = max(HEIGHT, 0.9 + 0.24 * len(labels))
    fig, ax = _figure(chart_id, height)
    positions = list(range(len(labels)))[::-1]
    drawn = ax.barh(positions, values, color=colours or COLOURS[0], height=0.7)
    _tag(drawn, chart_id)
    ax.set_yticks(positions, labels)
    for name, value in (marks or {}).items():
        ax.axvline(value, color=MARK, linestyle="--", linewidth=1, label=f"{name} ({value:.3g})")
    if marks:
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.axvline(0, color="#999999", linewidth=0.6)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    return _finish(fig, ax, chart_id, title, xlabel=xlabel, ylabel=ylabel, points=len(labels))


def columns(
    chart_id: str,
    title: str,
    xs: Sequence[float],
    heights: Sequence[float],
    *,
    xlabel: str,
    ylabel: str,
    width: float = 0.8,
    log_y: bool = False,
    marks: Mapping[str, float] | None = None,
    tick_labels: Sequence[str] | None = None,
) -> Chart:
    """A histogram from pre-counted bins: a column of `heights[i]` centred at `xs[i]` (labelled `tick_labels[i]`
    when given); dashed lines at `marks`."""
    fig, ax = _figure(chart_id)
    drawn = ax.bar(xs, heights, width=width, color=COLOURS[0])
    if tick_labels is not None:
        ax.set_xticks(list(xs), list(tick_labels))
    _tag(drawn, chart_id)
    if log_y:
        ax.set_yscale("log")
    for i, (name, value) in enumerate((marks or {}).items()):
        ax.axvline(value, color=(BAD, GOOD, MARK)[i % 3], linestyle="--", linewidth=1.2)
        ax.annotate(f" {name}", (value, 0.97 - 0.08 * i), xycoords=("data", "axes fraction"), fontsize=8, va="top")
    return _finish(fig, ax, chart_id, title, xlabel=xlabel, ylabel=ylabel, points=len(xs))


def rank_curve(chart_id: str, title: str, counts: Mapping[int, int], *, what: str, per: str) -> Chart:
    """The long tail: `what` ranked by their count of `per` (log-log), from how many have each count."""
    fig, ax = _figure(chart_id)
    ranks: list[int] = []
    values: list[int] = []
    rank = 0
    for count in sorted(counts, reverse=True):
        rank += counts[count]
        ranks += [rank - counts[count] + 1, rank]
        values += [count, count]
    ax.plot(ranks, values, color=COLOURS[0], linewidth=1.6)
    ax.lines[-1].set_gid(f"{chart_id}-data-0")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _finish(
        fig,
        ax,
        chart_id,
        title,
        xlabel=f"{what} ranked by {per} (log)",
        ylabel=f"{per} per {what[:-1]} (log)",
        points=rank,
    )


def waterfall(chart_id: str, title: str, steps: Sequence[tuple[str, float]], *, total_label: str) -> Chart:
    """How a match weight adds up: each step's bar starts where the previous ended; the last bar is the total."""
    height = max(HEIGHT, 0.9 + 0.26 * (len(steps) + 1))
    fig, ax = _figure(chart_id, height)
    start = 0.0
    lefts, widths, colours, labels = [], [], [], []
    for name, value in steps:
        lefts.append(start if value >= 0 else start + value)
        widths.append(abs(value))
        colours.append(GOOD if value >= 0 else BAD)
        labels.append(f"{name} ({value:+.1f})")
        start += value
    lefts.append(min(0.0, start))
    widths.append(abs(start))
    colours.append(COLOURS[0])
    labels.append(f"{total_label} ({start:+.1f})")
    positions = list(range(len(labels)))[::-1]
    drawn = ax.barh(positions, widths, left=lefts, color=colours, height=0.7)
    _tag(drawn, chart_id)
    ax.set_yticks(positions, labels)
    ax.axvline(0, color="#999999", linewidth=0.6)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    return _finish(fig, ax, chart_id, title, xlabel="match weight (log2 of the odds)", ylabel="", points=len(steps))
