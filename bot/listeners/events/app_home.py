"""The App Home tab: published when the user opens it, and again after each of their writes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.context import BotContext
from bot.errors import lazy
from bot.views.home import CrewMember, CrewWeek, home_view
from core.domain.clock import today_in, week_range
from core.domain.entry import Actor

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
        crew=crew_week(ctx, actor, today_in(user.zone)) if actor.is_manager else None,
    )
    client.views_publish(user_id=user_id, view=view)


def crew_week(ctx: BotContext, actor: Actor, today: date) -> CrewWeek:
    """The crew's week for a manager's Home: who logged hours, their totals and approvals."""
    first, last = week_range(today, ctx.settings.week_start)
    listed = ctx.services.entries.list_team_entries(actor=actor, team_id=actor.team_id, first=first, last=last)
    totals: dict[str, Decimal] = {}
    for entry in listed.entries:
        totals[entry.slack_user_id] = totals.get(entry.slack_user_id, Decimal("0.00")) + entry.total_hours
    approved = ctx.services.approvals.approvals_between(actor.team_id, first, first)
    members = [CrewMember(u, ctx.directory.user(actor.team_id, u).name, hours) for u, hours in totals.items()]
    return CrewWeek(
        first_day=first,
        last_day=last,
        members=members,
        approvals={user: a for (user, _), a in approved.items()},
        payroll_first=first - timedelta(days=7),
        payroll_last=first - timedelta(days=1),
        complete=listed.complete,
    )


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
