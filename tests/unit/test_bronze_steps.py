"""bronze's pieces on their own: drift, the ingest log's bookkeeping, landing paths, row checks and the counts that
decide whether a file is done (tiny inline frames; the whole chain runs in tests/integration/test_bronze.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from udp.bronze import validate
from udp.bronze.drift import DriftNote, csv_header_drift, csv_header_problems, enforce_policy, schema_drift
from udp.bronze.files import RawFile, normalise_uri, relative_to
from udp.bronze.ingest import count_records, file_outcomes
from udp.bronze.ledger import LogEntry, batch_id, not_done
from udp.bronze.parse import IS_CORRUPT, MALFORMED, TEXT
from udp.bronze.quarantine import files_in
from udp.bronze.reasons import REASON_TYPE, REASONS
from udp.contracts import Check
from udp.errors import InputPathError, SchemaDriftError

NOW = dt.datetime(2026, 10, 31, 12, 0, tzinfo=dt.UTC)


def raw(relative: str, size: int = 10, modified_ms: int = 1) -> RawFile:
    return RawFile(f"file:/raw/{relative}", relative, size, modified_ms)


# --------------------------------------------------------------------------------------------------------------------
# Drift
# --------------------------------------------------------------------------------------------------------------------


def test_a_csv_header_is_compared_with_the_contract_by_name_not_by_position() -> None:
    assert csv_header_drift("crm", "f.csv", ["b", "a"], ["a", "b"]) is None
    note = csv_header_drift("crm", "f.csv", ["a", "x"], ["a", "b"])
    assert note == DriftNote("crm", "f.csv", new_columns=("x",), missing_columns=("b",))
    assert note.describe() == "new column(s) x; missing column(s) b"


@pytest.mark.parametrize(
    ("header", "message"), [(["a", "a"], "duplicate column(s) a"), (["a", ""], "an empty column name")]
)
def test_an_unusable_csv_header_stops_the_source_naming_the_file(header: list[str], message: str) -> None:
    with pytest.raises(SchemaDriftError, match=re.escape(f"source 'crm': file f.csv has a header with {message}")):
        csv_header_drift("crm", "f.csv", header, ["a"])


def test_a_header_read_with_the_wrong_delimiter_names_the_likely_cause() -> None:
    assert csv_header_problems(["a", "b"], ["a", "b"], ["a"], ",") == ()
    assert csv_header_problems(["a;b"], ["a", "b"], ["a"], ",") == (
        "header (line 1) lacks required column(s) a: the header is one field, so the delimiter is not ','",
    )


def test_a_parquet_schema_drifts_by_new_missing_and_retyped_columns() -> None:
    expected = T.StructType([T.StructField("a", T.LongType()), T.StructField("b", T.StringType())])
    found = T.StructType([T.StructField("a", T.StringType()), T.StructField("c", T.StringType())])
    assert schema_drift("pos", "p.parquet", expected, expected) == []
    assert schema_drift("pos", "p.parquet", found, expected) == [DriftNote("pos", "p.parquet", ("c",), ("b",), ("a",))]


def test_only_the_fail_policy_stops_a_run_and_it_names_the_first_file_and_counts_the_rest() -> None:
    notes = [DriftNote("crm", "one.csv", new_columns=("x",)), DriftNote("crm", "two.csv", new_columns=("y",))]
    enforce_policy("crm", "rescue", notes)
    enforce_policy("crm", "evolve", notes)
    enforce_policy("crm", "fail", [])
    with pytest.raises(SchemaDriftError, match=r"^source 'crm': file one.csv has new column\(s\) x \(and 1 more"):
        enforce_policy("crm", "fail", notes)


# --------------------------------------------------------------------------------------------------------------------
# The ingest log's bookkeeping and landing paths
# --------------------------------------------------------------------------------------------------------------------


def test_a_file_is_new_unless_logged_done_and_a_done_file_that_changed_is_reported_not_reingested() -> None:
    files = [raw("a.csv"), raw("b.csv"), raw("c.csv", size=99), raw("d.csv")]
    logged = {
        "a.csv": LogEntry(10, 1, "ingested"),
        "b.csv": LogEntry(10, 1, "mismatch"),  # counts did not add up: retried
        "c.csv": LogEntry(10, 1, "empty"),  # done, but it has grown since
    }
    new, changed = not_done(files, logged)
    assert [f.relative for f in new] == ["b.csv", "d.csv"]
    assert changed == ["c.csv"]


def test_a_batch_id_names_the_source_and_time_and_changes_with_the_files() -> None:
    one = batch_id("crm", NOW, [raw("a.csv")])
    assert one.startswith("crm-20261031T120000-")
    assert one == batch_id("crm", NOW, [raw("a.csv")])
    assert one != batch_id("crm", NOW, [raw("a.csv"), raw("b.csv")])


def test_landing_paths_compare_as_spark_and_hadoop_print_them() -> None:
    assert raw("crm/2026-10-01/x.csv").landing_date == dt.date(2026, 10, 1)
    assert raw("crm/2026-13-01/x.csv").landing_date is None
    assert normalise_uri("file:///raw/a%20b/") == "file:/raw/a b"
    assert relative_to("file:/raw", "file:///raw/crm/x.csv") == "crm/x.csv"
    with pytest.raises(InputPathError, match="is not under the raw folder"):
        relative_to("file:/raw", "file:/elsewhere/x.csv")
    assert files_in(["a.csv", "it's.csv"]) == "_file IN ('a.csv', 'it\\'s.csv')"


# --------------------------------------------------------------------------------------------------------------------
# Row checks and counts (tiny frames)
# --------------------------------------------------------------------------------------------------------------------


def _rows(spark: SparkSession, values: list[tuple[str | None, str | None]]) -> DataFrame:
    """Parsed rows of a two-column contract as the parser leaves them (no line corrupt or malformed)."""
    ddl = f"id string, qty string, {TEXT} struct<id:string,qty:string>, {IS_CORRUPT} boolean, "
    ddl += f"{MALFORMED} struct<code:string,message:string>"
    return spark.createDataFrame([(i, q, None, False, None) for i, q in values], ddl)


def test_required_and_rule_checks_give_each_row_every_reason_it_breaks(spark: SparkSession) -> None:
    df = _rows(spark, [("A", "1"), (" ", "-2"), (None, None)])
    rule = Check(rule="CAST(qty AS INT) >= 0", reason="negative_quantity")
    checked = df.transform(validate.with_required(["id"])).transform(validate.with_checks([rule]))
    codes = [[r["code"] for r in row[REASONS]] for row in checked.orderBy("qty").collect()]
    assert sorted(codes) == [[], ["required:id"], ["required:id", "check:negative_quantity"]]


def test_a_malformed_line_keeps_that_one_reason_only(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(None, [("required:id", "required column id is empty")]), (("malformed_row", "2 fields, not 3"), [])],
        f"{MALFORMED} struct<code:string,message:string>, {REASONS} {REASON_TYPE}",
    )
    codes = [[r["code"] for r in row[REASONS]] for row in df.transform(validate.with_malformed_first()).collect()]
    assert codes == [["required:id"], ["malformed_row"]]


def test_a_file_is_done_only_when_records_read_equal_rows_landed_plus_quarantined(spark: SparkSession) -> None:
    rows = spark.createDataFrame(
        [("a.csv", []), ("a.csv", [("bad_date", "x")]), ("b.csv", []), ("b.csv", [("bad_date", "y"), ("z", "z")])],
        f"_file string, {REASONS} {REASON_TYPE}",
    )
    counts = count_records(rows)
    assert (counts.landed, counts.quarantined, counts.reasons) == (
        {"a.csv": 1, "b.csv": 1},
        {"a.csv": 1, "b.csv": 1},
        {"bad_date": 2},
    )
    files = [raw("a.csv"), raw("b.csv"), raw("e.csv", size=0)]
    outcomes = file_outcomes(files, {"a.csv": 2, "b.csv": 3}, counts)
    assert [(o.file.relative, o.rows_read, o.rows_landed, o.rows_quarantined, o.status) for o in outcomes] == [
        ("a.csv", 2, 1, 1, "ingested"),
        ("b.csv", 3, 1, 1, "mismatch"),  # a record was lost between reading and checking: retried next run
        ("e.csv", 0, 0, 0, "empty"),
    ]  # fmt: skip
