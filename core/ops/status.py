"""What ``/crewclock status`` shows admins: backlog, dead letters, each sink, Zoho, Redis memory.

Plain data gathered from Redis (and Postgres for which dead letters it holds); the Slack view
renders it. Postgres being down never stops the report: the dead letters then say "unknown".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.bootstrap import Services
from core.domain.entry import Actor, SyncStatus, TimeEntry
from core.ops.backlog import Backlog, read_backlog, redis_memory
from core.ops.saved import saved_versions
from core.ops.sink_health import SinkHealth, SinkHealthBoard
from core.service import PermissionDenied

log = logging.getLogger(__name__)

DEAD_LETTERS_SHOWN = 10
SINKS = ("postgres", "zoho")


@dataclass(frozen=True, slots=True)
class SinkFailure:
    sink: str
    attempts: int
    error: str


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A dead-lettered entry, why, and whether Postgres (the permanent record) holds it."""

    entry: TimeEntry
    failures: list[SinkFailure]
    saved_version: int | None  # None: Postgres could not be asked

    @property
    def saved(self) -> bool | None:
        """True when Postgres holds the current version; None when unknown."""
        return None if self.saved_version is None else self.saved_version >= self.entry.version


@dataclass(frozen=True, slots=True)
class OpsStatus:
    backlog: Backlog
    dead_letters: list[DeadLetter]
    sinks: list[SinkHealth]
    zoho_mode: str
    redis_used_bytes: int | None  # None: Redis does not say (embedded)
    redis_max_bytes: int  # 0: no limit
    postgres_reachable: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def redis_used_share(self) -> float | None:
        if self.redis_used_bytes is None or not self.redis_max_bytes:
            return None
        return self.redis_used_bytes / self.redis_max_bytes


def dead_letter_of(entry: TimeEntry, saved_version: int | None) -> DeadLetter:
    failures = [
        SinkFailure(name, entry.sink_state(name).attempts, entry.sink_state(name).last_error)
        for name in SINKS
        if entry.sink_state(name).status is SyncStatus.DEAD
    ]
    return DeadLetter(entry, failures, saved_version)


def collect_status(services: Services, *, actor: Actor, now: float, limit: int = DEAD_LETTERS_SHOWN) -> OpsStatus:
    """Everything the status message shows, for an admin.

    Raises:
        PermissionDenied: ``actor`` is not an admin.
    """
    if not actor.is_admin:
        raise PermissionDenied("only admins can see crewclock's status")
    backlog = read_backlog(services.hot, now=now)
    dead = services.entries.dead_letters(actor=actor, limit=limit)
    postgres_ok = True
    try:
        saved: dict[str, int] | None = saved_versions(services.sql, [e.id for e in dead])
    except Exception as exc:  # Postgres down: the rest of the report still helps
        log.warning("status: could not ask Postgres about dead letters: %s", exc)
        saved, postgres_ok = None, False
    letters = [dead_letter_of(e, None if saved is None else saved.get(e.id, 0)) for e in dead]
    sinks = ["postgres"] + ([] if services.settings.zoho_mode == "off" else ["zoho"])
    board = services.sink_health or SinkHealthBoard(services.redis)
    memory = redis_memory(services.redis)
    return OpsStatus(
        backlog=backlog,
        dead_letters=letters,
        sinks=board.read(sinks),
        zoho_mode=services.settings.zoho_mode,
        redis_used_bytes=memory[0] if memory else None,
        redis_max_bytes=memory[1] if memory else 0,
        postgres_reachable=postgres_ok,
    )
