"""Small Block Kit and text helpers shared by the /hours modal, confirmations and the App Home.

Pure functions: no IO, no Slack client.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

from core.domain.entry import SyncStatus, TimeEntry

# Action ids the listeners register for; the views are where they are attached.
EDIT_ACTION = "entry_edit"
DELETE_ACTION = "entry_delete"
LOG_HOURS_ACTION = "home_log_hours"

PLAIN_TEXT_MAX = 75  # Slack's limit for option and button texts


def escape_mrkdwn(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` so user text shows as typed and never pings anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int | None = None) -> dict[str, Any]:
    """A ``plain_text`` object, cut to ``limit`` characters with an ellipsis."""
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str, accessory: dict[str, Any] | None = None, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts]}


def button(
    text: str,
    action_id: str,
    value: str = "",
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text, PLAIN_TEXT_MAX), "action_id": action_id}
    if value:
        element["value"] = value
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def format_hours(hours: Decimal) -> str:
    """8 → "8.0", 7.5 → "7.5", 7.75 → "7.75": exact to the quarter hour, no noise."""
    text = f"{hours.quantize(Decimal('0.01')):.2f}"
    return text[:-1] if text.endswith("0") else text


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(day: date) -> str:
    """``Thu Nov 27``: English whatever the server's locale; a tenth of strftime's time on every ack."""
    return f"{WEEKDAY_NAMES[day.weekday()]} {MONTH_NAMES[day.month - 1]} {day.day}"


def format_clock(value: time) -> str:
    return f"{value:%H:%M}"


def shift_text(entry: TimeEntry) -> str:
    """``07:00–15:30 · lunch 12:00–12:30`` (or ``no lunch``)."""
    lunch = (
        f"lunch {format_clock(entry.lunch_start)}–{format_clock(entry.lunch_end)}"
        if entry.lunch_start is not None and entry.lunch_end is not None
        else "no lunch"
    )
    return f"{format_clock(entry.start_time)}–{format_clock(entry.end_time)} · {lunch}"


def sync_badge(entry: TimeEntry) -> str:
    """Where the entry stands, in words the crew understands.

    Postgres (the permanent record) decides "saved"; the Zoho state is added when
    Zoho is on for this entry.
    """
    if entry.deleted:
        return "🗑️ deleted"
    postgres = entry.postgres
    if entry.is_saved:
        badge = "✅ saved"
    elif postgres.status is SyncStatus.DEAD:
        return "❌ failed — an admin has been told"
    elif postgres.attempts > 0:
        badge = "⚠️ not saved yet — retrying"
    else:
        badge = "⏳ pending"
    zoho = entry.zoho
    if zoho.status is not SyncStatus.OFF:
        if zoho.synced_version >= entry.version:
            badge += " · Zoho ✅"
        elif zoho.status is SyncStatus.DEAD:
            badge += " · Zoho ❌ failed"
        elif zoho.attempts > 0:
            badge += " · Zoho ⚠️ retrying"
        else:
            badge += " · Zoho ⏳"
    return badge
