"""Ground truth: which person every customer-like record belongs to, the persons themselves, the deterministic
links a pipeline can use, and where the planted bad records are."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa

from udp.generate import vocab as V
from udp.generate.clickstream import anon_text
from udp.generate.output import BadRecord
from udp.generate.people import FIRST_NAMES, SURNAMES
from udp.generate.render import inward
from udp.generate.taxonomy import TAXONOMY as T
from udp.generate.text import cat, csv_field, csv_lines, digits, fixed, hexdigits, line_bytes, lookup, vocab, where
from udp.generate.world import World


def person_ids(persons: np.ndarray) -> pa.Array:
    return fixed(persons.shape[0], b"P", digits(np.asarray(persons) + 1, 7))


def _write(path: Path, header: str, parts: Iterable[pa.Array]) -> int:
    rows = 0
    with path.open("wb") as f:
        f.write((header + "\n").encode())
        for lines in parts:
            f.write(line_bytes(lines))
            rows += len(lines)
    return rows


def _rows(source: str, keys: pa.Array, link: str | None, values: pa.Array) -> pa.Array:
    n = len(keys)
    cols = [pa.array([source] * n, pa.string()), keys]
    if link is not None:
        cols.append(pa.array([link] * n, pa.string()))
    return csv_lines([*cols, values], ",")


def write_customers(w: World, path: Path) -> int:
    crm = np.argsort(w.crm.id, kind="stable")
    ecom = np.argsort(w.ecom.id, kind="stable")
    return _write(
        path,
        "source,source_key,person_id",
        [
            _rows("crm", fixed(crm.shape[0], b"C", digits(w.crm.id[crm], 8)), None, person_ids(w.crm.person[crm])),
            _rows(
                "ecom",
                fixed(ecom.shape[0], b"A", hexdigits(w.ecom.id[ecom], 10)),
                None,
                person_ids(w.ecom.person[ecom]),
            ),
            _rows(
                "support",
                fixed(w.support.id.shape[0], b"TCK", digits(w.support.id, 8)),
                None,
                person_ids(w.support.person),
            ),
        ],
    )


def write_links(w: World, path: Path) -> int:
    dev = np.argsort(w.devices.id, kind="stable")
    ecom = np.argsort(w.ecom.id, kind="stable")
    cards = np.argsort(w.crm.card, kind="stable")
    return _write(
        path,
        "source,key,link_type,value",
        [
            _rows(
                "clickstream",
                fixed(dev.shape[0], *anon_text(w.devices.id[dev])),
                "anonymous_id->person_id",
                person_ids(w.devices.person[dev]),
            ),
            _rows(
                "ecom",
                fixed(ecom.shape[0], b"A", hexdigits(w.ecom.id[ecom], 10)),
                "account_id->person_id",
                person_ids(w.ecom.person[ecom]),
            ),
            _rows(
                "pos",
                fixed(cards.shape[0], b"6339", digits(w.crm.card[cards], 12)),
                "loyalty_card->customer_id",
                fixed(cards.shape[0], b"C", digits(w.crm.id[cards], 8)),
            ),
        ],
    )


def write_persons(w: World, path: Path, chunk: int = 200_000) -> int:
    inward_vocab = vocab([inward(i) for i in range(4000)])
    area = vocab([c[1] for c in V.CITIES])
    l1 = vocab(T.l1_names)
    brands = vocab(T.brand_names)
    first = vocab(FIRST_NAMES)
    last = vocab(SURNAMES)

    def part(p: np.ndarray) -> pa.Array:
        n = p.shape[0]
        hh = w.households.person_household[p]
        addr = w.people.addr[p]
        dob = w.people.dob[p].astype("datetime64[D]").astype(str)
        fav = where(
            w.prefs.fav_l1b[p] >= 0,
            cat(lookup(l1, w.prefs.fav_l1[p]), "|", lookup(l1, np.maximum(w.prefs.fav_l1b[p], 0))),
            lookup(l1, w.prefs.fav_l1[p]),
        )
        brand1 = lookup(brands, w.prefs.fav_brand[p])
        brand = where(
            w.prefs.fav_brand2[p] >= 0, cat(brand1, "|", lookup(brands, np.maximum(w.prefs.fav_brand2[p], 0))), brand1
        )
        return csv_lines(
            [
                person_ids(p),
                where(hh < 0, "", fixed(n, b"H", digits(np.maximum(hh, 0) + 1, 7))),
                csv_field(lookup(first, w.people.first[p]), ","),
                csv_field(lookup(last, w.people.last[p]), ","),
                pa.array(dob, pa.string()),
                where(w.people.male[p], "M", "F"),
                cat(
                    lookup(area, addr[:, 3]),
                    pa.array(addr[:, 4]).cast(pa.string()),
                    " ",
                    lookup(inward_vocab, addr[:, 5]),
                ),
                csv_field(fav, ","),
                csv_field(brand, ","),
                lookup(vocab(V.PRICE_BANDS), w.prefs.band[p]),
            ],
            ",",
        )

    parts = (part(np.arange(s, min(s + chunk, w.n))) for s in range(0, w.n, chunk))
    header = (
        "person_id,household_id,first_name,last_name,date_of_birth,gender,postcode,fav_category_l1,fav_brand,price_band"
    )
    return _write(path, header, parts)


def write_bad_records(records: list[BadRecord], path: Path) -> int:
    ordered = sorted(records, key=lambda b: (b.source, b.file, b.record or 0, b.defect))
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("source,file,record,defect\n")
        for b in ordered:
            f.write(f"{b.source},{b.file},{'' if b.record is None else b.record},{b.defect}\n")
    return len(ordered)


def truth_task(w: World, out: Path, day: int) -> dict[str, int]:
    """Write customers.csv, persons.csv and links.csv (bad_records.csv is written once all files exist)."""
    folder = out / "truth"
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "customers.csv": write_customers(w, folder / "customers.csv"),
        "persons.csv": write_persons(w, folder / "persons.csv"),
        "links.csv": write_links(w, folder / "links.csv"),
    }
