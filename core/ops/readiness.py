"""``GET /readyz``: Redis and Postgres reachable, schema current — never slower than a deadline.

The checks are ``core.doctor.run_checks`` (the same as ``crewclock doctor``), run in one
background thread per probe at a time: a load balancer polling a process whose Postgres hangs
gets "not ready" after ``timeout_s`` instead of a request stuck behind the client timeouts, and
probes arriving meanwhile share the check in flight instead of piling threads up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import redis

from core.doctor import Check, run_checks
from core.sql.store import SqlStore

DEFAULT_TIMEOUT_S = 2.0
CACHE_S = 1.0  # a probe answered within the last second is answered again as is


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    checks: list[Check] = field(default_factory=list)
    elapsed_s: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not ready",
            "elapsed_ms": round(self.elapsed_s * 1000, 1),
            "checks": [
                {"name": c.name, "ok": c.ok, "detail": c.detail, **({} if c.fatal else {"warning_only": True})}
                for c in self.checks
            ],
        }


class ReadinessProbe:
    """Answers "can this process serve?" within ``timeout_s``."""

    def __init__(
        self,
        client: redis.Redis,
        sql: SqlStore,
        *,
        embedded_redis: bool = False,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.sql = sql
        self.embedded_redis = embedded_redis
        self.timeout_s = timeout_s
        self.clock = clock
        self._lock = threading.Lock()
        self._running: Future[Readiness] | None = None
        self._last: tuple[float, Readiness] | None = None

    def check(self) -> Readiness:
        """Ready when no fatal check failed; a check still running after ``timeout_s`` means not ready."""
        started = self.clock()
        with self._lock:
            if self._last is not None and started - self._last[0] < CACHE_S:
                return self._last[1]
            if self._running is None:
                self._running = Future()
                threading.Thread(target=self._run, args=(self._running,), name="crewclock-readyz", daemon=True).start()
            running = self._running
        try:
            return running.result(timeout=self.timeout_s)
        except TimeoutError:
            waited = self.clock() - started
            slow = Check("checks", False, f"no answer from Redis or the database within {self.timeout_s:g}s")
            return Readiness(False, [slow], waited)

    def _run(self, future: Future[Readiness]) -> None:
        started = self.clock()
        try:
            checks = run_checks(self.client, self.sql, embedded_redis=self.embedded_redis)
            result = Readiness(all(c.ok or not c.fatal for c in checks), checks, self.clock() - started)
        except Exception as exc:  # a probe reports; it never raises into the HTTP server
            result = Readiness(False, [Check("checks", False, f"{type(exc).__name__}: {exc}")], self.clock() - started)
        with self._lock:
            self._running = None
            self._last = (self.clock(), result)
        future.set_result(result)
