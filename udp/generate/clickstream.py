"""Clickstream: one chunk of web and app sessions per file, each session's events in order, sorted by time.

These are the bulk of the output, so everything is vectorised: sessions, events and items are drawn as numpy
arrays per chunk and lines are assembled with Arrow string kernels (see text.py). A day's purchase events become
that day's OMS orders (orders.py), so every online order has the session that led to it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa

from udp.generate import vocab as V
from udp.generate.devices import DEVICE_TYPES
from udp.generate.ids import splitmix64
from udp.generate.orders import write_orders
from udp.generate.output import DataFile, TaskResult, raw_file, ymd
from udp.generate.params import rng_for
from udp.generate.sampling import cdf, draw
from udp.generate.taxonomy import TAXONOMY as T
from udp.generate.text import cat, clock_ms, fixed, hexdigits, lookup, sku_text, vocab, where
from udp.generate.world import World

# Behaviour rates per person per day (scaled by a day-of-week factor).
WEB_SESSIONS_PER_PERSON = 0.085
VISITOR_SESSIONS_PER_PERSON = 0.02
MEAN_BROWSE_EVENTS = 7.0
CHUNK_ROWS = 180_000
DOW_WEB = (0.95, 0.92, 0.93, 0.97, 1.02, 1.10, 1.12)  # Monday..Sunday

VIEW, ADD, SEARCH, PURCHASE = 0, 1, 2, 3
EVENT_TYPES = ("view", "add_to_cart", "search", "purchase")
WEB_HOURS = cdf(np.array([2, 1, 1, 0.5, 0.5, 1, 2, 4, 5, 5, 5, 6, 7, 6, 6, 6, 6, 7, 9, 11, 12, 11, 8, 4]))
TAG_EVENT, TAG_SESSION, TAG_BAD = 1, 2, 3
BAD_TIMESTAMPS = ("{date}T25:61:00Z", "yesterday", "{dmy} 14:22", "2026-02-30T10:00:00Z", "")


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


def _share(total: int, k: int, parts: int) -> int:
    return total * (k + 1) // parts - total * k // parts


def _segment_rank(keys: np.ndarray) -> np.ndarray:
    """0-based rank of each element within its run of equal (sorted) keys."""
    if keys.shape[0] == 0:
        return keys
    first = np.searchsorted(keys, keys, side="left")
    return np.arange(keys.shape[0]) - first


# --------------------------------------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------------------------------------


class Sessions:
    """One chunk of sessions and their events, sorted by time."""

    def __init__(self, w: World, rng: np.random.Generator, day: int, n_person: int, n_visitor: int) -> None:
        s = n_person + n_visitor
        persons = draw(w.activity.web_cdf, rng, n_person)
        d = w.devices
        dev = d.person_start[persons] + (rng.random(n_person) * d.person_count[persons]).astype(np.int64)
        vis = rng.integers(0, d.n_visitors, n_visitor)
        self.person = np.concatenate([persons, np.full(n_visitor, -1, dtype=np.int64)])
        self.anon = np.concatenate([d.id[dev], d.visitor_id[vis]])
        self.device = np.concatenate([d.type[dev], d.visitor_type[vis]])
        # Which account (if any) the session can log in to: existing by that day and not closed.
        a1, a2 = w.ecom.person_acc1[persons], w.ecom.person_acc2[persons]
        acc = np.where((a2 >= 0) & (rng.random(n_person) < 0.3), a2, a1)
        has = acc >= 0
        usable = np.zeros(n_person, dtype=bool)
        ah = acc[has]
        usable[has] = ((w.ecom.signup_day[ah] == 0) | (w.ecom.signup_day[ah] < day)) & ~w.ecom.closed[ah]
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
        acc_json = where(acc < 0, "null", fixed(n, b'"A', hexdigits(w.ecom.id[np.maximum(acc, 0)], 10), b'"'))
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
        noun = lookup(vocab([s.lower() for s in T.leaf_noun]), w.products.leaf[items])
        brand = lookup(vocab([s.lower() for s in T.brand_names]), w.products.brand[items])
        colour = lookup(vocab(V.COLOURS), w.products.colour[items])
        adj = lookup(vocab([s.lower() for s in V.ADJECTIVES]), w.products.adj[items])
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
        "anonymous_id": anon_str(int(w.devices.visitor_id[int(rng.integers(w.devices.n_visitors))])),
        "account_id": None,
        "session_id": f"{int(ids[1]):016x}",
        "event_type": "view",
        "sku": f"SKU{int(w.products.safe_item) + 1:07d}",
        "query": None,
        "device": "web",
        "ts": f"{w.params.date(day).isoformat()}T{clock}Z",
    }


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
        counts = w.bad.counts(rng, "clickstream", day, len(sessions), forced=k == 0)
        bad = _bad_click_lines(w, rng, day, k, counts)
        path, rel = raw_file(out, "clickstream", date, f"clicks_{ymd(date)}_{k + 1:02d}.jsonl")
        f = DataFile(path, rel, "clickstream", header=None, encoding="utf-8", n_valid=len(sessions), bad=bad, rng=rng)
        f.write(sessions.lines(w, day, k))
        truncated = None
        if day == w.bad.truncated_click_day and k == chunks - 1:
            text = json.dumps(_synthetic_event(w, rng, day, k, 10_000))
            truncated = ("truncated_record", text[: int(rng.integers(20, len(text) - 5))].encode("utf-8"))
        stat, records = f.close(truncated)
        result.files.append(stat)
        result.bad.extend(records)
        del sessions
    result.extend(write_orders(w, out, day, orders))
    return result
