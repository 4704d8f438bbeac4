"""The weekly DMs' content, and when a week's DM falls due in each time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.views.weekly import (
    DigestLine,
    days_without_entries,
    overtime_hours,
    team_digest_message,
    weekly_summary_message,
)
from bot.weekly import claim_key, send_moment, week_key
from core.domain.clock import days_between
from core.service import WeekSummary

MONDAY = date(2026, 11, 23)
SUNDAY = date(2026, 11, 29)
FRIDAY = date(2026, 11, 27)


def summary(hours: dict[int, str], jobs: dict[str, str] | None = None, *, complete: bool = True) -> WeekSummary:
    """A week (Mon Nov 23 – Sun Nov 29) with ``hours`` by weekday number."""
    by_day = {d: Decimal(hours.get(d.weekday(), "0")) for d in days_between(MONDAY, SUNDAY)}
    by_job = {k: Decimal(v) for k, v in (jobs or {}).items()}
    return WeekSummary(MONDAY, SUNDAY, by_day, entries=[], complete=complete, hours_by_job=by_job)


def texts(payload: dict[str, Any]) -> str:
    out = []
    for block in payload["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(e["text"] for e in block.get("elements", []))
    return "\n".join(out)


def test_a_normal_week() -> None:
    week = summary({0: "8", 1: "8", 2: "8", 3: "7.75", 4: "8"}, {"Smith Residence": "31.75", "Oak & Main": "8"})
    payload = weekly_summary_message(week, today=FRIDAY)
    shown = texts(payload)
    assert "Your week · Nov 23 – Nov 29, 2026" in shown
    assert "*Total: 39.75 h*" in shown
    assert "overtime" not in shown.lower()
    assert "Mon Nov 23: 8.0 h" in shown
    assert "Thu Nov 26: 7.75 h" in shown
    assert "Sat Nov 28" not in shown  # weekend days show only when worked
    assert "Smith Residence: 31.75 h\nOak &amp; Main: 8.0 h" in shown  # biggest first, escaped
    assert "No entry on" not in shown
    assert "Friday at 16:00 your time" in shown


def test_overtime_past_40_is_flagged() -> None:
    payload = weekly_summary_message(summary({0: "10", 1: "10", 2: "10", 3: "10", 4: "4.5", 5: "3"}), today=FRIDAY)
    shown = texts(payload)
    assert "*Total: 47.5 h*" in shown
    assert ":warning: *Overtime:* 7.5 h past 40 h" in shown
    assert "Sat Nov 28: 3.0 h" in shown
    assert "overtime: 7.5 h past 40 h" in payload["text"]
    assert overtime_hours(Decimal("40")) == 0
    assert overtime_hours(Decimal("40.25")) == Decimal("0.25")


def test_exactly_40_is_not_overtime() -> None:
    shown = texts(weekly_summary_message(summary({0: "8", 1: "8", 2: "8", 3: "8", 4: "8"}), today=FRIDAY))
    assert "Overtime" not in shown


def test_missing_weekdays_up_to_today() -> None:
    week = summary({0: "8", 2: "8"})
    assert days_without_entries(week, FRIDAY) == [date(2026, 11, 24), date(2026, 11, 26), FRIDAY]
    assert days_without_entries(week, date(2026, 11, 25)) == [date(2026, 11, 24)]  # future days not flagged
    payload = weekly_summary_message(week, today=FRIDAY)
    assert "*No entry on:* Tue Nov 24, Thu Nov 26, Fri Nov 27" in texts(payload)
    assert "no entry on Tue Nov 24, Thu Nov 26, Fri Nov 27" in payload["text"]


def test_weeks_starting_sunday_still_flag_monday_to_friday() -> None:
    sunday_start = date(2026, 11, 22)
    by_day = {d: Decimal("0") for d in days_between(sunday_start, sunday_start + timedelta(days=6))}
    by_day[sunday_start] = Decimal("5")
    week = WeekSummary(sunday_start, sunday_start + timedelta(days=6), by_day, [])
    assert [d.weekday() for d in days_without_entries(week, date(2026, 11, 28))] == [0, 1, 2, 3, 4]


def test_incomplete_week_says_so() -> None:
    assert "could not be loaded" in texts(weekly_summary_message(summary({0: "8"}, complete=False), today=FRIDAY))


def test_digest_one_line_per_person_sorted_with_overtime() -> None:
    payload = team_digest_message(
        [
            DigestLine("U2", "sam <ops>", Decimal("44.5")),
            DigestLine("U1", "Maria Lopez", Decimal("38")),
            DigestLine("U3", "al", Decimal("12"), complete=False),
        ],
        first=MONDAY,
        last=SUNDAY,
    )
    shown = texts(payload)
    assert "Crew hours · Nov 23 – Nov 29, 2026" in shown
    assert "3 people logged 94.5 h; 1 past 40 h." in shown
    lines = [line for line in shown.splitlines() if " — " in line]
    assert lines == [
        "al — 12.0 h  (may be incomplete)",
        "Maria Lopez — 38.0 h",
        "sam &lt;ops&gt; — 44.5 h  :warning: overtime +4.5 h",
    ]


def test_digest_of_a_big_crew_stays_within_slack_limits() -> None:
    lines = [DigestLine(f"U{i}", f"Person number {i:04d}", Decimal("41")) for i in range(800)]
    payload = team_digest_message(lines, first=MONDAY, last=SUNDAY)
    assert len(payload["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in payload["blocks"] if b["type"] == "section")
    assert sum(b["text"]["text"].count("\n") + 1 for b in payload["blocks"] if b["type"] == "section") == 800


def test_week_key_and_claim_key() -> None:
    assert week_key(MONDAY) == "2026-W48"
    assert week_key(date(2026, 12, 28)) == "2026-W53"
    assert week_key(date(2027, 1, 4)) == "2027-W01"
    assert claim_key("T1", "U1", MONDAY) == "weekly:T1:U1:2026-W48"
    assert claim_key("T1", "U1", MONDAY, digest=True) == "weekly:T1:U1:2026-W48:digest"


def test_send_moment_is_local_friday_16_00() -> None:
    chicago = ZoneInfo("America/Chicago")
    moment = send_moment(MONDAY, send_day=4, send_time=time(16), week_start=0, zone=chicago)
    assert moment == datetime(2026, 11, 27, 16, tzinfo=chicago)
    assert moment.astimezone(UTC) == datetime(2026, 11, 27, 22, tzinfo=UTC)
    tokyo = ZoneInfo("Asia/Tokyo")
    assert send_moment(MONDAY, send_day=4, send_time=time(16), week_start=0, zone=tokyo).astimezone(UTC) == (
        datetime(2026, 11, 27, 7, tzinfo=UTC)
    )
    # Weeks starting Sunday: Friday is five days after the first day.
    sunday = date(2026, 11, 22)
    assert send_moment(sunday, send_day=4, send_time=time(16), week_start=6, zone=chicago).date() == FRIDAY
