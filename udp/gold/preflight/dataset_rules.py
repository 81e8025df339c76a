"""Dataset rules: what Personalize requires of a dataset as a whole — enough interactions and users to train, no
repeated keys, caps on items and interactions per recipe, the import's size, event types and optional columns, and
ids that the other datasets know.

The counting rules judge metrics of the dataset's one aggregation pass (udp/gold/preflight/measure.py); event types
and distinct items take one small pass of their own, referential integrity one across datasets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import reduce
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from udp.gold.preflight.measure import Judgement, Prepared, Rule, count, metric
from udp.gold.preflight.outcome import V2_RECIPES, Check, Limits
from udp.gold.schemas import ID_FIELDS
from udp.settings.gold import PreflightSettings

# Interactions fields that do not count as "optional columns" (EVENT_TYPE and EVENT_VALUE do).
NOT_OPTIONAL = ("USER_ID", "ITEM_ID", "TIMESTAMP", "IMPRESSION", "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE")
Samplers = list[tuple[str, str, Callable[[], DataFrame]]]  # (dataset, rule, offending rows), fetched at the end


def dataset_rules(p: Prepared, settings: PreflightSettings, limits: Limits, bytes_key: str | None) -> list[Rule]:
    """The rules judged from the aggregation pass's metrics, for this dataset."""
    rules: list[Rule] = []
    if p.dataset == "interactions" and p.has("USER_ID", "ITEM_ID", "TIMESTAMP"):
        rules += _interactions_rules(p, settings, limits)
    if p.dataset in ("items", "users") and p.has(ID_FIELDS[p.dataset][0]):
        rules.append(_duplicate_ids(p))
    if p.dataset == "items" and p.has("ITEM_ID"):
        rules.append(_items_cap(settings, limits))
    rules.append(_import_size(p, settings, limits, bytes_key))
    return rules


def _interactions_rules(p: Prepared, settings: PreflightSettings, limits: Limits) -> list[Rule]:
    need = limits.min_interactions
    types = ", ".join(settings.training_event_types) or "all event types"
    threshold = settings.event_value_threshold
    scope = types + (f", EVENT_VALUE >= {threshold}" if threshold is not None else "")

    def training(m: Mapping[str, Any]) -> Judgement:
        n = metric(m, "training")
        message = (
            f"{n:,} interactions after event-type filtering ({scope}); Personalize needs at least {need:,} to train"
        )
        return n >= need, str(n), f">= {need:,}", message

    keep = F.lit(True)
    if settings.training_event_types:
        keep = F.col("EVENT_TYPE").isin(list(settings.training_event_types)) if p.has("EVENT_TYPE") else F.lit(False)
    if threshold is not None:
        keep = keep & (F.col("EVENT_VALUE") >= threshold) if p.has("EVENT_VALUE") else F.lit(False)

    per_import = limits.min_interactions_per_import

    def import_rows(m: Mapping[str, Any]) -> Judgement:
        n = metric(m, "_rows")
        message = f"{n:,} interactions in this import; every import job needs at least {per_import:,}"
        return n >= per_import, str(n), f">= {per_import:,}", message

    need_users = limits.min_users_with_2

    def users_with_2(m: Mapping[str, Any]) -> Judgement:
        n = metric(m, "_users2")
        message = f"{n:,} users have 2 or more interactions; Personalize needs at least {need_users}"
        return n >= need_users, str(n), f">= {need_users}", message

    share = limits.min_share_users_with_2

    def share_with_2(m: Mapping[str, Any]) -> Judgement:
        users, users2 = metric(m, "_users"), metric(m, "_users2")
        got = users2 / users if users else 0.0
        message = (
            f"{got:.2%} of users ({users2:,} of {users:,}) have 2 or more interactions; Personalize needs at least "
            f"{share:.0%}"
        )
        return got >= share, f"{got:.4f}", f">= {share}", message

    cap = limits.max_interactions_v2 if settings.recipe in V2_RECIPES else limits.max_interactions

    def considered(m: Mapping[str, Any]) -> Judgement:
        n = metric(m, "_rows")
        message = f"{n:,} interactions; Personalize trains on the latest {cap:,} only"
        return n <= cap, str(n), f"<= {cap:,} ({settings.recipe})", message

    def duplicated(m: Mapping[str, Any]) -> Judgement:
        rows, groups = metric(m, "_dup_rows"), metric(m, "_dup_groups")
        message = (
            f"{rows:,} row(s) repeat the (USER_ID, ITEM_ID, TIMESTAMP) of another row ({groups:,} key(s)); "
            "Personalize keeps only one of them"
        )
        return groups == 0, str(rows), "0 repeated (USER_ID, ITEM_ID, TIMESTAMP)", message

    keys = ("USER_ID", "ITEM_ID", "TIMESTAMP")
    return [
        Rule("min_interactions_for_training", training, {"training": count(keep)}),
        Rule("min_interactions_per_import", import_rows),
        Rule("min_users_with_2_interactions", users_with_2),
        Rule("min_share_users_with_2_interactions", share_with_2),
        Rule("max_interactions_considered", considered),
        Rule("duplicate_interactions", duplicated, samples=_repeated(p.rows(), keys)),
    ]


def _repeated(frame: DataFrame, keys: tuple[str, ...]) -> Callable[[], DataFrame]:
    """The keys held by more than one row, with their row count, as JSON."""

    def rows() -> DataFrame:
        groups = frame.groupBy(*keys).agg(F.count(F.lit(1)).alias("rows")).where(F.col("rows") > 1)
        return groups.select(F.to_json(F.struct(*keys, "rows")))

    return rows


