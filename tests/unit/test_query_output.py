"""udp sql's output: every value exact, in a table, CSV or JSON Lines."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from pyspark.sql import Row

from udp.query_output import render_rows

COLUMNS = ["customer_id", "lifetime_value", "exact", "orders", "first_seen", "tags"]
ROWS = [
    ("C1", 4096.74, Decimal("4096.740"), 1234567, dt.date(2026, 1, 2), ["a", "b"]),
    ("C2, Jr", None, Decimal("0.000000000000000001"), 0, None, Row(k="v", n=2)),
]


def test_a_table_prints_doubles_decimals_and_integers_exactly_and_null_as_null() -> None:
    lines = render_rows(COLUMNS, ROWS, "table").splitlines()
    assert lines[0].split() == COLUMNS
    assert lines[2].split() == ["C1", "4096.74", "4096.740", "1234567", "2026-01-02", '["a",', '"b"]']
    assert lines[3].split() == ["C2,", "Jr", "NULL", "0.000000000000000001", "0", "NULL", '{"k":', '"v",', '"n":', "2}"]
    # numbers are right-aligned: the shorter value ends where the longer one does
    assert lines[2].index("4096.740") + len("4096.740") == lines[3].index("0.000000000000000001") + 20


def test_csv_has_a_header_quotes_what_needs_it_and_leaves_null_empty() -> None:
    out = render_rows(COLUMNS, ROWS, "csv").splitlines()
    assert out[0] == ",".join(COLUMNS)
    assert out[1] == 'C1,4096.74,4096.740,1234567,2026-01-02,"[""a"", ""b""]"'
    assert out[2] == '"C2, Jr",,0.000000000000000001,0,,"{""k"": ""v"", ""n"": 2}"'


def test_json_lines_keep_integers_and_doubles_numbers_and_decimals_their_exact_text() -> None:
    first, second = (json.loads(line) for line in render_rows(COLUMNS, ROWS, "json").splitlines())
    assert first == {
        "customer_id": "C1",
        "lifetime_value": 4096.74,
        "exact": "4096.740",
        "orders": 1234567,
        "first_seen": "2026-01-02",
        "tags": ["a", "b"],
    }
    assert second["lifetime_value"] is None
    assert second["exact"] == "0.000000000000000001"  # the same type on every row, whatever its size
    assert second["tags"] == {"k": "v", "n": 2}
    assert render_rows(["d"], [(Decimal("12345678901234567.89"),)], "json") == '{"d": "12345678901234567.89"}'


def test_json_refuses_repeated_column_names_and_an_empty_result_is_empty() -> None:
    with pytest.raises(ValueError, match=r"column name\(s\) id repeated"):
        render_rows(["id", "n", "id"], [(1, 2, 3)], "json")
    assert render_rows(["id"], [], "json") == ""


def test_timestamps_print_in_iso_8601_and_an_unknown_format_is_refused() -> None:
    stamp = dt.datetime(2026, 12, 7, 21, 5, 3, 250000)
    assert render_rows(["t"], [(stamp,)], "csv").splitlines()[1] == "2026-12-07 21:05:03.250000"
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        render_rows(["t"], [(stamp,)], "xml")
