"""The console's command-line options; kept apart so ``crewclock --help`` imports nothing heavy."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--user``, ``--manager``, ``--demo/--no-demo`` and ``--tz`` (for ``crewclock console`` and ``run``)."""
    parser.add_argument("--user", metavar="NAME", help="who you are: maria (default), james, li, sam, or any new name")
    parser.add_argument("--manager", action="store_true", help="be a manager (alone: be sam, the demo manager)")
    parser.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="add the demo jobs and a week of crew hours (default: only when there are no jobs yet)",
    )
    parser.add_argument("--tz", metavar="ZONE", help="your time zone, e.g. America/Chicago (default: this machine's)")
