"""Files the Personalize step reads and writes: local paths and s3:// URIs behind one small interface.

`S3Files` talks to S3 with boto3 (standard configuration chain, `AWS_ENDPOINT_URL_S3` honoured). `LocalFiles` maps
`s3://bucket/key` to `<root>/bucket/key`, which is where the local backend reads its "S3" data. An upload records the
file's sha256 (object metadata `sha256` on S3), so a second upload of an unchanged file is skipped.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from udp.errors import InputPathError


def is_s3(uri: str) -> bool:
    return uri.startswith(("s3://", "s3a://"))


def split_s3(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b` -> `('bucket', 'a/b')`."""
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, key


def join(base: str, *parts: str) -> str:
    """Join path parts with '/', for local paths and URIs alike."""
    out = base.rstrip("/")
    for p in parts:
        out = f"{out}/{p.strip('/')}" if p else out
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Files(Protocol):
    """What the driver needs from storage."""

    def read_bytes(self, uri: str) -> bytes: ...
    def write_bytes(self, uri: str, data: bytes) -> None: ...
    def exists(self, uri: str) -> bool: ...
    def list(self, prefix: str) -> list[str]: ...
    def stored_sha256(self, uri: str) -> str | None: ...
    def put(self, src: str, dst: str, sha256: str) -> None: ...
    def delete(self, uri: str) -> None: ...
    def local_path(self, uri: str) -> Path | None: ...


class _LocalPaths:
    """Plain local paths (and `file://` URIs)."""

    @staticmethod
    def _path(uri: str) -> Path:
        return Path(uri.removeprefix("file://")).expanduser()

    def _read(self, path: Path, uri: str) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise InputPathError(f"file not found: {uri}") from None

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    @staticmethod
    def _list(root: Path, uri_prefix: str) -> list[str]:
        if root.is_file():
            return [uri_prefix]
        if not root.is_dir():
            return []
        return sorted(join(uri_prefix, p.relative_to(root).as_posix()) for p in root.rglob("*") if p.is_file())

    @staticmethod
    def _copy(src: Path, dst: Path) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)


class LocalFiles(_LocalPaths):
    """Local paths, and s3:// URIs mapped under `s3_root` (the local backend's stand-in for S3)."""

    def __init__(self, s3_root: str | Path | None = None) -> None:
        self.s3_root = Path(s3_root).expanduser().resolve() if s3_root else None

    def local_path(self, uri: str) -> Path:
        if is_s3(uri):
            if self.s3_root is None:
                raise InputPathError(f"{uri}: s3:// locations need the aws backend or personalize.local.s3_root")
            bucket, key = split_s3(uri)
            return self.s3_root / bucket / key
        return self._path(uri)

    def read_bytes(self, uri: str) -> bytes:
        return self._read(self.local_path(uri), uri)

    def write_bytes(self, uri: str, data: bytes) -> None:
        self._write(self.local_path(uri), data)

    def exists(self, uri: str) -> bool:
        return self.local_path(uri).exists()

    def list(self, prefix: str) -> list[str]:
        return self._list(self.local_path(prefix), prefix.rstrip("/"))

    def stored_sha256(self, uri: str) -> str | None:
        path = self.local_path(uri)
        return sha256_file(path) if path.is_file() else None

    def put(self, src: str, dst: str, sha256: str) -> None:
        self._copy(self.local_path(src), self.local_path(dst))

    def delete(self, uri: str) -> None:
        self.local_path(uri).unlink(missing_ok=True)


class S3Files(_LocalPaths):
    """Local paths on disk, s3:// URIs through a boto3 S3 client."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3

    def local_path(self, uri: str) -> Path | None:
        return None if is_s3(uri) else self._path(uri)

    def read_bytes(self, uri: str) -> bytes:
        if not is_s3(uri):
            return self._read(self._path(uri), uri)
        bucket, key = split_s3(uri)
        try:
            return bytes(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except self.s3.exceptions.NoSuchKey:
            raise InputPathError(f"file not found: {uri}") from None

    def write_bytes(self, uri: str, data: bytes) -> None:
        if not is_s3(uri):
            self._write(self._path(uri), data)
            return
        bucket, key = split_s3(uri)
        self.s3.put_object(Bucket=bucket, Key=key, Body=data)

    def exists(self, uri: str) -> bool:
        if not is_s3(uri):
            return self._path(uri).exists()
        return self._head(uri) is not None or bool(self.list(uri))

    def list(self, prefix: str) -> list[str]:
        if not is_s3(prefix):
            return self._list(self._path(prefix), prefix.rstrip("/"))
        bucket, key = split_s3(prefix)
        scheme = prefix.split("://", 1)[0]
        return sorted(f"{scheme}://{bucket}/{k}" for k in self._keys(bucket, key))

    def _keys(self, bucket: str, prefix: str) -> Iterator[str]:
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                yield str(obj["Key"])

    def _head(self, uri: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        bucket, key = split_s3(uri)
        try:
            return dict(self.s3.head_object(Bucket=bucket, Key=key))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def stored_sha256(self, uri: str) -> str | None:
        if not is_s3(uri):
            path = self._path(uri)
            return sha256_file(path) if path.is_file() else None
        head = self._head(uri)
        return None if head is None else head.get("Metadata", {}).get("sha256")

    def put(self, src: str, dst: str, sha256: str) -> None:
        """Upload a local file, or copy an S3 object server-side, recording its sha256 as object metadata."""
        bucket, key = split_s3(dst)
        extra = {"Metadata": {"sha256": sha256}}
        if is_s3(src):
            src_bucket, src_key = split_s3(src)
            source = {"Bucket": src_bucket, "Key": src_key}
            self.s3.copy(source, bucket, key, ExtraArgs={**extra, "MetadataDirective": "REPLACE"})
        else:
            self.s3.upload_file(str(self._path(src)), bucket, key, ExtraArgs=extra)

    def delete(self, uri: str) -> None:
        if not is_s3(uri):
            self._path(uri).unlink(missing_ok=True)
            return
        bucket, key = split_s3(uri)
        self.s3.delete_object(Bucket=bucket, Key=key)


def s3_api_files() -> S3Files:
    """Files whose s3:// URIs go to the S3 API boto3's default chain points at (AWS, or AWS_ENDPOINT_URL_S3)."""
    import boto3

    return S3Files(boto3.client("s3"))
