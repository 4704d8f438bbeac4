"""Payroll export: one CSV row per entry, then each worker's weeks split into regular and overtime.

Large ranges stream: entries come from Postgres in batches (``SqlStore.iter_entries``, a
server-side cursor with ``yield_per``) merged with the pending overlay from Redis, so every
acknowledged entry is in the file even before Postgres has it, and only the per-week totals
(one small record per worker and week) are held in memory.

Overtime is counted per week (weeks start on WEEK_START): hours past ``overtime_after`` in one
worker's week. A week that runs past either end of the range counts only the days inside it and
is marked ``partial``: export whole weeks for overtime that matches payroll.
"""

from __future__ import annotations

import csv
import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from typing import TextIO

from core.domain.clock import week_range
from core.domain.entry import TimeEntry
from core.hot.store import HotStore
from core.sql.store import SqlStore

ENTRY_COLUMNS = (
    "date", "week_start", "team_id", "user_id", "user", "email", "job_id", "job_name", "start", "end",
    "lunch_start", "lunch_end", "hours", "change_order", "notes", "state", "entry_id",
)  # fmt: skip
SUMMARY_TITLE = "Weekly summary"
SUMMARY_COLUMNS = (
    "week_start", "week_end", "team_id", "user_id", "user", "email", "days_in_range", "regular_hours",
    "overtime_hours", "total_hours", "jobs", "change_orders", "partial",
)  # fmt: skip

# A spreadsheet runs a cell that starts with one of these as a formula; typed text must stay text.
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_ZERO = Decimal("0.00")


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_LEADS) else value


def _clock(value: time | None) -> str:
    return "" if value is None else value.strftime("%H:%M")


def split_overtime(total: Decimal, overtime_after: Decimal) -> tuple[Decimal, Decimal]:
    """(regular, overtime) hours of a week: overtime is what lies past ``overtime_after``."""
    overtime = max(total - overtime_after, _ZERO)
    return total - overtime, overtime


@dataclass
class WorkerWeek:
    """One worker's hours in one week (only the days inside the exported range)."""

    team_id: str
    user_id: str
    email: str
    week_start: date
    total: Decimal = _ZERO
    days: set[date] = field(default_factory=set)
    hours_by_job: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    change_orders: dict[str, None] = field(default_factory=dict)  # ordered, without repeats

    def add(self, entry: TimeEntry) -> None:
        self.total += entry.total_hours
        self.days.add(entry.work_date)
        job = (entry.job_id, entry.job_name)
        self.hours_by_job[job] = self.hours_by_job.get(job, _ZERO) + entry.total_hours
        if entry.change_order:
            self.change_orders[entry.change_order] = None
        self.email = self.email or entry.user_email


@dataclass(frozen=True, slots=True)
class PayrollReport:
    """What an export wrote."""

    entries: int
    weeks: list[WorkerWeek]
    partial_weeks: int


def _order(entry: TimeEntry) -> tuple[str, str, date, time, str]:
    return (entry.slack_team_id, entry.slack_user_id, entry.work_date, entry.start_time, entry.id)


def payroll_entries(
    sql: SqlStore, hot: HotStore, first: date, last: date, *, team_id: str | None = None
) -> Iterator[TimeEntry]:
    """Every live entry dated in [first, last] (one team's, if given), by team, user, date and start.

    Postgres is streamed; entries some sink still owes (the pending overlay, small) come from
    Redis and replace Postgres's row of the same id, so nothing acknowledged is missing.
    """
    overlay = {
        e.id: e
        for e in hot.pending_overlay()
        if first <= e.work_date <= last and (team_id is None or e.slack_team_id == team_id)
    }
    live_overlay = sorted((e for e in overlay.values() if not e.deleted), key=_order)
    saved = (e for e in sql.iter_entries(first, last, team_id=team_id) if e.id not in overlay)
    return heapq.merge(saved, live_overlay, key=_order)


