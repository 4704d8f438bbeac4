"""Reminders to log hours: a DM on working days at each opted-in person's local time, when
they have no entry that day, with Log hours and Snooze 1 h.

An APScheduler interval job (every minute, in every bot process) walks the recipients
(``core.reminders``). For each person whose local time has passed their reminder time on a
Monday-to-Friday, and who has logged nothing that day, it claims the send in Redis first:

    remind:{team}:{user}:{date}:{round}     SET NX, kept two days

One process wins each claim, so a reminder goes out once per person, day and round, however
many processes run. Round 0 is the reminder; Snooze 1 h stores the next round and its time in
``remind:snooze:{team}:{user}:{date}`` (``[round, due epoch]``), and the job sends that round
when it is due, again only if nothing was logged meanwhile. A double-clicked Snooze writes the
same round, so it snoozes once. A DM Slack refuses (user gone, DMs closed) keeps its claim:
no retry that day.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.context import BotContext
from bot.errors import lazy
from bot.listeners import team_of
from bot.views.reminders import SNOOZE_ACTION, read_snooze_value, reminder_message, snoozed_message
from core.domain.entry import Actor
from core.reminders import Recipient, ReminderSettings

log = logging.getLogger(__name__)

JOB_ID = "log-hours-reminders"
CHECK_INTERVAL_S = 60.0
FIRST_RUN_DELAY_S = 30
CLAIM_TTL_S = 2 * 86400
SNOOZE_S = 3600
WORKING_DAYS = range(5)  # Monday to Friday


def claim_key(team_id: str, user_id: str, day: date, round_no: int) -> str:
    return f"remind:{team_id}:{user_id}:{day.isoformat()}:{round_no}"


def snooze_key(team_id: str, user_id: str, day: date) -> str:
    return f"remind:snooze:{team_id}:{user_id}:{day.isoformat()}"


@dataclass
class ReminderReport:
    """What one run did, for logs and tests."""

    sent: list[str] = field(default_factory=list)
    logged: int = 0  # due, but they had logged hours
    failed: list[str] = field(default_factory=list)


class LogHoursReminders:
    """One run of the reminder job; safe to run in several processes at once."""

    def __init__(self, ctx: BotContext, *, clock: Callable[[], float] = time.time) -> None:
        self.ctx = ctx
        self.clock = clock
        self.redis = ctx.services.redis
        self.settings = ReminderSettings(ctx.services.sql.engine, ctx.services.redis, ctx.services.entries)

    def _due(self, person: Recipient, now: float) -> tuple[date, int] | None:
        """(their local date, round) if a reminder is due now, else None."""
        zone = self.ctx.directory.user(person.team_id, person.user_id).zone
        local = datetime.fromtimestamp(now, zone)
        if local.weekday() not in WORKING_DAYS:
            return None
        day = local.date()
        snoozed = self.redis.get(snooze_key(person.team_id, person.user_id, day))
        if snoozed is not None:
            round_no, due_at = json.loads(snoozed)
            return (day, int(round_no)) if now >= float(due_at) else None
        due = datetime.combine(day, person.remind_at, tzinfo=zone)
        return (day, 0) if local >= due else None

    def _has_logged(self, person: Recipient, day: date) -> bool:
        listed = self.ctx.services.entries.list_user_entries(
            actor=Actor(person.team_id, person.user_id),
            team_id=person.team_id,
            user_id=person.user_id,
            first=day,
            last=day,
        )
        return bool(listed.entries)

    def run(self) -> ReminderReport:
        """Send every reminder that is due, once."""
        now = self.clock()
        report = ReminderReport()
        for person in self.settings.recipients():
            due = self._due(person, now)
            if due is None:
                continue
            day, round_no = due
            key = claim_key(person.team_id, person.user_id, day, round_no)
            if self.redis.exists(key):
                continue  # sent (or being sent) by this or another process
            if self._has_logged(person, day):
                report.logged += 1
                continue
            if not self.redis.set(key, "sending", nx=True, ex=CLAIM_TTL_S):
                continue  # another process won the claim a moment ago
            message = reminder_message(day, round_no)
            try:
                self.ctx.client.chat_postMessage(channel=person.user_id, text=message["text"], blocks=message["blocks"])
            except SlackApiError as exc:
                error = str(exc.response.get("error", "unknown"))
                if error == "ratelimited":
                    self.redis.delete(key)  # the next run tries again
                log.warning("reminder %s not sent: %s", key, error)
                report.failed.append(key)
                continue
            self.redis.set(key, "sent", ex=CLAIM_TTL_S)
            report.sent.append(key)
        if report.sent or report.failed:
            log.info("log-hours reminders: %d sent, %d failed", len(report.sent), len(report.failed))
        return report


def snooze(ctx: BotContext, team_id: str, user_id: str, day: date, round_no: int, now: float) -> datetime:
    """Schedule the next round an hour from ``now``; returns when (UTC)."""
    until = now + SNOOZE_S
    ctx.services.redis.set(snooze_key(team_id, user_id, day), json.dumps([round_no + 1, until]), ex=CLAIM_TTL_S)
    return datetime.fromtimestamp(until, UTC)


def register(app: App, ctx: BotContext) -> None:
    """Listener-module hook: schedule the reminder job and wire the Snooze button."""
    reminders = LogHoursReminders(ctx)
    ctx.services.scheduler.add_job(
        reminders.run,
        "interval",
        seconds=CHECK_INTERVAL_S,
        id=JOB_ID,
        replace_existing=True,
        next_run_time=datetime.now(UTC) + timedelta(seconds=FIRST_RUN_DELAY_S),
    )

    def ack_now(ack: Ack) -> None:
        ack()

    def snooze_clicked(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        team, user_id = team_of(body), body["user"]["id"]
        day, round_no = read_snooze_value(body["actions"][0].get("value") or "")
        until = snooze(ctx, team, user_id, day, round_no, reminders.clock())
        local = until.astimezone(ctx.directory.user(team, user_id).zone)
        message = snoozed_message(local)
        respond(text=message["text"], blocks=message["blocks"], replace_original=True)

    app.action(SNOOZE_ACTION)(ack=ack_now, lazy=[lazy(snooze_clicked)])
