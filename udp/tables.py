"""The catalogue: every table udp writes, each written once — its name (`<layer>.<table>`, stored at
`<paths.lake>/<layer>/<table>`), the keys its rows are merged on, how it is partitioned, and which of its columns
hold personal data.

Modules take table names from here and `Lake.merge` takes a table's keys from here, so neither is spelt twice. The
`pii` tags say where raw personal data lives in the lake — what an erasure must reach, and what must never reach a
Personalize dataset or an export (tests/unit/test_tables.py and the export tests hold gold to that). The personal
fields themselves are the customer model's (udp/models.py `PII_FIELDS`); a tag ending in `*` covers every column with
that prefix, and `*` alone every column (bronze keeps rows as the source sent them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from udp.models import CUSTOMER_FIELDS, PII_FIELDS, TOUCHPOINT_FIELDS


@dataclass(frozen=True)
class Table:
    """One table of the lake."""

    name: str
    what: str
    keys: tuple[str, ...] = ()  # the business key its rows are merged on (none: written by slice or appended)
    partitioned_by: tuple[str, ...] = ()
    pii: tuple[str, ...] = ()

    @property
    def layer(self) -> str:
        return self.name.partition(".")[0]

    def holds_pii(self, column: str) -> bool:
        """True when `column` is tagged as personal data here."""
        return any(column == tag or (tag.endswith("*") and column.startswith(tag[:-1])) for tag in self.pii)


CATALOGUE: dict[str, Table] = {}


def _add(
    name: str, what: str, *, keys: Iterable[str] = (), partitioned_by: Iterable[str] = (), pii: Iterable[str] = ()
) -> str:
    if name in CATALOGUE:
        raise ValueError(f"table {name} is in the catalogue twice")
    CATALOGUE[name] = Table(name, what, tuple(keys), tuple(partitioned_by), tuple(pii))
    return name


def bronze(source: str) -> str:
    """The bronze table of one source (see `BRONZE_SOURCE`)."""
    return f"bronze.{source}"


def table(name: str) -> Table:
    """The catalogue's entry for `name`; a bronze source table shares `BRONZE_SOURCE`'s."""
    if name in CATALOGUE:
        return CATALOGUE[name]
    layer, _, rest = name.partition(".")
    if layer == "bronze" and rest and not rest.startswith("_"):
        return Table(name, BRONZE_SOURCE.what, BRONZE_SOURCE.keys, BRONZE_SOURCE.partitioned_by, BRONZE_SOURCE.pii)
    raise KeyError(f"table {name} is not in the catalogue (udp/tables.py)")


_CUSTOMER_PII = tuple(f for f in PII_FIELDS if f in CUSTOMER_FIELDS)
_TOUCHPOINT_PII = tuple(f for f in PII_FIELDS if f in TOUCHPOINT_FIELDS)

# Bronze: what the sources sent, as they sent it.
BRONZE_SOURCE = Table(
    "bronze.<source>",
    "One source's rows as landed, with _source, _file, _row and _batch_id; rewritten by landed file",
    pii=("*",),
)
BRONZE_QUARANTINE = _add(
    "bronze._quarantine",
    "Rows bronze refused, each with its reason and the line as it was",
    partitioned_by=("_source",),
    pii=("payload", "payload_bytes"),
)
INGEST_LOG = _add(
    "bronze._ingest_log", "One row per landed file: its rows read, landed and quarantined", keys=("path",)
)

# Silver: one customer across every system, the catalogue and every touch point.
CUSTOMER_RECORDS = _add(
    "silver.customer_records",
    "Every customer record of every source, canonical and standardised, with its match keys",
    keys=("record_id",),
    pii=(*_CUSTOMER_PII, "postcode_district", "m_*"),
)
CUSTOMER_LINKS = _add(
    "silver.customer_links", "Scored candidate pairs and their decisions", keys=("left_id", "right_id")
)
CUSTOMER_XREF = _add("silver.customer_xref", "Which customer_id each source record belongs to", keys=("record_id",))
CUSTOMER_ID_HISTORY = _add(
    "silver.customer_id_history",
    "Merges and splits of customer ids, one row per change",
    # One event per id change and xref version it changed from (-1: none yet): a run's events written again add nothing.
    keys=("xref_version", "event", "customer_id", "other_customer_id"),
)
CUSTOMERS = _add(
    "silver.customers",
    "One golden record per customer_id",
    keys=("customer_id",),
    pii=(*_CUSTOMER_PII, "postcode_district"),
)
MATCH_MODEL = _add("silver.match_model", "The match model's m, u and weight per comparison level, per version")
MATCH_LABELS = _add("silver.match_labels", "Pairs people labelled match or non-match", keys=("left_id", "right_id"))
ITEMS = _add("silver.items", "The conformed product catalogue", keys=("item_id",))
TOUCHPOINTS = _add(
    "silver.touchpoints",
    "Every interaction of every channel, on its customer where that can be known",
    keys=("source", "touchpoint_id"),
    partitioned_by=("event_date",),
    pii=_TOUCHPOINT_PII,
)
SILVER_QUARANTINE = _add(
    "silver._quarantine", "Touch points silver refused, with reason", keys=("source", "touchpoint_id"), pii=("payload",)
)
UNMATCHED = _add(
    "silver._unmatched",
    "Ids of records merged into customer_records whose links are not written yet",
    keys=("record_id",),
)

# Gold: shaped for Amazon Personalize and for analysts. No raw PII (customer_360 only what include_pii lists).
PERSONALIZE_INTERACTIONS = _add(
    "gold.personalize_interactions",
    "Amazon Personalize Interactions dataset, partitioned by event_date or event_month (gold.interactions.partition)",
)
PERSONALIZE_ITEMS = _add("gold.personalize_items", "Amazon Personalize Items dataset", keys=("ITEM_ID",))
PERSONALIZE_USERS = _add("gold.personalize_users", "Amazon Personalize Users dataset", keys=("USER_ID",))
CUSTOMER_360 = _add(
    "gold.customer_360", "One row per customer for analysts (raw PII only as gold.customer_360.include_pii lists)"
)
PERSONALIZE_PREFLIGHT = _add("gold.personalize_preflight", "One row per preflight rule checked per run")
RECIPE_LEADERBOARD = _add(
    "gold.recipe_leaderboard", "One row per trained solution version and its metrics", keys=("solution_version_arn",)
)

# udp: what ran — the run log every job appends to (udp/runlog.py), never personal data.
RUNS = _add("udp._runs", "One row per job run: stage, configuration digest, times, status, the summary's figures")
RUN_STEPS = _add("udp._run_steps", "One row per progress step of a run, with when it started and ended")

PERSONALIZE_DATASETS = {
    "interactions": PERSONALIZE_INTERACTIONS,
    "items": PERSONALIZE_ITEMS,
    "users": PERSONALIZE_USERS,
}


def keys(name: str) -> tuple[str, ...]:
    """The business key `name` is merged on."""
    found = table(name).keys
    if not found:
        raise KeyError(f"table {name} has no merge key in the catalogue (udp/tables.py)")
    return found


def pii_tables() -> list[Table]:
    """Every table that holds raw personal data."""
    return [t for t in (BRONZE_SOURCE, *CATALOGUE.values()) if t.pii]
