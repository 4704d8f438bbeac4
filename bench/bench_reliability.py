"""The reliability suite at the issue's sizes: 2,000 entries per fault, every eviction policy.

Run: .venv/bin/python -m bench.bench_reliability [-k EXPR] [--write docs/reliability.md]

Runs ``tests/reliability`` with ``CREWCLOCK_RELIABILITY_FULL=1`` (counts from
``tests/reliability/scale.py``: 2,000 entries in scenarios 1-3 and 5, 50 crew members over
8 days in scenario 4, 200 intents in scenario 6, and the ``volatile-lfu``,
``volatile-random``, ``volatile-ttl``, ``allkeys-lfu`` and ``allkeys-random`` policies too)
and prints the same table as ``python -m tests.reliability.report``. The results go to
``bench/out/reliability/``, so CI's figures in ``tests/reliability/.results`` stay as they are;
``--write`` puts the table between the ``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers.
Several minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.reliability.report import render, write_into
from tests.reliability.results import load_results

OUT = Path(__file__).parent / "out" / "reliability"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the reliability suite at full size")
    parser.add_argument("-k", default="", help="pytest -k expression (a subset of the scenarios)")
    parser.add_argument("--write", type=Path, metavar="DOC", help="put the table between the bench markers in DOC")
    args = parser.parse_args(argv)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    env = {**os.environ, "CREWCLOCK_RELIABILITY_FULL": "1", "CREWCLOCK_RELIABILITY_RESULTS": str(OUT)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/reliability"]
    if args.k:
        command += ["-k", args.k]
    started = time.monotonic()
    code = subprocess.run(command, env=env, check=False).returncode
    print(f"\npytest exited {code} after {time.monotonic() - started:.0f} s\n")
    table = render(load_results(OUT))
    if args.write:
        write_into(args.write, table, marker="bench")
    print(table)
    return code


if __name__ == "__main__":
    sys.exit(main())
