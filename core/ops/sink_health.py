"""Each sink's last success and last error, kept in Redis so every process (and status) sees them.

Fed by the sync engine's outcome listener: one SET per sink and batch, never per entry.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import redis

from core.sync.engine import SinkOutcomes

log = logging.getLogger(__name__)

LAST_OK_KEY = "ops:sync:last_ok:{sink}"
LAST_ERROR_KEY = "ops:sync:last_error:{sink}"
ERROR_MAX_CHARS = 300


@dataclass(frozen=True, slots=True)
class SinkHealth:
    sink: str
    last_ok_at: float | None  # epoch seconds of the last batch with a success
    last_error_at: float | None
    last_error: str


class SinkHealthBoard:
    """Writes and reads the per-sink records."""

    def __init__(self, client: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self.redis = client
        self.clock = clock

    def on_outcomes(self, outcomes: SinkOutcomes) -> None:
        """Sync outcome listener (sync threads): note a success and the latest error."""
        now = self.clock()
        try:
            pipe = self.redis.pipeline(transaction=False)
            if outcomes.ok:
                pipe.set(LAST_OK_KEY.format(sink=outcomes.sink), repr(now))
            if outcomes.retry or outcomes.dead:
                record = json.dumps([now, outcomes.last_error[:ERROR_MAX_CHARS]])
                pipe.set(LAST_ERROR_KEY.format(sink=outcomes.sink), record)
            pipe.execute()
        except redis.RedisError as exc:  # bookkeeping only: the entries' own states are what count
            log.warning("could not note %s sync health: %s", outcomes.sink, exc)

    def read(self, sinks: Iterable[str]) -> list[SinkHealth]:
        names = list(sinks)
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.get(LAST_OK_KEY.format(sink=name))
            pipe.get(LAST_ERROR_KEY.format(sink=name))
        raw = pipe.execute()
        health = []
        for i, name in enumerate(names):
            ok, error = raw[2 * i], raw[2 * i + 1]
            error_at, message = json.loads(error) if error else (None, "")
            health.append(SinkHealth(name, float(ok) if ok else None, error_at, message))
        return health
