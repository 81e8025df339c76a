"""What the launcher ships to a cluster: udp's package and the resolved configuration, as zips named by a digest of
their content.

Both are built in memory and byte for byte reproducible (fixed timestamps and permissions, sorted members), so the
same code and configuration give the same names. Nothing touches dist/ until `Artifacts.write`, which the launcher
calls only when it really launches, never for --dry-run.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)
SHIPPED_CONF = "udp.yaml"  # the resolved configuration's name inside conf-<digest>.zip (extracted as ./conf/udp.yaml)


@dataclass(frozen=True)
class Artifacts:
    """What udp ships to a cluster: the package and the resolved configuration (as an archive, and as a file for a
    driver that runs here). Names carry a digest of their content, so concurrent launches never overwrite each
    other's files, here or under --artifacts, and the same code and configuration give the same names."""

    folder: Path
    digest: str
    package_bytes: bytes
    conf_bytes: bytes

    @property
    def package(self) -> Path:
        return self.folder / f"udp-{self.digest}.zip"

    @property
    def conf_archive(self) -> Path:
        return self.folder / f"conf-{self.digest}.zip"

    @property
    def conf_file(self) -> Path:
        return self.folder / f"conf-{self.digest}" / SHIPPED_CONF

    def write(self) -> None:
        """Write the three files (the launcher does this only when it really launches, never for --dry-run). Their
        names carry the digest of their content, so one that exists already is left as it is."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.conf_file.parent.mkdir(parents=True, exist_ok=True)
        for path, data in (
            (self.package, self.package_bytes),
            (self.conf_archive, self.conf_bytes),
            (self.conf_file, _unzip_one(self.conf_bytes)),
        ):
            if path.exists():
                continue
            tmp = path.with_name(f".{path.name}.{os.getpid()}")
            tmp.write_bytes(data)
            tmp.replace(path)


def build_artifacts(config_text: str, dist: Path | None = None) -> Artifacts:
    """The package and the archive of this resolved configuration, in memory and byte-for-byte reproducible; written
    under `dist` (default: the module's DIST, read when called)."""
    package = _zip([(str(p.relative_to(ROOT)), p.read_bytes()) for p in _package_files()])
    conf = _zip([(SHIPPED_CONF, config_text.encode("utf-8"))])
    digest = hashlib.sha256(package + conf).hexdigest()[:12]
    return Artifacts(DIST if dist is None else dist, digest, package, conf)


def _package_files() -> list[Path]:
    return sorted(p for p in (ROOT / "udp").rglob("*") if _shippable(p))


def _shippable(path: Path) -> bool:
    return path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".typed", ".json", ".yaml")


def _zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buffer.getvalue()


def _unzip_one(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(SHIPPED_CONF)
