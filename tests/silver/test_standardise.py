"""Each standardiser on tiny inline frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F

from udp.config import load_config
from udp.settings.matching import StandardiseSettings
from udp.silver import standardise as S

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def settings() -> StandardiseSettings:
    return load_config([str(ROOT / "conf" / "local.yaml")], env={}).matching.standardise


def apply(spark: SparkSession, values: Sequence[object], fn: object, dtype: str = "string") -> list[Any]:
    df = spark.createDataFrame([(v,) for v in values], f"v {dtype}")
    assert callable(fn)
    column: Column = fn(F.col("v"))
    return [r[0] for r in df.select(column).collect()]


def test_names_lose_titles_accents_punctuation_and_junk(spark: SparkSession, settings: StandardiseSettings) -> None:
    values = ["Mr O'Brien", "  Zoë  ", "Dr. Anne-Marie", "UNKNOWN", "Łukasz", None]
    assert apply(spark, values, lambda c: S.standardise_name(c, settings)) == [
        "obrien",
        "zoe",
        "anne marie",
        None,
        "lukasz",
        None,
    ]


def test_full_names_split_into_first_and_last(spark: SparkSession, settings: StandardiseSettings) -> None:
    df = spark.createDataFrame([("Smith, John",), ("Mrs Jane Q Public",), ("ElliotMorris",), ("Cher",)], "v string")
    untitled = S.strip_display_titles(S.unmerge_name(F.col("v")), settings.titles)
    first, last = S.split_full_name(untitled)
    rows = [(r[0], r[1]) for r in df.select(first, last).collect()]
    assert rows == [("John", "Smith"), ("Jane", "Public"), ("Elliot", "Morris"), ("Cher", None)]


def test_nickname_forms_map_short_names_to_every_name_they_stand_for(
    spark: SparkSession, settings: StandardiseSettings
) -> None:
    forms = apply(spark, ["bob", "chris", "zebedee"], lambda c: S.first_name_forms(c, settings.nicknames))
    assert forms[0] == ["robert"]
    assert {"christopher", "christine", "christian"} <= set(forms[1])
    assert forms[2] == ["zebedee"]


def test_emails_follow_provider_rules_and_drop_placeholders(spark: SparkSession, settings: StandardiseSettings) -> None:
    values = [
        " Ann.Lee+shop@GMAIL.com ",
        "ann.lee@googlemail.com",
        "bob+x@outlook.com",
        "bob+x@btinternet.com",
        "test@test.com",
        "noemail@acme.co.uk",
        "someone@example.com",
        "not an email",
    ]
    assert apply(spark, values, lambda c: S.standardise_email(c, settings)) == [
        "annlee@gmail.com",
        "annlee@gmail.com",
        "bob@outlook.com",
        "bob+x@btinternet.com",
        None,
        None,
        None,
        None,
    ]


def test_phones_become_e164_and_junk_becomes_null(spark: SparkSession, settings: StandardiseSettings) -> None:
    values = ["07700 900123", "+44 7700 900123", "(07700) 900123", "447700900123", "0044 7700 900123", "7700900123",
              "0000000000", "1234567890", "123", "0113 496 0123"]  # fmt: skip
    e164 = "+447700900123"
    assert apply(spark, values, lambda c: S.standardise_phone(c, settings)) == [
        e164, e164, e164, e164, e164, e164, None, None, None, "+441134960123",
    ]  # fmt: skip


def test_only_mobiles_are_personal_phones(spark: SparkSession, settings: StandardiseSettings) -> None:
    assert apply(spark, ["+447700900123", "+441134960123"], lambda c: S.mobile_phone(c, settings)) == [
        "+447700900123",
        None,
    ]


def test_postcodes_take_uk_format_and_invalid_ones_become_null(
    spark: SparkSession, settings: StandardiseSettings
) -> None:
    values = ["ls14ab", " LS1 4AB ", "sw1a1aa", "E12 3GY", "12345", "n/a"]
    assert apply(spark, values, lambda c: S.standardise_postcode(c, settings)) == [
        "LS1 4AB",
        "LS1 4AB",
        "SW1A 1AA",
        "E12 3GY",
        None,
        None,
    ]


def test_addresses_expand_abbreviations_and_yield_house_numbers(
    spark: SparkSession, settings: StandardiseSettings
) -> None:
    addresses = apply(
        spark, ["12a High St.", "Flat 3, 45 Park Rd", "Rose Cottage"], lambda c: S.standardise_address(c, settings)
    )
    assert addresses == ["12a high street", "flat 3 45 park road", "rose cottage"]
    assert apply(spark, addresses, S.house_number) == ["12a", "45", None]


def test_dummy_and_impossible_dates_of_birth_become_null(spark: SparkSession, settings: StandardiseSettings) -> None:
    values = [dt.date(1990, 5, 17), dt.date(1900, 1, 1), dt.date(1970, 1, 1), dt.date(2999, 1, 1), dt.date(1899, 1, 1)]
    assert apply(spark, values, lambda c: S.standardise_date_of_birth(c, settings), "date") == [
        dt.date(1990, 5, 17),
        None,
        None,
        None,
        None,
    ]


def test_national_ids_keep_letters_and_digits_and_placeholders_become_null(
    spark: SparkSession, settings: StandardiseSettings
) -> None:
    values = ["123-45-6781", "ab 12 34 56 c", "000-00-0000", "123456789", "12-3", None]
    assert apply(spark, values, lambda c: S.standardise_identifier(c, settings)) == [
        "123456781",
        "AB123456C",
        None,
        None,
        None,
        None,
    ]
