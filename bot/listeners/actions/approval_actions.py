"""Approve, Reopen and Approve all: on the managers' weekly digest and on a manager's App Home.

Each click is acked at once; the lazy listener re-checks that the clicker is a manager, makes
one core call (``services.approvals``), then redraws where the click came from: the digest
message's rows in place (``chat.update``), or the manager's Home tab.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.context import BotContext
from bot.errors import lazy, notify
from bot.listeners import team_of
from bot.listeners.events.app_home import publish_home
from bot.views.approvals import (
    APPROVE_ACTION,
    APPROVE_ALL_ACTION,
    REOPEN_ACTION,
    StaleButton,
    people_in,
    read_approval_value,
    with_approvals,
)
from core.domain.entry import Actor

MANAGERS_ONLY = "Only managers can approve or reopen a week."


def _redraw(ctx: BotContext, client: WebClient, body: dict[str, Any], actor: Actor, week_start: date) -> None:
    """Show the new state where the button was: the digest message, or the Home tab."""
    container = body.get("container") or {}
    if container.get("type") == "view":
        publish_home(ctx, client, actor.team_id, actor.user_id)
        return
    message = body.get("message") or {}
    blocks = message.get("blocks") or []
    people = people_in(blocks)
    found = ctx.services.approvals.approvals_between(actor.team_id, week_start, week_start)
    rows = with_approvals(blocks, {user: found.get((user, week_start)) for user in people})
    client.chat_update(
        channel=container.get("channel_id") or (body.get("channel") or {}).get("id"),
        ts=container.get("message_ts") or message.get("ts"),
        text=message.get("text") or "Crew hours",
        blocks=rows,
    )


def register(app: App, ctx: BotContext) -> None:
    """Wire the approval buttons into ``app``."""

    def ack_now(ack: Ack) -> None:
        ack()

    def decide(body: dict[str, Any], client: WebClient) -> None:
        team, clicker = team_of(body), body["user"]["id"]
        actor = ctx.directory.actor(team, clicker)
        channel = (body.get("container") or {}).get("channel_id", "")
        if not actor.is_manager:
            notify(client, clicker, channel, MANAGERS_ONLY)
            return
        action = body["actions"][0]
        try:
            week_start, user_id = read_approval_value(action.get("value") or "")
        except StaleButton as stale:
            notify(client, clicker, channel, str(stale))
            return
        approvals = ctx.services.approvals
        if action["action_id"] == APPROVE_ALL_ACTION:
            approvals.approve_team_week(actor, team, week_start)
        elif user_id is None:
            notify(client, clicker, channel, "That button is out of date; open the Home tab again.")
            return
        elif action["action_id"] == REOPEN_ACTION:
            approvals.reopen_week(actor, team, user_id, week_start)
        else:
            approvals.approve_week(actor, team, user_id, week_start)
        _redraw(ctx, client, body, actor, approvals.first_day(week_start))

    # Unexpected failures after the ack (Postgres, Redis, Slack) reach the user through bot.errors.lazy.
    for action_id in (APPROVE_ACTION, REOPEN_ACTION, APPROVE_ALL_ACTION):
        app.action(action_id)(ack=ack_now, lazy=[lazy(decide)])
