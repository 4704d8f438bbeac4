"""The App Home: bars per day, the week total, the last five entries, Log hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from bot.views.home import day_bar, home_view, week_chart
from core.service import WeekSummary
from tests.unit.test_views_confirmation import ENTRY

MONDAY = date(2026, 11, 23)


def week(*hours: str) -> WeekSummary:
    by_day = {MONDAY + timedelta(days=i): Decimal(h) for i, h in enumerate(hours)}
    return WeekSummary(MONDAY, MONDAY + timedelta(days=6), by_day, [])


def test_a_bar_is_one_block_per_hour() -> None:
    assert day_bar(Decimal("8")) == "▇▇▇▇▇▇▇▇ 8.0"
    assert day_bar(Decimal("7.5")) == "▇▇▇▇▇▇▇▇ 7.5"
    assert day_bar(Decimal("0.25")) == "▇ 0.25"
    assert day_bar(Decimal("0")) == "·"
    assert day_bar(Decimal("20")) == "▇" * 16 + "+ 20.0"


def test_the_chart_has_a_line_per_day_and_marks_today() -> None:
    chart = week_chart(week("8", "7.5", "0", "10", "8", "0", "0"), today=date(2026, 11, 27))

    lines = chart.strip("`").split("\n")
    assert lines[0] == "Mon 23  ▇▇▇▇▇▇▇▇ 8.0"
    assert lines[2] == "Wed 25  ·"
    assert lines[4] == "Fri 27  ▇▇▇▇▇▇▇▇ 8.0  ← today"
    assert len(lines) == 7


def test_the_home_shows_total_entries_with_edit_buttons_and_log_hours() -> None:
    recent = [replace(ENTRY, id=f"e{i}") for i in range(7)]

    view = home_view(summary=week("8", "8", "0", "0", "0", "0", "0"), recent=recent, today=MONDAY, zone_name="UTC")

    assert view["type"] == "home"
    texts = [b.get("text", {}).get("text", "") for b in view["blocks"] if isinstance(b.get("text"), dict)]
    assert "*Week total: 16.0 h*" in texts
    edits = [b["accessory"]["value"] for b in view["blocks"] if b.get("accessory", {}).get("action_id") == "entry_edit"]
    assert edits == ["e0", "e1", "e2", "e3", "e4"]
    assert view["blocks"][1]["accessory"]["action_id"] == "home_log_hours"
    assert len(view["blocks"]) <= 100


def test_an_empty_home_invites_the_first_entry_and_says_when_reads_were_partial() -> None:
    view = home_view(summary=week(*["0"] * 7), recent=[], today=MONDAY, zone_name="UTC", complete=False)

    text = str(view["blocks"])
    assert "Nothing logged yet" in text
    assert "could not be read just now" in text