def count_payroll_entries(sql: SqlStore, hot: HotStore, first: date, last: date, *, team_id: str | None = None) -> int:
    """About how many entries ``payroll_entries`` gives (Postgres's count plus the overlay): for a progress bar."""
    overlay = [
        e
        for e in hot.pending_overlay()
        if first <= e.work_date <= last and not e.deleted and (team_id is None or e.slack_team_id == team_id)
    ]
    return sql.count_between(first, last, team_id=team_id) + len(overlay)


def write_payroll_csv(
    out: TextIO,
    entries: Iterable[TimeEntry],
    *,
    first: date,
    last: date,
    week_start: int = 0,
    overtime_after: Decimal = Decimal("40"),
    user_name: Callable[[str, str], str] = lambda team, user: user,
    progress: Callable[[int], object] | None = None,
) -> PayrollReport:
    """Write the payroll CSV for ``entries`` (already in the range) to ``out``, streaming.

    Args:
        out: a text file opened with ``newline=""``.
        entries: e.g. ``payroll_entries(...)``; any order, each written as it comes.
        first, last: the exported range (for the partial-week mark).
        week_start: first day of the week (0 = Monday).
        overtime_after: weekly hours past which hours are overtime.
        user_name: (team, user id) -> the name written in the ``user`` columns.
        progress: called with 1 after each entry (a progress bar's ``update``).
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ENTRY_COLUMNS)
    weeks: dict[tuple[str, str, date], WorkerWeek] = {}
    names: dict[tuple[str, str], str] = {}

    def name_of(team: str, user: str) -> str:
        if (team, user) not in names:
            names[(team, user)] = user_name(team, user)
        return names[(team, user)]

    count = 0
    for entry in entries:
        monday = week_range(entry.work_date, week_start)[0]
        writer.writerow(
            (
                entry.work_date.isoformat(),
                monday.isoformat(),
                entry.slack_team_id,
                entry.slack_user_id,
                _text(name_of(entry.slack_team_id, entry.slack_user_id)),
                _text(entry.user_email),
                _text(entry.job_id),
                _text(entry.job_name),
                _clock(entry.start_time),
                _clock(entry.end_time),
                _clock(entry.lunch_start),
                _clock(entry.lunch_end),
                f"{entry.total_hours:.2f}",
                _text(entry.change_order),
                _text(entry.notes),
                entry.sync_label,
                entry.id,
            )
        )
        key = (entry.slack_team_id, entry.slack_user_id, monday)
        week = weeks.get(key)
        if week is None:
            week = weeks[key] = WorkerWeek(entry.slack_team_id, entry.slack_user_id, entry.user_email, monday)
        week.add(entry)
        count += 1
        if progress is not None:
            progress(1)

    ordered = sorted(weeks.values(), key=lambda w: (w.team_id, name_of(w.team_id, w.user_id).lower(), w.week_start))
    writer.writerow(())
    writer.writerow((f"{SUMMARY_TITLE} (overtime past {overtime_after.normalize():f} h a week)",))
    writer.writerow(SUMMARY_COLUMNS)
    partial = 0
    for week in ordered:
        week_end = week.week_start + timedelta(days=6)
        is_partial = week.week_start < first or week_end > last
        partial += is_partial
        regular, overtime = split_overtime(week.total, overtime_after)
        jobs = "; ".join(
            f"{job_id} {job_name}: {hours:.2f}"
            for (job_id, job_name), hours in sorted(week.hours_by_job.items(), key=lambda item: (-item[1], item[0]))
        )
        writer.writerow(
            (
                week.week_start.isoformat(),
                week_end.isoformat(),
                week.team_id,
                week.user_id,
                _text(name_of(week.team_id, week.user_id)),
                _text(week.email),
                len(week.days),
                f"{regular:.2f}",
                f"{overtime:.2f}",
                f"{week.total:.2f}",
                _text(jobs),
                _text("; ".join(week.change_orders)),
                "yes" if is_partial else "no",
            )
        )
    return PayrollReport(count, ordered, partial)


def payroll_filename(first: date, last: date) -> str:
    return f"crewclock-payroll-{first.isoformat()}-to-{last.isoformat()}.csv"
