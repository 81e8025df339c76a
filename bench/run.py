"""`make bench`: every benchmark in turn, each in its own process (its own Spark session and memory settings).

    .venv/bin/python -m bench.run [--only NAME[,NAME]] [--quick]

--quick runs each at a small size (minutes in all) to check the benchmarks work; the figures in bench/RESULTS.md
come from the default sizes, which take an hour or more on 2 cores. Each benchmark prints its own report with the
command, data size, machine and its ratio against the baseline it measures in the same run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> (default arguments, quick arguments)
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    "generate": ([], ["--customers", "50000", "--skus", "50000", "--days", "3"]),
    "bronze": ([], ["--customers", "5000", "--skus", "5000", "--days", "3"]),
    "matching": ([], ["--sizes", "20000", "--no-warmup"]),
    "febrl": ([], ["--no-warmup"]),
    "gold": ([], ["--skus", "50000", "--customers", "20000", "--interactions", "500000", "--days", "60"]),
    "personalize": ([], ["--users", "800", "--items", "400", "--interactions", "20000"]),
    "scale": ([], ["--customers", "2000", "--skus", "2000", "--days", "3"]),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {', '.join(BENCHES)}")
    parser.add_argument("--quick", action="store_true", help="small sizes: check the benchmarks run")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    unknown = sorted(set(names) - set(BENCHES))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    failed = []
    for name in names:
        full, quick = BENCHES[name]
        command = [sys.executable, str(HERE / f"bench_{name}.py"), *(quick if args.quick else full)]
        print(f"\n### bench {name}: {' '.join(command)}", flush=True)
        started = time.monotonic()
        code = subprocess.call(command)
        print(f"### bench {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
