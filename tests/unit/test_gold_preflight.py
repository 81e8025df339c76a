"""Preflight data rules: a valid baseline passes everything; each test breaks exactly one rule and checks its message.

The baseline is 1,000 interactions of 40 users (25 each) on 100 items, the 100 items and the 40 users — the smallest
data that meets Personalize's minimums. Only the huge limits (item cap, interactions considered, import size) are
shrunk for their tests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from udp.config import Config
from udp.gold.csvinput import read_csv_dataset
from udp.gold.preflight import LIMITS, Check, DatasetInput, Limits, run_preflight
from udp.gold.schemas import dataset_fields, record
from udp.settings.gold import GoldSettings, PreflightSettings

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
T0 = 1735689600  # 2025-01-01


@pytest.fixture(scope="module")
def gold(base_config: Config) -> GoldSettings:
    return base_config.gold


def schema(gold: GoldSettings, dataset: str) -> dict[str, Any]:
    return record(dataset, dataset_fields(gold, dataset))


def interactions(spark: SparkSession, rows: int = 1000, user: str = "concat('U', lpad(id % 40, 2, '0'))") -> DataFrame:
    return spark.range(rows).selectExpr(
        f"{user} AS USER_ID",
        "concat('I', id % 100) AS ITEM_ID",
        f"{T0} + id * 60 AS TIMESTAMP",
        "CASE WHEN id % 4 = 0 THEN 'Purchase' ELSE 'View' END AS EVENT_TYPE",
        "CASE WHEN id % 4 = 0 THEN CAST(id % 20 + 1 AS FLOAT) END AS EVENT_VALUE",
        "CASE WHEN id % 2 = 0 THEN 'web' ELSE 'ios' END AS DEVICE",
        "CASE WHEN id % 2 = 0 THEN 'web' ELSE 'app' END AS CHANNEL",
        "id",
    )


def items(spark: SparkSession) -> DataFrame:
    return spark.range(100).selectExpr(
        "concat('I', id) AS ITEM_ID",
        "'Men' AS CATEGORY_L1",
        "'Shirts' AS CATEGORY_L2",
        "CAST(NULL AS STRING) AS CATEGORY_L3",
        "concat('Brand', id % 3) AS BRAND",
        "CAST(9.5 + id AS FLOAT) AS PRICE",
        "1704067200 + id * 86400 AS CREATION_TIMESTAMP",
        "concat('A plain description of item ', id) AS DESCRIPTION",
        "id",
    )


def users(spark: SparkSession) -> DataFrame:
    return spark.range(40).selectExpr(
        "concat('U', lpad(id, 2, '0')) AS USER_ID",
        "'25-34' AS AGE_BAND",
        "'gold' AS LOYALTY_TIER",
        "'North' AS REGION",
        "'mid' AS INCOME_BAND",
        "'urban' AS URBAN_RURAL",
        "id",
    )


def change(df: DataFrame, where: str, **values: str) -> DataFrame:
    """Set columns to SQL expressions on the rows matching `where`."""
    for column, expr in values.items():
        df = df.withColumn(column, F.when(F.expr(where), F.expr(expr)).otherwise(F.col(column)))
    return df


def check(
    gold: GoldSettings,
    frames: dict[str, DataFrame],
    *,
    settings: PreflightSettings | None = None,
    limits: Limits = LIMITS,
) -> list[Check]:
    inputs = [DatasetInput(d, df.drop("id"), schema(gold, d), d) for d, df in frames.items()]
    return run_preflight(inputs, settings or gold.preflight, now=NOW, limits=limits)


def failures(checks: Sequence[Check]) -> set[tuple[str, str]]:
    return {(c.dataset, c.rule) for c in checks if not c.passed}


def only(checks: Sequence[Check], dataset: str, rule: str) -> Check:
    assert failures(checks) == {(dataset, rule)}
    found = next(c for c in checks if (c.dataset, c.rule) == (dataset, rule))
    assert len(found.samples) <= 5
    return found


def test_the_baseline_passes_every_rule(spark: SparkSession, gold: GoldSettings) -> None:
    checks = check(gold, {"interactions": interactions(spark), "items": items(spark), "users": users(spark)})
    assert failures(checks) == set()
    rules = {c.rule for c in checks}
    assert {
        "min_interactions_for_training",
        "min_users_with_2_interactions",
        "duplicate_interactions",
        "event_types_and_optional_columns",
        "timestamp_in_seconds",
        "categorical_length",
        "textual_length",
        "import_size",
        "max_items",
        "duplicate_ids",
        "interaction_items_in_items",
        "interaction_users_in_users",
    } <= rules
    assert len(checks) == len({(c.dataset, c.rule) for c in checks})


# --- interactions -----------------------------------------------------------------------------------------------------


def test_too_few_interactions_of_the_training_event_type(spark: SparkSession, gold: GoldSettings) -> None:
    settings = dataclasses.replace(gold.preflight, training_event_types=("Purchase",))
    found = only(
        check(gold, {"interactions": interactions(spark)}, settings=settings),
        "interactions",
        "min_interactions_for_training",
    )
    assert (found.value, found.limit, found.severity) == ("250", ">= 1,000", "error")
    assert found.message == (
        "250 interactions after event-type filtering (Purchase); Personalize needs at least 1,000 to train"
    )


def test_an_import_of_999_interactions_fails_the_per_import_minimum(spark: SparkSession, gold: GoldSettings) -> None:
    checks = check(gold, {"interactions": interactions(spark, rows=999)})
    # 999 rows are also too few to train on: the training minimum counts the same rows when no filter is set.
    assert failures(checks) == {
        ("interactions", "min_interactions_per_import"),
        ("interactions", "min_interactions_for_training"),
    }
    found = next(c for c in checks if c.rule == "min_interactions_per_import")
    assert found.message == "999 interactions in this import; every import job needs at least 1,000"


def test_24_users_with_two_interactions_are_too_few(spark: SparkSession, gold: GoldSettings) -> None:
    user = "CASE WHEN id % 40 >= 24 THEN concat('S', id) ELSE concat('U', lpad(id % 40, 2, '0')) END"
    found = only(
        check(gold, {"interactions": interactions(spark, user=user)}), "interactions", "min_users_with_2_interactions"
    )
    assert found.message == "24 users have 2 or more interactions; Personalize needs at least 25"


def test_under_one_percent_of_users_with_two_interactions(spark: SparkSession, gold: GoldSettings) -> None:
    user = "CASE WHEN id < 50 THEN concat('U', id % 25) ELSE concat('S', id) END"
    found = only(
        check(gold, {"interactions": interactions(spark, rows=3000, user=user)}),
        "interactions",
        "min_share_users_with_2_interactions",
    )
    assert found.message == ("0.84% of users (25 of 2,975) have 2 or more interactions; Personalize needs at least 1%")


def test_more_interactions_than_the_recipe_considers_is_a_warning(spark: SparkSession, gold: GoldSettings) -> None:
    limits = dataclasses.replace(LIMITS, max_interactions_v2=999)
    found = only(
        check(gold, {"interactions": interactions(spark)}, limits=limits), "interactions", "max_interactions_considered"
    )
    assert (found.severity, found.limit) == ("warning", "<= 999 (aws-user-personalization-v2)")


def test_a_null_event_type_is_caught(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(interactions(spark), "id = 3", EVENT_TYPE="CAST(NULL AS STRING)")
    found = only(check(gold, {"interactions": frame}), "interactions", "event_type_not_null")
    assert found.message.startswith("1 EVENT_TYPE value is empty")
    assert json.loads(found.samples[0])["TIMESTAMP"] == T0 + 180


def test_a_repeated_user_item_timestamp_is_a_duplicate_warning(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(interactions(spark), "id = 200", TIMESTAMP=str(T0))
    found = only(check(gold, {"interactions": frame}), "interactions", "duplicate_interactions")
    assert found.severity == "warning"
    assert json.loads(found.samples[0]) == {"USER_ID": "U00", "ITEM_ID": "I0", "TIMESTAMP": T0, "rows": 2}


def test_eleven_event_types_and_optional_columns_are_too_many(spark: SparkSession, gold: GoldSettings) -> None:
    frame = interactions(spark).withColumn("EVENT_TYPE", F.concat(F.lit("E"), F.col("id") % 7))
    found = only(check(gold, {"interactions": frame}), "interactions", "event_types_and_optional_columns")
    assert (found.value, found.limit) == ("11", "<= 10")
    assert found.message.startswith(
        "7 distinct event types + 4 optional columns (EVENT_TYPE, EVENT_VALUE, DEVICE, CHANNEL) = 11"
    )


def test_an_item_id_longer_than_256_characters(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(interactions(spark), "id = 5", ITEM_ID="repeat('x', 257)")
    found = only(check(gold, {"interactions": frame}), "interactions", "id_length")
    assert found.message == "1 ITEM_ID value is longer than 256 characters (Personalize's maximum ID length)"
    assert (found.value, found.limit) == ("1", "256 characters")


def test_an_id_with_a_quote_is_a_special_character_warning(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(interactions(spark), "id = 1", ITEM_ID="'I\"1'")
    found = only(check(gold, {"interactions": frame}), "interactions", "id_special_characters")
    assert found.severity == "warning"
    assert json.loads(found.samples[0])["ITEM_ID"] == 'I"1'


def test_a_categorical_value_over_1000_characters(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(interactions(spark), "id = 3", DEVICE="repeat('d', 1001)")
    found = only(check(gold, {"interactions": frame}), "interactions", "categorical_length")
    assert found.message.startswith("1 DEVICE value is longer than 1,000 characters")


def test_a_reserved_keyword_as_a_value(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(interactions(spark), "id = 3", CHANNEL="'event_type'")
    found = only(check(gold, {"interactions": frame}), "interactions", "reserved_keyword_values")
    assert found.message.startswith("1 CHANNEL value is a reserved keyword")


def test_millisecond_timestamps_are_caught_explicitly(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(interactions(spark), "id IN (7, 8)", TIMESTAMP="TIMESTAMP * 1000")
    found = only(check(gold, {"interactions": frame}), "interactions", "timestamp_in_seconds")
    assert found.message == (
        "2 TIMESTAMP values are in epoch milliseconds (>= 100,000,000,000); Personalize needs epoch seconds "
        "(divide by 1000)"
    )
    assert sorted(json.loads(s)["TIMESTAMP"] for s in found.samples) == [(T0 + 420) * 1000, (T0 + 480) * 1000]


def test_a_timestamp_before_2000_is_out_of_range(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(interactions(spark), "id = 8", TIMESTAMP="900000000")
    found = only(check(gold, {"interactions": frame}), "interactions", "timestamp_range")
    assert found.severity == "error"
    assert found.limit == "2000-01-01 .. 2026-06-02 00:00 UTC (946684800 .. 1780358400)"


def test_a_timestamp_beyond_tomorrow_is_out_of_range(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(interactions(spark), "id = 8", TIMESTAMP="1780358401")
    only(check(gold, {"interactions": frame}), "interactions", "timestamp_range")


def test_a_null_user_id_is_caught(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(interactions(spark), "id = 9", USER_ID="CAST(NULL AS STRING)")
    found = only(check(gold, {"interactions": frame}), "interactions", "required_not_null")
    assert found.message == "1 USER_ID value is empty in a field the schema declares not null"


def test_a_nan_event_value_is_not_a_valid_float(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(interactions(spark), "id = 0", EVENT_VALUE="CAST('NaN' AS FLOAT)")
    found = only(check(gold, {"interactions": frame}), "interactions", "value_types")
    assert found.message.startswith("1 EVENT_VALUE value is not valid for the schema type")


def test_an_import_over_the_size_limit(spark: SparkSession, gold: GoldSettings) -> None:
    limits = dataclasses.replace(LIMITS, max_import_bytes_full=1000)
    found = only(check(gold, {"interactions": interactions(spark)}, limits=limits), "interactions", "import_size")
    assert found.limit == "<= 1,000 bytes (FULL)"
    assert int(found.value) > 30_000
    assert "(estimated CSV size); a FULL import takes at most 1,000 bytes" in found.message


def test_more_items_in_interactions_than_the_recipe_considers(spark: SparkSession, gold: GoldSettings) -> None:
    limits = dataclasses.replace(LIMITS, max_items_v2=99)
    found = only(check(gold, {"interactions": interactions(spark)}, limits=limits), "interactions", "max_items")
    assert found.message == "100 distinct items in interactions; aws-user-personalization-v2 considers at most 99"


# --- items and users --------------------------------------------------------------------------------------------------


def test_a_description_over_20000_characters_is_a_truncation_warning(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(items(spark), "id = 0", DESCRIPTION="repeat('t', 20001)")
    found = only(check(gold, {"items": frame}), "items", "textual_length")
    assert found.severity == "warning"
    assert found.message.endswith("is longer than 20,000 characters and will be truncated")


def test_an_item_category_over_1000_characters(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(items(spark), "id = 0", CATEGORY_L3="repeat('c', 1001)")
    only(check(gold, {"items": frame}), "items", "categorical_length")


def test_an_item_on_two_rows_is_a_duplicate_id_warning(spark: SparkSession, gold: GoldSettings) -> None:
    frame = items(spark).unionByName(items(spark).where("id = 4"))
    found = only(check(gold, {"items": frame}), "items", "duplicate_ids")
    assert json.loads(found.samples[0]) == {"ITEM_ID": "I4", "rows": 2}


def test_more_items_than_the_recipe_considers(spark: SparkSession, gold: GoldSettings) -> None:
    settings = dataclasses.replace(gold.preflight, recipe="aws-similar-items")
    limits = dataclasses.replace(LIMITS, max_items=99)
    found = only(check(gold, {"items": items(spark)}, settings=settings, limits=limits), "items", "max_items")
    assert found.limit == "<= 99 (aws-similar-items)"


def test_an_item_created_before_2000_is_a_range_warning(spark: SparkSession, gold: GoldSettings) -> None:
    frame = change(items(spark), "id = 2", CREATION_TIMESTAMP="631152000")
    found = only(check(gold, {"items": frame}), "items", "timestamp_range")
    assert found.severity == "warning"


def test_a_user_on_two_rows_is_a_duplicate_id_warning(spark: SparkSession, gold: GoldSettings) -> None:
    frame = users(spark).unionByName(users(spark).where("id = 7"))
    only(check(gold, {"users": frame}), "users", "duplicate_ids")


def test_interaction_items_missing_from_items_are_a_warning(spark: SparkSession, gold: GoldSettings) -> None:
    frames = {"interactions": interactions(spark), "items": items(spark).where("id <> 99"), "users": users(spark)}
    found = only(check(gold, frames), "interactions", "interaction_items_in_items")
    assert (found.severity, found.value, found.samples) == ("warning", "1", ("I99",))


def test_interaction_users_missing_from_users_are_a_warning(spark: SparkSession, gold: GoldSettings) -> None:
    frames = {"interactions": interactions(spark), "users": users(spark).where("id < 38")}
    found = only(check(gold, frames), "interactions", "interaction_users_in_users")
    assert found.message.startswith("2 USER_IDs of interactions are not in the users dataset")


# --- CSV files --------------------------------------------------------------------------------------------------------

USERS_CSV = "USER_ID,AGE_BAND,LOYALTY_TIER,REGION,INCOME_BAND,URBAN_RURAL\n" + "".join(
    f"U{i:02d},25-34,gold,North,mid,urban\n" for i in range(40)
)
ITEMS_HEADER = "ITEM_ID,CATEGORY_L1,CATEGORY_L2,CATEGORY_L3,BRAND,PRICE,CREATION_TIMESTAMP,DESCRIPTION"


def items_csv(rows: int = 5, price: str = "9.5") -> str:
    lines = [
        f'I{i},Men,Shirts,,Acme,{price},1704067200,"A \\"quoted\\" text, with a \\\\ backslash"' for i in range(rows)
    ]
    return ITEMS_HEADER + "\n" + "\n".join(lines) + "\n"


def write(folder: Path, files: dict[str, str]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return str(folder)


def csv_checks(
    spark: SparkSession, gold: GoldSettings, dataset: str, location: str, schemas: str | None
) -> list[Check]:
    return run_preflight([read_csv_dataset(spark, dataset, location, schemas)], gold.preflight, now=NOW)


@pytest.fixture
def schemas(tmp_path: Path, gold: GoldSettings) -> str:
    folder = tmp_path / "schemas"
    folder.mkdir()
    for d in ("interactions", "items", "users"):
        (folder / f"{d}.json").write_text(json.dumps(schema(gold, d)), encoding="utf-8")
    return str(folder)


def test_valid_csv_files_pass_with_an_inferred_or_given_schema(
    spark: SparkSession, gold: GoldSettings, tmp_path: Path, schemas: str
) -> None:
    users_dir = write(tmp_path / "users", {"part-1.csv": USERS_CSV, "_SUCCESS": ""})
    items_dir = write(tmp_path / "items", {"a.csv": items_csv()})
    assert failures(csv_checks(spark, gold, "users", users_dir, None)) == set()
    assert failures(csv_checks(spark, gold, "items", items_dir, schemas)) == set()


def test_a_quoted_header_fails_csv_header(spark: SparkSession, gold: GoldSettings, tmp_path: Path) -> None:
    text = '"USER_ID","AGE_BAND"\nU1,25-34\n'
    found = only(csv_checks(spark, gold, "users", write(tmp_path / "u", {"u.csv": text}), None), "users", "csv_header")
    assert found.message.startswith('header is quoted: "USER_ID","AGE_BAND"')


def test_a_header_out_of_schema_order_fails_csv_header(
    spark: SparkSession, gold: GoldSettings, tmp_path: Path, schemas: str
) -> None:
    text = USERS_CSV.replace("USER_ID,AGE_BAND", "AGE_BAND,USER_ID", 1)
    found = only(
        csv_checks(spark, gold, "users", write(tmp_path / "u", {"u.csv": text}), schemas), "users", "csv_header"
    )
    assert "does not match the schema's field order 'USER_ID,AGE_BAND,LOYALTY_TIER" in found.message


def test_files_with_different_headers_fail_csv_header(spark: SparkSession, gold: GoldSettings, tmp_path: Path) -> None:
    other = USERS_CSV.replace(",URBAN_RURAL", ",URBAN", 1)
    folder = write(tmp_path / "u", {"1.csv": USERS_CSV, "2.csv": other})
    found = only(csv_checks(spark, gold, "users", folder, None), "users", "csv_header")
    assert "1 file(s) have another header" in found.message


def test_a_line_with_an_extra_field_fails_csv_rows_well_formed(
    spark: SparkSession, gold: GoldSettings, tmp_path: Path
) -> None:
    text = USERS_CSV + "U99,25-34,gold,North,mid,urban,EXTRA\n"
    found = only(
        csv_checks(spark, gold, "users", write(tmp_path / "u", {"u.csv": text}), None), "users", "csv_rows_well_formed"
    )
    assert found.value == "1"
    assert "EXTRA" not in found.samples[0] or found.samples[0].startswith("{")


def test_a_price_that_is_not_a_number_fails_value_types(
    spark: SparkSession, gold: GoldSettings, tmp_path: Path, schemas: str
) -> None:
    folder = write(tmp_path / "i", {"i.csv": items_csv(price="abc")})
    found = only(csv_checks(spark, gold, "items", folder, schemas), "items", "value_types")
    assert found.message.startswith("5 PRICE values are not valid for the schema type")
    assert json.loads(found.samples[0])["PRICE"] == "abc"


def test_every_rule_the_code_checks_is_in_the_catalogue_once_and_every_catalogued_rule_is_checked() -> None:
    import ast
    from pathlib import Path

    from udp.gold.preflight.catalogue import RULES, severity
    from udp.gold.preflight.schema_rules import SCHEMA_RULES
    from udp.gold.preflight.value_rules import VALUE_RULES

    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    assert {n for n, _ in SCHEMA_RULES} | {r.rule for r in VALUE_RULES} <= set(names)
    code = Path(__file__).resolve().parents[2] / "udp" / "gold"
    literals = {
        node.value
        for path in [*code.glob("preflight/*_rules.py"), code / "csvinput.py", code / "preflight" / "run.py"]
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    referential = {"interaction_items_in_items", "interaction_users_in_users"}  # built as f"interaction_{key}s_in_..."
    assert set(names) - referential <= literals
    assert (severity("timestamp_range", "interactions"), severity("timestamp_range", "items")) == ("error", "warning")
