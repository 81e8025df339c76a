"""Item and reference sources: the ERP product master (snapshot, then launches and price changes) and the
third-party postcode enrichment."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from udp.generate import vocab as V
from udp.generate.ids import UNKNOWN_SKU_LIMIT
from udp.generate.output import DataFile, TaskResult, raw_file, ymd
from udp.generate.params import rng_for
from udp.generate.taxonomy import TAXONOMY as T
from udp.generate.text import cat, csv_field, csv_line_py, csv_lines, digits, fixed, lookup, money, vocab, where
from udp.generate.world import World

ERP_HEADER = "sku,name,description,brand,category_path,price,currency,launched,active"
THIRDPARTY_HEADER = "postcode_district,income_band,urban_rural,region"
CHUNK = 200_000
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _template(templates: Sequence[str], which: np.ndarray, fields: dict[str, pa.Array]) -> pa.Array:
    """Fill one of several `{field}` templates per row, each template applied to its rows in one kernel call."""
    n = which.shape[0]
    parts: list[pa.Array] = []
    index = np.zeros(n, dtype=np.int64)
    done = 0
    for t, template in enumerate(templates):
        rows = np.flatnonzero(which == t)
        if rows.shape[0] == 0:
            continue
        pieces: list[str | pa.Array] = []
        for i, piece in enumerate(_PLACEHOLDER.split(template)):
            if i % 2:
                pieces.append(fields[piece].take(pa.array(rows)))
            elif piece:
                pieces.append(piece)
        filled = cat(*pieces) if any(isinstance(p, pa.Array) for p in pieces) else pa.array([template] * rows.shape[0])
        parts.append(filled)
        index[rows] = done + np.arange(rows.shape[0])
        done += rows.shape[0]
    return pa.concat_arrays(parts).take(pa.array(index)) if parts else pa.array([], pa.string())


def _dates(epoch_days: np.ndarray) -> pa.Array:
    d = np.asarray(epoch_days, dtype=np.int64).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    year = months.astype(np.int64) // 12 + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (d - months).astype(np.int64) + 1
    return fixed(d.shape[0], digits(year, 4), b"-", digits(month, 2), b"-", digits(day, 2))


def erp_lines(w: World, items: np.ndarray, price: np.ndarray) -> pa.Array:
    n = items.shape[0]
    brand = lookup(vocab(T.brand_names), w.products.brand[items])
    noun = lookup(vocab(T.leaf_noun), w.products.leaf[items])
    adj = lookup(vocab(V.ADJECTIVES), w.products.adj[items])
    fields = {
        "brand": brand,
        "noun": lookup(vocab([s.lower() for s in T.leaf_noun]), w.products.leaf[items]),
        "adj": lookup(vocab([s.lower() for s in V.ADJECTIVES]), w.products.adj[items]),
        "colour": lookup(vocab(V.COLOURS), w.products.colour[items]),
        "material": lookup(vocab(T.materials), w.products.material[items]),
        "collection": lookup(vocab(V.COLLECTIONS), w.products.collection[items]),
    }
    description = cat(
        _template(V.DESCRIPTION_OPENERS, w.products.opener[items], fields),
        _template(V.DESCRIPTION_CLOSERS, w.products.closer[items], fields),
    )
    columns = [
        fixed(n, b"SKU", digits(items + 1, 7)),
        csv_field(cat(brand, " ", adj, " ", noun), ","),
        csv_field(description, ","),
        csv_field(brand, ","),
        csv_field(lookup(vocab(T.leaf_path), w.products.leaf[items]), ","),
        money(price),
        pa.array(["GBP"] * n, pa.string()),
        _dates(w.day_epoch[0] + w.products.launch_day[items]),
        where(w.products.active[items], "Y", "N"),
    ]
    return csv_lines(columns, ",")


def erp_task(w: World, out: Path, day: int) -> TaskResult:
    """Day 0: every item launched before the period. Later days: that day's launches and price changes."""
    rng = rng_for(w.params, "erp", day, 0)
    price_today = w.products.price_on(day)
    p = w.products
    if day == 0:
        items = np.flatnonzero(p.launch_day < 0)
    else:
        items = np.unique(np.concatenate([np.flatnonzero(p.launch_day == day), p.chg_item[p.chg_day == day]]))
    date = w.params.date(day)
    path, rel = raw_file(out, "erp", date, f"erp_products_{ymd(date)}.csv")
    counts = w.bad.counts(rng, "erp", day, items.shape[0])
    bad: list[tuple[str, bytes]] = []
    for k in range(counts["negative_price"]):
        brand = T.brand_names[int(rng.integers(T.n_brand))]
        leaf = int(rng.integers(T.n_leaf))
        price = int(rng.integers(100, 20_000))
        fields = [f"SKU{UNKNOWN_SKU_LIMIT + day * 1000 + k:07d}", f"{brand} {T.leaf_noun[leaf]}", "Imported item."]
        fields += [brand, T.leaf_path[leaf], f"-{price // 100}.{price % 100:02d}", "GBP", date.isoformat(), "Y"]
        bad.append(("negative_price", csv_line_py(fields, ",").rstrip("\n").encode("utf-8")))
    f = DataFile(path, rel, "erp", header=ERP_HEADER, encoding="utf-8", n_valid=items.shape[0], bad=bad, rng=rng)
    for s in range(0, items.shape[0], CHUNK):
        chunk = items[s : s + CHUNK]
        f.write(erp_lines(w, chunk, price_today[chunk]))
    stat, records = f.close()
    return TaskResult([stat], records)


def thirdparty_task(w: World, out: Path, day: int) -> TaskResult:
    """Income band, urban/rural and region for every postcode district any address uses (day 0 only)."""
    rng = rng_for(w.params, "thirdparty", day, 0)
    addr = np.concatenate([w.people.addr[:, 3:5], w.people.alt_addr[:, 3:5]])
    pairs: np.ndarray = np.unique(addr[:, 0] * 1000 + addr[:, 1])
    city = (pairs // 1000).tolist()
    district = (pairs % 1000).tolist()
    income = np.asarray(rng.choice(len(V.INCOME_BANDS), p=[0.15, 0.25, 0.3, 0.2, 0.1], size=pairs.shape[0])).tolist()
    u = np.asarray(rng.random(pairs.shape[0])).tolist()
    rows = []
    for c, d, inc, x in zip(city, district, income, u, strict=True):
        _name, area, _n, region, _w, urban = V.CITIES[c]
        kind = "urban" if x < urban else ("suburban" if x < urban + (1 - urban) / 2 else "rural")
        rows.append((f"{area}{d}", V.INCOME_BANDS[inc], kind, region))
    rows.sort()
    date = w.params.date(day)
    path, rel = raw_file(out, "thirdparty", date, f"postcode_enrichment_{ymd(date)}.csv")
    f = DataFile(
        path, rel, "thirdparty", header=THIRDPARTY_HEADER, encoding="utf-8", n_valid=len(rows), bad=[], rng=rng
    )
    f.write([csv_line_py(list(r), ",") for r in rows])
    stat, records = f.close()
    return TaskResult([stat], records)
