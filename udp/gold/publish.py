"""Publishing export files to a local folder or to S3 (boto3, credentials and endpoint from the default chain).

Every file is streamed once: its bytes are counted, hashed (sha256) and their lines counted while being copied, so
the manifest describes exactly what was written.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

CHUNK = 8 * 1024 * 1024
S3_SCHEMES = ("s3://", "s3a://", "s3n://")


def is_s3(uri: str) -> bool:
    return uri.startswith(S3_SCHEMES)


def split_s3(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b` -> `('bucket', 'a/b')` (s3a:// and s3n:// too)."""
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, key


def _s3() -> Any:
    import boto3

    return boto3.client("s3")


@dataclass(frozen=True)
class Published:
    """One file as written: size, sha256 and number of lines (header included)."""

    uri: str
    bytes: int
    sha256: str
    lines: int


class _Counting:
    """A read-only stream that hashes and counts what passes through it."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.digest = hashlib.sha256()
        self.size = 0
        self.lines = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size if size and size > 0 else CHUNK)
        self.digest.update(data)
        self.size += len(data)
        self.lines += data.count(b"\n")
        return data


def list_parts(folder: str) -> list[str]:
    """The `part-*` data files Spark wrote into `folder` (no `_SUCCESS`, no `.crc`), sorted."""
    if is_s3(folder):
        bucket, prefix = split_s3(folder.rstrip("/") + "/")
        pages = _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        scheme = folder.split("://", 1)[0]
        return sorted(f"{scheme}://{bucket}/{k}" for k in keys if k.rsplit("/", 1)[-1].startswith("part-"))
    return sorted(str(p) for p in Path(folder).glob("part-*") if p.is_file() and not p.name.endswith(".crc"))


def _open(uri: str) -> IO[bytes]:
    if is_s3(uri):
        bucket, key = split_s3(uri)
        body: IO[bytes] = _s3().get_object(Bucket=bucket, Key=key)["Body"]
        return body
    return Path(uri).open("rb")


def copy_file(source: str, dest: str) -> Published:
    """Copy `source` (local or S3) to `dest` (local or S3), returning what was written."""
    with _open(source) as raw:
        stream = _Counting(raw)
        if is_s3(dest):
            bucket, key = split_s3(dest)
            _s3().upload_fileobj(stream, bucket, key)
        else:
            Path(dest).parent.mkdir(parents=True, exist_ok=True)
            with Path(dest).open("wb") as out:
                shutil.copyfileobj(stream, out, CHUNK)
    return Published(dest, stream.size, stream.digest.hexdigest(), stream.lines)


def write_text(dest: str, text: str) -> Published:
    """Write a small UTF-8 text file (a schema, the manifest)."""
    data = text.encode("utf-8")
    if is_s3(dest):
        bucket, key = split_s3(dest)
        _s3().put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json")
    else:
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        Path(dest).write_bytes(data)
    return Published(dest, len(data), hashlib.sha256(data).hexdigest(), data.count(b"\n"))


def remove_tree(root: str) -> None:
    """Delete everything under `root` (a previous attempt at the same snapshot, a staging folder)."""
    if is_s3(root):
        bucket, prefix = split_s3(root.rstrip("/") + "/")
        client = _s3()
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = [{"Key": o["Key"]} for page in pages for o in page.get("Contents", [])]
        for i in range(0, len(keys), 1000):
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys[i : i + 1000], "Quiet": True})
    else:
        shutil.rmtree(root, ignore_errors=True)


def join(root: str, *parts: str) -> str:
    """Path join that keeps URIs as URIs."""
    if "://" in root:
        return "/".join([root.rstrip("/"), *parts])
    return str(Path(root, *parts))
