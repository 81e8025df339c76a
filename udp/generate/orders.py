"""OMS: the online orders of a day, one per purchasing session, written as one Parquet file.

Orders come from the purchase events of all that day's clickstream chunks (clickstream.py); planted bad orders copy a
real order's header and add one defective line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from udp.generate.output import BadRecord, FileStat, TaskResult, raw_file, ymd
from udp.generate.params import rng_for
from udp.generate.people import FIRST_NAMES, SURNAMES
from udp.generate.records import ADDR_MOVED, UPDATE_MOVED
from udp.generate.render import Renderer
from udp.generate.text import digits, fixed, hexdigits
from udp.generate.world import World

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


def write_orders(w: World, out: Path, day: int, parts: list[dict[str, np.ndarray]]) -> TaskResult:
    """The day's OMS file from the purchases of its clickstream chunks (`Sessions.orders()`), with planted orders: a
    copy of a real order's header and lines plus one defective line."""
    rng = rng_for(w.params, "oms", day, 0)
    date = w.params.date(day)
    orders = _group_purchases(parts)
    n_orders = orders.ts.shape[0]
    qty = rng.choice(np.array([1, 2, 3]), p=[0.88, 0.09, 0.03], size=orders.item.shape[0])
    price = w.products.price_on(day)[orders.item]
    plan = _plant(rng, w.bad.counts(rng, "oms", day, n_orders), n_orders)
    if n_orders == 0:  # a day without orders (tiny runs): planted orders get a header of their own
        orders = _stand_in_header(w, rng)
    lines, bad_records = _order_lines(w, rng, plan, orders, qty=qty, price=price)
    table = _orders_table(w, day, orders, plan.src, lines)
    path, rel = raw_file(out, "oms", date, f"oms_orders_{ymd(date)}.parquet")
    pq.write_table(table, path, compression="snappy")
    stat = FileStat("oms", rel, table.num_rows, path.stat().st_size)
    return TaskResult([stat], [BadRecord("oms", rel, r, d) for r, d in bad_records])


@dataclass(frozen=True)
class _Orders:
    """Per order, the first purchase event's time (ms of the day), account and device; the items of its lines."""

    ts: np.ndarray
    account: np.ndarray
    device: np.ndarray
    line_start: np.ndarray  # per order: its first line (orders + 1 entries)
    item: np.ndarray  # per line, order by order


def _group_purchases(parts: list[dict[str, np.ndarray]]) -> _Orders:
    """One order per purchasing session, its lines in time order."""
    keys = ["sess_key", "ts", "account", "device", "item"]
    ev = {k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, dtype=np.int64) for k in keys}
    # sess_key is only unique within a chunk: make it global by the chunk's position.
    chunk_of = np.concatenate([np.full(p["sess_key"].shape[0], i) for i, p in enumerate(parts)]) if parts else ev["ts"]
    key = chunk_of.astype(np.int64) * (1 << 32) + ev["sess_key"]
    order = np.lexsort((ev["ts"], key))
    key = key[order]
    ev = {k: v[order] for k, v in ev.items()}
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if key.shape[0] else key
    counts = np.diff(np.concatenate([starts, [key.shape[0]]])).astype(np.int64)
    return _Orders(
        ts=ev["ts"][starts],
        account=ev["account"][starts],
        device=ev["device"][starts],
        line_start=np.concatenate([[0], np.cumsum(counts)]),
        item=ev["item"],
    )


def _stand_in_header(w: World, rng: np.random.Generator) -> _Orders:
    """One header without lines, on an account open since before the period, for the planted orders to copy."""
    usable = np.flatnonzero((w.ecom.signup_day == 0) & ~w.ecom.closed)
    account = usable[:1] if usable.shape[0] else np.zeros(1, dtype=np.int64)
    ts, device = rng.integers(0, 86_400_000, 1), np.zeros(1, dtype=np.int64)
    return _Orders(
        ts=ts, account=account, device=device, line_start=np.zeros(2, dtype=np.int64), item=np.zeros(0, dtype=np.int64)
    )


@dataclass(frozen=True)
class _Plan:
    """Per written order: whether it is planted, and which real order it copies (itself when real)."""

    is_bad: np.ndarray
    src: np.ndarray
    defects: list[str]  # per planted order, in file order


def _plant(rng: np.random.Generator, bad_counts: dict[str, int], n_orders: int) -> _Plan:
    n_bad = sum(bad_counts.values())
    total = n_orders + n_bad
    bad_pos = np.sort(rng.choice(total, size=n_bad, replace=False)) if n_bad else np.zeros(0, dtype=np.int64)
    defects = [d for d, c in bad_counts.items() for _ in range(c)]
    defects = [defects[i] for i in rng.permutation(len(defects))]
    is_bad = np.zeros(total, dtype=bool)
    is_bad[bad_pos] = True
    src = np.empty(total, dtype=np.int64)
    src[~is_bad] = np.arange(n_orders)
    src[is_bad] = rng.integers(0, max(n_orders, 1), n_bad)
    return _Plan(is_bad=is_bad, src=src, defects=defects)


