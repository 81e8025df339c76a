"""`udp generate`: plan the (source, day) tasks, run them in a process pool, collect the report.

The world (persons, items, accounts, plans) is built once in the parent; worker processes inherit it by fork (or
rebuild it from the same arguments where fork is unavailable), so results never depend on the worker count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from udp.errors import InputPathError, UdpError
from udp.generate.catalog import erp_task, thirdparty_task
from udp.generate.clickstream import web_task
from udp.generate.customers import crm_task, ecom_task, support_task
from udp.generate.output import BadRecord, TaskResult
from udp.generate.params import MAX_CUSTOMERS, MAX_SKUS, SOURCES, Params
from udp.generate.pos import pos_task
from udp.generate.truth import truth_task, write_bad_records
from udp.generate.world import World
from udp.runner import fail
from udp.summary import format_table

DEFAULT_END_DATE = dt.date(2026, 10, 31)
MIN_CUSTOMERS = 100
MIN_SKUS = 100
MIN_DAYS = 2
MAX_DAYS = 3650

TaskFn = Callable[[World, Path, int], TaskResult]
TASKS: dict[str, TaskFn] = {
    "crm": crm_task,
    "ecom": ecom_task,
    "web": web_task,  # clickstream files and the OMS file of the same day
    "pos": pos_task,
    "support": support_task,
    "erp": erp_task,
    "thirdparty": thirdparty_task,
}


class GenerateArgumentError(UdpError):
    """An argument of `udp generate` is out of range or malformed."""


@dataclass
class SourceStats:
    files: int = 0
    rows: int = 0
    bytes: int = 0
    bad: int = 0


@dataclass
class GenerateReport:
    """What `generate` wrote: per-source files, rows (planted bad records included), bytes and bad records."""

    out: Path
    params: Params
    sources: dict[str, SourceStats]
    truth: dict[str, int]
    defects: dict[tuple[str, str], int]
    seconds: float = 0.0
    workers: int = 1
    notes: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(s.rows for s in self.sources.values())

    @property
    def total_bytes(self) -> int:
        return sum(s.bytes for s in self.sources.values())

    @property
    def total_bad(self) -> int:
        return sum(self.defects.values())

    def render(self) -> str:
        p = self.params
        head = (
            f"udp generate: {p.customers:,} customers, {p.skus:,} SKUs, {p.days} days "
            f"({p.day0.isoformat()} .. {p.end_date.isoformat()}), seed {p.seed}"
        )
        rows: list[Sequence[object]] = [[name, s.files, s.rows, s.bytes, s.bad] for name, s in self.sources.items()]
        rows.append(
            ["total", sum(s.files for s in self.sources.values()), self.total_rows, self.total_bytes, self.total_bad]
        )
        defects = ", ".join(f"{src}/{kind} {n}" for (src, kind), n in sorted(self.defects.items()))
        truth = ", ".join(f"{name} {n:,}" for name, n in self.truth.items())
        return "\n".join(
            [
                head,
                "",
                format_table(["source", "files", "rows", "bytes", "bad"], rows),
                "",
                f"bad records: {defects}",
                f"truth rows: {truth}",
                f"output: {self.out}  ({self.seconds:.1f} s, {self.workers} worker(s))",
            ]
        )


# --------------------------------------------------------------------------------------------------------------------
# Worker plumbing
# --------------------------------------------------------------------------------------------------------------------

_STATE: dict[str, object] = {}


def _init_worker(params: Params, out: Path) -> None:
    """Pool initializer: reuse the parent's world when forked, build it (deterministically) otherwise."""
    world = _STATE.get("world")
    if not isinstance(world, World) or world.params != params:
        _STATE["world"] = World(params)
    _STATE["out"] = out


def _run(task: tuple[str, int]) -> tuple[tuple[str, int], TaskResult | dict[str, int]]:
    world, out = _STATE["world"], _STATE["out"]
    assert isinstance(world, World)
    assert isinstance(out, Path)
    kind, day = task
    if kind == "truth":
        return task, truth_task(world, out, day)
    return task, TASKS[kind](world, out, day)


def plan(days: int) -> list[tuple[str, int]]:
    """All tasks, the longest first so two workers finish together."""
    tasks: list[tuple[str, int]] = [("crm", 0), ("ecom", 0), ("erp", 0), ("truth", 0)]
    tasks += [("web", d) for d in range(days)]
    tasks += [("pos", d) for d in range(days)] + [("support", d) for d in range(days)]
    tasks += [(k, d) for k in ("crm", "ecom", "erp") for d in range(1, days)]
    tasks.append(("thirdparty", 0))
    return tasks


