"""`/crewclock`: help, for managers the job list (add, deactivate, activate), for admins ``status``.

Ack paths only parse (and, for the Add job modal, check the typed values against the
Redis job cache); every database write and every Web API call runs in a lazy listener.
Every action re-checks that the clicker is a manager.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.context import BotContext
from bot.errors import lazy
from bot.listeners import team_of
from bot.listeners.commands import status
from bot.views.jobs_admin import (
    ACTIVATE_ACTION,
    ADD_ACTION,
    ADD_CALLBACK_ID,
    DEACTIVATE_ACTION,
    FILTER_MAX,
    ID_BLOCK,
    MANAGERS_ONLY,
    NEXT_ACTION,
    PREVIOUS_ACTION,
    JobsPage,
    add_job_errors,
    add_job_modal,
    help_message,
    job_of_value,
    jobs_admin_message,
    notice,
    read_add_job,
)
from core.domain.jobs import Job, match_jobs

COMMAND = "/crewclock"
SAVED_JOB_KEY = "crewclock_new_job"  # what the modal's ack hands its lazy listener


def _post(respond: Respond, payload: dict[str, Any], *, replace: bool) -> None:
    respond(text=payload["text"], blocks=payload["blocks"], response_type="ephemeral", replace_original=replace)


def listed_jobs(ctx: BotContext, query: str) -> list[Job]:
    """Every job (inactive too), by name; only those matching ``query`` when given."""
    jobs = ctx.services.jobs.all_jobs()
    return match_jobs(jobs, query, limit=len(jobs)) if query else jobs


def _is_manager(ctx: BotContext, team_id: str, user_id: str) -> bool:
    return ctx.directory.actor(team_id, user_id).is_manager


def register(app: App, ctx: BotContext) -> None:
    """Wire `/crewclock`, the job list's buttons and the Add job modal into ``app``."""

    def ack_command(ack: Ack, command: dict[str, Any]) -> None:
        words = (command.get("text") or "").split()
        if words and words[0].lower() in ("jobs", status.SUBCOMMAND):
            ack()  # the list (or status) follows via response_url once the caller's rights are checked
            return
        ack(response_type="ephemeral", **help_message())

    def show_jobs(body: dict[str, Any], client: WebClient, command: dict[str, Any], respond: Respond) -> None:
        words = (command.get("text") or "").split()
        if not words or words[0].lower() != "jobs":
            return  # the ack showed the help
        if not _is_manager(ctx, command["team_id"], command["user_id"]):
            _post(respond, notice(MANAGERS_ONLY), replace=False)
            return
        where = JobsPage(0, " ".join(words[1:])[:FILTER_MAX])
        _post(respond, jobs_admin_message(listed_jobs(ctx, where.query), where), replace=False)

    def ack_now(ack: Ack) -> None:
        ack()

    def set_active(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        if not _is_manager(ctx, team_of(body), body["user"]["id"]):
            _post(respond, notice(MANAGERS_ONLY), replace=False)
            return
        action = body["actions"][0]
        active = action["action_id"] == ACTIVATE_ACTION
        job_id = job_of_value(action.get("value") or "")
        job = ctx.services.jobs.get(job_id)
        changed = ""
        if job is not None and ctx.services.jobs.set_active(job_id, active):
            verb = "activated: crews can pick it again" if active else "deactivated: /hours no longer offers it"
            changed = f"*{job.name}* ({job.id}) {verb}."
        elif job is None:
            changed = "That job is no longer in the list."
        where = JobsPage.from_value(action.get("value") or "")
        _post(respond, jobs_admin_message(listed_jobs(ctx, where.query), where, changed=changed), replace=True)

    def turn_page(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        if not _is_manager(ctx, team_of(body), body["user"]["id"]):
            _post(respond, notice(MANAGERS_ONLY), replace=False)
            return
        where = JobsPage.from_value(body["actions"][0].get("value") or "")
        _post(respond, jobs_admin_message(listed_jobs(ctx, where.query), where), replace=True)

    def open_add_modal(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        if not _is_manager(ctx, team_of(body), body["user"]["id"]):
            _post(respond, notice(MANAGERS_ONLY), replace=False)
            return
        where = JobsPage.from_value(body["actions"][0].get("value") or "")
        # The list message is refreshed through its response_url once the job is added.
        metadata = json.dumps({"response_url": body.get("response_url", ""), "q": where.query})
        client.views_open(trigger_id=body["trigger_id"], view=add_job_modal(metadata))

    def ack_add_job(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        new = read_add_job(view["state"]["values"])
        if not _is_manager(ctx, team_of(body), body["user"]["id"]):
            ack(response_action="errors", errors={ID_BLOCK: MANAGERS_ONLY})
            return
        errors = add_job_errors(new, ctx.services.jobs.get(new.job_id) if new.job_id else None)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        context[SAVED_JOB_KEY] = new
        ack()

    def add_job(body: dict[str, Any], client: WebClient, view: dict[str, Any], context: BoltContext) -> None:
        new = context.get(SAVED_JOB_KEY)
        if new is None:
            return  # the ack refused it
        ctx.services.jobs.upsert([Job(new.job_id, new.name, True, new.zoho_job_id)])
        metadata = json.loads(view.get("private_metadata") or "{}")
        if metadata.get("response_url"):
            where = JobsPage(0, str(metadata.get("q", "")))
            message = jobs_admin_message(
                listed_jobs(ctx, where.query), where, changed=f"*{new.name}* ({new.job_id}) added."
            )
            Respond(response_url=metadata["response_url"])(
                text=message["text"], blocks=message["blocks"], response_type="ephemeral", replace_original=True
            )

    # Unexpected failures after the ack (Postgres, Slack) reach the user through bot.errors.lazy.
    app.command(COMMAND)(ack=ack_command, lazy=[lazy(show_jobs), lazy(status.show_status(ctx))])
    status.register(app, ctx)  # admins: status buttons and the alert check
    app.action(DEACTIVATE_ACTION)(ack=ack_now, lazy=[lazy(set_active)])
    app.action(ACTIVATE_ACTION)(ack=ack_now, lazy=[lazy(set_active)])
    app.action(PREVIOUS_ACTION)(ack=ack_now, lazy=[lazy(turn_page)])
    app.action(NEXT_ACTION)(ack=ack_now, lazy=[lazy(turn_page)])
    app.action(ADD_ACTION)(ack=ack_now, lazy=[lazy(open_add_modal)])
    app.view(ADD_CALLBACK_ID)(ack=ack_add_job, lazy=[lazy(add_job)])
