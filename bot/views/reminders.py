"""Block Kit for the reminder DM (Log hours, Snooze 1 h) and the `/crewclock remind` answers."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from bot.views.common import LOG_HOURS_ACTION, button, context, section

SNOOZE_ACTION = "reminder_snooze"

REMIND_HELP = (
    "*Reminders to log hours* (Mon–Fri, your local time, only on days with no entry):\n"
    "• `/crewclock remind on 16:30` — remind me at 16:30\n"
    "• `/crewclock remind off` — stop reminding me\n"
    "• `/crewclock remind` — what is set\n"
    "Managers: `/crewclock remind team on 16:30` / `/crewclock remind team off` for the whole crew."
)


def snooze_value(day: date, round_no: int) -> str:
    return json.dumps({"d": day.isoformat(), "r": round_no}, separators=(",", ":"))


def read_snooze_value(value: str) -> tuple[date, int]:
    try:
        data = json.loads(value)
        return date.fromisoformat(data["d"]), int(data["r"])
    except (ValueError, KeyError, TypeError):
        raise ValueError("That button is out of date.") from None


def reminder_message(day: date, round_no: int) -> dict[str, Any]:
    """The DM: nothing logged today yet, with Log hours and Snooze 1 h."""
    text = f"⏰ You have no hours logged for today ({day:%a %b} {day.day}) yet."
    return {
        "text": text,
        "blocks": [
            section(text),
            {
                "type": "actions",
                "block_id": "reminder",
                "elements": [
                    button("Log hours", LOG_HOURS_ACTION, style="primary"),
                    button("Snooze 1 h", SNOOZE_ACTION, snooze_value(day, round_no)),
                ],
            },
            context("Turn these off with `/crewclock remind off`."),
        ],
    }


def snoozed_message(until: datetime) -> dict[str, Any]:
    text = f"😴 Snoozed: I'll remind you again at {until:%H:%M} unless you log hours before then."
    return {
        "text": text,
        "blocks": [
            section(text),
            {"type": "actions", "block_id": "reminder", "elements": [button("Log hours", LOG_HOURS_ACTION)]},
        ],
    }


def remind_status_message(own: tuple[bool, time] | None, team: tuple[bool, time] | None) -> dict[str, Any]:
    """What is set for the caller: their own setting and the team's."""
    if own is not None:
        mine = f"at {own[1]:%H:%M} your time" if own[0] else "off (you opted out)"
        text = f"Your reminder: {mine}."
    elif team is not None and team[0]:
        text = f"Your reminder: the team's, at {team[1]:%H:%M} your time."
    else:
        text = "You have no reminder set."
    if team is not None:
        text += f"\nTeam reminder: {'at ' + format(team[1], '%H:%M') if team[0] else 'off'}."
    return {"text": text, "blocks": [section(text), context(REMIND_HELP)]}


def remind_saved_message(*, team: bool, enabled: bool, at: time) -> dict[str, Any]:
    who = "The team's reminder" if team else "Your reminder"
    text = f"✅ {who} is off."
    if enabled:
        text = f"✅ {who} is on: Mon–Fri at {at:%H:%M} local time, on days with no entry."
    return {"text": text, "blocks": [section(text)]}


def remind_usage_message(problem: str) -> dict[str, Any]:
    text = f"{problem}\n\n{REMIND_HELP}"
    return {"text": text, "blocks": [section(text)]}
