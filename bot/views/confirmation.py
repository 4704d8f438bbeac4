"""The confirmation message an entry gets after it is recorded, updated in place as it syncs.

"Logged 8.0 h · Smith Residence · Thu Nov 27 · ⏳ pending" with Edit and Delete buttons;
the same function renders every later state (saved, retrying, failed, deleted), so the
message posted first and every ``chat.update`` after it look alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.views.common import (
    DELETE_ACTION,
    EDIT_ACTION,
    button,
    context,
    escape_mrkdwn,
    format_day,
    format_hours,
    plain,
    section,
    shift_text,
    sync_badge,
)
from core.domain.entry import TimeEntry

NOTES_SHOWN_CHARS = 300


@dataclass(frozen=True, slots=True)
class Message:
    """A message payload: ``text`` is the notification fallback, ``blocks`` what Slack shows."""

    text: str
    blocks: list[dict[str, Any]]


def summary_line(entry: TimeEntry) -> str:
    """``Logged 8.0 h · Smith Residence · Thu Nov 27 · ⏳ pending`` (plain text, used as fallback)."""
    verb = "Deleted" if entry.deleted else "Logged"
    return (
        f"{verb} {format_hours(entry.total_hours)} h · {entry.job_name} · "
        f"{format_day(entry.work_date)} · {sync_badge(entry)}"
    )


def delete_confirm_dialog(entry: TimeEntry) -> dict[str, Any]:
    """Slack's own confirm dialog on the Delete button: nothing reaches us unless confirmed."""
    return {
        "title": plain("Delete this entry?"),
        "text": plain(
            f"{format_hours(entry.total_hours)} h on {entry.job_name}, {format_day(entry.work_date)}. "
            "It is removed everywhere it was saved.",
            300,
        ),
        "confirm": plain("Delete"),
        "deny": plain("Keep it"),
        "style": "danger",
    }


def entry_buttons(entry: TimeEntry) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": f"entry:{entry.id}",
        "elements": [
            button("Edit", EDIT_ACTION, entry.id),
            button("Delete", DELETE_ACTION, entry.id, style="danger", confirm=delete_confirm_dialog(entry)),
        ],
    }


def confirmation_message(entry: TimeEntry) -> Message:
    """The message for ``entry`` in its current state."""
    headline = escape_mrkdwn(summary_line(entry))
    if entry.deleted:
        headline = f"~{headline}~"
    details = [shift_text(entry)]
    if entry.change_order:
        details.append(f"CO {escape_mrkdwn(entry.change_order)}")
    blocks: list[dict[str, Any]] = [section(headline), context(" · ".join(details))]
    if entry.notes:
        notes = entry.notes if len(entry.notes) <= NOTES_SHOWN_CHARS else entry.notes[:NOTES_SHOWN_CHARS] + "…"
        blocks.append(context(f"_{escape_mrkdwn(notes)}_"))
    if not entry.deleted:
        blocks.append(entry_buttons(entry))
    return Message(summary_line(entry), blocks)


def notice_message(text: str) -> Message:
    """A short mrkdwn message (refusals, errors) for an ephemeral or a DM; callers escape user text."""
    return Message(text, [section(text)])
