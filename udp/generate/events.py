"""Event sources: clickstream sessions with the online orders they end in (OMS), and store till lines (POS).

These are the bulk of the output, so everything is vectorised: sessions, events and items are drawn as numpy
arrays per chunk and lines are assembled with Arrow string kernels (see text.py). A clickstream chunk is one file;
the OMS file of a day is built from the purchases of all that day's chunks, so every online order has the
session that led to it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from udp.generate import vocab as V
from udp.generate.output import BadRecord, DataFile, FileStat, TaskResult, empty_file, raw_file, ymd
from udp.generate.render import Renderer
from udp.generate.text import cat, clock_ms, clock_s, digits, fixed, hexdigits, ints, lookup, money, vocab, where
from udp.generate.world import (
    ADDR_MOVED,
    CHUNK_ROWS,
    DEVICE_TYPES,
    DOW_POS,
    DOW_WEB,
    MEAN_BROWSE_EVENTS,
    POS_TX_PER_PERSON,
    UPDATE_MOVED,
    VISITOR_SESSIONS_PER_PERSON,
    WEB_SESSIONS_PER_PERSON,
    World,
    cdf,
    draw,
    rng_for,
    splitmix64,
)

VIEW, ADD, SEARCH, PURCHASE = 0, 1, 2, 3
EVENT_TYPES = ("view", "add_to_cart", "search", "purchase")
WEB_HOURS = cdf(np.array([2, 1, 1, 0.5, 0.5, 1, 2, 4, 5, 5, 5, 6, 7, 6, 6, 6, 6, 7, 9, 11, 12, 11, 8, 4]))
POS_HOURS = cdf(np.array([0] * 8 + [3, 5, 6, 7, 9, 9, 8, 7, 7, 8, 8, 7, 5] + [0] * 3, dtype=np.float64))
TAG_EVENT, TAG_SESSION, TAG_BAD = 1, 2, 3
BAD_TIMESTAMPS = ("{date}T25:61:00Z", "yesterday", "{dmy} 14:22", "2026-02-30T10:00:00Z", "")
POS_BAD_TIMESTAMPS = ("{date} 25:61:00", "N/A", "{dmy} 14:22", "2026-02-30 10:00:00", "00:00")
POS_HEADER = "transaction_id,store_id,till_id,ts,loyalty_card,line_no,sku,qty,unit_price,currency"

OMS_SCHEMA = pa.schema(
    [
        ("order_id", pa.string()),
        ("account_id", pa.string()),
        ("order_ts", pa.timestamp("us", tz="UTC")),
        ("channel", pa.string()),
        ("currency", pa.string()),
        (
            "ship_to",
            pa.struct(
                [
                    ("name", pa.string()),
                    ("line1", pa.string()),
                    ("city", pa.string()),
                    ("postcode", pa.string()),
                    ("country", pa.string()),
                ]
            ),
        ),
        (
            "lines",
            pa.list_(
                pa.struct(
                    [
                        ("line_no", pa.int32()),
                        ("sku", pa.string()),
                        ("qty", pa.int32()),
                        ("unit_price", pa.float64()),
                    ]
                )
            ),
        ),
        ("order_total", pa.float64()),
    ]
)


def event_ids(tag: int, day: int, chunk: int, index: np.ndarray) -> np.ndarray:
    """Unique 64-bit ids: a bijection of (tag, day, chunk, index) packed into 64 bits."""
    packed = (
        (np.uint64(tag) << np.uint64(62))
        | (np.uint64(day) << np.uint64(42))
        | (np.uint64(chunk) << np.uint64(30))
        | np.asarray(index, dtype=np.uint64)
    )
    return splitmix64(packed)


def anon_text(ids: np.ndarray) -> list[np.ndarray | bytes]:
    """A device id as 'xxxxxxxx-xxxx-xxxx' pieces for `fixed`."""
    h = hexdigits(ids, 16)
    return [h[:, :8], b"-", h[:, 8:12], b"-", h[:, 12:]]


def anon_str(value: int) -> str:
    h = f"{value:016x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:]}"


def sku_text(items: np.ndarray) -> list[np.ndarray | bytes]:
    return [b"SKU", digits(np.asarray(items) + 1, 7)]


def _share(total: int, k: int, parts: int) -> int:
    return total * (k + 1) // parts - total * k // parts


def _segment_rank(keys: np.ndarray) -> np.ndarray:
    """0-based rank of each element within its run of equal (sorted) keys."""
    if keys.shape[0] == 0:
        return keys
    first = np.searchsorted(keys, keys, side="left")
    return np.arange(keys.shape[0]) - first


# --------------------------------------------------------------------------------------------------------------------
# Clickstream sessions
# --------------------------------------------------------------------------------------------------------------------


class Sessions:
    """One chunk of sessions and their events, sorted by time."""

    def __init__(self, w: World, rng: np.random.Generator, day: int, n_person: int, n_visitor: int) -> None:
        s = n_person + n_visitor
        persons = draw(w.web_cdf, rng, n_person)
        dev = w.dev_start[persons] + (rng.random(n_person) * w.p_ndev[persons]).astype(np.int64)
        vis = rng.integers(0, w.n_visitors, n_visitor)
        self.person = np.concatenate([persons, np.full(n_visitor, -1, dtype=np.int64)])
        self.anon = np.concatenate([w.dev_id[dev], w.vis_id[vis]])
        self.device = np.concatenate([w.dev_type[dev], w.vis_type[vis]])
        # Which account (if any) the session can log in to: existing by that day and not closed.
        a1, a2 = w.p_acc1[persons], w.p_acc2[persons]
        acc = np.where((a2 >= 0) & (rng.random(n_person) < 0.3), a2, a1)
        has = acc >= 0
        usable = np.zeros(n_person, dtype=bool)
        ah = acc[has]
        usable[has] = ((w.a_signup_day[ah] == 0) | (w.a_signup_day[ah] < day)) & ~w.a_closed[ah]
        self.account = np.concatenate([np.where(usable, acc, -1), np.full(n_visitor, -1, dtype=np.int64)])
        # Logged in from the start (~45%), after a login mid-session (~40%: one-event sessions cannot) or never.
        u = rng.random(s)
        mode = np.where(self.account >= 0, np.where(u < 0.38, 0, np.where(u < 0.85, 1, 2)), 2)
        nb = np.minimum(rng.geometric(1.0 / MEAN_BROWSE_EVENTS, s), 60).astype(np.int64)
        purchase = (mode != 2) & (rng.random(s) < 0.10)
        nb = np.where(purchase, np.maximum(nb, 2), nb)
        mode = np.where((mode == 1) & (nb < 2), 0, mode)
        never = np.iinfo(np.int64).max
        login_at = np.where(mode == 0, 0, np.where(mode == 1, 1 + (rng.random(s) * (nb - 1)).astype(np.int64), never))
        # Browse events.
        sess = np.repeat(np.arange(s), nb)
        start = np.cumsum(nb) - nb
        pos = np.arange(sess.shape[0]) - start[sess]
        r = rng.random(sess.shape[0])
        etype = np.where(
            pos == 0, np.where(r < 0.25, SEARCH, VIEW), np.where(r < 0.75, VIEW, np.where(r < 0.85, SEARCH, ADD))
        )
        etype[(start + nb - 1)[purchase]] = ADD
        items = w.sample_items(self.person[sess], day, rng)
        after_view = np.flatnonzero((etype == ADD) & (pos > 0) & (np.roll(etype, 1) == VIEW))
        items[after_view] = items[after_view - 1]
        # Purchases: one event per cart add, after the browsing.
        padd = np.flatnonzero((etype == ADD) & purchase[sess])
        p_sess = sess[padd]
        p_pos = nb[p_sess] + _segment_rank(p_sess)
        all_sess = np.concatenate([sess, p_sess])
        all_pos = np.concatenate([pos, p_pos])
        order = np.lexsort((all_pos, all_sess))
        self.sess = all_sess[order]
        pos_sorted = all_pos[order]
        self.etype = np.concatenate([etype, np.full(p_sess.shape[0], PURCHASE)])[order]
        self.item = np.concatenate([items, items[padd]])[order]
        # Times: a session start by hour of day, then exponential gaps.
        start_ms: np.ndarray = draw(WEB_HOURS, rng, s) * 3_600_000 + rng.integers(0, 3_600_000, s)
        gaps: np.ndarray = (np.asarray(rng.exponential(35_000.0, self.sess.shape[0])) + 500).astype(np.int64)
        gaps[pos_sorted == 0] = 0
        csum = np.cumsum(gaps)
        first = np.searchsorted(self.sess, np.arange(s), side="left")
        offset = csum - csum[first[self.sess]]
        self.ts = np.minimum(start_ms[self.sess] + offset, 86_399_999)
        self.event_account = np.where(pos_sorted >= login_at[self.sess], self.account[self.sess], -1)
        self.n_sessions = s
        # Final order: by time (stable, so a session's events keep their order on ties).
        by_time = np.argsort(self.ts, kind="stable")
        self.sess, self.etype, self.item = self.sess[by_time], self.etype[by_time], self.item[by_time]
        self.ts, self.event_account = self.ts[by_time], self.event_account[by_time]
        self.query_form = np.asarray(rng.integers(0, 4, self.sess.shape[0]))

    def __len__(self) -> int:
        return int(self.sess.shape[0])

    def lines(self, w: World, day: int, chunk: int) -> pa.Array:
        n = len(self)
        date = w.params.date(day).isoformat()
        eid = fixed(n, hexdigits(event_ids(TAG_EVENT, day, chunk, np.arange(n)), 16))
        sid = fixed(n, hexdigits(event_ids(TAG_SESSION, day, chunk, self.sess), 16))
        anon = fixed(n, *anon_text(self.anon[self.sess]))
        acc = self.event_account
        acc_json = where(acc < 0, "null", fixed(n, b'"A', hexdigits(w.a_id[np.maximum(acc, 0)], 10), b'"'))
        search = self.etype == SEARCH
        sku_json = where(search, "null", fixed(n, b'"', *sku_text(self.item), b'"'))
        q_idx = np.flatnonzero(search)
        queries = self._queries(w, q_idx)
        mapping = np.full(n, len(queries), dtype=np.int64)
        mapping[q_idx] = np.arange(q_idx.shape[0])
        q_json = pa.concat_arrays([cat('"', queries, '"'), pa.array(["null"])]).take(pa.array(mapping))
        etype = lookup(vocab(EVENT_TYPES), self.etype)
        device = lookup(vocab(DEVICE_TYPES), self.device[self.sess])
        ts = fixed(n, f"{date}T".encode(), *clock_ms(self.ts), b"Z")
        return cat(
            '{"event_id": "', eid, '", "anonymous_id": "', anon, '", "account_id": ', acc_json,
            ', "session_id": "', sid, '", "event_type": "', etype, '", "sku": ', sku_json,
            ', "query": ', q_json, ', "device": "', device, '", "ts": "', ts, '"}\n',
        )  # fmt: skip

    def _queries(self, w: World, idx: np.ndarray) -> pa.Array:
        """Search text derived from the item the person was after: 'slim jeans', 'voltix laptop', 'navy blazer'."""
        items = self.item[idx]
        noun = lookup(vocab([s.lower() for s in w.leaf_noun]), w.item_leaf[items])
        brand = lookup(vocab([s.lower() for s in w.brand_names]), w.item_brand[items])
        colour = lookup(vocab(V.COLOURS), w.item_colour[items])
        adj = lookup(vocab([s.lower() for s in V.ADJECTIVES]), w.item_adj[items])
        form = self.query_form[idx]
        first = where(form == 1, brand, where(form == 2, colour, adj))
        return where(form == 0, noun, cat(first, " ", noun))

    def orders(self) -> dict[str, np.ndarray]:
        """The purchases of this chunk, one row per purchase event, keyed by session."""
        p = np.flatnonzero(self.etype == PURCHASE)
        return {
            "sess_key": self.sess[p],
            "ts": self.ts[p],
            "account": self.event_account[p],
            "device": self.device[self.sess[p]],
            "item": self.item[p],
        }


def _bad_click_lines(
    w: World, rng: np.random.Generator, day: int, chunk: int, counts: dict[str, int]
) -> list[tuple[str, bytes]]:
    date = w.params.date(day)
    out: list[tuple[str, bytes]] = []
    k = 0
    for defect, count in counts.items():
        for _ in range(count):
            record = _synthetic_event(w, rng, day, chunk, k)
            k += 1
            if defect == "unknown_sku":
                record["sku"] = f"SKU{int(w.unknown_skus(rng, 1)[0]):07d}"
            elif defect == "bad_timestamp":
                pattern = BAD_TIMESTAMPS[int(rng.integers(len(BAD_TIMESTAMPS)))]
                record["ts"] = pattern.format(date=date.isoformat(), dmy=date.strftime("%d/%m/%Y"))
            text = json.dumps(record)
            if defect == "malformed_json":
                form = int(rng.integers(3))
                text = (text[: len(text) * 2 // 3], text.replace('", "', '" "', 1), text[:-1] + ", }")[form]
            out.append((defect, text.encode("utf-8")))
    return out


def _synthetic_event(w: World, rng: np.random.Generator, day: int, chunk: int, k: int) -> dict[str, object]:
    """A plausible anonymous view event with ids outside the valid id space (tag TAG_BAD)."""
    ids = event_ids(TAG_BAD, day, chunk, np.array([2 * k, 2 * k + 1]))
    ms = int(rng.integers(0, 86_400_000))
    clock = fixed(1, *clock_ms(np.array([ms])))[0].as_py()
    return {
        "event_id": f"{int(ids[0]):016x}",
        "anonymous_id": anon_str(int(w.vis_id[int(rng.integers(w.n_visitors))])),
        "account_id": None,
        "session_id": f"{int(ids[1]):016x}",
        "event_type": "view",
        "sku": f"SKU{int(w.safe_item) + 1:07d}",
        "query": None,
        "device": "web",
        "ts": f"{w.params.date(day).isoformat()}T{clock}Z",
    }


# --------------------------------------------------------------------------------------------------------------------
# OMS orders from the day's purchase sessions
# --------------------------------------------------------------------------------------------------------------------


def _write_orders(w: World, out: Path, day: int, parts: list[dict[str, np.ndarray]]) -> TaskResult:
    rng = rng_for(w.params, "oms", day, 0)
    date = w.params.date(day)
    keys = ["sess_key", "ts", "account", "device", "item"]
    ev = {k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, dtype=np.int64) for k in keys}
    # sess_key is only unique within a chunk: make it global by the chunk's position.
    chunk_of = np.concatenate([np.full(p["sess_key"].shape[0], i) for i, p in enumerate(parts)]) if parts else ev["ts"]
    key = chunk_of.astype(np.int64) * (1 << 32) + ev["sess_key"]
    order = np.lexsort((ev["ts"], key))
    key = key[order]
    ev = {k: v[order] for k, v in ev.items()}
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if key.shape[0] else key
    n_orders = starts.shape[0]
    counts = np.diff(np.concatenate([starts, [key.shape[0]]])).astype(np.int64)
    o_ts, o_acc, o_dev = ev["ts"][starts], ev["account"][starts], ev["device"][starts]
    qty = rng.choice(np.array([1, 2, 3]), p=[0.88, 0.09, 0.03], size=key.shape[0])
    price = w.price_on(day)[ev["item"]]
    lines = {"item": ev["item"], "qty": qty, "price": price, "order": np.repeat(np.arange(n_orders), counts)}
    bad_counts = w.bad_counts(rng, "oms", day, n_orders)
    n_bad = sum(bad_counts.values())
    # Planted orders: a copy of a real order's header with one defective line.
    total = n_orders + n_bad
    bad_pos = np.sort(rng.choice(total, size=n_bad, replace=False)) if n_bad else np.zeros(0, dtype=np.int64)
    defects = [d for d, c in bad_counts.items() for _ in range(c)]
    defects = [defects[i] for i in rng.permutation(len(defects))]
    is_bad = np.zeros(total, dtype=bool)
    is_bad[bad_pos] = True
    src = np.empty(total, dtype=np.int64)
    src[~is_bad] = np.arange(n_orders)
    src[is_bad] = rng.integers(0, max(n_orders, 1), n_bad)
    if n_orders == 0:  # a day without orders (tiny runs): planted orders get a header of their own
        usable = np.flatnonzero((w.a_signup_day == 0) & ~w.a_closed)
        o_acc = usable[:1] if usable.shape[0] else np.zeros(1, dtype=np.int64)
        o_ts, o_dev = rng.integers(0, 86_400_000, 1), np.zeros(1, dtype=np.int64)
        counts = np.zeros(1, dtype=np.int64)
    seq = np.arange(1, total + 1)
    order_ids = fixed(total, f"O{ymd(date)}".encode(), digits(seq, 6))
    acc, ts_ms, dev = o_acc[src], o_ts[src], o_dev[src]
    line_start = np.concatenate([[0], np.cumsum(counts)])
    names, line1s, cities, postcodes = _ship_to(w, acc, day)
    l_no: list[int] = []
    l_sku: list[str] = []
    l_qty: list[int] = []
    l_price: list[float] = []
    offsets = [0]
    totals: list[float] = []
    bad_iter = iter(defects)
    bad_records: list[tuple[int, str]] = []
    for row in range(total):
        if is_bad[row]:
            defect = next(bad_iter)
            bad_records.append((row + 1, defect))
            base_lines = range(line_start[src[row]], line_start[src[row] + 1])
            items = [int(lines["item"][j]) for j in base_lines]
            qtys = [int(lines["qty"][j]) for j in base_lines]
            prices = [int(lines["price"][j]) for j in base_lines]
            bad_sku = int(w.unknown_skus(rng, 1)[0]) if defect == "unknown_sku" else int(w.safe_item) + 1
            items.append(bad_sku - 1)
            qtys.append(-int(rng.integers(1, 4)) if defect == "negative_quantity" else 1)
            prices.append(int(w.item_price[w.safe_item]) if defect == "negative_quantity" else 1999)
        else:
            j0, j1 = line_start[src[row]], line_start[src[row] + 1]
            items = lines["item"][j0:j1].tolist()
            qtys = lines["qty"][j0:j1].tolist()
            prices = lines["price"][j0:j1].tolist()
        l_no.extend(range(1, len(items) + 1))
        l_sku.extend(f"SKU{i + 1:07d}" for i in items)
        l_qty.extend(qtys)
        l_price.extend(p / 100 for p in prices)
        offsets.append(offsets[-1] + len(items))
        totals.append(round(sum(q * p for q, p in zip(qtys, prices, strict=True)) / 100, 2))
    line_struct = pa.StructArray.from_arrays(
        [
            pa.array(l_no, pa.int32()),
            pa.array(l_sku, pa.string()),
            pa.array(l_qty, pa.int32()),
            pa.array(l_price, pa.float64()),
        ],
        fields=list(OMS_SCHEMA.field("lines").type.value_type),
    )
    ship = pa.StructArray.from_arrays(
        [pa.array(v, pa.string()) for v in (names, line1s, cities, postcodes, ["GB"] * total)],
        fields=list(OMS_SCHEMA.field("ship_to").type),
    )
    table = pa.Table.from_arrays(
        [
            order_ids,
            fixed(total, b"A", hexdigits(w.a_id[acc], 10)),
            pa.array(day_ts_us(w, day, ts_ms), pa.timestamp("us", tz="UTC")),
            pa.array(np.where(dev == 0, "web", "app").tolist(), pa.string()),
            pa.array(["GBP"] * total, pa.string()),
            ship,
            pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), line_struct),
            pa.array(totals, pa.float64()),
        ],
        schema=OMS_SCHEMA,
    )
    path, rel = raw_file(out, "oms", date, f"oms_orders_{ymd(date)}.parquet")
    pq.write_table(table, path, compression="snappy")
    stat = FileStat("oms", rel, total, path.stat().st_size)
    return TaskResult([stat], [BadRecord("oms", rel, r, d) for r, d in bad_records])


def day_ts_us(w: World, day: int, ms_of_day: np.ndarray) -> np.ndarray:
    return (w.day_s(day) * 1000 + np.asarray(ms_of_day, dtype=np.int64)) * 1000


def _ship_to(w: World, accounts: np.ndarray, day: int) -> tuple[list[str], list[str], list[str], list[str]]:
    """Name and address an order ships to: the account's address as of that day (or the person's own)."""
    r = Renderer(w)
    persons = w.a_person[accounts]
    moved = (w.a_addr_mode[accounts] == ADDR_MOVED) | (
        (w.a_upd_kind[accounts] == UPDATE_MOVED) & (w.a_upd_day[accounts] >= 0) & (w.a_upd_day[accounts] <= day)
    )
    addr = np.where(moved[:, None], w.p_alt_addr[persons], w.p_addr[persons]).tolist()
    names, line1s, cities, postcodes = [], [], [], []
    for i, p in enumerate(persons.tolist()):
        names.append(f"{w.first_names[w.p_first[p]]} {w.surnames[w.p_last[p]]}")
        line1, city, postcode = r.address(addr[i], 0)
        line1s.append(line1)
        cities.append(city)
        postcodes.append(postcode)
    return names, line1s, cities, postcodes


def web_task(w: World, out: Path, day: int) -> TaskResult:
    """One day of clickstream files (one per chunk of sessions) and the OMS file of that day's orders."""
    plan = rng_for(w.params, "clickstream", day, 0)
    factor = DOW_WEB[w.weekday(day)]
    n_person = int(plan.poisson(w.n * WEB_SESSIONS_PER_PERSON * factor))
    n_visitor = int(plan.poisson(w.n * VISITOR_SESSIONS_PER_PERSON * factor))
    chunks = max(2, math.ceil((n_person + n_visitor) * (MEAN_BROWSE_EVENTS + 0.2) / CHUNK_ROWS))
    date = w.params.date(day)
    result = TaskResult()
    orders: list[dict[str, np.ndarray]] = []
    for k in range(chunks):
        rng = rng_for(w.params, "clickstream", day, k + 1)
        sessions = Sessions(w, rng, day, _share(n_person, k, chunks), _share(n_visitor, k, chunks))
        orders.append(sessions.orders())
        counts = w.bad_counts(rng, "clickstream", day, len(sessions), forced=k == 0)
        bad = _bad_click_lines(w, rng, day, k, counts)
        path, rel = raw_file(out, "clickstream", date, f"clicks_{ymd(date)}_{k + 1:02d}.jsonl")
        f = DataFile(path, rel, "clickstream", header=None, encoding="utf-8", n_valid=len(sessions), bad=bad, rng=rng)
        f.write(sessions.lines(w, day, k))
        truncated = None
        if day == w.truncated_click_day and k == chunks - 1:
            text = json.dumps(_synthetic_event(w, rng, day, k, 10_000))
            truncated = ("truncated_record", text[: int(rng.integers(20, len(text) - 5))].encode("utf-8"))
        stat, records = f.close(truncated)
        result.files.append(stat)
        result.bad.extend(records)
        del sessions
    result.extend(_write_orders(w, out, day, orders))
    return result


