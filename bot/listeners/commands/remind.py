"""`/crewclock remind …`: opt in or out of the log-hours reminder (managers: the whole team's).

Registered before the rest of ``/crewclock`` with a matcher on its first word, so the help
and the job list stay where they are. The ack parses; the setting is saved after the ack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.context import BotContext
from bot.errors import lazy
from bot.views.reminders import remind_saved_message, remind_status_message, remind_usage_message
from core.reminders import TEAM, ReminderSettings

COMMAND = "/crewclock"
MANAGERS_ONLY = "Only managers can set the team's reminder. `/crewclock remind on 16:30` sets your own."
_CLOCK = re.compile(r"^(\d{1,2})(?::?(\d{2}))?\s*(am|pm|a|p)?$")


class RemindArgsError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class RemindRequest:
    """What `/crewclock remind` asked: ``action`` is status, on or off."""

    action: str
    team: bool = False
    at: time | None = None


def parse_clock(text: str) -> time:
    """``16:30``, ``1630``, ``4:30pm``, ``4pm`` → a time of day."""
    match = _CLOCK.match(text.strip().lower())
    if not match:
        raise RemindArgsError(f"`{text}` is not a time I know; write it like 16:30.")
    hours, minutes, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hours <= 12:
            raise RemindArgsError(f"`{text}` is not a time I know; write it like 4:30pm or 16:30.")
        hours = hours % 12 + (12 if half.startswith("p") else 0)
    if hours > 23 or minutes > 59:
        raise RemindArgsError(f"`{text}` is not a time of day.")
    return time(hours, minutes)


def is_remind(text: str) -> bool:
    words = text.split()
    return bool(words) and words[0].lower() == "remind"


def parse_remind(text: str) -> RemindRequest:
    """Read the words after `/crewclock remind`."""
    words = [w.lower() for w in text.split()[1:]]
    team = bool(words) and words[0] == "team"
    if team:
        words = words[1:]
    if not words:
        return RemindRequest("status", team)
    if words[0] == "off" and len(words) == 1:
        return RemindRequest("off", team)
    if words[0] == "on" and len(words) <= 2:
        return RemindRequest("on", team, parse_clock(words[1]) if len(words) == 2 else None)
    raise RemindArgsError("Say `on` with a time, or `off`.")


def register(app: App, ctx: BotContext) -> None:
    """Wire `/crewclock remind` into ``app`` (before the rest of /crewclock)."""
    settings = ReminderSettings(ctx.services.sql.engine, ctx.services.redis, ctx.services.entries)

    def remind_text(body: dict[str, Any]) -> bool:
        return is_remind(str(body.get("text") or ""))

    def ack_remind(ack: Ack, command: dict[str, Any]) -> None:
        try:
            parse_remind(command.get("text") or "")  # only parsing on the ack path
        except RemindArgsError as bad:
            ack(response_type="ephemeral", **remind_usage_message(str(bad)))
            return
        ack()

    def save(body: dict[str, Any], client: WebClient, command: dict[str, Any], respond: Respond) -> None:
        try:
            request = parse_remind(command.get("text") or "")
        except RemindArgsError:
            return  # the ack explained
        actor = ctx.directory.actor(command["team_id"], command["user_id"])
        if request.action == "status":
            own = settings.setting(actor.team_id, actor.user_id)
            team = settings.setting(actor.team_id, TEAM)
            message = remind_status_message(
                None if own is None else (own.enabled, own.remind_at),
                None if team is None else (team.enabled, team.remind_at),
            )
        elif request.team and not actor.is_manager:
            message = remind_usage_message(MANAGERS_ONLY)
        else:
            change = settings.set_team if request.team else settings.set_own
            saved = change(actor, enabled=request.action == "on", remind_at=request.at)
            message = remind_saved_message(team=request.team, enabled=saved.enabled, at=saved.remind_at)
        respond(text=message["text"], blocks=message["blocks"], response_type="ephemeral")

    app.command(COMMAND, matchers=[remind_text])(ack=ack_remind, lazy=[lazy(save)])
