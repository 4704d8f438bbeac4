"""``/hours``: the modal (no text), the grammar (``help``), or a one-line quick entry.

Ack path of a quick entry: the user's last known time zone (process memory, or one Redis GET), the parse
(pure), the active jobs (one Redis read), one core write keyed by the trigger id (so a
Slack redelivery records nothing new), and the answer as an ephemeral line. A job that
is ambiguous or unknown, or missing, opens the modal prefilled with what was understood;
that, the confirmation DM and refreshing the user's profile happen after the ack (``ctx.follow_ups``).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import redis
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.context import BotContext, SlackUser
from bot.errors import NOT_SAVED
from bot.listeners import own_actor
from bot.listeners.views.entry_modal import after_save, open_entry_modal, prefill_from_quick, zone_named
from bot.lru import Lru
from bot.views.confirmation import summary_line
from bot.views.entry_modal import FIELDS, ModalMetadata, ambiguous_job_notice, missing_job_notice
from core.domain.clock import today_in
from core.domain.entry import EntryDraft
from core.domain.jobs import match_jobs, resolve_quick_entry
from core.domain.quick_entry import QUICK_ENTRY_HELP, QuickEntryError, is_help, parse_quick_entry
from core.hot.changes import Changes, Stamp, Trust, announce
from core.service import EntryValidationError, StorageUnavailable

log = logging.getLogger(__name__)

COMMAND = "/hours"
FOLLOW_UP = "hours.follow_up"
KNOWN_PROFILE_TTL_S = 30 * 86400
PROFILE_REFRESH_S = 86400  # look the profile up again (lazily) once a day: time zones change rarely
PROFILE_MEMORY_S = 300.0  # how long an ack trusts a held profile when no subscription vouches for it
PROFILES_IN_MEMORY = 50_000
PROFILE_TOPIC = "profile"  # core.hot.changes: a user's profile was saved ("team:user")


@dataclass(frozen=True, slots=True)
class KnownProfile:
    """The user's time zone and email as last seen, for the ack path (no Slack call)."""

    tz: str
    email: str
    known: bool
    seen_at: float = 0.0  # when it was last looked up in Slack (epoch seconds)

    @property
    def fresh(self) -> bool:
        """Seen within PROFILE_REFRESH_S: the follow-up need not look again."""
        return self.known and time.time() - self.seen_at < PROFILE_REFRESH_S


def _known_key(team_id: str, user_id: str) -> str:
    return f"slack:known:{team_id}:{user_id}"


def known_profile(ctx: BotContext, team_id: str, user_id: str) -> KnownProfile:
    """The last profile seen for the user; a first-time user gets the default zone.

    Kept for a month (the directory's own cache lasts hours, and a crew member who logs
    once a day would otherwise always miss it); every ``/hours`` refreshes it lazily.
    """
    raw = ctx.services.redis.get(_known_key(team_id, user_id))
    if raw is None:
        return KnownProfile(ctx.settings.timezone, "", known=False)
    tz, email, *seen = json.loads(raw)
    return KnownProfile(tz, email, known=True, seen_at=seen[0] if seen else 0.0)


def save_profile(client: redis.Redis, user: SlackUser) -> None:
    """Keep the user's profile in Redis for the next acks (any process), as seen now, and say so."""
    pipe = client.pipeline(transaction=False)
    pipe.set(
        _known_key(user.team_id, user.user_id),
        json.dumps([user.tz, user.email, int(time.time())]),
        ex=KNOWN_PROFILE_TTL_S,
    )
    announce(pipe, PROFILE_TOPIC, f"{user.team_id}:{user.user_id}")  # processes holding the old one drop it
    pipe.execute()


def remember_profile(ctx: BotContext, user: SlackUser) -> None:
    """Cache the profile for the next ack; best effort: the entry is saved whether this works or not."""
    try:
        save_profile(ctx.services.redis, user)
    except redis.RedisError as exc:
        log.warning("could not cache the profile of %s: %s", user.user_id, exc)


