"""The rules a time entry keeps, each failure naming its field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.domain.entry import CHANGE_ORDER_MAX_CHARS, NOTES_MAX_CHARS, EntryDraft, TimeEntry

MINUTES_PER_DAY = 24 * 60
EPOCH = date(1970, 1, 1)


class EntryValidationError(ValueError):
    """One or more fields break a rule; ``errors`` maps field name to a message for the user."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def day_number(d: date) -> int:
    """Days since 1970-01-01: the score of the user's date index in Redis."""
    return (d - EPOCH).days


def from_day_number(n: int) -> date:
    return EPOCH + timedelta(days=n)


@dataclass(frozen=True, slots=True)
class Shift:
    """A shift on a line of minutes that does not wrap at midnight."""

    start: int
    end: int
    lunch_start: int | None
    lunch_end: int | None

    @property
    def worked_minutes(self) -> int:
        lunch = (
            (self.lunch_end - self.lunch_start) if self.lunch_start is not None and self.lunch_end is not None else 0
        )
        return self.end - self.start - lunch


def _unwrap(t: time, shift_start: int) -> int:
    """Minutes of ``t`` on the shift's line: a time before the start is on the next day."""
    m = minutes(t)
    return m + MINUTES_PER_DAY if m < shift_start else m


def shift_of(start: time, end: time, lunch_start: time | None, lunch_end: time | None) -> Shift:
    """Place the times on one line; an end at or before the start crosses midnight."""
    s = minutes(start)
    e = _unwrap(end, s + 1)
    ls = _unwrap(lunch_start, s) if lunch_start is not None else None
    le = _unwrap(lunch_end, s) if lunch_end is not None else None
    return Shift(s, e, ls, le)


def first_version(draft: EntryDraft, entry_id: str, at: datetime, **state: Any) -> TimeEntry:
    """Version 1 of the entry ``draft`` describes, written at ``at``; ``state``: sync states, updated_by."""
    return TimeEntry(
        id=entry_id,
        slack_team_id=draft.slack_team_id,
        slack_user_id=draft.slack_user_id,
        user_email=draft.user_email,
        job_id=draft.job_id,
        job_name=draft.job_name,
        work_date=draft.work_date,
        start_time=draft.start_time,
        end_time=draft.end_time,
        lunch_start=draft.lunch_start,
        lunch_end=draft.lunch_end,
        total_hours=total_hours(draft.start_time, draft.end_time, draft.lunch_start, draft.lunch_end),
        notes=draft.notes,
        change_order=draft.change_order.strip(),
        created_at=at,
        updated_at=at,
        version=1,
        **state,
    )


def total_hours(start: time, end: time, lunch_start: time | None = None, lunch_end: time | None = None) -> Decimal:
    """Worked hours to two decimals, computed here and never taken from input."""
    worked = shift_of(start, end, lunch_start, lunch_end).worked_minutes
    return (Decimal(worked) / Decimal(60)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def validate_draft(draft: EntryDraft, *, today: date, max_backdate_days: int) -> None:
    """Raise ``EntryValidationError`` listing every broken rule, by field."""
    errors: dict[str, str] = {}
    if not draft.job_id.strip():
        errors["job"] = "Pick the job you worked on."
    if draft.work_date > today + timedelta(days=1):
        errors["work_date"] = "The date can be no later than tomorrow."
    elif draft.work_date < today - timedelta(days=max_backdate_days):
        errors["work_date"] = f"The date can be at most {max_backdate_days} days ago; ask a manager for older hours."
    if draft.start_time == draft.end_time:
        errors["end_time"] = "End must be after start."
    shift = shift_of(draft.start_time, draft.end_time, draft.lunch_start, draft.lunch_end)
    if (draft.lunch_start is None) != (draft.lunch_end is None):
        missing = "lunch_end" if draft.lunch_end is None else "lunch_start"
        errors[missing] = "Give both lunch start and lunch end, or neither."
    elif shift.lunch_start is not None and shift.lunch_end is not None and "end_time" not in errors:
        if not shift.start <= shift.lunch_start < shift.end:
            errors["lunch_start"] = "Lunch must start during the shift."
        elif shift.lunch_end <= shift.lunch_start:
            errors["lunch_end"] = "Lunch end must be after lunch start."
        elif shift.lunch_end > shift.end:
            errors["lunch_end"] = "Lunch must end before the shift ends."
    if "end_time" not in errors and shift.end - shift.start > MINUTES_PER_DAY:
        errors["end_time"] = "A shift can be at most 24 hours."
    # Postgres text cannot hold U+0000: refuse it here rather than acknowledge what can never be saved.
    if "\x00" in draft.notes:
        errors["notes"] = "Notes contain an invisible NUL character (U+0000); please retype them."
    elif len(draft.notes) > NOTES_MAX_CHARS:
        errors["notes"] = f"Notes can be at most {NOTES_MAX_CHARS:,} characters (these are {len(draft.notes):,})."
    if "\x00" in draft.change_order:
        errors["change_order"] = "The change order contains an invisible NUL character (U+0000)."
    elif len(draft.change_order) > CHANGE_ORDER_MAX_CHARS:
        errors["change_order"] = f"A change order number can be at most {CHANGE_ORDER_MAX_CHARS} characters."
    if errors:
        raise EntryValidationError(errors)


def overlap_message(other_start: time, other_end: time, other_job: str) -> str:
    return f"Overlaps your {other_start:%H:%M}–{other_end:%H:%M} entry on {other_job}."
