"""Value rules: each broken by single values of a dataset's fields, one entry per rule in `VALUE_RULES` — its name,
severity, the fields it looks at, what makes a value bad, its limit and what a bad value is, in words.

Every rule's per-field counts are metrics of the dataset's one aggregation pass (udp/gold/preflight/measure.py); a
failed rule's message gives the count per field, and its samples are rows where any of its fields is bad.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F

from udp.gold.preflight.measure import Judgement, Prepared, Rule, count, metric
from udp.gold.preflight.outcome import Limits
from udp.gold.schemas import ID_FIELDS, RESERVED_KEYWORDS, TIMESTAMP_FIELDS, Field
from udp.settings.gold import PreflightSettings

MILLISECONDS_FROM = 100_000_000_000  # 1e11 s is the year 5138; epoch milliseconds since 1973 are above it
FLOATS = ("float", "double")


@dataclass(frozen=True)
class Context:
    """What values are judged against: the dataset, Personalize's limits and the accepted time window."""

    p: Prepared
    limits: Limits
    low: int  # epoch seconds
    high: int

    def col(self, name: str) -> Column:
        """The typed value."""
        return F.col(f"`{name}`")

    def raw(self, name: str) -> Column:
        """The value as the file has it (CSV text), or the typed value for a table."""
        return F.col(f"`_raw_{name}`") if self.p.input.from_text else self.col(name)


@dataclass(frozen=True)
class ValueRule:
    """One value rule. `limit` and `what` are str.format templates over `limits`, `window`, `millis`, `keywords` and
    `types` (the checked fields with their schema types)."""

    rule: str  # its name in the catalogue (udp/gold/preflight/catalogue.py), which holds its severity
    fields: Callable[[Prepared], list[Field]]
    bad: Callable[[Context, Field], Column]
    limit: str
    what: str


def _named(names: Sequence[str]) -> Callable[[Prepared], list[Field]]:
    """The dataset's fields among `names`, in that order."""
    return lambda p: [f for n in names for f in p.fields if f.name == n]


def _ids(p: Prepared) -> list[Field]:
    return _named(ID_FIELDS[p.dataset])(p)


def _not_finite_or_unparsed(c: Context, f: Field) -> Column:
    bad = F.lit(False)
    if c.p.input.from_text and f.type != "string":
        bad = c.raw(f.name).isNotNull() & c.col(f.name).isNull()
    if f.type in FLOATS:
        bad = bad | F.isnan(c.col(f.name)) | (F.abs(c.col(f.name)) == F.lit(float("inf")))
    return bad


def _is_categorical(p: Prepared, f: Field) -> bool:
    """Values Personalize stores as categories: categorical and impression strings, and any non-textual Items one."""
    return (
        f.type == "string"
        and f.name not in ID_FIELDS[p.dataset]
        and (f.categorical or f.name == "IMPRESSION" or (p.dataset == "items" and not f.textual))
    )


def _longer(limit: Callable[[Limits], int]) -> Callable[[Context, Field], Column]:
    return lambda c, f: F.length(c.raw(f.name)) > limit(c.limits)


