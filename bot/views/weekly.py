"""Block Kit for the weekly DMs: a crew member's week, and the managers' team digest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any

from bot.views.approvals import approve_all_block, person_row
from bot.views.common import escape_mrkdwn, format_day, format_hours
from bot.views.history import period_label
from core.service import WeekSummary
from core.sql.approvals import Approval

OVERTIME_AFTER_HOURS = Decimal("40")
WORKDAYS = range(5)  # Monday to Friday, whatever day the week starts on
SECTION_LIMIT = 2900  # Slack allows 3,000 characters in a section's text
ROWS_WITH_BUTTONS_MAX = 45  # a message holds 50 blocks: past this, packed lines and Approve all only


def overtime_hours(total: Decimal, after: Decimal = OVERTIME_AFTER_HOURS) -> Decimal:
    """Hours past ``after`` (OVERTIME_WEEKLY_HOURS, 40 by default) in the week (0 when there are none)."""
    return max(total - after, Decimal("0"))


def _h(hours: Decimal) -> str:
    return format_hours(hours).removesuffix(".0")


def days_without_entries(summary: WeekSummary, today: date) -> list[date]:
    """Monday-to-Friday days up to ``today`` on which nothing was logged."""
    return [
        day
        for day, hours in sorted(summary.hours_by_day.items())
        if day.weekday() in WORKDAYS and day <= today and hours == 0
    ]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _sections(lines: Sequence[str]) -> list[dict[str, Any]]:
    """Lines packed into as few sections as Slack's per-section limit allows."""
    blocks: list[dict[str, Any]] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        if chunk and size + len(line) + 1 > SECTION_LIMIT:
            blocks.append(_section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(_section("\n".join(chunk)))
    return blocks


def _send_time_text(send_day: int, send_time: time) -> str:
    day = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[send_day]
    return f"{day} at {send_time.strftime('%H:%M')}"


def weekly_summary_message(
    summary: WeekSummary,
    *,
    today: date,
    send_day: int = 4,
    send_time: time = time(16, 0),
    overtime_after: Decimal = OVERTIME_AFTER_HOURS,
) -> dict[str, Any]:
    """A crew member's week: total, overtime, hours per day and per job, days with no entry."""
    total = summary.total
    overtime = overtime_hours(total, overtime_after)
    period = period_label(summary.first_day, summary.last_day)
    headline = f"*Total: {format_hours(total)} h*"
    if overtime > 0:
        headline += f"  :warning: *Overtime:* {format_hours(overtime)} h past {_h(overtime_after)} h"
    per_day = [
        f"{format_day(day)}: {format_hours(hours)} h"
        for day, hours in sorted(summary.hours_by_day.items())
        if hours > 0 or day.weekday() in WORKDAYS
    ]
    per_job = [
        f"{escape_mrkdwn(job)}: {format_hours(hours)} h"
        for job, hours in sorted(summary.hours_by_job.items(), key=lambda item: (-item[1], item[0]))
    ]
    missing = days_without_entries(summary, today)

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Your week · {period}"}},
        _section(headline),
    ]
    if not summary.complete:
        blocks.append(_section(":warning: Some older entries could not be loaded; this total may be low."))
    blocks.extend(_sections(["*Per day*", *per_day]))
    blocks.extend(_sections(["*Per job*", *per_job]))
    if missing:
        blocks.append(_section("*No entry on:* " + ", ".join(format_day(d) for d in missing)))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Sent {_send_time_text(send_day, send_time)} your time. "
                    "`/history this week` shows every entry; `/hours` logs a missing day.",
                }
            ],
        }
    )
    text = f"Your week {period}: {format_hours(total)} h"
    if overtime > 0:
        text += f" (overtime: {format_hours(overtime)} h past {_h(overtime_after)} h)"
    if missing:
        text += f"; no entry on {', '.join(format_day(d) for d in missing)}"
    return {"text": text + ".", "blocks": blocks}


@dataclass(frozen=True, slots=True)
class DigestLine:
    """One person in the managers' digest."""

    user_id: str
    name: str
    total: Decimal
    complete: bool = True


def team_digest_message(
    lines: Sequence[DigestLine],
    *,
    first: date,
    last: date,
    approvals: Mapping[str, Approval | None] | None = None,
    overtime_after: Decimal = OVERTIME_AFTER_HOURS,
) -> dict[str, Any]:
    """The managers' weekly digest: one line per person (name, total, overtime flag).

    With ``approvals`` (user id -> the week's approval, or None), each person gets an Approve
    (or Reopen) button and the digest ends with Approve all.
    """
    period = period_label(first, last)
    ordered = sorted(lines, key=lambda line: line.name.lower())
    rendered = []
    for line in ordered:
        text = f"{escape_mrkdwn(line.name)} — {format_hours(line.total)} h"
        overtime = overtime_hours(line.total, overtime_after)
        if overtime > 0:
            text += f"  :warning: overtime +{format_hours(overtime)} h"
        if not line.complete:
            text += "  (may be incomplete)"
        rendered.append(text)
    total = sum((line.total for line in lines), Decimal("0"))
    overtime_people = sum(1 for line in lines if overtime_hours(line.total, overtime_after) > 0)
    summary = f"{len(lines)} {'person' if len(lines) == 1 else 'people'} logged {format_hours(total)} h"
    if overtime_people:
        summary += f"; {overtime_people} past {_h(overtime_after)} h"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Crew hours · {period}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": summary + "."}]},
    ]
    if approvals is not None and len(ordered) <= ROWS_WITH_BUTTONS_MAX:
        blocks += [
            person_row(line.user_id, text, first, approvals.get(line.user_id))
            for line, text in zip(ordered, rendered, strict=True)
        ]
    else:
        blocks += _sections(rendered)
    if approvals is not None:
        blocks.append(approve_all_block(first))
    return {"text": f"Crew hours {period}: {summary}.", "blocks": blocks}
