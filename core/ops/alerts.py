"""Alerts for admins: a dead letter appeared, or the oldest pending entry is too old — once per incident.

An incident is a condition that holds (dead letters exist; the oldest pending entry is older than
the threshold). Its start is claimed in Redis with ``SET NX``: of all the processes checking, the
one that claims it sends the alert, and no further alert goes out while it lasts, however many
entries join it. When a check finds the condition gone, the one process whose ``DEL`` removes
the key sends "resolved"; the next occurrence is a new incident and alerts again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from core.hot.store import HotStore
from core.ops.backlog import Backlog, read_backlog

log = logging.getLogger(__name__)

INCIDENT_KEY = "ops:incident:{kind}"
DEAD_LETTERS = "dead_letters"
PENDING_AGE = "pending_age"


@dataclass(frozen=True, slots=True)
class Alert:
    """One message for the admins: an incident starting, or (``resolved``) ending."""

    kind: str  # DEAD_LETTERS or PENDING_AGE
    resolved: bool
    backlog: Backlog
    threshold_s: float


class AlertMonitor:
    """Checks the conditions and hands each incident's start and end to ``notify`` exactly once."""

    def __init__(
        self,
        hot: HotStore,
        notify: Callable[[Alert], None],
        *,
        pending_age_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hot = hot
        self.redis = hot.redis
        self.notify = notify
        self.pending_age_s = pending_age_s
        self.clock = clock

    def check(self) -> list[Alert]:
        """One check; returns the alerts this process sent.

        Raises:
            redis.RedisError: Redis did not answer (the scheduler's next run tries again).
        """
        now = self.clock()
        backlog = read_backlog(self.hot, now=now)
        conditions = {
            DEAD_LETTERS: backlog.dead > 0,
            PENDING_AGE: backlog.pending > 0 and backlog.oldest_age_s > self.pending_age_s,
        }
        sent: list[Alert] = []
        for kind, holds in conditions.items():
            key = INCIDENT_KEY.format(kind=kind)
            alert = Alert(kind, not holds, backlog, self.pending_age_s)
            if holds and self.redis.set(key, repr(now), nx=True):
                try:
                    self.notify(alert)
                except Exception:
                    self.redis.delete(key)  # nobody was told: the next check tries again
                    raise
                sent.append(alert)
            elif not holds and self.redis.delete(key):
                try:
                    self.notify(alert)
                    sent.append(alert)
                except Exception:  # "resolved" is a courtesy; the incident is over either way
                    log.exception("could not tell the admins that %s is resolved", kind)
        return sent

    def run(self) -> None:
        """The scheduled job: one check, failures logged (the scheduler thread must never die)."""
        try:
            for alert in self.check():
                log.warning(
                    "alert %s %s: %d pending (oldest %.0fs), %d dead",
                    alert.kind,
                    "resolved" if alert.resolved else "raised",
                    alert.backlog.pending,
                    alert.backlog.oldest_age_s,
                    alert.backlog.dead,
                )
        except redis.RedisError as exc:
            log.warning("alert check: Redis did not answer: %s", exc)
        except Exception:
            log.exception("alert check failed")
