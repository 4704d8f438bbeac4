"""Small builders shared by tests: drafts, actors, and sinks that count or fail."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from datetime import date, time, timedelta

from core.domain.entry import Actor, EntryDraft
from core.sync.ports import PushRequest, PushResult

TEAM = "T0CREW"


def actor(user: str = "U1", *, manager: bool = False, admin: bool = False) -> Actor:
    return Actor(TEAM, user, is_manager=manager or admin, is_admin=admin)


def draft(
    user: str = "U1",
    *,
    day: date | None = None,
    start: time = time(7, 0),
    end: time = time(15, 30),
    lunch: tuple[time, time] | None = (time(12, 0), time(12, 30)),
    job_id: str = "1042",
    job_name: str = "Smith Residence",
    notes: str = "",
    change_order: str = "",
) -> EntryDraft:
    return EntryDraft(
        slack_team_id=TEAM,
        slack_user_id=user,
        job_id=job_id,
        job_name=job_name,
        work_date=day or date.today(),
        start_time=start,
        end_time=end,
        lunch_start=lunch[0] if lunch else None,
        lunch_end=lunch[1] if lunch else None,
        notes=notes,
        change_order=change_order,
        user_email=f"{user.lower()}@example.com",
    )


def days_ago(n: int) -> date:
    return date.today() - timedelta(days=n)


class CountingSink:
    """Wraps a sink and counts every (id, version) it is asked to push."""

    def __init__(self, inner: object, name: str | None = None) -> None:
        self.inner = inner
        self.name: str = name or inner.name  # type: ignore[attr-defined]
        self.max_batch: int = getattr(inner, "max_batch", 100)
        self.idempotent: bool = inner.idempotent  # type: ignore[attr-defined]
        self.pushed: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()

    def push(self, requests: Sequence[PushRequest]) -> list[PushResult]:
        with self._lock:
            for r in requests:
                self.pushed[(r.entry.id, r.entry.version)] += 1
        return self.inner.push(requests)  # type: ignore[attr-defined, no-any-return]


class ScriptedSink:
    """A sink whose answers a test sets: ok, retry or permanent, per call."""

    def __init__(self, name: str = "zoho", outcome: str = "ok", error: str = "boom") -> None:
        self.name = name
        self.max_batch = 100
        self.idempotent = False  # as if a repeated push could create a copy: uncertainty is tracked
        self.outcome = outcome
        self.error = error
        self.calls: list[list[PushRequest]] = []

    def push(self, requests: Sequence[PushRequest]) -> list[PushResult]:
        self.calls.append(list(requests))
        if self.outcome == "raise":
            raise ConnectionError(self.error)
        if self.outcome == "ok":
            return [PushResult.ok(r.entry.id) for r in requests]
        if self.outcome == "retry":
            return [PushResult.retry(r.entry.id, self.error) for r in requests]
        return [PushResult.permanent(r.entry.id, self.error) for r in requests]
