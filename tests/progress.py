"""Telling udp's progress lines (`21:04:07 silver   matching`, on stderr) from the rest of a job's stderr."""

from __future__ import annotations

import re

PROGRESS_LINE = re.compile(r"^\d\d:\d\d:\d\d \S+ +\S")


def progress_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if PROGRESS_LINE.match(line)]


def other_lines(stderr: str) -> list[str]:
    """stderr without udp's progress lines (and without blank lines)."""
    return [line for line in stderr.strip().splitlines() if line.strip() and not PROGRESS_LINE.match(line)]
