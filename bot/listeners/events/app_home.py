"""The App Home tab: published when the user opens it, and again after each of their writes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.context import BotContext
from bot.errors import lazy
from bot.views.home import home_view
from core.domain.clock import today_in

HOME_SEEN_TTL_S = 30 * 86400


def _seen_key(team_id: str, user_id: str) -> str:
    return f"slack:home-seen:{team_id}:{user_id}"


def publish_home(ctx: BotContext, client: WebClient, team_id: str, user_id: str) -> None:
    """Read the user's week and last entries (in their time zone) and ``views.publish`` them."""
    user = ctx.directory.user(team_id, user_id)
    actor = ctx.directory.actor(team_id, user_id)
    entries = ctx.services.entries
    summary = entries.week_summary(actor=actor, team_id=team_id, user_id=user_id, zone=user.zone)
    recent = entries.recent_entries(actor=actor, team_id=team_id, user_id=user_id, limit=5)
    view = home_view(
        summary=summary,
        recent=recent.entries,
        today=today_in(user.zone),
        zone_name=user.tz,
        complete=recent.complete,
    )
    client.views_publish(user_id=user_id, view=view)


def refresh_home_if_seen(ctx: BotContext, client: WebClient, team_id: str, user_id: str) -> None:
    """Publish the Home again after a write, for users who look at it (the rest get it fresh on opening)."""
    if ctx.services.redis.exists(_seen_key(team_id, user_id)):
        publish_home(ctx, client, team_id, user_id)


def register(app: App, ctx: BotContext) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    @lazy
    def publish(body: dict[str, Any], client: WebClient, event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab needs nothing from us
        team_id, user_id = body["team_id"], event["user"]
        ctx.services.redis.set(_seen_key(team_id, user_id), 1, ex=HOME_SEEN_TTL_S)
        publish_home(ctx, client, team_id, user_id)

    app.event("app_home_opened")(ack=acknowledge, lazy=[publish])
