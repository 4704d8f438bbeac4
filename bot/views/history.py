"""Block Kit for `/history`: entries grouped by day, totals, pages, Export CSV.

Pure functions: entries in, a message payload (``text`` and ``blocks``) out.
A page holds at most ``PAGE_SIZE`` entries so the message stays far below Slack's
50-block limit (one block per entry, one per day heading, and a handful around them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot.history_args import HistoryQuery
from bot.views.common import button, escape_mrkdwn, format_day, format_hours, shift_text
from bot.views.payroll import payroll_button
from core.domain.entry import TimeEntry
from core.domain.jobs import Job
from core.sql.approvals import Approval

PAGE_SIZE = 15
NOTES_SHOWN_CHARS = 300  # the CSV carries the full notes
MAX_BLOCKS = 50

PREVIOUS_ACTION = "history_previous"
NEXT_ACTION = "history_next"
EXPORT_ACTION = "history_export_csv"
ENTRY_HISTORY_ACTION = "entry_audit"  # a manager's "History" on an entry: its audit trail

_STATE_MARKS = {"SYNCED": "✅ SYNCED", "PENDING": "⏳ PENDING", "FAILED": "⚠️ FAILED"}


def period_label(first: date, last: date) -> str:
    """``Nov 1 – Nov 30, 2026``, or one day as ``Thu Nov 27, 2026``."""
    if first == last:
        return f"{format_day(first)}, {first.year}"
    if first.year == last.year:
        return f"{first.strftime('%b %-d')} – {last.strftime('%b %-d')}, {last.year}"
    return f"{first.strftime('%b %-d, %Y')} – {last.strftime('%b %-d, %Y')}"


def _notes(text: str) -> str:
    text = text.strip()
    if len(text) > NOTES_SHOWN_CHARS:
        text = text[:NOTES_SHOWN_CHARS].rstrip() + "…"
    return escape_mrkdwn(text)


def entry_line(entry: TimeEntry, *, show_user: bool) -> str:
    """One entry as mrkdwn: who (for team views), job, start–end, lunch, hours, state, then notes."""
    parts = [
        f"{escape_mrkdwn(entry.job_name)} ({escape_mrkdwn(entry.job_id)})",
        shift_text(entry),
        f"*{format_hours(entry.total_hours)} h*",
        _STATE_MARKS.get(entry.sync_label, entry.sync_label),
    ]
    line = " · ".join(parts)
    if show_user:
        line = f"<@{entry.slack_user_id}> · {line}"
    if entry.change_order:
        line += f" · CO {escape_mrkdwn(entry.change_order)}"
    if entry.notes.strip():
        line += "\n" + "\n".join(f"> {part}" for part in _notes(entry.notes).splitlines())
    return line


def hours_by_day(entries: Sequence[TimeEntry]) -> dict[date, Decimal]:
    totals: dict[date, Decimal] = {}
    for entry in entries:
        totals[entry.work_date] = totals.get(entry.work_date, Decimal("0.00")) + entry.total_hours
    return totals


def page_count(total_entries: int, page_size: int = PAGE_SIZE) -> int:
    return max((total_entries + page_size - 1) // page_size, 1)


@dataclass(frozen=True, slots=True)
class HistoryView:
    """Everything one /history page shows.

    Args:
        query: the resolved request (its ``page`` picks the page).
        entries: every entry in the period, newest first (all pages).
        complete: False when Postgres could not answer for the older part.
        viewer_id: who asked (their own history reads "Your hours").
        job: the job a job view is about, if any.
        approvals: the approvals of the weeks shown (a person's view); approved ones are noted.
        manager: the viewer is a manager: entries get a History button, team views Export payroll.
    """

    query: HistoryQuery
    entries: Sequence[TimeEntry]
    complete: bool
    viewer_id: str
    job: Job | None = None
    approvals: Sequence[Approval] = ()
    manager: bool = False


def _subject(view: HistoryView) -> str:
    query = view.query
    if query.user_id is None or query.user_id == view.viewer_id:
        who = "Your hours" if query.user_id is not None else "Everyone's hours"
    else:
        who = f"<@{query.user_id}>'s hours"
    if query.job_id is not None:
        name = view.job.name if view.job is not None else query.job_id
        who += f" on {escape_mrkdwn(name)} ({escape_mrkdwn(query.job_id)})"
    return who


def _nav_buttons(view: HistoryView, page: int, pages: int) -> list[dict[str, Any]]:
    buttons: list[dict[str, Any]] = []
    if page > 0:
        buttons.append(
            {
                "type": "button",
                "action_id": PREVIOUS_ACTION,
                "text": {"type": "plain_text", "text": "◀ Previous"},
                "value": view.query.at_page(page - 1).to_value(),
            }
        )
    if page + 1 < pages:
        buttons.append(
            {
                "type": "button",
                "action_id": NEXT_ACTION,
                "text": {"type": "plain_text", "text": "Next ▶"},
                "value": view.query.at_page(page + 1).to_value(),
            }
        )
    if view.entries:
        buttons.append(
            {
                "type": "button",
                "action_id": EXPORT_ACTION,
                "text": {"type": "plain_text", "text": "Export CSV"},
                "value": view.query.at_page(0).to_value(),
            }
        )
    if view.manager and view.query.user_id is None:
        buttons.append(payroll_button(view.query.first, view.query.last, job_id=view.query.job_id))
    return buttons


def approval_lines(approvals: Sequence[Approval]) -> list[str]:
    """``✅ Week of Nov 23: approved by @M on Fri Nov 27`` for each approved week."""
    return [
        f"✅ Week of {a.week_start:%b} {a.week_start.day}: Approved by <@{a.approved_by}> "
        f"on {a.approved_at:%a %b} {a.approved_at.day}"
        for a in sorted(approvals, key=lambda a: a.week_start)
        if a.approved
    ]


def history_message(view: HistoryView) -> dict[str, Any]:
    """The ephemeral /history message for ``view.query.page``: ``{"text": ..., "blocks": [...]}``."""
    query = view.query
    entries = list(view.entries)
    pages = page_count(len(entries))
    page = min(query.page, pages - 1)
    shown = entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    day_totals = hours_by_day(entries)
    total = sum(day_totals.values(), Decimal("0.00"))
    show_user = query.user_id is None
    period = period_label(query.first, query.last)
    subject = _subject(view)
    count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Hours · {period}"[:150]}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{subject} · {count} · *{format_hours(total)} h* total"
                    + (f" · page {page + 1} of {pages}" if pages > 1 else ""),
                }
            ],
        },
    ]
    approved = approval_lines(view.approvals)
    if approved:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "\n".join(approved)}]})
    if not view.complete:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": ":warning: Older entries could not be loaded right now, so this list may be "
                    "missing some. Try again in a few minutes.",
                },
            }
        )
    if not entries:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"No hours logged for {period}."}})
        return {"text": f"{subject}, {period}: no hours logged.", "blocks": blocks}

    blocks.append({"type": "divider"})
    current: date | None = None
    for entry in shown:
        if entry.work_date != current:
            current = entry.work_date
            blocks.append(
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": f"*{format_day(current)}* — {format_hours(day_totals[current])} h",
                    },
                }
            )
        line: dict[str, Any] = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": entry_line(entry, show_user=show_user)},
        }
        if view.manager:
            line["accessory"] = button("History", ENTRY_HISTORY_ACTION, entry.id)
        blocks.append(line)
    blocks.append({"type": "divider"})
    blocks.append(
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*Total: {format_hours(total)} h* over {count} ({period})"},
        }
    )
    buttons = _nav_buttons(view, page, pages)
    if buttons:
        blocks.append({"type": "actions", "block_id": "history_nav", "elements": buttons})
    text = f"{subject}, {period}: {count}, {format_hours(total)} h."
    return {"text": text.replace("*", ""), "blocks": blocks}


def refusal_message(reason: str) -> dict[str, Any]:
    """A polite ephemeral no (a crew member asking for someone else's hours or a job's)."""
    return {"text": reason, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": reason}}]}


def usage_message(problem: str, help_text: str) -> dict[str, Any]:
    """What went wrong with the arguments, then the examples."""
    text = f"{problem}\n\n{help_text}"
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def export_sent_message(count: int) -> dict[str, Any]:
    text = f"CSV with {count} entr{'y' if count == 1 else 'ies'} sent to your DMs with me."
    return {"text": text, "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}]}


def chart_sent_message(count: int, complete: bool = True) -> dict[str, Any]:
    text = f"Chart of {count} entr{'y' if count == 1 else 'ies'} sent to your DMs with me."
    if not complete:
        text += " Older entries could not be loaded right now, so it may be missing some."
    return {"text": text, "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}]}
