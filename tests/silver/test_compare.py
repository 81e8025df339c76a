"""Each comparison level, on pairs of tiny standardised records (all cases scored in one Spark job)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from tests.silver.pairs import person, records
from udp.silver.compare import comparisons, name_similarities, with_comparison_levels
from udp.silver.match import MATCH_COLUMNS
from udp.silver.model import prefixed


def names(first: str | None, last: str | None = "Lee") -> dict[str, Any]:
    return {"first_name": first, "last_name": last}


def address(line: str, postcode: str) -> dict[str, Any]:
    return {"address_line1": line, "postcode": postcode}


CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("first_name", names("Robert"), names("ROBERT"), "exact"),
    ("first_name", names("Robert"), names("Bob"), "nickname"),
    ("first_name", names("Jonathon"), names("Jonathan"), "typo"),
    ("first_name", names("Catherine"), names("Katherina"), "fuzzy"),
    ("first_name", names("J"), names("John"), "initial"),
    ("first_name", names("Sarah"), names("Emily"), "else"),
    ("first_name", names("Sarah"), names(None), "null"),
    ("first_name", names("Wei", "Chen"), names("Chen", "Wei"), "exact"),
    ("last_name", names("Wei", "Chen"), names("Chen", "Wei"), "exact"),
    # Swapped and typo'd: read crosswise because the crosswise similarities sum higher.
    ("first_name", names("Joshua", "Campbell"), names("Campblel", "Josha"), "typo"),
    ("last_name", names("Joshua", "Campbell"), names("Campblel", "Josha"), "typo"),
    # A shared surname keeps the straight reading: two first names that differ stay different.
    ("first_name", names("Anna", "Lee"), names("Lena", "Lee"), "else"),
    ("last_name", names("Anna", "Lee"), names("Lena", "Lee"), "exact"),
    # One shared name crosswise is not a swap: "Roberts Paige" and Gethin Roberts disagree on both names.
    ("first_name", names("Roberts", "Paige"), names("Gethin", "Roberts"), "else"),
    ("last_name", names("Roberts", "Paige"), names("Gethin", "Roberts"), "else"),
    ("last_name", names("Ann", "Smith"), names("Ann", "smith"), "exact"),
    ("last_name", names("Ann", "Thompson"), names("Ann", "Thomsen"), "typo"),
    ("last_name", names("Ann", "Smith"), names("Ann", "Smyth"), "fuzzy"),
    ("last_name", names("Ann", "Smith"), names("Ann", "Jones"), "else"),
    ("email", {"email": "a.b@gmail.com"}, {"email": "AB@googlemail.com"}, "exact"),
    ("email", {"email": "ab@gmail.com"}, {"email": "ab@outlook.com"}, "else"),
    ("email", {"email": "ab@x.com"}, {}, "null"),
    ("phone", {"phone": "07700 900123"}, {"phone": "+447700900123"}, "exact_mobile"),
    ("phone", {"phone": "0113 496 0123"}, {"phone": "01134960123"}, "exact_landline"),
    ("phone", {"phone": "07700 900123"}, {"phone": "07700 900124"}, "typo"),
    ("phone", {"phone": "07700 900123"}, {"phone": "07999 111222"}, "else"),
    ("date_of_birth", {"date_of_birth": dt.date(1985, 3, 4)}, {"date_of_birth": dt.date(1985, 3, 4)}, "exact"),
    (
        "date_of_birth",
        {"date_of_birth": dt.date(1985, 3, 4)},
        {"date_of_birth": dt.date(1985, 4, 3)},
        "day_month_swapped",
    ),
    ("date_of_birth", {"date_of_birth": dt.date(1985, 3, 4)}, {"date_of_birth": dt.date(1986, 3, 4)}, "typo"),
    ("date_of_birth", {"date_of_birth": dt.date(1985, 3, 4)}, {"date_of_birth": dt.date(1958, 3, 4)}, "partial"),
    ("date_of_birth", {"date_of_birth": dt.date(1985, 3, 4)}, {"date_of_birth": dt.date(1990, 7, 21)}, "else"),
    ("address", address("12 High St", "LS1 4AB"), address("12 High Street", "ls14ab"), "exact"),
    ("address", address("12 High St", "LS1 4AB"), address("14 High St", "LS1 4AB"), "postcode"),
    ("address", address("12 High St", "LS1 4AB"), address("9 Mill Lane", "LS1 9ZZ"), "outward"),
    ("address", address("12 High St", "LS1 4AB"), address("12 High Street", "LS1 4BA"), "street"),
    ("address", address("12 High St", "LS1 4AB"), address("9 Mill Lane", "M1 1AA"), "else"),
    ("national_id", {"national_id": "123-45-6781"}, {"national_id": "123456781"}, "exact"),
    ("national_id", {"national_id": "123-45-6781"}, {"national_id": "123456782"}, "else"),
    ("national_id", {"national_id": "123-45-6781"}, {"national_id": "000000000"}, "null"),
]


@pytest.fixture(scope="module")
def levels(spark: SparkSession) -> dict[int, dict[str, str]]:
    """Case index -> comparison -> level label, for every case at once."""
    rows = [person(f"L{i}", **left) for i, (_, left, _, _) in enumerate(CASES)]
    rows += [person(f"R{i}", **right) for i, (_, _, right, _) in enumerate(CASES)]
    recs = records(spark, rows).select(*MATCH_COLUMNS, F.substring("source_key", 2, 9).alias("case"))
    left = prefixed(recs.where(F.col("record_id").startswith("crm:L")), "l")
    right = prefixed(recs.where(F.col("record_id").startswith("crm:R")), "r")
    pairs = left.join(right, F.col("l_case") == F.col("r_case")).transform(with_comparison_levels(comparisons()))
    labels = {c.name: c.labels for c in comparisons()}
    out: dict[int, dict[str, str]] = {}
    for row in pairs.select("l_case", *[f"c_{n}" for n in labels]).collect():
        out[int(row["l_case"])] = {n: ("null" if row[f"c_{n}"] < 0 else labels[n][row[f"c_{n}"]]) for n in labels}
    return out


@pytest.mark.parametrize(
    ("case", "comparison", "expected"),
    [(i, c, e) for i, (c, _, _, e) in enumerate(CASES)],
    ids=[f"{c}-{e}-{i}" for i, (c, _, _, e) in enumerate(CASES)],
)
def test_comparison_level(levels: dict[int, dict[str, str]], case: int, comparison: str, expected: str) -> None:
    assert levels[case][comparison] == expected


JARO_WINKLER = [("MARTHA", "MARHTA", 0.961), ("DWAYNE", "DUANE", 0.84), ("DIXON", "DICKSONX", 0.813), ("AB", "BA", 0.0)]


def test_jaro_winkler_has_the_published_values_straight_and_crosswise(spark: SparkSession) -> None:
    # first/last of one record against first/last of the other: (a, "X") vs (b, a) puts each published pair
    # straight on the first names and crosswise on first/last.
    pairs = [(a, "X", b, a) for a, b, _ in JARO_WINKLER] + [("A", None, None, "A")]
    df = spark.createDataFrame(pairs, "f STRING, l STRING, of STRING, ol STRING")
    got = df.select(name_similarities("f", "l", "of", "ol").alias("s")).select("s.*").collect()
    known = [k for _, _, k in JARO_WINKLER]
    assert [r["ff"] for r in got[:-1]] == pytest.approx(known, abs=5e-4)
    assert all(r["fl"] == 1.0 for r in got)  # f and ol are the same name
    assert (got[-1]["ff"], got[-1]["ll"], got[-1]["lf"]) == (None, None, None)
