"""The buttons under a /history answer: Previous, Next and Export CSV.

Each button carries its query (dates, person, job, page) in its value, so any bot
process can answer it; each is acked at once and answered by a lazy listener.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.context import BotContext
from bot.csv_export import entries_csv, export_filename
from bot.errors import lazy
from bot.history_args import HistoryArgsError, HistoryQuery
from bot.listeners import team_of
from bot.listeners.commands.history import HistoryRefused, answer, load_history, show_history
from bot.views.history import (
    EXPORT_ACTION,
    NEXT_ACTION,
    PREVIOUS_ACTION,
    export_sent_message,
    period_label,
    refusal_message,
)
from core.domain.entry import Actor, TimeEntry


def _clicker(ctx: BotContext, body: dict[str, Any]) -> Actor:
    return ctx.directory.actor(team_of(body), body["user"]["id"])


def _query_of(body: dict[str, Any]) -> HistoryQuery:
    return HistoryQuery.from_value(body["actions"][0].get("value") or "")


def upload_csv(
    ctx: BotContext, client: WebClient, *, actor: Actor, query: HistoryQuery, entries: list[TimeEntry]
) -> None:
    """Send ``entries`` as a CSV file to the actor's DM with the bot (conversations.open, then files_upload_v2)."""
    names: dict[str, str] = {}

    def user_name(user_id: str) -> str:
        if user_id not in names:
            names[user_id] = ctx.directory.user(actor.team_id, user_id).name
        return names[user_id]

    oldest_first = sorted(entries, key=lambda e: (e.work_date, e.start_time, e.slack_user_id))
    content = entries_csv(oldest_first, user_name=user_name)
    first, last = query.first.isoformat(), query.last.isoformat()
    channel = client.conversations_open(users=actor.user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        content=content,
        filename=export_filename(first, last),
        title=f"Hours {period_label(query.first, query.last)}",
        initial_comment=f"Your /history export: {len(entries)} entries, {first} to {last}.",
    )


def register(app: App, ctx: BotContext) -> None:
    """Wire the /history buttons into ``app``."""

    def ack_now(ack: Ack) -> None:
        ack()

    def turn_page(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        try:
            query = _query_of(body)
        except HistoryArgsError as stale:
            answer(respond, refusal_message(stale.message))
            return
        show_history(ctx, actor=_clicker(ctx, body), query=query, respond=respond, replace=True)

    def export_csv(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        actor = _clicker(ctx, body)
        try:
            query = _query_of(body)
            view = load_history(ctx, actor=actor, query=query)
            upload_csv(ctx, client, actor=actor, query=query, entries=list(view.entries))
        except (HistoryArgsError, HistoryRefused) as refused:
            answer(respond, refusal_message(refused.message))
            return
        answer(respond, export_sent_message(len(view.entries)))

    # Unexpected failures after the ack (Redis, Slack) reach the user through bot.errors.lazy.
    app.action(PREVIOUS_ACTION)(ack=ack_now, lazy=[lazy(turn_page)])
    app.action(NEXT_ACTION)(ack=ack_now, lazy=[lazy(turn_page)])
    app.action(EXPORT_ACTION)(ack=ack_now, lazy=[lazy(export_csv)])
