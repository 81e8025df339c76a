"""One-screen run summaries: rows in, rows out, quarantined, time, where the output is."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from udp.errors import UdpError


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    cell: Callable[[Any], str] | None = None,
    numeric_value: Callable[[Any], bool] | None = None,
) -> str:
    """A plain-text table; a column whose every value is numeric (`numeric_value`) is right-aligned. Values print
    as `cell` writes them (default: the summary's rounded, thousands-separated numbers)."""
    cell = cell or _cell
    numeric_value = numeric_value or _is_number
    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(numeric_value(r[i]) for r in rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


@dataclass
class Summary:
    """What a job prints when it ends."""

    title: str
    started: float = field(default_factory=time.monotonic)
    facts: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failure: UdpError | None = None  # the run ended but did not do all it should: printed after the summary
    on_stderr: bool = False  # stdout holds the job's data (udp sql --format csv|json): the summary goes to stderr

    def fact(self, key: str, value: Any) -> Summary:
        self.facts.append((key, _cell(value)))
        return self

    def table(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Summary:
        self.sections.append((title, format_table(headers, rows)))
        return self

    def warn(self, message: str) -> Summary:
        """Something the operator should look at though the run succeeded (also printed on stderr by the runner)."""
        self.warnings.append(message)
        return self

    def text(self, title: str, body: str) -> Summary:
        self.sections.append((title, body))
        return self

    def render(self) -> str:
        return render_text(self.title, self.facts, self.sections, self.warnings, time.monotonic() - self.started)


def render_text(
    title: str,
    facts: Sequence[tuple[str, str]],
    sections: Sequence[tuple[str, str]],
    warnings: Sequence[str],
    seconds: float,
) -> str:
    """The one-screen summary: title, warnings, facts, time, then each section (also how udp._runs rows print)."""
    width = max([len(k) for k, _ in facts] + [4])
    out = [f"== {title} ==".ljust(20)]
    out += [f"warning: {w}" for w in warnings]
    out += [f"{k.ljust(width)}  {v}" for k, v in facts]
    out.append(f"{'time'.ljust(width)}  {seconds:,.1f} s")
    for section_title, body in sections:
        out += ["", section_title, body]
    return "\n".join(out)
