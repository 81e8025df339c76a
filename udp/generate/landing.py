"""Landing generated dumps day by day, as a retailer's systems deliver them: a later day arrives after the pipeline has
run on the earlier ones (the demo's day two, the scale benchmark, the incremental tests)."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path


def dump_days(dumps: Path) -> list[str]:
    """The days of dumps under `<dumps>/raw/<source>/<day>/`, oldest first."""
    sources = [s for s in (dumps / "raw").iterdir() if s.is_dir()]
    return sorted({day.name for source in sources for day in source.iterdir() if day.is_dir()})


def land(dumps: Path, raw: Path, days: Iterable[str]) -> None:
    """Copy those days' folders of every source from `<dumps>/raw` into the landing zone `raw` (again: no change)."""
    wanted = list(days)
    for source in sorted((dumps / "raw").iterdir()):
        for day in wanted:
            if (source / day).is_dir():
                shutil.copytree(source / day, raw / source.name / day, dirs_exist_ok=True)
