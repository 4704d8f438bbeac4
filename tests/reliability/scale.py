"""How big a run is: CI's counts by default, the issue's with ``CREWCLOCK_RELIABILITY_FULL=1``.

``bench/bench_reliability.py`` sets the variable and runs the same tests; CI keeps the
suite within a few minutes on a 2-core machine.
"""

from __future__ import annotations

import os

FULL = os.environ.get("CREWCLOCK_RELIABILITY_FULL", "") == "1"

SAFE_POLICIES = ("noeviction", "volatile-lru") + (("volatile-lfu", "volatile-random", "volatile-ttl") if FULL else ())
UNSAFE_POLICIES = ("allkeys-lru",) + (("allkeys-lfu", "allkeys-random") if FULL else ())
EVICTION_POLICIES = SAFE_POLICIES + UNSAFE_POLICIES


def scaled(ci: int, full: int) -> int:
    """``ci`` in CI, ``full`` in the benchmark run."""
    return full if FULL else ci