# --------------------------------------------------------------------------------------------------------------------
# POS
# --------------------------------------------------------------------------------------------------------------------


def pos_task(w: World, out: Path, day: int) -> TaskResult:
    """Two till files a day (first and second half of the stores), one row per line item."""
    plan = rng_for(w.params, "pos", day, 0)
    n_tx = int(plan.poisson(w.n * POS_TX_PER_PERSON * DOW_POS[w.weekday(day)]))
    rng = rng_for(w.params, "pos", day, 1)
    carded = rng.random(n_tx) < 0.5
    rec = draw(w.crm_cdf, rng, n_tx)
    carded &= (w.c_join_day[rec] == 0) | (w.c_join_day[rec] < day)
    person = np.where(carded, w.c_person[rec], draw(w.pos_cdf, rng, n_tx))
    card = np.where(carded, w.c_card[rec], -1)
    city = w.p_addr[person, 3]
    cs, ce = w.city_store_start[city], w.city_store_start[city + 1]
    local = (ce > cs) & (rng.random(n_tx) < 0.85)
    store = np.where(
        local, cs + (rng.random(n_tx) * (ce - cs)).astype(np.int64), rng.integers(0, len(w.store_num), n_tx)
    )
    till = 1 + (rng.random(n_tx) * w.store_tills[store]).astype(np.int64)
    sec = draw(POS_HOURS, rng, n_tx) * 3600 + rng.integers(0, 3600, n_tx)
    n_lines = np.minimum(rng.geometric(0.45, n_tx), 12).astype(np.int64)
    order = np.lexsort((store, sec))
    person, card, store, till, sec, n_lines = (a[order] for a in (person, card, store, till, sec, n_lines))
    tx = np.repeat(np.arange(n_tx), n_lines)
    line_no = np.arange(tx.shape[0]) - (np.cumsum(n_lines) - n_lines)[tx] + 1
    items = w.sample_items(person[tx], day, rng)
    qty = rng.choice(np.array([1, 2, 3, 4]), p=[0.85, 0.11, 0.03, 0.01], size=tx.shape[0])
    price = w.price_on(day)[items]
    date = w.params.date(day)
    n = tx.shape[0]
    store_id = fixed(n, b"S", digits(w.store_num[store[tx]], 4))
    columns = [
        fixed(n, f"T{ymd(date)}".encode(), digits(tx + 1, 7)),
        store_id,
        fixed(n, b"S", digits(w.store_num[store[tx]], 4), b"-", digits(till[tx], 2)),
        fixed(n, f"{date.isoformat()} ".encode(), *clock_s(sec[tx])),
        where(card[tx] < 0, "", fixed(n, b"6339", digits(np.maximum(card[tx], 0), 12))),
        ints(line_no),
        fixed(n, *sku_text(items)),
        ints(qty),
        money(price),
    ]
    lines = cat(*[piece for col in columns for piece in (col, ",")], "GBP\n")
    file_of = w.store_file[store[tx]]
    result = TaskResult()
    forced_file = 1 if (day == w.empty_pos_day and w.empty_pos_file == 0) else 0
    for nn in (0, 1):
        path, rel = raw_file(out, "pos", date, f"pos_transactions_{ymd(date)}_{nn + 1:02d}.csv")
        if day == w.empty_pos_day and nn == w.empty_pos_file:
            stat, records = empty_file(path, rel, "pos")
        else:
            sel = np.flatnonzero(file_of == nn)
            file_rng = rng_for(w.params, "pos", day, 2 + nn)
            counts = w.bad_counts(file_rng, "pos", day, sel.shape[0], forced=nn == forced_file)
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
    half = np.flatnonzero(w.store_file == nn)
    for defect, count in counts.items():
        for _ in range(count):
            k += 1
            store = int(w.store_num[half[int(rng.integers(half.shape[0]))]]) if half.shape[0] else 1001
            sec = int(rng.integers(8 * 3600, 21 * 3600))
            ts = f"{date.isoformat()} {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"
            item = int(w.safe_item)
            sku = f"SKU{item + 1:07d}"
            qty = "1"
            if defect == "negative_quantity":
                qty = str(-int(rng.integers(1, 4)))
            elif defect == "unknown_sku":
                sku = f"SKU{int(w.unknown_skus(rng, 1)[0]):07d}"
            elif defect == "bad_timestamp":
                pattern = POS_BAD_TIMESTAMPS[int(rng.integers(len(POS_BAD_TIMESTAMPS)))]
                ts = pattern.format(date=date.isoformat(), dmy=date.strftime("%d/%m/%Y"))
            price = w.item_price[item]
            fields = [f"T{ymd(date)}{9_000_000 + nn * 100_000 + k:07d}", f"S{store:04d}", f"S{store:04d}-01", ts, ""]
            fields += ["1", sku, qty, f"{price // 100}.{price % 100:02d}", "GBP"]
            if defect == "malformed_row":
                fields = fields[: int(rng.integers(3, 8))]
            out.append((defect, ",".join(fields).encode("utf-8")))
    return out
