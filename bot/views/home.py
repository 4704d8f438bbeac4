"""The App Home tab: this week's hours with a bar per day, the last entries, a Log hours button."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.views.approvals import approve_all_block, person_row
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
from bot.views.payroll import payroll_button
from core.domain.entry import TimeEntry
from core.service import WeekSummary
from core.sql.approvals import Approval

BAR = "▇"
BAR_MAX = 16  # a 16-hour day still fits a phone screen; longer ones end in "+"
CREW_ROWS_MAX = 60  # a Home view holds 100 blocks


@dataclass(frozen=True, slots=True)
class CrewMember:
    user_id: str
    name: str
    total: Decimal


@dataclass(frozen=True, slots=True)
class CrewWeek:
    """What a manager's Home shows of the crew: this week's people, totals and approvals."""

    first_day: date
    last_day: date
    members: Sequence[CrewMember]
    approvals: Mapping[str, Approval]  # user id -> this week's approval
    payroll_first: date  # the Export payroll button's range: last week
    payroll_last: date
    complete: bool = True


def crew_blocks(crew: CrewWeek) -> list[dict[str, Any]]:
    """The manager's part of the Home: each person's week with Approve or Reopen, Approve all, Export payroll."""
    period = f"{format_day(crew.first_day)} – {format_day(crew.last_day)}"
    blocks: list[dict[str, Any]] = [{"type": "divider"}, {"type": "header", "text": plain("Crew this week")}]
    members = sorted(crew.members, key=lambda m: m.name.lower())
    if not members:
        blocks.append(section(f"Nobody has logged hours for {period} yet."))
    for member in members[:CREW_ROWS_MAX]:
        line = f"*{escape_mrkdwn(member.name)}* — {format_hours(member.total)} h"
        blocks.append(person_row(member.user_id, line, crew.first_day, crew.approvals.get(member.user_id)))
    if len(members) > CREW_ROWS_MAX:
        blocks.append(context(f"{len(members) - CREW_ROWS_MAX} more people: `/history job …` lists everyone."))
    actions = approve_all_block(crew.first_day) if members else {"type": "actions", "elements": []}
    actions["elements"].append(
        payroll_button(crew.payroll_first, crew.payroll_last, label="Export payroll (last week)")
    )
    blocks.append(actions)
    if not crew.complete:
        blocks.append(context("Some entries could not be read just now; totals may be low."))
    return blocks


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
    crew: CrewWeek | None = None,
) -> dict[str, Any]:
    """The Home tab for one user.

    Args:
        summary: this week's hours (in the user's time zone).
        recent: the last entries, newest first (five are shown).
        today: the user's today, marked on the chart.
        zone_name: the user's time zone, named so the days are not a mystery.
        complete: False when older entries could not be read (Postgres away).
        crew: for managers, the crew's week with approvals (see ``crew_blocks``).
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
    if crew is not None:
        blocks += crew_blocks(crew)
    return {"type": "home", "blocks": blocks}
