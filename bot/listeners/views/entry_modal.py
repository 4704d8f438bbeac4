"""The entry modal's life: opening it (prefilled or not), its submission, and what follows a save.

Submission ack path: read the view, one core write (Redis), answer — close, or
``response_action: errors`` on the right inputs with the modal left as typed. The user's
time zone and email come from ``private_metadata`` (put there when the modal was opened),
so the submission never waits for ``users.info``. The confirmation DM and the Home
refresh run after the ack (``ctx.follow_ups``), once the modal has closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.context import BotContext, SlackUser
from bot.listeners import own_actor, team_of
from bot.listeners.events.app_home import refresh_home_if_seen
from bot.views.entry_modal import (
    CALLBACK_ID,
    ModalMetadata,
    Prefill,
    entry_modal,
    errors_by_block,
    not_saved_errors,
    read_submission,
)
from core.domain.clock import today_in
from core.domain.entry import EntryDraft, TimeEntry
from core.domain.jobs import Job
from core.domain.quick_entry import QuickEntry
from core.service import (
    EntryNotFound,
    EntryValidationError,
    PermissionDenied,
    RecordResult,
    StorageUnavailable,
)

FOLLOW_UP = "entry_modal.saved"
JOB_GONE = "That job is no longer active. Pick another one."
ENTRY_GONE = "This entry was deleted in the meantime. Close this and log the hours again."
NOT_YOURS = "This is someone else's entry; only they or a manager can change it."


def zone_named(name: str, default: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


def prefill_from_entry(entry: TimeEntry, job: Job | None) -> Prefill:
    return Prefill(
        work_date=entry.work_date,
        job=job or Job(entry.job_id, entry.job_name),
        start_time=entry.start_time,
        end_time=entry.end_time,
        lunch_start=entry.lunch_start,
        lunch_end=entry.lunch_end,
        notes=entry.notes,
        change_order=entry.change_order,
    )


def prefill_from_quick(quick: QuickEntry, job: Job | None) -> Prefill:
    return Prefill(
        work_date=quick.work_date,
        job=job,
        start_time=quick.start_time,
        end_time=quick.end_time,
        lunch_start=quick.lunch_start,
        lunch_end=quick.lunch_end,
        notes=quick.notes,
        change_order=quick.change_order,
    )


def open_entry_modal(
    ctx: BotContext,
    client: WebClient,
    *,
    trigger_id: str,
    user: SlackUser,
    prefill: Prefill | None = None,
    metadata: ModalMetadata | None = None,
    notice: str = "",
) -> None:
    """``views.open`` the entry modal (from a lazy listener: the trigger is valid for 3 s).

    Without ``prefill`` the modal is empty but for the date: today in the user's zone.
    """
    prefill = prefill or Prefill(work_date=today_in(user.zone))
    metadata = metadata or ModalMetadata(mode="create")
    metadata = ModalMetadata(
        mode=metadata.mode,
        tz=user.tz,
        # An edit keeps the owner's email (a manager may be editing); a new entry is the user's own.
        email=metadata.email if metadata.mode == "edit" else (metadata.email or user.email),
        entry_id=metadata.entry_id,
        owner=metadata.owner,
        channel=metadata.channel,
    )
    jobs: Sequence[Job] = ctx.services.jobs.active_jobs()
    view = entry_modal(prefill=prefill, metadata=metadata, jobs=jobs, notice=notice)
    client.views_open(trigger_id=trigger_id, view=view)


def after_save(
    ctx: BotContext,
    client: WebClient,
    entry_id: str,
    *,
    team_id: str,
    user_id: str,
    channel_id: str,
    mode: str,
    recorded: TimeEntry | None = None,
) -> None:
    """After a write (after the ack): the confirmation DM (new, or the old one updated) and a fresh Home.

    ``recorded``: a new entry as the ack path wrote it (it called ``ctx.confirmations.expect``).
    """
    messages = ctx.confirmations
    owner = user_id
    if mode == "create":
        messages.post(entry_id, user_id=user_id, channel_id=channel_id, recorded=recorded)
    else:
        entry = ctx.services.hot.get(entry_id)
        if entry is None:  # already settled and expired from Redis: nothing left to confirm
            return
        owner = entry.slack_user_id
        if not messages.refresh(entry):
            messages.post(entry_id, user_id=user_id, channel_id=channel_id)
    refresh_home_if_seen(ctx, client, team_id, owner)
    if user_id != owner:
        refresh_home_if_seen(ctx, client, team_id, user_id)


def _save(ctx: BotContext, body: dict[str, Any], view: dict[str, Any]) -> tuple[RecordResult, ModalMetadata]:
    """The one core write of a submission (create or edit), keyed by the view id."""
    meta = ModalMetadata.from_json(view.get("private_metadata") or "")
    team, user = team_of(body), body["user"]["id"]
    submitted = read_submission(view)
    job = ctx.services.jobs.get(submitted.job_id)
    if job is None or not job.active:
        raise EntryValidationError({"job": JOB_GONE})
    owner = meta.owner or user
    draft = EntryDraft(
        slack_team_id=team,
        slack_user_id=owner,
        job_id=job.id,
        job_name=job.name,
        work_date=submitted.work_date,
        start_time=submitted.start_time,
        end_time=submitted.end_time,
        lunch_start=submitted.lunch_start,
        lunch_end=submitted.lunch_end,
        notes=submitted.notes,
        change_order=submitted.change_order,
        user_email=meta.email,
    )
    zone = zone_named(meta.tz, ctx.settings.zone)
    intent = f"view:{view['id']}"
    if meta.mode == "edit":
        # Someone else's entry needs manager status; the Edit click that opened this modal
        # just looked it up, so it is cached and this stays a Redis read.
        actor = own_actor(ctx, team, user) if owner == user else ctx.directory.actor(team, user)
        return ctx.services.entries.edit_entry(meta.entry_id, draft, actor=actor, intent_key=intent, zone=zone), meta
    actor = own_actor(ctx, team, user)
    return ctx.services.entries.record_entry(draft, actor=actor, intent_key=intent, zone=zone), meta


def register(app: App, ctx: BotContext) -> None:
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            result, meta = _save(ctx, body, view)
        except EntryValidationError as error:
            ack(response_action="errors", errors=errors_by_block(error.errors))
            return
        except StorageUnavailable:
            ack(response_action="errors", errors=not_saved_errors())
            return
        except EntryNotFound:
            ack(response_action="errors", errors=errors_by_block({"job": ENTRY_GONE}))
            return
        except PermissionDenied:
            ack(response_action="errors", errors=errors_by_block({"job": NOT_YOURS}))
            return
        ack()
        if not result.created:
            return  # a resubmission, already confirmed
        recorded = None
        if meta.mode == "create":
            ctx.confirmations.expect(result.entry.id)
            recorded = result.entry
        saved = {"entry_id": result.entry.id, "mode": meta.mode, "channel": meta.channel, "recorded": recorded}
        ctx.follow_ups.run(FOLLOW_UP, body=body, saved=saved)

    def confirm(body: dict[str, Any], client: WebClient, saved: dict[str, Any]) -> None:
        after_save(
            ctx,
            client,
            saved["entry_id"],
            team_id=team_of(body),
            user_id=body["user"]["id"],
            channel_id=saved["channel"],
            mode=saved["mode"],
            recorded=saved["recorded"],
        )

    app.view(CALLBACK_ID)(submit)
    ctx.follow_ups.register(FOLLOW_UP, confirm)
