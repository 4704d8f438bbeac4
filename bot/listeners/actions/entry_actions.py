"""Buttons on a confirmation or the Home tab: Edit, Delete (after Slack's confirm dialog), Log hours.

A click is acknowledged at once (Slack shows nothing for a block action's answer); the
work runs lazily because each one needs the Web API anyway (``views.open``,
``chat.update``) and manager status may need ``usergroups.users.list``. Someone else's
entry is refused politely (``PermissionDenied`` reaches ``bot.errors``, which tells the
user) unless the clicker is a manager.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.context import BotContext
from bot.errors import lazy
from bot.listeners import team_of
from bot.listeners.events.app_home import refresh_home_if_seen
from bot.listeners.views.entry_modal import open_entry_modal, prefill_from_entry
from bot.views.common import DELETE_ACTION, EDIT_ACTION, LOG_HOURS_ACTION
from bot.views.entry_modal import ModalMetadata


def _clicked(body: dict[str, Any]) -> tuple[str, str, str]:
    """(team, user, entry id) of a button click."""
    action = body["actions"][0]
    return team_of(body), body["user"]["id"], str(action.get("value") or "")


def _channel(body: dict[str, Any]) -> str:
    return str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")


def register(app: App, ctx: BotContext) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    @lazy
    def edit(body: dict[str, Any], client: WebClient) -> None:
        team, user_id, entry_id = _clicked(body)
        actor = ctx.directory.actor(team, user_id)
        entry = ctx.services.entries.get_entry(entry_id, actor=actor)
        clicker = ctx.directory.user(team, user_id)
        metadata = ModalMetadata(
            mode="edit",
            entry_id=entry.id,
            email=entry.user_email,
            owner=entry.slack_user_id if entry.slack_user_id != user_id else "",
            channel=_channel(body),
        )
        prefill = prefill_from_entry(entry, ctx.services.jobs.get(entry.job_id))
        open_entry_modal(ctx, client, trigger_id=body["trigger_id"], user=clicker, prefill=prefill, metadata=metadata)

    @lazy
    def delete(body: dict[str, Any], client: WebClient) -> None:
        team, user_id, entry_id = _clicked(body)
        actor = ctx.directory.actor(team, user_id)
        intent = f"delete:{entry_id}:{body['actions'][0].get('action_ts', '')}"
        tombstone = ctx.services.entries.delete_entry(entry_id, actor=actor, intent_key=intent).entry
        ctx.confirmations.refresh(tombstone)
        refresh_home_if_seen(ctx, client, team, tombstone.slack_user_id)
        if tombstone.slack_user_id != user_id:
            refresh_home_if_seen(ctx, client, team, user_id)

    @lazy
    def log_hours(body: dict[str, Any], client: WebClient) -> None:
        team, user_id = team_of(body), body["user"]["id"]
        user = ctx.directory.user(team, user_id)
        open_entry_modal(ctx, client, trigger_id=body["trigger_id"], user=user)

    app.action(EDIT_ACTION)(ack=acknowledge, lazy=[edit])
    app.action(DELETE_ACTION)(ack=acknowledge, lazy=[delete])
    app.action(LOG_HOURS_ACTION)(ack=acknowledge, lazy=[log_hours])
