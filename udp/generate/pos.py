"""POS: two till files a day (the first and second half of the stores), one row per line item."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from udp.generate.output import DataFile, TaskResult, empty_file, raw_file, ymd
from udp.generate.params import rng_for
from udp.generate.sampling import cdf, draw
from udp.generate.text import cat, clock_s, digits, fixed, ints, money, sku_text, where
from udp.generate.world import World

POS_TX_PER_PERSON = 0.012  # till transactions per person per day (scaled by a day-of-week factor)
DOW_POS = (0.85, 0.85, 0.88, 0.95, 1.08, 1.35, 1.04)  # Monday..Sunday
POS_HOURS = cdf(np.array([0] * 8 + [3, 5, 6, 7, 9, 9, 8, 7, 7, 8, 8, 7, 5] + [0] * 3, dtype=np.float64))
POS_BAD_TIMESTAMPS = ("{date} 25:61:00", "N/A", "{dmy} 14:22", "2026-02-30 10:00:00", "00:00")
POS_HEADER = "transaction_id,store_id,till_id,ts,loyalty_card,line_no,sku,qty,unit_price,currency"


def pos_task(w: World, out: Path, day: int) -> TaskResult:
    """Two till files a day (first and second half of the stores), one row per line item."""
    plan = rng_for(w.params, "pos", day, 0)
    n_tx = int(plan.poisson(w.n * POS_TX_PER_PERSON * DOW_POS[w.weekday(day)]))
    rng = rng_for(w.params, "pos", day, 1)
    carded = rng.random(n_tx) < 0.5
    rec = draw(w.crm.till_cdf, rng, n_tx)
    carded &= (w.crm.join_day[rec] == 0) | (w.crm.join_day[rec] < day)
    person = np.where(carded, w.crm.person[rec], draw(w.activity.pos_cdf, rng, n_tx))
    card = np.where(carded, w.crm.card[rec], -1)
    city = w.people.addr[person, 3]
    cs, ce = w.stores.city_start[city], w.stores.city_start[city + 1]
    local = (ce > cs) & (rng.random(n_tx) < 0.85)
    store = np.where(
        local, cs + (rng.random(n_tx) * (ce - cs)).astype(np.int64), rng.integers(0, len(w.stores.num), n_tx)
    )
    till = 1 + (rng.random(n_tx) * w.stores.tills[store]).astype(np.int64)
    sec = draw(POS_HOURS, rng, n_tx) * 3600 + rng.integers(0, 3600, n_tx)
    n_lines = np.minimum(rng.geometric(0.45, n_tx), 12).astype(np.int64)
    order = np.lexsort((store, sec))
    person, card, store, till, sec, n_lines = (a[order] for a in (person, card, store, till, sec, n_lines))
    tx = np.repeat(np.arange(n_tx), n_lines)
    line_no = np.arange(tx.shape[0]) - (np.cumsum(n_lines) - n_lines)[tx] + 1
    items = w.sample_items(person[tx], day, rng)
    qty = rng.choice(np.array([1, 2, 3, 4]), p=[0.85, 0.11, 0.03, 0.01], size=tx.shape[0])
    price = w.products.price_on(day)[items]
    date = w.params.date(day)
    n = tx.shape[0]
    store_id = fixed(n, b"S", digits(w.stores.num[store[tx]], 4))
    columns = [
        fixed(n, f"T{ymd(date)}".encode(), digits(tx + 1, 7)),
        store_id,
        fixed(n, b"S", digits(w.stores.num[store[tx]], 4), b"-", digits(till[tx], 2)),
        fixed(n, f"{date.isoformat()} ".encode(), *clock_s(sec[tx])),
        where(card[tx] < 0, "", fixed(n, b"6339", digits(np.maximum(card[tx], 0), 12))),
        ints(line_no),
        fixed(n, *sku_text(items)),
        ints(qty),
        money(price),
    ]
    lines = cat(*[piece for col in columns for piece in (col, ",")], "GBP\n")
    file_of = w.stores.file[store[tx]]
    result = TaskResult()
    forced_file = 1 if (day == w.bad.empty_pos_day and w.bad.empty_pos_file == 0) else 0
    for nn in (0, 1):
        path, rel = raw_file(out, "pos", date, f"pos_transactions_{ymd(date)}_{nn + 1:02d}.csv")
        if day == w.bad.empty_pos_day and nn == w.bad.empty_pos_file:
            stat, records = empty_file(path, rel, "pos")
        else:
            sel = np.flatnonzero(file_of == nn)
            file_rng = rng_for(w.params, "pos", day, 2 + nn)
            counts = w.bad.counts(file_rng, "pos", day, sel.shape[0], forced=nn == forced_file)
            bad = _bad_pos_lines(w, file_rng, day, nn, counts)
            f = DataFile(
                path, rel, "pos", header=POS_HEADER, encoding="utf-8", n_valid=sel.shape[0], bad=bad, rng=file_rng
            )
            f.write(lines.take(pa.array(sel)))
            stat, records = f.close()
        result.files.append(stat)
        result.bad.extend(records)
    return result


def _bad_pos_lines(
    w: World, rng: np.random.Generator, day: int, nn: int, counts: dict[str, int]
) -> list[tuple[str, bytes]]:
    date = w.params.date(day)
    out: list[tuple[str, bytes]] = []
    k = 0
    half = np.flatnonzero(w.stores.file == nn)
    for defect, count in counts.items():
        for _ in range(count):
            k += 1
            store = int(w.stores.num[half[int(rng.integers(half.shape[0]))]]) if half.shape[0] else 1001
            sec = int(rng.integers(8 * 3600, 21 * 3600))
            ts = f"{date.isoformat()} {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"
            item = int(w.products.safe_item)
            sku = f"SKU{item + 1:07d}"
            qty = "1"
            if defect == "negative_quantity":
                qty = str(-int(rng.integers(1, 4)))
            elif defect == "unknown_sku":
                sku = f"SKU{int(w.unknown_skus(rng, 1)[0]):07d}"
            elif defect == "bad_timestamp":
                pattern = POS_BAD_TIMESTAMPS[int(rng.integers(len(POS_BAD_TIMESTAMPS)))]
                ts = pattern.format(date=date.isoformat(), dmy=date.strftime("%d/%m/%Y"))
            price = w.products.price[item]
            fields = [f"T{ymd(date)}{9_000_000 + nn * 100_000 + k:07d}", f"S{store:04d}", f"S{store:04d}-01", ts, ""]
            fields += ["1", sku, qty, f"{price // 100}.{price % 100:02d}", "GBP"]
            if defect == "malformed_row":
                fields = fields[: int(rng.integers(3, 8))]
            out.append((defect, ",".join(fields).encode("utf-8")))
    return out
