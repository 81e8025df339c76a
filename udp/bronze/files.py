"""Raw-file discovery through Hadoop's FileSystem, so the same code lists local folders, s3:// and s3a://.

Files are identified by their path relative to `paths.raw` (e.g. `crm/2026-10-02/crm_customers_20261002.csv`):
that is what bronze stores in `_file` and what the ingest log is keyed on, so a landing zone can move between a
laptop and S3 without re-ingesting anything.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from udp.errors import InputPathError
from udp.hadoopfs import HadoopFS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_DATE_DIR = re.compile(r"(?:^|/)(\d{4}-\d{2}-\d{2})(?:/|$)")


@dataclass(frozen=True)
class RawFile:
    """One landed file."""

    uri: str
    relative: str
    size: int
    modified_ms: int

    @property
    def landing_date(self) -> dt.date | None:
        """The YYYY-MM-DD folder the file landed in, if its path has one."""
        m = _DATE_DIR.search(self.relative)
        if not m:
            return None
        try:
            return dt.date.fromisoformat(m.group(1))
        except ValueError:
            return None


def list_files(spark: SparkSession, raw_root: str, pattern: str) -> list[RawFile]:
    """Files matching `pattern` (a glob relative to `raw_root`), sorted by relative path."""
    fs = HadoopFS(spark)
    if not fs.exists(raw_root):
        raise InputPathError(f"raw folder not found: {raw_root} (set paths.raw)")
    root = fs.qualify(raw_root)
    found = [
        RawFile(uri=f.uri, relative=relative_to(root, f.uri), size=f.size, modified_ms=f.modified_ms)
        for f in fs.glob(f"{root}/{pattern}")
    ]
    return sorted(found, key=lambda f: f.relative)


def relative_to(root: str, uri: str) -> str:
    """`uri` relative to `root`, both as Hadoop/Spark print them (Spark URL-encodes some characters)."""
    norm_root, norm_uri = normalise_uri(root), normalise_uri(uri)
    if not norm_uri.startswith(norm_root + "/"):
        raise InputPathError(f"file {uri} is not under the raw folder {root}")
    return norm_uri[len(norm_root) + 1 :]


def normalise_uri(uri: str) -> str:
    """A URI in one canonical form, so Spark's `_metadata.file_path` and Hadoop's listing compare equal."""
    uri = unquote(uri)
    if uri.startswith("file:"):
        uri = "file:/" + uri[len("file:") :].lstrip("/")
    return uri.rstrip("/")


def read_first_line(spark: SparkSession, uri: str, encoding: str) -> str:
    """The first line of a file (its CSV header), decoded with the source's encoding."""
    lines = HadoopFS(spark).read_lines(uri, encoding, limit=1)
    return (lines[0] if lines else "").removeprefix("\ufeff")


# Byte-order marks and the encoding each announces, longest first (a UTF-32 mark starts like a UTF-16 one).
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32BE"),
    (b"\xef\xbb\xbf", "UTF-8"),
    (b"\xff\xfe", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16BE"),
)


def byte_order_mark(spark: SparkSession, uri: str) -> str | None:
    """The encoding a file's byte-order mark announces (UTF-8, UTF-16LE/BE, UTF-32LE/BE), or None without one."""
    # ISO-8859-1 maps every byte to one character, so the first line's characters are the file's first bytes.
    lines = HadoopFS(spark).read_lines(uri, "ISO-8859-1", limit=1)
    head = lines[0][:4].encode("latin-1") if lines else b""
    return next((encoding for mark, encoding in _BOMS if head.startswith(mark)), None)
