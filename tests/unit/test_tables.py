"""The catalogue (udp/tables.py): every table named once, with its keys and where personal data lives."""

from __future__ import annotations

import pytest

from udp import tables
from udp.gold.schemas import TABLES
from udp.lake import split_table
from udp.models import PII_FIELDS


def test_every_table_is_named_layer_dot_table_and_its_keys_are_distinct() -> None:
    for name, entry in tables.CATALOGUE.items():
        assert split_table(name) == (entry.layer, name.split(".", 1)[1])
        assert len(set(entry.keys)) == len(entry.keys)


def test_a_table_outside_the_catalogue_is_refused_by_name() -> None:
    with pytest.raises(KeyError, match=r"table silver\.nowhere is not in the catalogue"):
        tables.table("silver.nowhere")
    with pytest.raises(KeyError, match=r"gold\.personalize_interactions has no merge key"):
        tables.keys(tables.PERSONALIZE_INTERACTIONS)


def test_a_source_table_of_bronze_holds_raw_rows_whatever_the_source() -> None:
    crm = tables.table(tables.bronze("crm"))
    assert (crm.name, crm.layer) == ("bronze.crm", "bronze")
    assert crm.holds_pii("anything_the_source_sends")
    assert not tables.table(tables.INGEST_LOG).holds_pii("path")


def test_every_personal_field_of_the_model_is_tagged_where_silver_keeps_customers() -> None:
    records = tables.table(tables.CUSTOMER_RECORDS)
    assert [f for f in PII_FIELDS if not records.holds_pii(f)] == ["anonymous_id", "session_id", "search_query"]
    touchpoints = tables.table(tables.TOUCHPOINTS)
    assert all(touchpoints.holds_pii(f) for f in ("anonymous_id", "session_id", "search_query"))
    assert records.holds_pii("m_email")
    assert not records.holds_pii("record_id")


def test_no_gold_table_for_personalize_or_analysts_is_tagged_as_holding_personal_data() -> None:
    gold = [t for t in tables.CATALOGUE.values() if t.layer == "gold"]
    assert {t.name for t in gold} >= set(TABLES.values())
    assert [t.name for t in gold if t.pii] == []
    assert {t.layer for t in tables.pii_tables()} == {"bronze", "silver"}
