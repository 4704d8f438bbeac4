"""Every Slack listener, wired in one place.

Each module named in ``LISTENER_MODULES`` has ``register(app, ctx)``. Modules are named,
not discovered: a typo or a missing module fails at start-up, never silently.

Ack-path rule for every listener here: the function that answers Slack parses, makes
one core call (Redis only) and returns; anything calling Slack's Web API runs in a
lazy listener (``bot.errors.lazy``) after the ack; the two busiest (a quick entry, a modal
submission) hand their follow-up to ``ctx.follow_ups``, which skips Bolt's per-request copy and,
under ``crewclock serve``, runs it in the background process.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from slack_bolt import App

from bot.context import BotContext
from core.domain.entry import Actor

LISTENER_MODULES: list[str] = [
    "bot.listeners.commands.hours",
    "bot.listeners.views.entry_modal",
    "bot.listeners.actions.entry_actions",
    "bot.listeners.events.app_home",
    "bot.listeners.options.jobs",
    # -- part B: /history, /crewclock, their actions and the weekly summary job go below --
    "bot.listeners.commands.history",
    "bot.listeners.commands.remind",  # before /crewclock's own listener: it takes `remind …` only
    "bot.listeners.commands.crewclock",
    "bot.listeners.actions.history_actions",
    # -- manager tools (issue 7) --
    "bot.listeners.actions.approval_actions",
    "bot.listeners.actions.payroll_actions",
    "bot.listeners.actions.audit_actions",
    "bot.reminders",  # its register(app, ctx) adds the reminder job and the Snooze button
    "bot.weekly",  # its register(app, ctx) adds the weekly DM job to ctx.services.scheduler
]


def register_listeners(app: App, ctx: BotContext) -> None:
    """Import each module of ``LISTENER_MODULES`` and let it register its listeners."""
    for name in LISTENER_MODULES:
        importlib.import_module(name).register(app, ctx)


def team_of(body: Mapping[str, Any]) -> str:
    """The workspace a request comes from, whatever its kind."""
    if "team_id" in body:  # slash commands, events
        return str(body["team_id"])
    team = body.get("team") or {}
    return str(team.get("id") or (body.get("user") or {}).get("team_id") or "")


def own_actor(ctx: BotContext, team_id: str, user_id: str) -> Actor:
    """The actor for acting on one's own entries, built without any Slack call.

    Enough on the ack path whenever the entry is the user's own; manager status from a
    Slack user group (which may need ``usergroups.users.list``) is only looked up when
    someone acts on another person's entry (``ctx.directory.actor``).
    """
    settings = ctx.settings
    is_admin = user_id in settings.admin_user_ids
    return Actor(team_id, user_id, is_manager=is_admin or user_id in settings.manager_user_ids, is_admin=is_admin)
