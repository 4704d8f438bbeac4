"""A manager's "History" button on a /history entry: the entry's audit trail, as a new ephemeral message."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.context import BotContext
from bot.errors import lazy
from bot.listeners import team_of
from bot.views.audit import entry_history_message
from bot.views.history import ENTRY_HISTORY_ACTION


def register(app: App, ctx: BotContext) -> None:
    """Wire the History button into ``app``."""

    def ack_now(ack: Ack) -> None:
        ack()

    def show_audit(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        actor = ctx.directory.actor(team_of(body), body["user"]["id"])
        entry_id = str(body["actions"][0].get("value") or "")
        # PermissionDenied (not a manager) and EntryNotFound reach the user through bot.errors.lazy.
        history = ctx.services.entries.entry_history(entry_id, actor=actor)
        message = entry_history_message(history)
        respond(text=message["text"], blocks=message["blocks"], response_type="ephemeral", replace_original=False)

    app.action(ENTRY_HISTORY_ACTION)(ack=ack_now, lazy=[lazy(show_audit)])