class RecentProfiles:
    """Profiles this process has read or refreshed: the ack skips Redis for them.

    Following :class:`core.hot.changes.Changes`, a profile read while subscribed is held for as
    long as that subscription lasts (any process saving the user's profile makes this one drop
    it); otherwise for ``PROFILE_MEMORY_S``, within which another process's refresh (a changed
    time zone, rare) reaches this one (:class:`core.hot.changes.Trust`). Bounded: the least
    recently used go first.
    """

    def __init__(self, capacity: int = PROFILES_IN_MEMORY) -> None:
        self._held: Lru[tuple[str, str], tuple[KnownProfile, Stamp]] = Lru(capacity)
        self._trust = self._trusting(None)

    @staticmethod
    def _trusting(changes: Changes | None) -> Trust:
        return Trust(changes, PROFILE_TOPIC, lambda: PROFILE_MEMORY_S, clock=lambda: time.monotonic())

    def follow(self, changes: Changes) -> None:
        """Drop a held profile whenever any process saves that user's."""
        self._trust = self._trusting(changes)
        changes.on(PROFILE_TOPIC, self._saved_elsewhere)

    def _saved_elsewhere(self, key: str) -> None:
        team_id, _, user_id = key.partition(":")
        self._held.drop((team_id, user_id))

    def get(self, ctx: BotContext, team_id: str, user_id: str) -> KnownProfile:
        key = (team_id, user_id)
        held = self._held.get(key)
        if held is not None and self._trust.holds(held[1]):
            return held[0]
        read = self._trust.before_read()
        profile = known_profile(ctx, team_id, user_id)
        if profile.known:
            self._held.put(key, (profile, read))
            if self._trust.after_read(read) is None:
                self._held.drop(key)  # a save crossed this read: what was read may be the older one
        return profile

    def remember(self, ctx: BotContext, user: SlackUser) -> None:
        remember_profile(ctx, user)
        profile = KnownProfile(user.tz, user.email, known=True, seen_at=time.time())
        self._held.put((user.team_id, user.user_id), (profile, self._trust.recent()))