VALUE_RULES: tuple[ValueRule, ...] = (
    ValueRule(
        "value_types",
        lambda p: [f for f in p.fields if p.input.from_text or f.type in FLOATS],
        _not_finite_or_unparsed,
        "values parse as the schema's types (finite numbers)",
        "not valid for the schema type ({types})",
    ),
    ValueRule(
        "required_not_null",
        lambda p: [f for f in p.fields if not f.nullable and f.name != "EVENT_TYPE"],
        lambda c, f: c.raw(f.name).isNull(),
        "0 nulls in non-null fields",
        "empty in a field the schema declares not null",
    ),
    ValueRule(
        "event_type_not_null",
        lambda p: _named(["EVENT_TYPE"])(p) if p.dataset == "interactions" else [],
        lambda c, f: c.raw(f.name).isNull(),
        "0 nulls",
        "empty; every interaction needs an event type when the schema has EVENT_TYPE",
    ),
    ValueRule(
        "id_length",
        _ids,
        _longer(lambda limits: limits.max_id_length),
        "{limits.max_id_length} characters",
        "longer than {limits.max_id_length} characters (Personalize's maximum ID length)",
    ),
    ValueRule(
        "id_special_characters",
        _ids,
        lambda c, f: c.raw(f.name).rlike(r'[",\\\r\n]') | (c.raw(f.name) != F.trim(c.raw(f.name))),
        "no quotes, commas, backslashes, line breaks or surrounding spaces",
        "unusual: it has a quote, comma, backslash, line break or surrounding spaces (Personalize advises plain IDs)",
    ),
    ValueRule(
        "categorical_length",
        lambda p: [f for f in p.fields if _is_categorical(p, f)],
        _longer(lambda limits: limits.max_categorical_length),
        "{limits.max_categorical_length:,} characters",
        "longer than {limits.max_categorical_length:,} characters (categorical and impression values, and any "
        "non-textual Items string; the import fails)",
    ),
    ValueRule(
        "textual_length",
        lambda p: [f for f in p.fields if f.textual],
        _longer(lambda limits: limits.max_textual_length),
        "{limits.max_textual_length:,} characters",
        "longer than {limits.max_textual_length:,} characters and will be truncated",
    ),
    ValueRule(
        "reserved_keyword_values",
        lambda p: [f for f in p.fields if f.type == "string"],
        lambda c, f: F.upper(F.trim(c.raw(f.name))).isin(sorted(RESERVED_KEYWORDS)),
        "no reserved keyword as a value",
        "a reserved keyword ({keywords}), e.g. a repeated header line",
    ),
    ValueRule(
        "timestamp_in_seconds",
        _named(TIMESTAMP_FIELDS),
        lambda c, f: c.col(f.name) >= MILLISECONDS_FROM,
        "< {millis:,} (epoch seconds)",
        "in epoch milliseconds (>= {millis:,}); Personalize needs epoch seconds (divide by 1000)",
    ),
    ValueRule(
        "timestamp_range",
        _named(TIMESTAMP_FIELDS),
        lambda c, f: (c.col(f.name) < c.low) | ((c.col(f.name) > c.high) & (c.col(f.name) < MILLISECONDS_FROM)),
        "{window}",
        "outside {window}",
    ),
)


def value_rules(p: Prepared, settings: PreflightSettings, now: dt.datetime, limits: Limits) -> list[Rule]:
    """Every value rule that applies to the dataset's fields, plus well-formed lines for CSV input."""
    low_day = dt.date.fromisoformat(settings.min_timestamp)
    high_time = now + dt.timedelta(days=settings.max_future_days)
    context = Context(p, limits, calendar.timegm(low_day.timetuple()), calendar.timegm(high_time.utctimetuple()))
    window = f"{low_day.isoformat()} .. {high_time.strftime('%Y-%m-%d %H:%M')} UTC ({context.low} .. {context.high})"
    rules = [_well_formed()] if p.malformed else []
    for entry in VALUE_RULES:
        fields = entry.fields(p)
        if not fields:
            continue
        words = {
            "limits": limits,
            "window": window,
            "millis": MILLISECONDS_FROM,
            "keywords": ", ".join(sorted(RESERVED_KEYWORDS)),
            "types": ", ".join(f"{f.name} {f.type}" for f in fields),
        }
        bad = {f.name: p.ok_row() & entry.bad(context, f) for f in fields}
        rules.append(_field_rule(entry.rule, bad, entry.limit.format(**words), entry.what.format(**words)))
    return rules


def _well_formed() -> Rule:
    def judge(m: Mapping[str, Any]) -> Judgement:
        n = metric(m, "corrupt")
        return (
            n == 0,
            str(n),
            "every line has the header's field count",
            f"{n:,} line(s) do not split into the header's fields "
            "(a stray comma, an unescaped quote or a line break inside a value)",
        )

    malformed = F.col("_corrupt").isNotNull()
    return Rule("csv_rows_well_formed", judge, {"corrupt": count(malformed)}, malformed)


def _field_rule(rule: str, conditions: Mapping[str, Column], limit: str, what: str) -> Rule:
    """A rule violated by individual values; the message lists the count per field."""
    keys = {name: f"{rule}:{name}" for name in conditions}

    def judge(m: Mapping[str, Any]) -> Judgement:
        counts = {name: metric(m, key) for name, key in keys.items() if metric(m, key)}
        total = sum(counts.values())
        parts = "; ".join(f"{n:,} {name} value{'s' if n != 1 else ''}" for name, n in counts.items())
        return total == 0, str(total), limit, f"{parts} {'is' if total == 1 else 'are'} {what}"

    violation = reduce(lambda a, b: a | b, [F.coalesce(c, F.lit(False)) for c in conditions.values()])
    return Rule(rule, judge, {keys[name]: count(cond) for name, cond in conditions.items()}, violation)
