"""evaluate-matching: any source,source_key,entity_id truth; missing records are singletons; pairwise and cluster
scores."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tests.frames import assert_rows
from udp.silver import evaluate
from udp.silver.evaluate import Scores, TruthFileError, read_truth, score, with_predictions

TRUTH = "source STRING, source_key STRING, entity_id STRING, household_id STRING"
XREF = "source STRING, source_key STRING, record_id STRING, customer_id STRING"


def test_a_truth_record_missing_from_the_xref_counts_as_its_own_cluster(spark: SparkSession) -> None:
    truth = spark.createDataFrame(
        [("a", "1", "E1", None), ("a", "2", "E1", None), ("b", "9", "E1", None), ("a", "3", "E2", "H")], TRUTH
    )
    xref = spark.createDataFrame(
        [("a", "1", "a:1", "C1"), ("a", "2", "a:2", "C1"), ("a", "3", "a:3", "C2"), ("z", "7", "z:7", "C2")], XREF
    )
    assigned = with_predictions(truth, xref)
    assert_rows(
        assigned,
        [
            ("a:1", "C1", "E1", None, True),
            ("a:2", "C1", "E1", None, True),
            ("b:9", "unmatched:b:9", "E1", None, False),
            ("a:3", "C2", "E2", "H", True),
        ],
    )
    scores = score(assigned)
    assert (scores.records, scores.true_pairs, scores.correct_pairs) == (4, 3, 1)


def test_pairwise_and_exact_cluster_scores(spark: SparkSession) -> None:
    # truth E1 = {r1, r2, r3}, E2 = {r4, r5}, E3 = {r6}; predicted C1 = {r1, r2}, C2 = {r3}, C3 = {r4, r5, r6}
    rows = [
        ("r1", "C1", "E1"),
        ("r2", "C1", "E1"),
        ("r3", "C2", "E1"),
        ("r4", "C3", "E2"),
        ("r5", "C3", "E2"),
        ("r6", "C3", "E3"),
    ]
    scores = score(spark.createDataFrame(rows, "record_id STRING, customer_id STRING, entity_id STRING"))
    assert scores == Scores(
        true_pairs=4, predicted_pairs=4, correct_pairs=2, persons=3, customers=3, records=6, correct_clusters=0
    )
    assert (scores.precision, scores.recall) == (0.5, 0.5)
    assert (scores.cluster_precision, scores.cluster_recall, scores.cluster_f1) == (0.0, 0.0, 0.0)


def test_a_cluster_counts_as_correct_only_when_its_records_equal_an_entitys(spark: SparkSession) -> None:
    # C1 = E1 exactly; C2 holds E2 but E2 also has r4 in C3; singleton C4 = singleton E3
    rows = [
        ("r1", "C1", "E1"),
        ("r2", "C1", "E1"),
        ("r3", "C2", "E2"),
        ("r4", "C3", "E2"),
        ("r5", "C4", "E3"),
    ]
    scores = score(spark.createDataFrame(rows, "record_id STRING, customer_id STRING, person_id STRING"), "person_id")
    assert (scores.correct_clusters, scores.customers, scores.persons) == (2, 4, 3)
    assert scores.cluster_precision == 0.5
    assert scores.cluster_recall == pytest.approx(2 / 3)
    assert (scores.precision, scores.recall) == (1.0, 0.5)


def test_any_csv_with_source_source_key_entity_id_is_a_truth(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text("entity_id,source,source_key,note\n123,febrl3,rec-123-org,x\n123,febrl3,rec-123-dup-0,\n")
    assert_rows(
        read_truth(spark, str(path)),
        [("febrl3", "rec-123-org", "123", None), ("febrl3", "rec-123-dup-0", "123", None)],
    )


def test_the_generator_truth_folder_is_still_accepted(spark: SparkSession, tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("source,source_key,person_id\ncrm,C1,P1\necom,A1,P1\ncrm,C2,P2\n")
    (tmp_path / "persons.csv").write_text("person_id,household_id,first_name\nP1,H1,Ann\nP2,,Bob\n")
    assert_rows(
        read_truth(spark, str(tmp_path)),
        [("crm", "C1", "P1", "H1"), ("ecom", "A1", "P1", "H1"), ("crm", "C2", "P2", None)],
    )


def test_a_truth_without_the_expected_header_or_files_is_named(tmp_path: Path, spark: SparkSession) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("source,key,person\ncrm,C1,P1\n")
    with pytest.raises(TruthFileError, match=r"labels\.csv: header has no source_key, entity_id"):
        read_truth(spark, str(path))
    with pytest.raises(TruthFileError, match=r"ground truth file not found: .*customers\.csv"):
        read_truth(spark, str(tmp_path))


def test_evaluate_matching_names_a_bad_truth_in_one_line_before_starting_spark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("source,source_key,person_id\ncrm,C1,P1\n")
    assert evaluate.main(["--truth", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"udp: error: ground truth {path}: header has no entity_id (found: 'source,source_key,person_id'; --truth "
        "takes a CSV with header source,source_key,entity_id, or the generator's DIR/truth folder)"
    ]
