"""Calendar helpers: today and the working week in a user's time zone."""

from __future__ import annotations

import time as _time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def today_in(zone: ZoneInfo, now: float | None = None) -> date:
    """The calendar date in ``zone`` at epoch seconds ``now`` (default: the present)."""
    return datetime.fromtimestamp(_time.time() if now is None else now, zone).date()


def week_range(day: date, week_start: int = 0) -> tuple[date, date]:
    """The week holding ``day`` as (first, last), with weeks starting on ``week_start`` (0 = Monday)."""
    first = day - timedelta(days=(day.weekday() - week_start) % 7)
    return first, first + timedelta(days=6)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
