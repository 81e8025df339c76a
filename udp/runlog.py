"""The run log: each job that changes the lake appends one row per run to `udp._runs` and one row per progress step
to `udp._run_steps`, and the summary it prints is rendered from that row.

`udp._runs`: run_id, stage, title, config_digest (sha-256 of the resolved configuration, 12 hex digits),
code_version, started_at, ended_at (UTC), seconds, status (`succeeded` or `failed`), figures (the summary's facts as
name and value, in the order printed; `map_from_entries(figures)['rows landed']` looks one up), sections (its tables
as title and text), warnings, error.
`udp._run_steps`: run_id, stage, step (1, 2, …), message, started_at, ended_at, seconds — the progress lines of the run.

Both are written once, when the run ends; a run id is new for every run, so appending never repeats a row. A run
killed before it ends (SIGKILL, a lost node) leaves no row: the next run of its stage resumes its work and logs
itself. A run that fails before Spark starts (a misspelt key, a missing file) writes no row: its one-line error on
stderr is all there is. `udp sql`, `udp explain`, `udp evaluate-matching` and `udp report` only read, and log
nothing; `udp personalize` logs a run when it started Spark (the local backend does; a status call to AWS does not).
The log holds no personal data.
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import udp
from udp import progress, tables
from udp.config_convert import to_plain
from udp.summary import render_text

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from udp.config import Config
    from udp.summary import Summary

SUCCEEDED = "succeeded"
FAILED = "failed"


@dataclass(frozen=True)
class Run:
    """One row of udp._runs."""

    run_id: str
    stage: str
    title: str
    config_digest: str
    code_version: str
    started_at: datetime
    ended_at: datetime
    status: str
    figures: Sequence[tuple[str, str]]
    sections: Sequence[tuple[str, str]]
    warnings: Sequence[str]
    error: str | None = None

    @property
    def seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    def render(self) -> str:
        """The summary as the job prints it."""
        return render_text(self.title, self.figures, self.sections, self.warnings, self.seconds)


@dataclass
class RunClock:
    """When a run started and where its progress steps begin; `finish` makes its row."""

    stage: str
    started_at: datetime
    bookmark: int

    @classmethod
    def start(cls, stage: str) -> RunClock:
        return cls(stage, datetime.now(UTC), progress.mark())

    def finish(self, config: Config, summary: Summary | None = None, error: BaseException | None = None) -> Run:
        """The run's row: from the summary when it succeeded, with the error when it did not."""
        ended = datetime.now(UTC)
        run_id = f"{self.started_at:%Y%m%dT%H%M%S}-{self.stage}-{uuid.uuid4().hex[:8]}"
        failure = error if summary is None else summary.failure
        message = None if failure is None else " ".join(str(failure).split())
        return Run(
            run_id=run_id,
            stage=self.stage,
            title=self.stage if summary is None else summary.title,
            config_digest=config_digest(config),
            code_version=udp.__version__,
            started_at=self.started_at,
            ended_at=ended,
            status=SUCCEEDED if summary is not None and failure is None else FAILED,
            figures=[] if summary is None else list(summary.facts),
            sections=[] if summary is None else list(summary.sections),
            warnings=[] if summary is None else list(summary.warnings),
            error=message,
        )

    def steps(self, run: Run) -> list[tuple[str, str, int, str, datetime, datetime, float]]:
        """The run's progress steps as udp._run_steps rows: each ends when the next starts, the last with the run."""
        taken = progress.steps_since(self.bookmark)
        ends = [s.at for s in taken[1:]] + [run.ended_at] if taken else []
        return [
            (run.run_id, s.stage, i, s.message, s.at, end, (end - s.at).total_seconds())
            for i, (s, end) in enumerate(zip(taken, ends, strict=True), start=1)
        ]


def config_digest(config: Config) -> str:
    """12 hex digits of the resolved configuration's sha-256: two runs with the same digest ran the same settings."""
    text = json.dumps(to_plain(config), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


RUNS_SCHEMA = (
    "run_id STRING, stage STRING, title STRING, config_digest STRING, code_version STRING, started_at TIMESTAMP, "
    "ended_at TIMESTAMP, seconds DOUBLE, status STRING, figures ARRAY<STRUCT<name: STRING, value: STRING>>, "
    "sections ARRAY<STRUCT<title: STRING, body: STRING>>, warnings ARRAY<STRING>, error STRING"
)
STEPS_SCHEMA = (
    "run_id STRING, stage STRING, step INT, message STRING, started_at TIMESTAMP, ended_at TIMESTAMP, seconds DOUBLE"
)


def write(spark: SparkSession, config: Config, clock: RunClock, run: Run) -> None:
    """Append the run's row and its steps' rows, and register both tables in the catalog."""
    from udp.lake import Lake

    lake = Lake(spark, config)
    figures = [{"name": k, "value": v} for k, v in run.figures]
    sections = [{"title": t, "body": b} for t, b in run.sections]
    row = (
        run.run_id, run.stage, run.title, run.config_digest, run.code_version, run.started_at, run.ended_at,
        run.seconds, run.status, figures, sections, list(run.warnings), run.error,
    )  # fmt: skip
    lake.append(spark.createDataFrame([row], RUNS_SCHEMA), tables.RUNS)
    steps = clock.steps(run)
    if steps:
        lake.append(spark.createDataFrame(steps, STEPS_SCHEMA), tables.RUN_STEPS)
    for table in (tables.RUNS, tables.RUN_STEPS):
        if lake.exists(table):
            lake.register(table, tables.table(table).what)


def write_failed(spark: SparkSession, config: Config, clock: RunClock, error: BaseException) -> None:
    """Log a run that ended with an error; a failure to log it never hides the error itself."""
    try:
        write(spark, config, clock, clock.finish(config, error=error))
    except Exception as logging_error:  # the run's own error is what the user must see
        print(f"udp: warning: the run log was not written: {logging_error}", file=sys.stderr)
