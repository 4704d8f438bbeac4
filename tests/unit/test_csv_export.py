"""The /history CSV: one row per entry, every column, text that stays text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

from bot.csv_export import CSV_COLUMNS, entries_csv, export_filename
from core.domain.entry import SinkState, SyncStatus, TimeEntry


def entry(n: int, *, notes: str = "", change_order: str = "", synced: bool = True, lunch: bool = True) -> TimeEntry:
    stamp = datetime(2026, 11, 27, tzinfo=UTC)
    return TimeEntry(
        id=f"00000000-0000-0000-0000-{n:012d}",
        slack_team_id="T1",
        slack_user_id=f"U{n}",
        user_email="",
        job_id="1042",
        job_name="Smith Residence",
        work_date=date(2026, 11, 20 + n),
        start_time=time(7, 0),
        end_time=time(15, 30),
        lunch_start=time(12, 0) if lunch else None,
        lunch_end=time(12, 30) if lunch else None,
        total_hours=Decimal("8.00") if lunch else Decimal("8.50"),
        notes=notes,
        change_order=change_order,
        created_at=stamp,
        updated_at=stamp,
        postgres=SinkState(SyncStatus.SYNCED if synced else SyncStatus.PENDING, synced_version=1 if synced else 0),
    )


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_header_and_one_row_per_entry() -> None:
    text = entries_csv(
        [
            entry(1, notes='primed, then "sanded"\nnorth wall', change_order="CO-17"),
            entry(2, synced=False, lunch=False),
        ],
        user_name={"U1": "Maria Lopez", "U2": "Sam"}.__getitem__,
    )
    got = rows(text)
    assert got[0] == list(CSV_COLUMNS)
    assert got[0] == [
        "date", "user", "job_id", "job_name", "start", "end", "lunch_start", "lunch_end",
        "hours", "notes", "change_order", "state",
    ]  # fmt: skip
    assert got[1] == [
        "2026-11-21", "Maria Lopez", "1042", "Smith Residence", "07:00", "15:30", "12:00", "12:30",
        "8.00", 'primed, then "sanded"\nnorth wall', "CO-17", "SYNCED",
    ]  # fmt: skip
    assert got[2] == [
        "2026-11-22", "Sam", "1042", "Smith Residence", "07:00", "15:30", "", "",
        "8.50", "", "", "PENDING",
    ]  # fmt: skip
    assert len(got) == 3


def test_user_defaults_to_the_slack_id() -> None:
    assert rows(entries_csv([entry(3)]))[1][1] == "U3"


def test_formula_like_text_stays_text_in_a_spreadsheet() -> None:
    got = rows(entries_csv([entry(1, notes='=HYPERLINK("http://evil")', change_order="+1")]))
    assert got[1][9] == '\'=HYPERLINK("http://evil")'
    assert got[1][10] == "'+1"


def test_no_entries_is_just_the_header() -> None:
    assert rows(entries_csv([])) == [list(CSV_COLUMNS)]


def test_filename() -> None:
    assert export_filename("2026-11-01", "2026-11-30") == "crewclock-hours-2026-11-01-to-2026-11-30.csv"
