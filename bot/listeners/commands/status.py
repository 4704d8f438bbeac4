"""`/crewclock status` for admins, its Retry / Discard / Refresh buttons, and the admins' alert DMs.

The ack only parses; the report (Redis, and Postgres for which dead letters it holds) is built
and sent in a lazy listener through the request's response_url. Every button re-checks that
the clicker is an admin. ``register`` also schedules the alert check on ``services.scheduler``
(every ``ALERT_CHECK_INTERVAL_S``; each incident is claimed in Redis, so several processes
send one alert between them).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.context import BotContext
from bot.errors import lazy
from bot.listeners import own_actor, team_of
from bot.views.common import format_day
from bot.views.status import (
    ADMINS_ONLY,
    DISCARD_ACTION,
    REFRESH_ACTION,
    RETRY_ACTION,
    alert_message,
    notice,
    status_message,
)
from core.domain.entry import Actor
from core.ops.alerts import Alert, AlertMonitor
from core.ops.logging import log_context
from core.ops.status import collect_status

log = logging.getLogger(__name__)

SUBCOMMAND = "status"


def _post(respond: Respond, payload: dict[str, Any], *, replace: bool) -> None:
    respond(text=payload["text"], blocks=payload["blocks"], response_type="ephemeral", replace_original=replace)


def _status(ctx: BotContext, actor: Actor, changed: str = "") -> dict[str, Any]:
    now = time.time()
    return status_message(collect_status(ctx.services, actor=actor, now=now), now=now, changed=changed)


def is_status_command(command: dict[str, Any]) -> bool:
    words = (command.get("text") or "").split()
    return bool(words) and words[0].lower() == SUBCOMMAND


def show_status(ctx: BotContext) -> Callable[..., None]:
    """The lazy listener `/crewclock` runs for ``status``: the report, or a polite refusal."""

    def run(body: dict[str, Any], client: WebClient, command: dict[str, Any], respond: Respond) -> None:
        if not is_status_command(command):
            return
        actor = own_actor(ctx, command["team_id"], command["user_id"])
        if not actor.is_admin:
            _post(respond, notice(ADMINS_ONLY), replace=False)
            return
        _post(respond, _status(ctx, actor), replace=False)

    run.__name__ = "show_status"
    return run


def notify_admins(client: WebClient, admin_ids: frozenset[str]) -> Callable[[Alert], None]:
    """DM each admin the alert; raises only if none of them could be told (so it is tried again)."""

    def send(alert: Alert) -> None:
        message = alert_message(alert)
        told = 0
        for admin in sorted(admin_ids):
            try:
                channel = client.conversations_open(users=admin)["channel"]["id"]
                client.chat_postMessage(channel=channel, text=message["text"], blocks=message["blocks"])
                told += 1
            except SlackApiError as exc:
                log.warning("alert DM to %s failed: %s", admin, exc.response.get("error"))
        if not told:
            raise RuntimeError(f"no admin could be told about {alert.kind}")

    return send


def register(app: App, ctx: BotContext) -> None:
    """Wire the status buttons and schedule the alert check."""

    def ack_now(ack: Ack) -> None:
        ack()

    def admin_of(body: dict[str, Any], respond: Respond) -> Actor | None:
        actor = own_actor(ctx, team_of(body), body["user"]["id"])
        if not actor.is_admin:
            _post(respond, notice(ADMINS_ONLY), replace=False)
            return None
        return actor

    def retry(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        actor = admin_of(body, respond)
        if actor is None:
            return
        entry_id = body["actions"][0].get("value") or ""
        with log_context(entry_id=entry_id):
            entry = ctx.services.hot.get(entry_id)
            what = f"*{entry.job_name}* ({format_day(entry.work_date)})" if entry else "That entry"
            if ctx.services.entries.retry_dead_letter(entry_id, actor=actor):
                log.info("dead letter %s retried by %s", entry_id, actor.user_id)
                changed = f"🔁 {what} is being retried."
            else:
                changed = f"{what} was no longer in the failed list."
        _post(respond, _status(ctx, actor, changed), replace=True)

    def discard(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        actor = admin_of(body, respond)
        if actor is None:
            return
        entry_id = body["actions"][0].get("value") or ""
        with log_context(entry_id=entry_id):
            entry = ctx.services.hot.get(entry_id)
            what = f"*{entry.job_name}* ({format_day(entry.work_date)})" if entry else "That entry"
            result = ctx.services.entries.discard_dead_letter(entry_id, actor=actor)
        if not result.discarded:
            changed = f"{what} was no longer in the failed list."
        elif result.saved:
            changed = f"🗑️ Discarded {what} from the failed list; Postgres keeps it."
        else:
            changed = (
                f"🗑️ Discarded {what} from the failed list. Postgres does not hold it: its copy stays in Redis "
                "and `crewclock reconcile` lists it."
            )
        _post(respond, _status(ctx, actor, changed), replace=True)

    def refresh(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        actor = admin_of(body, respond)
        if actor is not None:
            _post(respond, _status(ctx, actor), replace=True)

    app.action(RETRY_ACTION)(ack=ack_now, lazy=[lazy(retry)])
    app.action(DISCARD_ACTION)(ack=ack_now, lazy=[lazy(discard)])
    app.action(REFRESH_ACTION)(ack=ack_now, lazy=[lazy(refresh)])
    schedule_alerts(ctx)


def schedule_alerts(ctx: BotContext) -> AlertMonitor | None:
    """Add the alert check to the scheduler (none without ADMIN_USER_IDS: nobody to tell)."""
    settings = ctx.settings
    if not settings.admin_user_ids:
        log.info("no ADMIN_USER_IDS: sync alerts are off")
        return None
    monitor = AlertMonitor(
        ctx.services.hot, notify_admins(ctx.client, settings.admin_user_ids), pending_age_s=settings.alert_pending_age_s
    )
    interval = max(settings.alert_check_interval_s, 0.05)
    ctx.services.scheduler.add_job(
        monitor.run,
        "interval",
        seconds=interval,
        id="ops-alerts",
        replace_existing=True,
        next_run_time=datetime.now(UTC) + timedelta(seconds=interval),
    )
    return monitor
