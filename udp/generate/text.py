"""Vectorised text building: numpy digit matrices and Arrow string kernels instead of per-row Python formatting.

The event sources produce tens of millions of lines; formatting them one by one in Python would dominate the run.
Fixed-width fields (ids, timestamps, SKUs) are built as uint8 matrices and turned into Arrow strings without
copying; variable fields are joined with Arrow's element-wise kernels. Lines end in '\\n', so a chunk's bytes are
the Arrow data buffer as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Part = Union[str, bytes, np.ndarray]  # noqa: UP007 - a runtime alias
Piece = Union[str, pa.Array, pa.Scalar]  # noqa: UP007

EPOCH = dt.date(1970, 1, 1)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


# --------------------------------------------------------------------------------------------------------------------
# Fixed-width fields as uint8 matrices
# --------------------------------------------------------------------------------------------------------------------


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers, as an (n, width) uint8 matrix."""
    v = np.asarray(values, dtype=np.int64)
    out = np.empty((v.shape[0], width), dtype=np.uint8)
    for k in range(width - 1, -1, -1):
        out[:, k] = 48 + (v % 10)
        v = v // 10
    return out


def hexdigits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded lower-case hex digits of unsigned integers, as an (n, width) uint8 matrix."""
    v = np.asarray(values, dtype=np.uint64)
    out = np.empty((v.shape[0], width), dtype=np.uint8)
    for k in range(width - 1, -1, -1):
        out[:, k] = _HEX[(v & np.uint64(15)).astype(np.intp)]
        v = v >> np.uint64(4)
    return out


def fixed(n: int, *parts: Part) -> pa.Array:
    """Concatenate constant strings and (n, w) uint8 matrices column-wise into one Arrow string array."""
    cols: list[np.ndarray] = []
    for part in parts:
        if isinstance(part, (str, bytes)):
            raw = part.encode("ascii") if isinstance(part, str) else part
            cols.append(np.broadcast_to(np.frombuffer(raw, dtype=np.uint8), (n, len(raw))))
        else:
            cols.append(part)
    matrix = np.ascontiguousarray(np.hstack(cols)) if cols else np.zeros((n, 0), dtype=np.uint8)
    width = matrix.shape[1]
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(matrix.tobytes())])


def clock_ms(ms_of_day: np.ndarray) -> list[np.ndarray | bytes]:
    """HH:MM:SS.mmm pieces for milliseconds since midnight (a list of matrices and separators for `fixed`)."""
    ms = np.asarray(ms_of_day, dtype=np.int64)
    secs = ms // 1000
    return [
        digits(secs // 3600, 2),
        b":",
        digits(secs // 60 % 60, 2),
        b":",
        digits(secs % 60, 2),
        b".",
        digits(ms % 1000, 3),
    ]


def clock_s(seconds_of_day: np.ndarray) -> list[np.ndarray | bytes]:
    """HH:MM:SS pieces for seconds since midnight."""
    s = np.asarray(seconds_of_day, dtype=np.int64)
    return [digits(s // 3600, 2), b":", digits(s // 60 % 60, 2), b":", digits(s % 60, 2)]


def sku_text(items: np.ndarray) -> list[np.ndarray | bytes]:
    """'SKU0000001' pieces for item indices (the SKU number is the index + 1)."""
    return [b"SKU", digits(np.asarray(items) + 1, 7)]


def money(pence: np.ndarray) -> pa.Array:
    """Prices in pence -> '19.99' strings (negative values keep their sign)."""
    p = np.asarray(pence, dtype=np.int64)
    pounds = pc.cast(pa.array(np.abs(p) // 100), pa.string())
    cents = fixed(p.shape[0], digits(np.abs(p) % 100, 2))
    sign = pc.if_else(pa.array(p < 0), "-", "")
    return cat(sign, pounds, ".", cents)


def ints(values: np.ndarray) -> pa.Array:
    """Integers -> decimal strings."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


# --------------------------------------------------------------------------------------------------------------------
# Arrow string composition
# --------------------------------------------------------------------------------------------------------------------


def vocab(values: Sequence[str]) -> pa.Array:
    """A vocabulary as an Arrow string array, for `take`."""
    return pa.array(list(values), type=pa.string())


def lookup(table: pa.Array, index: np.ndarray) -> pa.Array:
    """table[index] for an integer numpy index."""
    return table.take(pa.array(np.asarray(index, dtype=np.int64)))


def cat(*pieces: Piece) -> pa.Array:
    """Element-wise concatenation; a null in any array piece makes the result null."""
    return pc.binary_join_element_wise(*pieces, "")


def where(mask: np.ndarray, yes: Piece, no: Piece) -> pa.Array:
    """mask ? yes : no, element-wise."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), yes, no)


def csv_field(values: pa.Array, delimiter: str) -> pa.Array:
    """RFC 4180 quoting: only fields holding the delimiter, a quote or a leading/trailing space are quoted."""
    values = pc.fill_null(values, "")
    needs = pc.or_(
        pc.or_(pc.match_substring(values, delimiter), pc.match_substring(values, '"')),
        pc.or_(pc.starts_with(values, " "), pc.ends_with(values, " ")),
    )
    quoted = cat('"', pc.replace_substring(values, '"', '""'), '"')
    return pc.if_else(needs, quoted, values)


def csv_lines(columns: Sequence[pa.Array], delimiter: str) -> pa.Array:
    """Already-quoted columns -> lines ending in '\\n'."""
    pieces: list[Piece] = []
    for i, col in enumerate(columns):
        if i:
            pieces.append(delimiter)
        pieces.append(col)
    pieces.append("\n")
    return cat(*pieces)


def quote_py(value: str, delimiter: str) -> str:
    """RFC 4180 quoting of one Python string (the same rule as `csv_field`)."""
    if delimiter in value or '"' in value or value[:1] == " " or value[-1:] == " ":
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_line_py(fields: Sequence[str], delimiter: str) -> str:
    """One CSV line (with its newline) from Python strings."""
    return delimiter.join([quote_py(f, delimiter) for f in fields]) + "\n"


def line_bytes(lines: pa.Array) -> memoryview:
    """The bytes of a string array whose elements are whole lines: its data buffer between first and last offset."""
    if len(lines) == 0:
        return memoryview(b"")
    if lines.null_count:
        raise ValueError("line array holds nulls")
    arr = lines if lines.type == pa.string() else pc.cast(lines, pa.string())
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    data = bufs[2]
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])] if data is not None else memoryview(b"")