def _duplicate_ids(p: Prepared) -> Rule:
    id_name = ID_FIELDS[p.dataset][0]

    def judge(m: Mapping[str, Any]) -> Judgement:
        n = metric(m, "_dup_ids")
        message = f"{n:,} {id_name}s appear on more than one row; Personalize keeps one of them"
        return n == 0, str(n), f"one row per {id_name}", message

    return Rule("duplicate_ids", judge, samples=_repeated(p.frame, (id_name,)))


def _items_cap(settings: PreflightSettings, limits: Limits) -> Rule:
    cap = limits.items_cap(settings.recipe)

    def judge(m: Mapping[str, Any]) -> Judgement:
        n = metric(m, "_ids")
        return (
            n <= cap,
            str(n),
            f"<= {cap:,} ({settings.recipe})",
            f"{n:,} items; {settings.recipe} considers at most {cap:,}",
        )

    return Rule("max_items", judge)


def _import_size(p: Prepared, settings: PreflightSettings, limits: Limits, bytes_key: str | None) -> Rule:
    full = settings.import_mode == "FULL"
    max_bytes = limits.max_import_bytes_full if full else limits.max_import_bytes_incremental
    size = p.input.file_bytes

    def judge(m: Mapping[str, Any]) -> Judgement:
        got = size if size is not None else metric(m, bytes_key or "")
        how = "" if size is not None else " (estimated CSV size)"
        message = f"{got:,} bytes{how}; a {settings.import_mode} import takes at most {max_bytes:,} bytes"
        return got <= max_bytes, str(got), f"<= {max_bytes:,} bytes ({settings.import_mode})", message

    return Rule("import_size", judge)


def event_types(p: Prepared, limits: Limits) -> tuple[list[Check], dict[str, Any]]:
    """Distinct event types (+ optional columns) and distinct items, in one small pass."""
    if not p.has("ITEM_ID"):
        return [], {}
    frame = p.rows()
    items = frame.agg(F.count_distinct("ITEM_ID").alias("_items"))
    found: dict[str, int] = {}
    if p.has("EVENT_TYPE"):
        by_type = frame.groupBy("EVENT_TYPE").agg(F.count(F.lit(1)).alias("n")).limit(1001)
        rows = items.join(by_type, how="left").collect()  # one row per event type, each with the item count
        found = {r["EVENT_TYPE"]: int(r["n"]) for r in rows if r["EVENT_TYPE"] is not None}
    else:
        rows = items.collect()
    extra = {"_items": int(rows[0]["_items"]) if rows else 0}
    optional = [f.name for f in p.fields if f.name not in NOT_OPTIONAL]
    total = len(found) + len(optional)
    cap = limits.max_event_types_and_optional
    shown = ", ".join(f"{k} ({v:,})" for k, v in sorted(found.items(), key=lambda kv: -kv[1])[:20])
    check = Check(
        p.dataset,
        "event_types_and_optional_columns",
        total <= cap,
        str(total),
        f"<= {cap}",
        "ok"
        if total <= cap
        else f"{len(found)} distinct event types + {len(optional)} optional columns ({', '.join(optional)}) = "
        f"{total}; Personalize allows at most {cap} (event types: {shown})",
        () if total <= cap else tuple(sorted(found)[:5]),
    )
    return [check], extra


def interaction_items_cap(
    p: Prepared, settings: PreflightSettings, limits: Limits, metrics: Mapping[str, Any]
) -> list[Check]:
    """The distinct items of the interactions against the recipe's cap on items."""
    if "_items" not in metrics:
        return []
    cap = limits.items_cap(settings.recipe)
    n = int(metrics["_items"])
    message = "ok" if n <= cap else f"{n:,} distinct items in interactions; {settings.recipe} considers at most {cap:,}"
    return [Check(p.dataset, "max_items", n <= cap, str(n), f"<= {cap:,} ({settings.recipe})", message)]


def referential(prepared: Mapping[str, Prepared], samplers: Samplers) -> list[Check]:
    """Interactions whose ITEM_ID / USER_ID is not in the items / users dataset (allowed, so warnings)."""
    inter = prepared.get("interactions")
    pairs = [(d, ID_FIELDS[d][0]) for d in ("items", "users") if d in prepared and prepared[d].has(ID_FIELDS[d][0])]
    if inter is None or not pairs:
        return []
    pairs = [(d, key) for d, key in pairs if inter.has(key)]
    missing: dict[str, DataFrame] = {}
    for dataset, key in pairs:
        ids = inter.frame.select(key).where(F.col(key).isNotNull()).distinct()
        missing[dataset] = ids.join(prepared[dataset].frame.select(key), key, "left_anti")
    counts = [missing[d].agg(F.count(F.lit(1)).alias(d)) for d, _ in pairs]
    row = reduce(lambda a, b: a.crossJoin(b), counts).first()
    checks = []
    for dataset, key in pairs:
        n = int(row[dataset]) if row else 0
        rule = f"interaction_{key.lower().replace('_id', '')}s_in_{dataset}"
        message = (
            "ok"
            if n == 0
            else f"{n:,} {key}s of interactions are not in the {dataset} dataset; Personalize accepts them but has no "
            "metadata for them"
        )
        checks.append(Check("interactions", rule, n == 0, str(n), f"every {key} in the {dataset} dataset", message))
        if n:
            samplers.append(("interactions", rule, _ids_of(missing[dataset], key)))
    return checks


def _ids_of(frame: DataFrame, key: str) -> Callable[[], DataFrame]:
    return lambda: frame.select(F.col(key).cast("string"))
