"""Client-side rate limit for Zoho calls: a per-minute token bucket plus a rolling daily cap.

Why not a library: pyrate-limiter and limits were the candidates. Both can hold a
per-minute and a per-day rate, but the sink needs three things from the limiter that
neither gives directly through a stable API: (1) "how long until the next permit", so a
push that cannot wait hands the entry back with ``retry_after_s`` instead of blocking a
worker for hours on the daily cap; (2) ``pause()`` after a 429, so every thread backs off
together; (3) an injectable clock, so the tests run in milliseconds. pyrate-limiter's
API also changed shape across its last three major versions. The whole thing is a lock,
a float and a deque, so we keep it here.

The limiter is per process. With several worker processes, give each a share of
Zoho's budget (or move the state to Redis if that ever matters).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from core.zoho.errors import ZohoRateLimited

DAY_S = 86_400.0


class RateLimiter:
    """Thread-safe: at most ``per_minute`` calls a minute (bursting up to that) and ``per_day`` per 24 h."""

    def __init__(
        self,
        *,
        per_minute: int,
        per_day: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute < 1 or per_day < 1:
            raise ValueError("rate limits must be at least 1")
        self._capacity = float(per_minute)
        self._tokens = float(per_minute)
        self._refill_per_s = per_minute / 60.0
        self._per_day = per_day
        self._day_log: deque[float] = deque()  # when each call of the last 24 h was let through
        self._paused_until = 0.0
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        """Take a permit if one is free now.

        Returns:
            0.0 when a permit was taken; otherwise the seconds until one may be free
            (nothing is taken).
        """
        with self._lock:
            now = self._clock()
            self._refill(now)
            wait = 0.0
            if now < self._paused_until:
                wait = self._paused_until - now
            if self._tokens < 1.0:
                wait = max(wait, (1.0 - self._tokens) / self._refill_per_s)
            while self._day_log and self._day_log[0] <= now - DAY_S:
                self._day_log.popleft()
            if len(self._day_log) >= self._per_day:
                wait = max(wait, self._day_log[0] + DAY_S - now)
            if wait > 0.0:
                return wait
            self._tokens -= 1.0
            self._day_log.append(now)
            return 0.0

    def acquire(self, max_wait_s: float) -> None:
        """Take a permit, sleeping up to ``max_wait_s`` for one.

        Raises:
            ZohoRateLimited: when no permit will be free within ``max_wait_s``; its
                ``retry_after_s`` says when one will be.
        """
        deadline = self._clock() + max_wait_s
        while True:
            wait = self.try_acquire()
            if wait == 0.0:
                return
            if self._clock() + wait > deadline:
                raise ZohoRateLimited(
                    f"local Zoho rate limit reached; next call possible in {wait:.1f}s",
                    retry_after_s=wait,
                )
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (after Zoho answered 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._last)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._refill_per_s)
        self._last = now
