"""How far behind the sinks are: pending and dead-letter counts, and the oldest pending entry's age."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

from core.hot.store import HotStore

# The pending index is scored by next due time, not by age: the age comes from each entry's
# updated_at, so only this many of the soonest-due entries are read (one script call).
OLDEST_SAMPLE = 1000


@dataclass(frozen=True, slots=True)
class Backlog:
    """``oldest_age_s`` is exact when ``exact``; otherwise the oldest of the soonest-due sample."""

    pending: int
    dead: int
    oldest_age_s: float
    exact: bool


def read_backlog(hot: HotStore, *, now: float, sample: int = OLDEST_SAMPLE) -> Backlog:
    """Counts and the oldest pending age, reading at most ``sample`` entries.

    With more pending than ``sample`` the age is a lower bound: entries that have waited longest
    have backed off furthest, so the soonest-due ones hold most of them only when the backlog is
    small. Operators see ``exact`` as a metric and in ``/crewclock status``.
    """
    pending, dead = hot.counts()
    if not pending:
        return Backlog(0, dead, 0.0, True)
    ids = [entry_id for entry_id, _ in hot.pending_ids(sample)]
    entries = hot.get_many(ids)
    oldest = max((now - e.updated_at.timestamp() for e in entries), default=0.0)
    return Backlog(pending, dead, max(oldest, 0.0), pending <= sample)


def redis_memory(client: redis.Redis) -> tuple[int, int] | None:
    """(used_memory, maxmemory) from INFO memory; None where INFO is not offered (embedded fakeredis)."""
    try:
        memory: dict[str, Any] = dict(client.info("memory"))
    except redis.ResponseError:
        return None
    return int(memory.get("used_memory", 0)), int(memory.get("maxmemory", 0))
