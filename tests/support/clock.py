"""A stand-in for the ``time`` module of one module under test, moved by the test instead of sleeping."""

from __future__ import annotations

import time


class MovedClock:
    """``monotonic()`` stands still unless the test moves it (its own waiting ages nothing held);
    ``time()`` is the real wall clock plus however far the test has moved."""

    def __init__(self) -> None:
        self.ahead = 0.0
        self._start = time.monotonic()

    def monotonic(self) -> float:
        return self._start + self.ahead

    def time(self) -> float:
        return time.time() + self.ahead

    def advance(self, seconds: float) -> None:
        self.ahead += seconds
