"""The App Home tab: this week's hours with a bar per day, the last entries, a Log hours button."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.views.common import (
    EDIT_ACTION,
    LOG_HOURS_ACTION,
    button,
    context,
    escape_mrkdwn,
    format_clock,
    format_day,
    format_hours,
    plain,
    section,
    sync_badge,
)
from core.domain.entry import TimeEntry
from core.service import WeekSummary

BAR = "▇"
BAR_MAX = 16  # a 16-hour day still fits a phone screen; longer ones end in "+"


def day_bar(hours: Decimal) -> str:
    """``▇▇▇▇▇▇▇▇ 8.0`` — one block per hour (rounded), ``·`` for a day with none."""
    if hours <= 0:
        return "·"
    blocks = max(1, int(hours.quantize(Decimal("1"), rounding=ROUND_HALF_UP)))
    bar = BAR * min(blocks, BAR_MAX) + ("+" if blocks > BAR_MAX else "")
    return f"{bar} {format_hours(hours)}"


def week_chart(summary: WeekSummary, today: date) -> str:
    """One line per day in a code block, so the bars line up."""
    lines = []
    for day, hours in sorted(summary.hours_by_day.items()):
        marker = "  ← today" if day == today else ""
        lines.append(f"{day:%a} {day.day:>2}  {day_bar(hours)}{marker}")
    return "```" + "\n".join(lines) + "```"


def recent_entry_block(entry: TimeEntry) -> dict[str, Any]:
    text = (
        f"*{format_day(entry.work_date)}* · {escape_mrkdwn(entry.job_name)} · "
        f"{format_clock(entry.start_time)}–{format_clock(entry.end_time)} · "
        f"*{format_hours(entry.total_hours)} h*\n{sync_badge(entry)}"
    )
    return section(text, accessory=button("Edit", EDIT_ACTION, entry.id))


def home_view(
    *,
    summary: WeekSummary,
    recent: Sequence[TimeEntry],
    today: date,
    zone_name: str,
    complete: bool = True,
) -> dict[str, Any]:
    """The Home tab for one user.

    Args:
        summary: this week's hours (in the user's time zone).
        recent: the last entries, newest first (five are shown).
        today: the user's today, marked on the chart.
        zone_name: the user's time zone, named so the days are not a mystery.
        complete: False when older entries could not be read (Postgres away).
    """
    period = f"{format_day(summary.first_day)} – {format_day(summary.last_day)}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain("Your hours this week")},
        section(
            f"{period} · {escape_mrkdwn(zone_name)}",
            accessory=button("Log hours", LOG_HOURS_ACTION, style="primary"),
        ),
        section(week_chart(summary, today)),
        section(f"*Week total: {format_hours(summary.total)} h*"),
        {"type": "divider"},
        {"type": "header", "text": plain("Last entries")},
    ]
    if recent:
        blocks += [recent_entry_block(entry) for entry in recent[:5]]
    else:
        blocks.append(section("Nothing logged yet. Press *Log hours*, or type `/hours 7-3:30 smith`."))
    if not (complete and summary.complete):
        blocks.append(context("Some older entries could not be read just now. They are safe; try again shortly."))
    return {"type": "home", "blocks": blocks}
