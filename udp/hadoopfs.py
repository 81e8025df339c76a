"""Files through Hadoop's FileSystem, from the driver: the one way udp lists, reads, writes, renames and deletes files
that Spark also reads or writes, so the same code serves local folders, s3a://, EMR's s3:// (EMRFS) and hdfs://.

Only metadata and small files (headers, schemas, manifests) pass through the driver; data files are written and read
by executors, and a rename on an object store is a server-side copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class FileInfo:
    """One file as the FileSystem lists it."""

    uri: str
    size: int
    modified_ms: int

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]


class HadoopFS:
    """Driver-side file operations on any location Spark's Hadoop configuration can reach."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        jvm = spark.sparkContext._jvm
        assert jvm is not None
        self.jvm: Any = jvm
        self.conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _fs(self, uri: str) -> tuple[Any, Any]:
        path = self.jvm.org.apache.hadoop.fs.Path(uri)
        return path, path.getFileSystem(self.conf)

    def _raw(self, uri: str) -> tuple[Any, Any]:
        """For writes: the local FileSystem without its `.crc` side files (other FileSystems as they are)."""
        path, fs = self._fs(uri)
        if self.jvm.java.lang.Class.forName("org.apache.hadoop.fs.LocalFileSystem").isInstance(fs):
            fs = fs.getRawFileSystem()
        return path, fs

    def supports(self, uri: str) -> bool:
        """True when a FileSystem is configured for the location's scheme (s3:// is EMR's, s3a:// needs hadoop-aws)."""
        from py4j.protocol import Py4JJavaError

        try:
            self._fs(uri)
        except Py4JJavaError:
            return False
        return True

    def same_filesystem(self, a: str, b: str) -> bool:
        return bool(self._fs(a)[1].getUri().equals(self._fs(b)[1].getUri()))

    def qualify(self, uri: str) -> str:
        """A location as a fully qualified URI (`/data/raw` -> `file:/data/raw`)."""
        path, fs = self._fs(uri)
        return str(fs.makeQualified(path).toString()).rstrip("/")

    def exists(self, uri: str) -> bool:
        path, fs = self._fs(uri)
        return bool(fs.exists(path))

    def is_file(self, uri: str) -> bool:
        path, fs = self._fs(uri)
        return bool(fs.exists(path) and fs.getFileStatus(path).isFile())

    def glob(self, pattern: str) -> list[FileInfo]:
        """Files (not folders) matching a glob, sorted by URI."""
        path, fs = self._fs(pattern)
        return sorted((_info(s) for s in fs.globStatus(path) or [] if s.isFile()), key=lambda f: f.uri)

    def list_files(self, uri: str) -> list[FileInfo]:
        """The files directly in a folder (or the file itself), sorted by URI."""
        path, fs = self._fs(uri)
        if not fs.exists(path):
            return []
        status = fs.getFileStatus(path)
        statuses = [status] if status.isFile() else list(fs.listStatus(path) or [])
        return sorted((_info(s) for s in statuses if s.isFile()), key=lambda f: f.uri)

    def read_lines(self, uri: str, encoding: str = "UTF-8", limit: int | None = None) -> list[str]:
        """The first `limit` lines (all when None) of a text file."""
        path, fs = self._fs(uri)
        stream = fs.open(path)
        lines: list[str] = []
        try:
            reader = self.jvm.java.io.BufferedReader(self.jvm.java.io.InputStreamReader(stream, encoding))
            while limit is None or len(lines) < limit:
                line = reader.readLine()
                if line is None:
                    break
                lines.append(str(line))
        finally:
            stream.close()
        return lines

    def first_line(self, uri: str, encoding: str = "UTF-8") -> str:
        """The first line without a byte-order mark or a trailing CR (a CSV header)."""
        lines = self.read_lines(uri, encoding, limit=1)
        return (lines[0] if lines else "").removeprefix("\ufeff").rstrip("\r")

    def read_text(self, uri: str) -> str | None:
        """A whole small UTF-8 file, or None when it does not exist."""
        return "\n".join(self.read_lines(uri)) if self.exists(uri) else None

    def write_bytes(self, uri: str, data: bytes) -> None:
        """Create or replace a small file (a schema, a manifest)."""
        path, fs = self._raw(uri)
        stream = fs.create(path, True)
        try:
            stream.write(bytearray(data))
        finally:
            stream.close()

    def rename(self, source: str, target: str) -> None:
        """Move a file within one FileSystem (on an object store: a server-side copy, no bytes through here)."""
        src, fs = self._raw(source)
        dst, _ = self._raw(target)
        fs.mkdirs(dst.getParent())
        if not fs.rename(src, dst):
            raise OSError(f"could not move {source} to {target}")

    def delete(self, uri: str) -> None:
        """Delete a file or a folder with everything under it (nothing when it does not exist)."""
        path, fs = self._fs(uri)
        fs.delete(path, True)


def _info(status: Any) -> FileInfo:
    return FileInfo(str(status.getPath().toString()), int(status.getLen()), int(status.getModificationTime()))