@dataclass
class _Lines:
    """The `lines` list column (flattened, with offsets) and each order's total, built order by order."""

    no: list[int] = field(default_factory=list)
    sku: list[str] = field(default_factory=list)
    qty: list[int] = field(default_factory=list)
    price: list[float] = field(default_factory=list)
    offsets: list[int] = field(default_factory=lambda: [0])
    totals: list[float] = field(default_factory=list)

    def add(self, items: list[int], qtys: list[int], prices: list[int]) -> None:
        self.no.extend(range(1, len(items) + 1))
        self.sku.extend(f"SKU{i + 1:07d}" for i in items)
        self.qty.extend(qtys)
        self.price.extend(p / 100 for p in prices)
        self.offsets.append(self.offsets[-1] + len(items))
        self.totals.append(round(sum(q * p for q, p in zip(qtys, prices, strict=True)) / 100, 2))


def _order_lines(
    w: World, rng: np.random.Generator, plan: _Plan, orders: _Orders, *, qty: np.ndarray, price: np.ndarray
) -> tuple[_Lines, list[tuple[int, str]]]:
    """Every written order's lines, and (row, defect) of each planted one."""
    lines = _Lines()
    bad_iter = iter(plan.defects)
    bad_records: list[tuple[int, str]] = []
    for row in range(plan.src.shape[0]):
        j0, j1 = orders.line_start[plan.src[row]], orders.line_start[plan.src[row] + 1]
        items, qtys, prices = orders.item[j0:j1].tolist(), qty[j0:j1].tolist(), price[j0:j1].tolist()
        if plan.is_bad[row]:
            defect = next(bad_iter)
            bad_records.append((row + 1, defect))
            item, q, p = _bad_line(w, rng, defect)
            items.append(item)
            qtys.append(q)
            prices.append(p)
        lines.add(items, qtys, prices)
    return lines, bad_records


def _bad_line(w: World, rng: np.random.Generator, defect: str) -> tuple[int, int, int]:
    """(item, quantity, price) of the defective line: an unknown SKU, or a negative quantity of the safe item."""
    safe = w.products.safe_item
    bad_sku = int(w.unknown_skus(rng, 1)[0]) if defect == "unknown_sku" else int(safe) + 1
    qty = -int(rng.integers(1, 4)) if defect == "negative_quantity" else 1
    price = int(w.products.price[safe]) if defect == "negative_quantity" else 1999
    return bad_sku - 1, qty, price


def _orders_table(w: World, day: int, orders: _Orders, src: np.ndarray, lines: _Lines) -> pa.Table:
    """The OMS table of the written orders (`src`: the order each copies its header from)."""
    acc, ts_ms, dev = orders.account[src], orders.ts[src], orders.device[src]
    total = src.shape[0]
    date = w.params.date(day)
    names, line1s, cities, postcodes = _ship_to(w, acc, day)
    line_struct = pa.StructArray.from_arrays(
        [
            pa.array(lines.no, pa.int32()),
            pa.array(lines.sku, pa.string()),
            pa.array(lines.qty, pa.int32()),
            pa.array(lines.price, pa.float64()),
        ],
        fields=list(OMS_SCHEMA.field("lines").type.value_type),
    )
    ship = pa.StructArray.from_arrays(
        [pa.array(v, pa.string()) for v in (names, line1s, cities, postcodes, ["GB"] * total)],
        fields=list(OMS_SCHEMA.field("ship_to").type),
    )
    return pa.Table.from_arrays(
        [
            fixed(total, f"O{ymd(date)}".encode(), digits(np.arange(1, total + 1), 6)),
            fixed(total, b"A", hexdigits(w.ecom.id[acc], 10)),
            pa.array(day_ts_us(w, day, ts_ms), pa.timestamp("us", tz="UTC")),
            pa.array(np.where(dev == 0, "web", "app").tolist(), pa.string()),
            pa.array(["GBP"] * total, pa.string()),
            ship,
            pa.ListArray.from_arrays(pa.array(lines.offsets, pa.int32()), line_struct),
            pa.array(lines.totals, pa.float64()),
        ],
        schema=OMS_SCHEMA,
    )


def day_ts_us(w: World, day: int, ms_of_day: np.ndarray) -> np.ndarray:
    return (w.day_s(day) * 1000 + np.asarray(ms_of_day, dtype=np.int64)) * 1000


def _ship_to(w: World, accounts: np.ndarray, day: int) -> tuple[list[str], list[str], list[str], list[str]]:
    """Name and address an order ships to: the account's address as of that day (or the person's own)."""
    r = Renderer()
    persons = w.ecom.person[accounts]
    moved = (w.ecom.addr_mode[accounts] == ADDR_MOVED) | (
        (w.ecom.upd_kind[accounts] == UPDATE_MOVED)
        & (w.ecom.upd_day[accounts] >= 0)
        & (w.ecom.upd_day[accounts] <= day)
    )
    addr = np.where(moved[:, None], w.people.alt_addr[persons], w.people.addr[persons]).tolist()
    names, line1s, cities, postcodes = [], [], [], []
    for i, p in enumerate(persons.tolist()):
        names.append(f"{FIRST_NAMES[w.people.first[p]]} {SURNAMES[w.people.last[p]]}")
        line1, city, postcode = r.address(addr[i], 0)
        line1s.append(line1)
        cities.append(city)
        postcodes.append(postcode)
    return names, line1s, cities, postcodes