def _check(params: Params, workers: int) -> None:
    if not MIN_CUSTOMERS <= params.customers <= MAX_CUSTOMERS:
        raise GenerateArgumentError(
            f"--customers must be between {MIN_CUSTOMERS} and {MAX_CUSTOMERS:,}, got {params.customers}"
        )
    if not MIN_SKUS <= params.skus <= MAX_SKUS:
        raise GenerateArgumentError(f"--skus must be between {MIN_SKUS} and {MAX_SKUS:,}, got {params.skus}")
    if not MIN_DAYS <= params.days <= MAX_DAYS:
        raise GenerateArgumentError(f"--days must be between {MIN_DAYS} and {MAX_DAYS}, got {params.days}")
    if params.seed < 0:
        raise GenerateArgumentError(f"--seed must be a non-negative integer, got {params.seed}")
    if workers < 1:
        raise GenerateArgumentError(f"--workers must be at least 1, got {workers}")


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputPathError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise InputPathError(f"--out {out} exists and is not empty (use --force to replace raw/ and truth/ in it)")
        for sub in ("raw", "truth"):
            if (out / sub).exists():
                shutil.rmtree(out / sub)
    out.mkdir(parents=True, exist_ok=True)


def generate(
    out: Path,
    *,
    customers: int,
    skus: int,
    days: int,
    seed: int,
    end_date: dt.date = DEFAULT_END_DATE,
    workers: int | None = None,
    force: bool = False,
) -> GenerateReport:
    """Write `out/raw/<source>/<YYYY-MM-DD>/...` and `out/truth/...`; every byte depends only on the arguments."""
    started = time.monotonic()
    params = Params(customers=customers, skus=skus, days=days, seed=seed, end_date=end_date)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    _check(params, workers)
    out = Path(out)
    _prepare(out, force)
    world = World(params)
    _STATE["world"] = world
    tasks = plan(days)
    results: dict[tuple[str, int], TaskResult | dict[str, int]] = {}
    if workers == 1:
        _init_worker(params, out)
        for task in tasks:
            results[task] = _run(task)[1]
    else:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        ctx = multiprocessing.get_context(method)
        with ctx.Pool(workers, initializer=_init_worker, initargs=(params, out), maxtasksperchild=None) as pool:
            for task, result in pool.imap_unordered(_run, tasks, chunksize=1):
                results[task] = result
    _STATE.clear()
    report = _report(out, params, tasks, results)
    report.workers = workers
    report.seconds = time.monotonic() - started
    return report


def _report(
    out: Path, params: Params, tasks: list[tuple[str, int]], results: dict[tuple[str, int], TaskResult | dict[str, int]]
) -> GenerateReport:
    sources = {name: SourceStats() for name in SOURCES}
    bad: list[BadRecord] = []
    truth: dict[str, int] = {}
    for task in tasks:
        result = results[task]
        if isinstance(result, dict):
            truth.update(result)
            continue
        for f in result.files:
            s = sources[f.source]
            s.files += 1
            s.rows += f.rows
            s.bytes += f.bytes
        bad.extend(result.bad)
    defects: dict[tuple[str, str], int] = {}
    for b in bad:
        sources[b.source].bad += 1
        defects[(b.source, b.defect)] = defects.get((b.source, b.defect), 0) + 1
    truth["bad_records.csv"] = write_bad_records(bad, out / "truth" / "bad_records.csv")
    return GenerateReport(out=out, params=params, sources=sources, truth=truth, defects=defects)


# --------------------------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that raises a UdpError (one line, exit code 2) instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise GenerateArgumentError(message)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from error


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="udp generate",
        description="Write synthetic raw dumps of a retailer's systems, with ground truth, under --out.",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder (raw/ and truth/)")
    parser.add_argument("--customers", required=True, type=int, metavar="N", help="number of persons")
    parser.add_argument("--skus", required=True, type=int, metavar="N", help="number of catalogue items")
    parser.add_argument("--days", required=True, type=int, metavar="N", help="days of daily files (>= 2)")
    parser.add_argument("--seed", required=True, type=int, metavar="N", help="random seed (same seed, same bytes)")
    parser.add_argument(
        "--end-date", type=_date, default=DEFAULT_END_DATE, metavar="YYYY-MM-DD", help="last day of the period"
    )
    parser.add_argument("--workers", type=int, default=None, metavar="N", help="processes (default min(2, CPUs))")
    parser.add_argument("--force", action="store_true", help="replace raw/ and truth/ in a non-empty --out")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        report = generate(
            args.out,
            customers=args.customers,
            skus=args.skus,
            days=args.days,
            seed=args.seed,
            end_date=args.end_date,
            workers=args.workers,
            force=args.force,
        )
    except UdpError as error:
        return fail(error)
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    print(report.render())
    return 0
