"""Pure mapping between our time entries and Zoho People time logs (no IO).

Hours-based logs, not start/end logs: Zoho computes a start/end log's hours as end minus
start and knows nothing of lunch, so it would overstate every day with a lunch break.
The times, lunch, change order and notes go into the description instead, after our
idempotency key ``crewclock:<entry id>``, which comes first so that no truncation or
edit of the notes can lose it. Reconciliation finds our logs by that key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from core.domain.entry import TimeEntry

KEY_PREFIX = "crewclock:"
MAX_LOGS_PER_CALL = 100  # Zoho: "only up to 100 timelogs can be added or edited at a time"
MAX_SPAN_DAYS = 31  # Zoho: "only the timelogs for a consecutive 31 days" per call
DESCRIPTION_MAX_CHARS = 15_000

T = TypeVar("T")


def idempotency_key(entry_id: str) -> str:
    """The marker that ties a Zoho log to our entry: ``crewclock:<entry id>``."""
    return f"{KEY_PREFIX}{entry_id}"


def entry_id_in(description: str) -> str | None:
    """Our entry id when ``description`` starts with our key, else None.

    The key is the first whitespace-delimited token, so ``crewclock:ab`` never matches
    an entry ``a``.
    """
    head = description.strip().split(maxsplit=1)
    if not head or not head[0].startswith(KEY_PREFIX):
        return None
    entry_id = head[0][len(KEY_PREFIX) :]
    return entry_id or None


def hours_hhmm(total_hours: Decimal) -> str:
    """Format decimal hours as Zoho's ``HH:mm`` (8.25 -> "08:15"), rounding to the minute."""
    minutes = int((total_hours * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    minutes = max(minutes, 0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def describe(entry: TimeEntry) -> str:
    """Build the log description: our key first, then what Zoho has no field for."""
    parts = [idempotency_key(entry.id), f"{_hm(entry.start_time)}-{_hm(entry.end_time)}"]
    if entry.lunch_start is not None and entry.lunch_end is not None:
        parts.append(f"lunch {_hm(entry.lunch_start)}-{_hm(entry.lunch_end)}")
    if entry.change_order:
        parts.append(f"CO {entry.change_order}")
    if entry.notes:
        parts.append(entry.notes)
    return " | ".join(parts)[:DESCRIPTION_MAX_CHARS]


@dataclass(frozen=True, slots=True)
class TimeLogPayload:
    """One element of the bulk ``timelogs`` array."""

    entry_id: str
    user: str
    job_id: str
    work_date: date
    hours: str
    description: str
    timelog_id: str | None = None  # set for an edit

    def as_json(self) -> dict[str, str]:
        """The documented bulk-call fields for this log."""
        body = {
            "user": self.user,
            "jobId": self.job_id,
            "date": self.work_date.isoformat(),
            "hours": self.hours,
            "description": self.description,
        }
        if self.timelog_id:
            body["timelogId"] = self.timelog_id
        return body

    def as_edit(self, timelog_id: str) -> TimeLogPayload:
        """The same log, aimed at an existing Zoho log."""
        return TimeLogPayload(
            self.entry_id,
            self.user,
            self.job_id,
            self.work_date,
            self.hours,
            self.description,
            timelog_id,
        )

    def matches(self, record: TimeLogRecord) -> bool:
        """True when Zoho's log already holds exactly this content."""
        return (
            record.job_id == self.job_id
            and record.work_date == self.work_date
            and _same_hours(record.hours, self.hours)
            and record.description.strip() == self.description.strip()
        )


@dataclass(frozen=True, slots=True)
class TimeLogRecord:
    """A time log as ``gettimelogs`` returns it (the fields we use)."""

    timelog_id: str
    user: str
    job_id: str
    work_date: date
    hours: str
    description: str


def payload_for(entry: TimeEntry, *, user: str, job_id: str) -> TimeLogPayload:
    """Map one entry version to the log Zoho should hold for it."""
    return TimeLogPayload(
        entry_id=entry.id,
        user=user,
        job_id=job_id,
        work_date=entry.work_date,
        hours=hours_hhmm(entry.total_hours),
        description=describe(entry),
    )


def chunk_for_bulk(
    items: Sequence[T],
    day_of: Callable[[T], date],
    *,
    max_items: int = MAX_LOGS_PER_CALL,
    max_span_days: int = MAX_SPAN_DAYS,
) -> list[list[T]]:
    """Split items into calls of at most ``max_items`` whose dates fit in ``max_span_days`` consecutive days.

    Items are sorted by date first, so the number of calls is the least possible for a
    greedy left-to-right cut.
    """
    chunks: list[list[T]] = []
    current: list[T] = []
    for item in sorted(items, key=day_of):
        if current and (len(current) >= max_items or (day_of(item) - day_of(current[0])).days >= max_span_days):
            chunks.append(current)
            current = []
        current.append(item)
    if current:
        chunks.append(current)
    return chunks


def _hm(value: time) -> str:
    return value.strftime("%H:%M")


def _same_hours(a: str, b: str) -> bool:
    try:
        return _minutes(a) == _minutes(b)
    except ValueError:
        return a.strip() == b.strip()


def _minutes(value: str) -> int:
    if ":" in value:
        hours, minutes = value.strip().split(":", 1)
        return int(hours) * 60 + int(minutes)
    return int((Decimal(value.strip()) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
