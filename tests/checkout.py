"""The checkout as tests see it: its top-level entries, less the folders its own tools make."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Made by `make setup` (venvs, jars, the editable install), lint and pytest, never by udp itself.
TOOLS = frozenset({".git", ".venv", ".venv-compat", ".venv-runtime", ".jars", ".mypy_cache", ".ruff_cache",
                   ".pytest_cache", "udp.egg-info"})  # fmt: skip
DIST = "dist"  # what the launcher builds (the package and configuration zips)


def checkout_entries(*, with_dist: bool = False) -> list[Path]:
    """The checkout's top-level files and folders but its tools' (and the launcher's dist/ unless `with_dist`)."""
    skip = TOOLS if with_dist else TOOLS | {DIST}
    return sorted(p for p in ROOT.iterdir() if p.name not in skip)
