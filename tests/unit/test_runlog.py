"""The run log's rows without Spark: a run's steps end where the next begins, a summary becomes the run's row."""

from __future__ import annotations

from udp import progress
from udp.config import load_config
from udp.errors import UdpError
from udp.runlog import FAILED, SUCCEEDED, RunClock, config_digest
from udp.summary import Summary

CONFIG = load_config([], [], env={})


def test_a_run_without_steps_has_no_step_rows() -> None:
    clock = RunClock.start("personalize")
    run = clock.finish(CONFIG, Summary("personalize apply").fact("snapshot", "s1"))
    assert clock.steps(run) == []
    assert (run.status, run.figures, run.error) == (SUCCEEDED, [("snapshot", "s1")], None)


def test_each_step_ends_where_the_next_starts_and_the_last_with_the_run() -> None:
    progress.step("elsewhere", "before this run")  # not this run's
    clock = RunClock.start("gold")
    progress.step("gold", "gold.personalize_items")
    progress.step("gold", "catalog, preflight")
    run = clock.finish(CONFIG, Summary("gold build"))
    steps = clock.steps(run)
    assert [(s[1], s[2], s[3]) for s in steps] == [
        ("gold", 1, "gold.personalize_items"),
        ("gold", 2, "catalog, preflight"),
    ]
    assert steps[0][5] == steps[1][4]
    assert steps[1][5] == run.ended_at
    assert all(s[0] == run.run_id and s[6] == (s[5] - s[4]).total_seconds() for s in steps)


def test_a_failed_run_keeps_its_error_on_one_line_and_no_figures() -> None:
    run = RunClock.start("silver").finish(CONFIG, error=UdpError("table silver.customers does not exist\n  at x"))
    assert (run.status, run.title, run.figures, run.error) == (
        FAILED,
        "silver",
        [],
        "table silver.customers does not exist at x",
    )


def test_a_summary_with_a_failure_is_a_failed_run_with_its_figures() -> None:
    summary = Summary("personalize apply").fact("snapshot", "s1")
    summary.failure = UdpError("teardown incomplete")
    run = RunClock.start("personalize").finish(CONFIG, summary)
    assert (run.status, run.figures, run.error) == (FAILED, [("snapshot", "s1")], "teardown incomplete")


def test_the_config_digest_changes_with_any_setting() -> None:
    other = load_config([], ["paths.lake=/elsewhere"], env={})
    assert config_digest(CONFIG) == config_digest(load_config([], [], env={}))
    assert config_digest(CONFIG) != config_digest(other)
    assert len(config_digest(CONFIG)) == 12
