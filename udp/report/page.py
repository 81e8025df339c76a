"""The report as one self-contained HTML file: inline CSS, charts as inline SVG, no script, nothing fetched."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from udp.report.charts import Chart
from udp.report.sections import Note, Section, Table

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0; background: #f6f7f9; }
header { background: #1f2d3d; color: #fff; padding: 16px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0; color: #c9d3de; font-size: 13px; }
nav { padding: 8px 28px; background: #e9edf2; position: sticky; top: 0; }
nav a { margin-right: 16px; color: #1f6fb2; text-decoration: none; }
main { max-width: 1180px; padding: 8px 28px 40px; }
section { scroll-margin-top: 44px; background: #fff; border: 1px solid #dde2e8; border-radius: 6px;
          margin: 18px 0; padding: 12px 20px; }
section h2 { font-size: 17px; margin: 6px 0 12px; }
figure { margin: 12px 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 10px 0 16px; font-size: 12.5px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid #e3e6ea; padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fde8e8; color: #8a1f1f; }
p.note { color: #555; font-style: italic; }
"""


def render(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    nav = " ".join(f'<a href="#{s.id}">{html.escape(s.title.split(":")[0])}</a>' for s in sections)
    body = "\n".join(_section(s) for s in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n<body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f"<nav>{nav}</nav><main>\n{body}\n</main></body></html>\n"
    )


def _section(section: Section) -> str:
    blocks = "\n".join(_block(b) for b in section.blocks)
    return f'<section id="{section.id}"><h2>{html.escape(section.title)}</h2>\n{blocks}</section>'


def _block(block: Chart | Table | Note) -> str:
    if isinstance(block, Chart):
        return (
            f'<figure class="chart" id="{block.id}" data-points="{block.points}" '
            f'aria-label="{html.escape(block.title)}">{block.svg}</figure>'
        )
    if isinstance(block, Table):
        return _table(block)
    return f'<p class="note">{html.escape(block.text)}</p>'


def _table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    rows = []
    for i, row in enumerate(table.rows):
        flagged = i < len(table.flagged) and table.flagged[i]
        cells = "".join(_cell(v) for v in row)
        rows.append(f'<tr class="flagged">{cells}</tr>' if flagged else f"<tr>{cells}</tr>")
    return (
        f"<table><caption>{html.escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, (int, float)):
        return f'<td class="num">{value:,}</td>'
    if isinstance(value, datetime):
        return f"<td>{value:%Y-%m-%d %H:%M:%S}</td>"
    return f"<td>{html.escape('' if value is None else str(value))}</td>"