def command_text(body: dict[str, Any]) -> str:
    """The command's text as typed: Slack sends ``&``, ``<`` and ``>`` as HTML entities."""
    text = str(body.get("text") or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def refusal_text(errors: dict[str, str]) -> str:
    """A quick entry the rules refuse: each problem under the name of its field."""
    lines = [f"• *{FIELDS[f][2] if f in FIELDS else f}:* {message}" for f, message in errors.items()]
    return "*Not saved:*\n" + "\n".join(lines) + "\nFix it and send again, or type `/hours` for the form."


def _ephemeral(text: str) -> dict[str, str]:
    return {"response_type": "ephemeral", "text": text}


def register(app: App, ctx: BotContext) -> None:
    profiles = RecentProfiles()  # one per app, like the listeners using it
    profiles.follow(ctx.services.changes)

    def answer(body: dict[str, Any]) -> dict[str, str] | None:
        """The ack of one ``/hours``: what Slack shows the user (None: nothing); its follow-up queued.

        Every ``/hours`` refreshes the user's profile once a day, even a `help` or a refusal, so
        the next quick entry knows their time zone.
        """
        payload, plan = _decide(body)
        if plan.get("open") or plan.get("created") or not plan.get("profile_fresh"):
            ctx.follow_ups.run(FOLLOW_UP, body=body, plan=plan)
        return payload

    def _decide(body: dict[str, Any]) -> tuple[dict[str, str] | None, dict[str, Any]]:
        text = command_text(body)
        team, user_id = str(body["team_id"]), str(body["user_id"])
        if not text:
            return None, {"open": True}
        profile = profiles.get(ctx, team, user_id)
        seen = {"profile_fresh": profile.fresh}
        if is_help(text):
            return _ephemeral(QUICK_ENTRY_HELP), seen
        zone = zone_named(profile.tz, ctx.settings.zone)
        today = today_in(zone)
        try:
            quick = parse_quick_entry(text, today=today)
        except QuickEntryError as error:
            return _ephemeral(error.message), seen
        # `sun valley`: Sunday and job "valley", or today and the Sun Valley job; the job list decides.
        quick, job = resolve_quick_entry(ctx.services.jobs.active_jobs(), quick) if quick.job_query else (quick, None)
        if job is None:  # ambiguous, unknown or missing: the modal asks, prefilled
            return None, {"open": True, "today": today.isoformat()}
        draft = EntryDraft(
            slack_team_id=team,
            slack_user_id=user_id,
            job_id=job.id,
            job_name=job.name,
            work_date=quick.work_date,
            start_time=quick.start_time,
            end_time=quick.end_time,
            lunch_start=quick.lunch_start,
            lunch_end=quick.lunch_end,
            notes=quick.notes,
            change_order=quick.change_order,
            user_email=profile.email,
        )
        try:
            result = ctx.services.entries.record_entry(
                draft, actor=own_actor(ctx, team, user_id), intent_key=f"hours:{body['trigger_id']}", zone=zone
            )
        except EntryValidationError as error:
            return _ephemeral(refusal_text(error.errors)), seen
        except StorageUnavailable:
            return _ephemeral(NOT_SAVED), seen
        if result.created:
            ctx.confirmations.expect(result.entry.id)
        plan = {**seen, "entry_id": result.entry.id, "created": result.created, "recorded": result.entry}
        return _ephemeral(f"{summary_line(result.entry)} — Edit or Delete it from my DM."), plan

    def follow_up(body: dict[str, Any], client: WebClient, plan: dict[str, Any]) -> None:
        """After the ack: open the modal, or confirm the entry by DM; refresh the user's profile."""
        team, user_id = str(body["team_id"]), str(body["user_id"])
        channel = str(body.get("channel_id") or "")
        if plan.get("open"):
            user = ctx.directory.user(team, user_id)  # users.info on a cache miss: fine here, after the ack
            profiles.remember(ctx, user)
            _open_modal(ctx, client, body, user, plan, channel)
            return
        if not plan.get("profile_fresh"):  # first use, or not looked at for a day
            profiles.remember(ctx, ctx.directory.user(team, user_id))
        if plan.get("created"):
            after_save(
                ctx,
                client,
                plan["entry_id"],
                team_id=team,
                user_id=user_id,
                channel_id=channel,
                mode="create",
                recorded=plan["recorded"],
            )

    def acknowledge(ack: Ack, body: dict[str, Any]) -> None:
        payload = answer(body)
        if payload is None:
            ack()
        else:
            ack(**payload)

    app.command(COMMAND)(acknowledge)
    ctx.follow_ups.register(FOLLOW_UP, follow_up)
    ctx.fast_commands[COMMAND] = answer  # the HTTP edge may answer it without Bolt's dispatch (bot.fast_lane)


def _open_modal(
    ctx: BotContext, client: WebClient, body: dict[str, Any], user: SlackUser, plan: dict[str, Any], channel: str
) -> None:
    """The modal, empty or prefilled with what a quick entry said (parsed again: it is pure)."""
    metadata = ModalMetadata(mode="create", channel=channel)
    if "today" not in plan:
        open_entry_modal(ctx, client, trigger_id=body["trigger_id"], user=user, metadata=metadata)
        return
    jobs = ctx.services.jobs.active_jobs()
    quick, _ = resolve_quick_entry(jobs, parse_quick_entry(command_text(body), today=date.fromisoformat(plan["today"])))
    if quick.job_query:
        notice = ambiguous_job_notice(quick.job_query, match_jobs(jobs, quick.job_query))
    else:
        notice = missing_job_notice()
    open_entry_modal(
        ctx,
        client,
        trigger_id=body["trigger_id"],
        user=user,
        prefill=prefill_from_quick(quick, None),
        metadata=metadata,
        notice=notice,
    )
