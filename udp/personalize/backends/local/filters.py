"""Filter expressions for the local runtime: the common subset of Personalize's filter language.

Supported: `INCLUDE|EXCLUDE ItemID WHERE <condition> [AND <condition>]...`, clauses chained with `|`, where a condition
is `Items.<FIELD> IN|NOT IN ("a", "b")`, `Items.<FIELD> = < <= > >= <number>`, or `Interactions.EVENT_TYPE IN
("Purchase")` (the current user's items with those event types; `"*"` for any). Any value may be a `$PARAM` given
at request time in `filterValues` (`{"PARAM": "\\"a\\",\\"b\\""}`); an EXCLUDE condition whose parameter is
missing is skipped, an INCLUDE one is an error, as in Personalize. Other expressions (CurrentUser, IF, UserID
filters) are accepted by create_filter but raise `UnsupportedFilterError` when used.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class UnsupportedFilterError(Exception):
    """The expression is valid Personalize but outside the subset the local backend evaluates."""


class FilterValueError(Exception):
    """A required filter parameter is missing or malformed (InvalidInputException)."""


@dataclass(frozen=True)
class FilterContext:
    """What a filter looks at: the item ids being scored, their attributes, the user's items by event type."""

    item_ids: Sequence[str]
    attributes: Mapping[str, Mapping[str, Any]]  # field -> item -> value
    user_events: Mapping[str, Collection[str]] = field(default_factory=dict)  # event type -> items


_CLAUSE = re.compile(r"\s*(INCLUDE|EXCLUDE)\s+ItemID\s+WHERE\s+(.+?)\s*", re.IGNORECASE | re.DOTALL)
_CONDITION = re.compile(
    r"\s*(Items|Interactions)\.([A-Za-z_][A-Za-z0-9_]*)\s+(NOT\s+IN|IN|<=|>=|=|<|>)\s+(.+?)\s*",
    re.IGNORECASE | re.DOTALL,
)
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_PARAM = re.compile(r"\$([A-Za-z0-9_]+)")


def _split_outside_quotes(text: str, separator: re.Pattern[str]) -> list[str]:
    parts, start, quoted, i = [], 0, False, 0
    while i < len(text):
        c = text[i]
        if c == "\\" and quoted:
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif not quoted:
            m = separator.match(text, i)
            if m:
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return parts


_PIPE = re.compile(r"\|")
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
_IF = re.compile(r"\s+IF\s+", re.IGNORECASE)


def allowed_items(expression: str, values: Mapping[str, str], ctx: FilterContext) -> np.ndarray:
    """Boolean mask over `ctx.item_ids`: the items the filter lets through."""
    allowed = np.ones(len(ctx.item_ids), dtype=bool)
    for clause_text in _split_outside_quotes(expression, _PIPE):
        m = _CLAUSE.fullmatch(clause_text)
        if not m or len(_split_outside_quotes(clause_text, _IF)) > 1:
            raise UnsupportedFilterError(f"the local backend cannot evaluate filter clause {clause_text.strip()!r}")
        include = m.group(1).upper() == "INCLUDE"
        mask = np.ones(len(ctx.item_ids), dtype=bool)
        used = False
        for cond in _split_outside_quotes(m.group(2), _AND):
            cond_mask = _condition(cond, values, ctx, include)
            if cond_mask is not None:
                mask &= cond_mask
                used = True
        if used:
            allowed &= mask if include else ~mask
    return allowed


def _condition(text: str, values: Mapping[str, str], ctx: FilterContext, include: bool) -> np.ndarray | None:
    m = _CONDITION.fullmatch(text)
    if not m:
        raise UnsupportedFilterError(f"the local backend cannot evaluate filter condition {text.strip()!r}")
    dataset, fld, op, operand = m.group(1).lower(), m.group(2), " ".join(m.group(3).upper().split()), m.group(4)
    param = _PARAM.fullmatch(operand.strip("() "))
    if param:
        raw = values.get(param.group(1))
        if raw is None:
            if include:
                raise FilterValueError(f"filter parameter ${param.group(1)} is required (INCLUDE filter)")
            return None
        operand = f"({raw})" if op in ("IN", "NOT IN") else raw
    if dataset == "interactions":
        if fld.upper() != "EVENT_TYPE" or op != "IN":
            raise UnsupportedFilterError("the local backend evaluates Interactions.EVENT_TYPE IN (...) only")
        wanted = set(_quoted(operand))
        items: set[str] = set()
        for event_type, its in ctx.user_events.items():
            if "*" in wanted or event_type in wanted:
                items.update(its)
        return np.fromiter((i in items for i in ctx.item_ids), dtype=bool, count=len(ctx.item_ids))
    attribute = ctx.attributes.get(fld, {})
    if op in ("IN", "NOT IN"):
        wanted = set(_quoted(operand))
        hit = np.fromiter(
            (bool(wanted & set(str(attribute.get(i, "") or "").split("|"))) for i in ctx.item_ids),
            dtype=bool,
            count=len(ctx.item_ids),
        )
        return hit if op == "IN" else ~hit
    try:
        number = float(operand.strip().strip('"'))
    except ValueError:
        raise FilterValueError(f"filter value {operand!r} for Items.{fld} {op} is not a number") from None
    compare = {"=": np.equal, "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op]
    column = np.asarray([_number(attribute.get(i)) for i in ctx.item_ids], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.asarray(compare(column, number) & ~np.isnan(column))


def _quoted(operand: str) -> list[str]:
    found = [v.replace('\\"', '"').replace("\\\\", "\\") for v in _QUOTED.findall(operand)]
    if not found:
        raise FilterValueError(f'expected quoted values such as ("a", "b"), got {operand.strip()!r}')
    return found


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
