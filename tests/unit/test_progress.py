"""Progress lines: timestamped, on stderr only, and none with --quiet."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.progress import PROGRESS_LINE
from udp import progress


def test_a_step_is_one_timestamped_line_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    progress.show(quiet=False)
    progress.step("silver", "matching")
    printed = capsys.readouterr()
    assert printed.out == ""
    (line,) = printed.err.splitlines()
    assert PROGRESS_LINE.match(line)
    stamp, rest = line.split(" ", 1)
    assert rest == "silver   matching"

    def seconds(t: dt.time) -> int:
        return t.hour * 3600 + t.minute * 60 + t.second

    assert (seconds(dt.datetime.now().time()) - seconds(dt.time.fromisoformat(stamp))) % 86400 < 5  # local time, now


def test_quiet_prints_nothing_and_showing_twice_prints_once(capsys: pytest.CaptureFixture[str]) -> None:
    progress.show(quiet=True)
    progress.step("bronze", "crm: 1 new file(s)")
    assert capsys.readouterr().err == ""
    progress.show(quiet=False)
    progress.show(quiet=False)
    progress.step("bronze", "crm: done in 1.0 s")
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_every_job_takes_quiet() -> None:
    from udp.bronze.job import parser as bronze
    from udp.gold.commands import export_parser, sql_parser, validate_parser
    from udp.gold.job import parser as gold
    from udp.silver.evaluate import parser as evaluate
    from udp.silver.explain import parser as explain
    from udp.silver.job import parser as silver
    from udp.silver.review import parser as review

    for make in (bronze, silver, gold, export_parser, validate_parser):
        assert make().parse_args(["--quiet"]).quiet
    assert sql_parser().parse_args(["SELECT 1", "--quiet"]).quiet
    assert explain().parse_args(["--customer-id", "c", "--quiet"]).quiet
    assert evaluate().parse_args(["--labels", "--quiet"]).quiet
    assert review().parse_args(["apply", "labels.csv", "--quiet"]).quiet
