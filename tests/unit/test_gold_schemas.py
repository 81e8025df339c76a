"""Gold configuration (PII guard) and Personalize schemas: generation and every schema rule (no Spark needed)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from udp import cli
from udp.config import Config, load_config
from udp.errors import ConfigError
from udp.gold.preflight import Check, check_schema
from udp.gold.schemas import dataset_fields, record, schema_name
from udp.gold.tables import athena_ddl, render_tables_md
from udp.models import PII_FIELDS
from udp.settings.gold import GoldSettings

ROOT = Path(__file__).resolve().parents[2]
LOCAL = str(ROOT / "conf" / "local.yaml")


@pytest.fixture(scope="module")
def settings() -> GoldSettings:
    return load_config([LOCAL], env={}).gold


def schema_of(settings: GoldSettings, dataset: str) -> dict[str, Any]:
    return record(dataset, dataset_fields(settings, dataset))


def failed(checks: list[Check]) -> set[str]:
    return {c.rule for c in checks if not c.passed}


# --- configuration ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "column"),
    [
        ("gold.users.fields.EMAIL", "email"),
        ("gold.users.fields.DOB", "date_of_birth"),
        ("gold.interactions.fields.SEARCH", "search_query"),
        ("gold.items.fields.OWNER_PHONE", "phone"),
        ("gold.users.fields.SSN", "national_id"),
    ],
)
def test_a_pii_column_in_a_personalize_dataset_is_a_config_error_naming_the_key(key: str, column: str) -> None:
    with pytest.raises(ConfigError, match=rf"key '{key}' maps PII column '{column}' into the Personalize"):
        load_config([LOCAL], [f"{key}.column={column}"], env={})


def test_the_models_pii_stays_pii_whatever_gold_pii_columns_says() -> None:
    with pytest.raises(ConfigError, match=r"key 'gold.users.fields.SSN' maps PII column 'national_id'"):
        load_config([LOCAL], ["gold.pii_columns=[]", "gold.users.fields.SSN.column=national_id"], env={})
    config = load_config([LOCAL], ["gold.pii_columns=[shoe_size]"], env={})
    assert set(PII_FIELDS) | {"shoe_size"} == set(config.gold.pii)


def test_date_of_birth_may_feed_a_dataset_only_as_an_age_band() -> None:
    config = load_config(
        [LOCAL], ["gold.users.fields.AGE.column=date_of_birth", "gold.users.fields.AGE.derive=age_band"], env={}
    )
    assert config.gold.users.fields["AGE"].derive == "age_band"


def test_customer_360_include_pii_accepts_only_pii_columns() -> None:
    with pytest.raises(ConfigError, match=r"include_pii' lists 'region', which is not a PII column"):
        load_config([LOCAL], ["gold.customer_360.include_pii=[region]"], env={})


# --- generated schemas ------------------------------------------------------------------------------------------------


def test_items_schema_is_in_personalize_form_with_flags_and_nullable_unions(settings: GoldSettings) -> None:
    assert schema_of(settings, "items") == {
        "type": "record",
        "name": "Items",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "CATEGORY_L1", "type": ["null", "string"], "categorical": True},
            {"name": "CATEGORY_L2", "type": ["null", "string"], "categorical": True},
            {"name": "CATEGORY_L3", "type": ["null", "string"], "categorical": True},
            {"name": "BRAND", "type": ["null", "string"], "categorical": True},
            {"name": "PRICE", "type": ["null", "float"]},
            {"name": "CREATION_TIMESTAMP", "type": "long"},
            {"name": "DESCRIPTION", "type": ["null", "string"], "textual": True},
        ],
        "version": "1.0",
    }


def test_interactions_and_users_schemas_follow_the_configured_order(settings: GoldSettings) -> None:
    inter = [(f["name"], f["type"]) for f in schema_of(settings, "interactions")["fields"]]
    assert inter == [
        ("USER_ID", "string"),
        ("ITEM_ID", "string"),
        ("TIMESTAMP", "long"),
        ("EVENT_TYPE", "string"),
        ("EVENT_VALUE", ["null", "float"]),
        ("DEVICE", ["null", "string"]),
        ("CHANNEL", ["null", "string"]),
    ]
    users = [f["name"] for f in schema_of(settings, "users")["fields"]]
    assert users == ["USER_ID", "AGE_BAND", "LOYALTY_TIER", "REGION", "INCOME_BAND", "URBAN_RURAL"]


def test_generated_schemas_pass_every_schema_rule(settings: GoldSettings) -> None:
    for dataset in ("interactions", "items", "users"):
        assert failed(check_schema(dataset, schema_of(settings, dataset))) == set()


def test_schema_names_are_deterministic_and_change_with_the_schema(settings: GoldSettings) -> None:
    items = schema_of(settings, "items")
    changed = copy.deepcopy(items)
    changed["fields"].pop()
    assert schema_name("udp", "items", items) == schema_name("udp", "items", json.loads(json.dumps(items)))
    assert schema_name("udp", "items", items) != schema_name("udp", "items", changed)
    assert schema_name("udp", "items", items).startswith("udp-items-")


# --- schema rules: each broken schema breaks exactly one rule ---------------------------------------------------------


def broken(settings: GoldSettings, dataset: str, change: Any) -> list[Check]:
    schema = schema_of(settings, dataset)
    change(schema)
    return check_schema(dataset, schema)


def only(checks: list[Check], rule: str) -> Check:
    assert failed(checks) == {rule}
    return next(c for c in checks if c.rule == rule)


def test_a_schema_with_the_wrong_record_name_fails_schema_form(settings: GoldSettings) -> None:
    check = only(broken(settings, "items", lambda s: s.update(name="Item", version="2")), "schema_form")
    assert check.severity == "error"
    assert "name is 'Item', expected 'Items'" in check.message
    assert "version is '2', expected '1.0'" in check.message


def test_a_nested_field_type_fails_schema_field_types(settings: GoldSettings) -> None:
    def nest(s: dict[str, Any]) -> None:
        s["fields"][1]["type"] = {"type": "array", "items": "string"}

    check = only(broken(settings, "items", nest), "schema_field_types")
    assert check.samples == ('CATEGORY_L1: {"type": "array", "items": "string"}',)


def test_a_field_name_with_a_dash_fails_schema_field_names(settings: GoldSettings) -> None:
    check = only(broken(settings, "items", lambda s: s["fields"][4].update(name="BRAND-NAME")), "schema_field_names")
    assert check.message == "field name(s) not allowed: BRAND-NAME"


def test_names_equal_ignoring_punctuation_fail_schema_field_names_unique(settings: GoldSettings) -> None:
    check = only(
        broken(settings, "items", lambda s: s["fields"][2].update(name="CATEGORYL1")), "schema_field_names_unique"
    )
    assert check.samples == ("CATEGORY_L1 / CATEGORYL1",)


def test_a_nullable_user_id_fails_schema_required_fields(settings: GoldSettings) -> None:
    check = only(
        broken(settings, "users", lambda s: s["fields"][0].update(type=["null", "string"])), "schema_required_fields"
    )
    assert (
        check.message
        == 'required field(s) missing or of the wrong type: USER_ID (string, not null): ["null", "string"]'
    )


def test_a_categorical_event_type_fails_schema_reserved_keywords(settings: GoldSettings) -> None:
    check = only(
        broken(settings, "interactions", lambda s: s["fields"][3].update(categorical=True)), "schema_reserved_keywords"
    )
    assert check.samples == ('EVENT_TYPE: "string" categorical',)


def test_a_double_event_value_fails_schema_reserved_keywords(settings: GoldSettings) -> None:
    check = only(
        broken(settings, "interactions", lambda s: s["fields"][4].update(type=["null", "double"])),
        "schema_reserved_keywords",
    )
    assert "EVENT_VALUE" in check.message


def test_six_context_fields_fail_schema_metadata_fields(settings: GoldSettings) -> None:
    def widen(s: dict[str, Any]) -> None:
        s["fields"] += [{"name": f"CTX{i}", "type": ["null", "string"], "categorical": True} for i in range(4)]

    check = only(broken(settings, "interactions", widen), "schema_metadata_fields")
    assert (check.value, check.limit) == ("6", "0..5")


def test_a_users_schema_without_metadata_fails_schema_metadata_fields(settings: GoldSettings) -> None:
    check = only(broken(settings, "users", lambda s: s.update(fields=s["fields"][:1])), "schema_metadata_fields")
    assert check.message == "0 metadata fields; Personalize allows 1 to 25 in a users schema"


def test_a_second_textual_field_fails_schema_textual_fields(settings: GoldSettings) -> None:
    def second(s: dict[str, Any]) -> None:
        s["fields"][4] = {"name": "BRAND", "type": ["null", "string"], "textual": True}

    check = only(broken(settings, "items", second), "schema_textual_fields")
    assert check.message.startswith("2 textual field(s) (BRAND, DESCRIPTION); only Items may have one")


def test_a_string_without_flags_is_a_schema_string_flags_warning(settings: GoldSettings) -> None:
    check = only(broken(settings, "users", lambda s: s["fields"][2].pop("categorical")), "schema_string_flags")
    assert (check.severity, check.samples) == ("warning", ("LOYALTY_TIER",))


def test_a_boolean_field_is_a_schema_boolean_fields_warning(settings: GoldSettings) -> None:
    def flag(s: dict[str, Any]) -> None:
        s["fields"].append({"name": "ACTIVE", "type": "boolean"})

    check = only(broken(settings, "items", flag), "schema_boolean_fields")
    assert check.severity == "warning"


def test_a_huge_schema_fails_schema_size(settings: GoldSettings) -> None:
    def pad(s: dict[str, Any]) -> None:
        s["doc"] = "x" * 20_000

    check = only(broken(settings, "items", pad), "schema_size")
    assert check.limit == "20,000 characters"


# --- docs and Athena --------------------------------------------------------------------------------------------------


def test_docs_tables_md_is_current(settings: GoldSettings) -> None:
    assert (ROOT / "docs" / "tables.md").read_text(encoding="utf-8") == render_tables_md(settings), (
        "docs/tables.md is out of date: run `udp docs`"
    )


def test_athena_ddl_registers_every_gold_table_by_s3_location() -> None:
    config = load_config([LOCAL], ["paths.lake=s3a://bucket/lake/", "catalog.database_prefix=udp_"], env={})
    ddl = athena_ddl(config)
    assert ddl.startswith("CREATE DATABASE IF NOT EXISTS `udp_gold`;\n")
    assert (
        "CREATE EXTERNAL TABLE IF NOT EXISTS `udp_gold`.`personalize_interactions`\n"
        "LOCATION 's3://bucket/lake/gold/personalize_interactions/'\n"
        "TBLPROPERTIES ('table_type' = 'DELTA');"
    ) in ddl
    assert ddl.count("CREATE EXTERNAL TABLE") == 5


def test_athena_ddl_needs_an_s3_lake(base_config: Config) -> None:
    from udp.errors import InputPathError

    with pytest.raises(InputPathError, match="Athena reads Delta tables from S3"):
        athena_ddl(base_config)


# --- commands that need no Spark --------------------------------------------------------------------------------------


def test_udp_docs_check_passes_on_the_committed_file(capsys: pytest.CaptureFixture[str]) -> None:
    docs = ROOT / "docs"
    assert (
        cli.main(
            ["docs", "--check", "--conf", LOCAL, "--out", str(docs / "tables.md"), "--gold-md", str(docs / "gold.md")]
        )
        == 0
    )


def test_udp_athena_ddl_on_a_local_lake_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["athena-ddl", "--conf", LOCAL, "--set", "paths.lake=/tmp/lake"]) == 2
    assert capsys.readouterr().err == (
        "udp: error: Athena reads Delta tables from S3, but the lake is /tmp/lake: use --conf conf/emr.yaml or "
        "--lake s3://...\n"
    )


def test_udp_athena_ddl_takes_the_lake_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["athena-ddl", "--conf", LOCAL, "--lake", "s3://b/lake"]) == 0
    assert "LOCATION 's3://b/lake/gold/customer_360/'" in capsys.readouterr().out


def test_udp_validate_schemas_without_csv_files_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "--conf", LOCAL, "--schemas", "/tmp/s"]) == 2
    assert capsys.readouterr().err == (
        "udp: error: --schemas applies to CSV files: give --interactions/--items/--users too\n"
    )
