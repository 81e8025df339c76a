"""The review loop's pure parts: reading labels, applying them to decisions, and the estimate from labels."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pyspark.sql import Row, SparkSession

from tests.frames import assert_rows
from udp.silver import estimate, labels, review
from udp.silver.labels import Label, LabelError, parse_labels, read_label_file


def test_labels_are_read_in_canonical_order_and_blank_rows_are_skipped() -> None:
    rows = [
        {"left_id": "crm:2", "right_id": "crm:1", "label": " Yes "},
        {"left_id": "crm:3", "right_id": "web:9", "label": ""},
        {"left_id": "crm:3", "right_id": "web:8", "label": "no"},
    ]
    assert parse_labels(rows, "f.csv") == [Label("crm:1", "crm:2", "yes"), Label("crm:3", "web:8", "no")]


def test_a_bad_label_value_names_the_file_and_row() -> None:
    rows = [{"left_id": "a", "right_id": "b", "label": "yes"}, {"left_id": "a", "right_id": "c", "label": "maybe"}]
    with pytest.raises(LabelError, match=r"^f\.csv row 3: label 'maybe' is not yes or no"):
        parse_labels(rows, "f.csv")


def test_one_pair_labelled_both_ways_in_one_file_is_an_error() -> None:
    rows = [{"left_id": "a", "right_id": "b", "label": "yes"}, {"left_id": "b", "right_id": "a", "label": "no"}]
    with pytest.raises(LabelError, match=r"row 3: pair a ~ b is labelled no, but yes in row 2"):
        parse_labels(rows, "f.csv")


def test_a_label_file_needs_the_exported_columns(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("left_id,label\na,yes\n", encoding="utf-8")
    with pytest.raises(LabelError, match=r"column\(s\) right_id missing"):
        read_label_file(str(path))


def test_a_json_export_is_read_with_items_numbered_from_one(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    path.write_text(json.dumps([{"left_id": "a", "right_id": "b", "label": "no"}, {"left_id": "a", "label": "x"}]))
    with pytest.raises(LabelError, match=r"labels\.json item 2: label 'x'"):
        read_label_file(str(path))


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_filled_in_reads_back_as_labels(tmp_path: Path, fmt: str) -> None:
    columns = ["left_id", "right_id", "probability", "left_first_name", "right_first_name", "label"]
    rows = [
        {
            "left_id": "crm:1",
            "right_id": "web:2",
            "probability": 0.9,
            "left_first_name": "Ann",
            "right_first_name": None,
            "label": "yes",
        },
        {
            "left_id": "crm:3",
            "right_id": "web:4",
            "probability": 0.85,
            "left_first_name": "Bo",
            "right_first_name": "Bo",
            "label": "",
        },
    ]
    path = tmp_path / f"review.{fmt}"
    review.write_rows(rows, columns, path, fmt)
    assert read_label_file(str(path)) == [Label("crm:1", "web:2", "yes")]


DECIDED = "left_id STRING, right_id STRING, decision STRING, rule STRING"


def test_yes_always_links_and_no_never_links_whatever_the_model_decided(spark: SparkSession) -> None:
    pairs = spark.createDataFrame(
        [
            ("a", "b", "match", "exact email"),
            ("c", "d", "review", "probabilistic"),
            ("e", "f", "none", "probabilistic"),
            ("g", "h", "match", "probabilistic"),
        ],
        DECIDED,
    )
    given = spark.createDataFrame(
        [("a", "b", "no", None, None), ("c", "d", "yes", None, None), ("e", "f", "yes", None, None)],
        labels.LABELS_SCHEMA,
    )
    assert_rows(
        pairs.transform(labels.with_labels(given)),
        [
            Row(left_id="a", right_id="b", decision="rejected", rule="label no (model: match)"),
            Row(left_id="c", right_id="d", decision="match", rule="label yes (model: review)"),
            Row(left_id="e", right_id="f", decision="match", rule="label yes (model: none)"),
            Row(left_id="g", right_id="h", decision="match", rule="probabilistic"),
        ],
    )


def test_the_labels_honoured_are_counted_from_the_labelled_links(spark: SparkSession) -> None:
    links = spark.createDataFrame(
        [
            ("a", "b", "rejected", "label no (model: match)"),
            ("c", "d", "match", "label yes (model: review)"),
            ("e", "f", "match", "exact email"),
        ],
        DECIDED,
    )
    assert_rows(labels.honoured(links), [Row(label="no", count=1), Row(label="yes", count=1)])


def test_the_export_takes_review_pairs_and_a_sample_of_matches_never_a_labelled_pair(spark: SparkSession) -> None:
    links = spark.createDataFrame(
        [
            ("a", "b", "review", "probabilistic"),
            ("c", "d", "review", "probabilistic"),
            ("e", "f", "match", "exact email"),
            ("g", "h", "match", "probabilistic"),
        ],
        DECIDED,
    )
    given = spark.createDataFrame([("c", "d", "no", None, None), ("g", "h", "yes", None, None)], labels.LABELS_SCHEMA)
    assert_rows(
        review.review_pairs(links, given, matches=5),
        [
            Row(left_id="a", right_id="b", decision="review", rule="probabilistic"),
            Row(left_id="e", right_id="f", decision="match", rule="exact email"),
        ],
    )
    assert review.review_pairs(links, None).count() == 2


def test_labelled_pairs_join_the_candidates_once_and_only_while_both_records_exist(spark: SparkSession) -> None:
    records = spark.createDataFrame([("a",), ("b",), ("c",), ("d",)], "record_id STRING")
    given = spark.createDataFrame(
        [("a", "b", "yes", None, None), ("c", "d", "no", None, None), ("a", "z", "no", None, None)],
        labels.LABELS_SCHEMA,
    )
    candidates = spark.createDataFrame(
        [("a", "b", "email", 1)], "left_id STRING, right_id STRING, rule STRING, rule_bits BIGINT"
    )
    combined = candidates.transform(labels.with_labelled_pairs(labels.labelled_pairs(given, records)))
    # a labelled pair blocking did not find carries no rule's bit: no training rule counts it as its own
    assert_rows(
        combined,
        [
            Row(left_id="a", right_id="b", rule="email", rule_bits=1),
            Row(left_id="c", right_id="d", rule="label", rule_bits=0),
        ],
    )


def test_reapplying_the_same_labels_changes_nothing_and_a_new_label_replaces_the_old(spark: SparkSession) -> None:
    first = labels.label_frame(spark, [Label("a", "b", "yes")], "/f1.csv", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    again = labels.label_frame(spark, [Label("a", "b", "yes")], "/f1.csv", dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    assert again.transform(labels.changed_labels(first)).count() == 0
    later = labels.label_frame(spark, [Label("a", "b", "no")], "/f2.csv", dt.datetime(2026, 1, 3, tzinfo=dt.UTC))
    assert [r["label"] for r in later.transform(labels.changed_labels(first)).collect()] == ["no"]


def test_a_no_pair_chained_into_one_customer_is_reported(spark: SparkSession) -> None:
    given = spark.createDataFrame(
        [("a", "c", "no", None, None), ("a", "d", "no", None, None), ("a", "b", "yes", None, None)],
        labels.LABELS_SCHEMA,
    )
    xref = spark.createDataFrame(
        [("a", "cus_1"), ("b", "cus_1"), ("c", "cus_1"), ("d", "cus_2")], "record_id STRING, customer_id STRING"
    )
    assert_rows(labels.contradicted(given, xref), [Row(left_id="a", right_id="c", customer_id="cus_1")])


def test_wilson_interval_matches_the_textbook_values() -> None:
    low, high = estimate.wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    low, high = estimate.wilson_interval(0, 5)
    assert low == 0.0
    assert round(high, 4) == 0.4345
    with pytest.raises(ValueError, match="n > 0"):
        estimate.wilson_interval(1, 0)


def test_precision_counts_the_linked_labels_and_recall_the_yes_labels() -> None:
    e = estimate.estimate({("yes", True): 9, ("no", True): 1, ("yes", False): 3, ("no", False): 7})
    assert (e.precision.hits, e.precision.n, e.recall.hits, e.recall.n, e.labels) == (9, 10, 9, 12, 20)
    assert e.precision.render().startswith("0.900 (95% CI 0.596-0.982; 9 of 10 labels)")
    assert estimate.estimate({("no", False): 2}).precision.render() == "no labels"


def test_label_outcomes_take_the_models_decision_not_the_labels(spark: SparkSession) -> None:
    given = spark.createDataFrame(
        [("a", "b", "no", None, None), ("c", "d", "yes", None, None), ("e", "f", "yes", None, None)],
        labels.LABELS_SCHEMA,
    )
    links = spark.createDataFrame(
        [("a", "b", "rejected", "label no (model: match)"), ("c", "d", "match", "label yes (model: review)")],
        DECIDED,
    )
    records = spark.createDataFrame([(x,) for x in "abcde"], "record_id STRING")
    assert_rows(
        estimate.label_outcomes(given, links, records),
        [
            Row(left_id="a", right_id="b", label="no", linked=True, present=True),
            Row(left_id="c", right_id="d", label="yes", linked=False, present=True),
            Row(left_id="e", right_id="f", label="yes", linked=False, present=False),
        ],
    )
