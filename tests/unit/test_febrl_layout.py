"""bench/febrl.py: the FEBRL files laid out as landing dumps with a truth (no Spark)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from bench.febrl import COLUMNS, LANDING_DATE, entity_of, lay_out


def test_rec_ids_of_one_person_share_the_entity() -> None:
    assert entity_of("rec-123-org") == entity_of("rec-123-dup-0") == entity_of("rec-123-dup-4") == "123"
    with pytest.raises(ValueError, match="not a FEBRL rec_id"):
        entity_of("rec-123")


def test_febrl_sets_land_where_their_sources_read_with_a_truth_row_per_record(tmp_path: Path) -> None:
    sets = lay_out(tmp_path)
    assert {n: s.records for n, s in sets.items()} == {
        "febrl3": {"febrl3": 5000},
        "febrl4": {"febrl4a": 5000, "febrl4b": 5000},
    }
    dump = tmp_path / "febrl3" / "raw" / "febrl3" / LANDING_DATE / "febrl3.csv"
    with dump.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == COLUMNS
    assert rows[1] == ["rec-1496-org", "mitchell", "green", "7", "wallaby place", "delmar", "cleveland", "2119", "sa",
                       "19560409", "1804974"]  # fmt: skip
    with sets["febrl4"].truth.open(encoding="utf-8", newline="") as f:
        truth = list(csv.DictReader(f))
    assert len(truth) == 10000
    per_entity = Counter(r["entity_id"] for r in truth)
    assert set(per_entity.values()) == {2}  # FEBRL4: every person once in file A and once in file B
    assert Counter(r["source"] for r in truth) == {"febrl4a": 5000, "febrl4b": 5000}
