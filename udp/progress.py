"""Progress while a job runs: one timestamped line per step on stderr, e.g. `21:04:07 silver   matching`.

Each step is also recorded (quiet or not) so the run log can write it as a row of udp._run_steps (udp/runlog.py).

The lines go through Python's logging (the logger `udp.progress`, with its own stderr handler; it does not propagate
to the root logger); `--quiet` turns them off. They never go to stdout, which holds the job's summary (or,
for `udp sql --format csv|json`, its rows) — but under spark-submit, Spark's Python runner merges the driver's stderr
into its own stdout, so there the lines come before the summary on stdout.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

LOGGER = logging.getLogger("udp.progress")


@dataclass(frozen=True)
class Step:
    """One step as it started: when (UTC), which stage, what it does."""

    at: datetime
    stage: str
    message: str


_RECORDED: list[Step] = []


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is logged (a test's capture, a redirected stream)."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _: object) -> None:
        pass


def add_quiet_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr (the summary still prints)")


def show(quiet: bool) -> None:
    """Progress lines on stderr from now on, or none when `quiet`."""
    if not any(isinstance(h, _Stderr) for h in LOGGER.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(asctime)s %(stage)-8s %(message)s", datefmt="%H:%M:%S"))
        LOGGER.addHandler(handler)
        LOGGER.propagate = False
    LOGGER.setLevel(logging.WARNING if quiet else logging.INFO)


def step(stage: str, message: str) -> None:
    """One progress line: what `stage` starts doing now."""
    _RECORDED.append(Step(datetime.now(UTC), stage, message))
    LOGGER.info(message, extra={"stage": stage})


def mark() -> int:
    """A bookmark in the recorded steps: `steps_since(mark())` later gives the steps taken in between."""
    return len(_RECORDED)


def steps_since(bookmark: int) -> list[Step]:
    return list(_RECORDED[bookmark:])
