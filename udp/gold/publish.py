"""Publishing an export: executors write the part files to a staging folder, each is then moved to its final name.

Where Spark's Hadoop FileSystem reaches the destination (local folders, s3a://, EMR's s3://, hdfs://), staging is
beside it (`<export>/personalize/_staging/<snapshot>`) and publishing is a rename — on an object store a server-side
copy — so no data passes through the driver. Only in local mode with an s3:// destination that local Spark cannot
write (no S3 connector on a laptop) does Spark stage in a local temporary folder, from which the driver uploads each
file with boto3 (credentials and endpoint from the AWS default chain).

The size, sha256 and line count of every file are computed by executors from the staged bytes (`part_files`), so
the manifest describes exactly what was written. Each file is hashed whole by one task: `gold.export.max_file_mb`
bounds the memory that takes.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from udp.errors import InputPathError
from udp.hadoopfs import HadoopFS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

S3_SCHEMES = ("s3://", "s3a://", "s3n://")


def is_s3(uri: str) -> bool:
    return uri.startswith(S3_SCHEMES)


def split_s3(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b` -> `('bucket', 'a/b')` (s3a:// and s3n:// too)."""
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, key


def join(root: str, *parts: str) -> str:
    """Path join that keeps URIs as URIs."""
    if "://" in root:
        return "/".join([root.rstrip("/"), *parts])
    return str(Path(root, *parts))


@dataclass(frozen=True)
class PartFile:
    """One file Spark wrote: where, its size, sha256 and number of lines (header included)."""

    uri: str
    bytes: int
    sha256: str
    lines: int


def part_files(spark: SparkSession, folder: str) -> list[PartFile]:
    """The `part-*` files Spark wrote into `folder` (no `_SUCCESS`, no `.crc`), measured by executors, sorted."""
    from pyspark.sql import functions as F

    text = F.col("content").cast("string")
    rows = (
        spark.read.format("binaryFile")
        .option("pathGlobFilter", "part-*")
        .load(folder)
        .select(
            "path",
            "length",
            F.sha2("content", 256).alias("sha256"),
            (F.length(text) - F.length(F.regexp_replace(text, "\n", ""))).alias("lines"),
        )
        .collect()
    )
    parts = [PartFile(str(r["path"]), int(r["length"]), str(r["sha256"]), int(r["lines"])) for r in rows]
    return sorted((p for p in parts if not p.uri.endswith(".crc")), key=lambda p: p.uri)


class Publisher(Protocol):
    """Where Spark stages an export and how its files reach their final names."""

    staging: str

    def move(self, source: str, target: str) -> None: ...
    def write_text(self, target: str, text: str) -> None: ...
    def remove_tree(self, root: str) -> None: ...


class HadoopPublisher:
    """Staging beside the destination; files renamed within the FileSystem (no bytes through the driver)."""

    def __init__(self, fs: HadoopFS, staging: str) -> None:
        self.fs = fs
        self.staging = staging

    def move(self, source: str, target: str) -> None:
        self.fs.rename(source, target)

    def write_text(self, target: str, text: str) -> None:
        self.fs.write_bytes(target, text.encode("utf-8"))

    def remove_tree(self, root: str) -> None:
        self.fs.delete(root)


class UploadPublisher:
    """Local mode to an s3:// destination local Spark cannot write: stage locally, upload with boto3."""

    def __init__(self, staging: str) -> None:
        import boto3

        self.s3: Any = boto3.client("s3")
        self.staging = staging

    def move(self, source: str, target: str) -> None:
        bucket, key = split_s3(target)
        self.s3.upload_file(source.removeprefix("file:"), bucket, key)

    def write_text(self, target: str, text: str) -> None:
        bucket, key = split_s3(target)
        self.s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/json")

    def remove_tree(self, root: str) -> None:
        if not is_s3(root):
            import shutil

            shutil.rmtree(root, ignore_errors=True)
            return
        bucket, prefix = split_s3(root.rstrip("/") + "/")
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = [{"Key": o["Key"]} for page in pages for o in page.get("Contents", [])]
        for i in range(0, len(keys), 1000):
            self.s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[i : i + 1000], "Quiet": True})


def publisher(spark: SparkSession, export_root: str, snapshot: str) -> Publisher:
    """A HadoopPublisher when Spark can write `export_root`, else (local mode, s3:// destination) an uploader."""
    fs = HadoopFS(spark)
    if fs.supports(export_root):
        return HadoopPublisher(fs, join(export_root, "personalize", "_staging", snapshot))
    if is_s3(export_root):
        return UploadPublisher(tempfile.mkdtemp(prefix=f"udp-export-{snapshot}-"))
    raise InputPathError(f"paths.export {export_root}: Spark has no FileSystem for this scheme (check its connector)")
