"""History as CSV: one row per entry, full notes, for payroll spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import time

from core.domain.entry import TimeEntry

CSV_COLUMNS = (
    "date",
    "user",
    "job_id",
    "job_name",
    "start",
    "end",
    "lunch_start",
    "lunch_end",
    "hours",
    "notes",
    "change_order",
    "state",
)

# A spreadsheet runs a cell that starts with one of these as a formula; typed text must stay text.
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_LEADS) else value


def _clock(value: time | None) -> str:
    return value.strftime("%H:%M") if value is not None else ""


def entries_csv(entries: Sequence[TimeEntry], *, user_name: Callable[[str], str] = str) -> str:
    """The CSV text (header first) for ``entries`` in the order given.

    Args:
        entries: the rows to write.
        user_name: turns a Slack user id into the name written in the ``user`` column.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            (
                entry.work_date.isoformat(),
                _text_cell(user_name(entry.slack_user_id)),
                _text_cell(entry.job_id),
                _text_cell(entry.job_name),
                _clock(entry.start_time),
                _clock(entry.end_time),
                _clock(entry.lunch_start),
                _clock(entry.lunch_end),
                f"{entry.total_hours:.2f}",
                _text_cell(entry.notes),
                _text_cell(entry.change_order),
                entry.sync_label,
            )
        )
    return out.getvalue()


def export_filename(first_day: str, last_day: str) -> str:
    return f"crewclock-hours-{first_day}-to-{last_day}.csv"
