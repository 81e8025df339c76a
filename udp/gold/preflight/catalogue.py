"""Every preflight rule, written once: its name, the datasets it applies to, its severity and its documented limit.

The code that measures a rule names it and takes its severity from here (`severity`), and docs/gold.md's rule table
is generated from here (`udp docs`), so a rule cannot be checked at one severity and documented at another. The
limits are Amazon Personalize's, from its developer guide ("Service quotas", "Preparing training data" and the
dataset schema pages); the numbers themselves are the `Limits` constants in outcome.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class RuleEntry:
    """One rule as documented."""

    name: str
    datasets: str  # in words: "all", "interactions", "items, users", "CSV input"
    severity: Severity
    limit: str  # the documented limit, in words
    severity_for: Mapping[str, Severity] = field(default_factory=dict)  # per dataset, where it differs


RULES: tuple[RuleEntry, ...] = (
    RuleEntry("schema_form", "all", "error", 'Avro record, name Interactions/Items/Users, Personalize namespace, version "1.0"'),
    RuleEntry("schema_field_types", "all", "error", 'flat primitives or `["null", type]`'),
    RuleEntry("schema_field_names", "all", "error", "`[A-Za-z_][A-Za-z0-9_]*`, ≤ 150 characters"),
    RuleEntry("schema_field_names_unique", "all", "error", "unique ignoring non-alphanumerics (and case)"),
    RuleEntry("schema_required_fields", "all", "error", "USER_ID/ITEM_ID string, TIMESTAMP long, non-null"),
    RuleEntry("schema_reserved_keywords", "interactions, items", "error", "EVENT_TYPE string (not categorical), EVENT_VALUE float/null, IMPRESSION, RECOMMENDATION_ID, EVENT_ATTRIBUTION_SOURCE string/null, CREATION_TIMESTAMP long"),
    RuleEntry("schema_metadata_fields", "all", "error", "interactions ≤ 5, users 1..25, items 1..100 metadata fields"),
    RuleEntry("schema_textual_fields", "all", "error", "at most one textual field, in Items only; flags on strings only"),
    RuleEntry("schema_string_flags", "all", "warning", "a string without categorical/textual is ignored"),
    RuleEntry("schema_boolean_fields", "all", "warning", "booleans are ignored"),
    RuleEntry("schema_size", "all", "error", "schema JSON ≤ 20,000 characters"),
    RuleEntry("csv_header", "CSV input", "error", "unquoted, the same in every file, equal to the schema's field order"),
    RuleEntry("csv_rows_well_formed", "CSV input", "error", "every line splits into the header's fields"),
    RuleEntry("value_types", "all", "error", "values parse as their schema type; finite numbers"),
    RuleEntry("required_not_null", "all", "error", "no null in a non-null field"),
    RuleEntry("event_type_not_null", "interactions", "error", "no null EVENT_TYPE"),
    RuleEntry("event_types_and_optional_columns", "interactions", "error", "distinct event types + EVENT_TYPE, EVENT_VALUE and custom columns ≤ 10"),
    RuleEntry("min_interactions_for_training", "interactions", "error", "≥ 1,000 after the solution's event-type (and value threshold) filter"),
    RuleEntry("min_interactions_per_import", "interactions", "error", "≥ 1,000 per import job"),
    RuleEntry("min_users_with_2_interactions", "interactions", "error", "≥ 25 users with ≥ 2 interactions"),
    RuleEntry("min_share_users_with_2_interactions", "interactions", "error", "≥ 1 % of users with ≥ 2 interactions"),
    RuleEntry("max_interactions_considered", "interactions", "warning", "500 M (3 B for the v2 recipes): older ones are ignored"),
    RuleEntry("max_items", "interactions, items", "warning", "750,000 (5 M for user-personalization-v2 / personalized-ranking-v2)"),
    RuleEntry("duplicate_interactions", "interactions", "warning", "(USER_ID, ITEM_ID, TIMESTAMP) repeated: Personalize keeps one"),
    RuleEntry("duplicate_ids", "items, users", "warning", "one row per id"),
    RuleEntry("id_length", "all", "error", "USER_ID/ITEM_ID ≤ 256 characters"),
    RuleEntry("id_special_characters", "all", "warning", "no quotes, commas, backslashes, line breaks or surrounding spaces in ids"),
    RuleEntry("categorical_length", "all", "error", "categorical, IMPRESSION and any non-textual Items string ≤ 1,000 characters (the import fails)"),
    RuleEntry("textual_length", "items", "warning", "≤ 20,000 characters (longer is truncated)"),
    RuleEntry("reserved_keyword_values", "all", "error", "no reserved keyword as a value (e.g. a header line repeated inside the data)"),
    RuleEntry("timestamp_in_seconds", "interactions, items", "error", "< 10^11: epoch milliseconds are caught explicitly"),
    RuleEntry("timestamp_range", "interactions, items", "warning", "`gold.preflight.min_timestamp` (2000-01-01) .. now + `max_future_days` (1)", {"interactions": "error"}),
    RuleEntry("import_size", "all", "error", "FULL 100 GB, INCREMENTAL 1 GB per import (`gold.preflight.import_mode`); CSV size estimated for tables, measured for files"),
    RuleEntry("interaction_items_in_items", "interactions", "warning", "interactions' ITEM_IDs present in the items dataset (Personalize accepts them without metadata)"),
    RuleEntry("interaction_users_in_users", "interactions", "warning", "interactions' USER_IDs present in the users dataset (Personalize accepts them without metadata)"),
)  # fmt: skip

BY_NAME: dict[str, RuleEntry] = {r.name: r for r in RULES}


def severity(rule: str, dataset: str) -> Severity:
    """The severity of `rule` on `dataset` (a KeyError for a rule the catalogue does not hold: add it here)."""
    entry = BY_NAME[rule]
    return entry.severity_for.get(dataset, entry.severity)


def render_rules_md() -> str:
    """docs/gold.md's rule table."""
    lines = ["| rule | datasets | severity | limit |", "|---|---|---|---|"]
    for r in RULES:
        levels = "".join(f"{s} on {d}, " for d, s in r.severity_for.items())
        lines.append(
            f"| `{r.name}` | {r.datasets} | {levels + ('otherwise ' if levels else '')}{r.severity} | {r.limit} |"
        )
    return "\n".join(lines) + "\n"
