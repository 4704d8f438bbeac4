"""`/history`: the ack only parses the text; a lazy listener reads and answers via response_url.

``/history chart …`` reads the same entries and sends a PNG chart of them (hours per day,
stacked by job; ``bot.charts``) to the caller's DM instead of the list.

Reading may go to Postgres (entries older than the hot window), so it never runs before
the ack. The same loading code answers the Next/Previous/Export buttons
(``bot/listeners/actions/history_actions.py``).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.charts import hours_chart
from bot.context import BotContext
from bot.errors import lazy
from bot.history_args import (
    HISTORY_HELP,
    HistoryArgs,
    HistoryArgsError,
    HistoryQuery,
    is_history_help,
    parse_history_args,
)
from bot.views.history import (
    HistoryView,
    chart_sent_message,
    history_message,
    period_label,
    refusal_message,
    usage_message,
)
from core.domain.clock import today_in
from core.domain.entry import Actor
from core.domain.jobs import Job, match_jobs, resolve_job
from core.service import EntryList, PermissionDenied

COMMAND = "/history"

NOT_YOURS = (
    "Sorry — /history shows only your own hours. Managers can look up other people and jobs; "
    "ask yours if you need someone else's."
)


class HistoryRefused(Exception):
    """The request cannot be answered as asked; ``message`` tells the user why (ephemeral)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _job_named(ctx: BotContext, text: str) -> Job:
    jobs = ctx.services.jobs.all_jobs()  # inactive ones too: their hours still count
    job = resolve_job(jobs, text)
    if job is not None:
        return job
    found = match_jobs(jobs, text, limit=6)
    if not found:
        raise HistoryRefused(f"No job matches `{text}`. Try a job number, e.g. `/history job 1042`.")
    names = ", ".join(f"{j.name} ({j.id})" for j in found[:5])
    raise HistoryRefused(
        f"`{text}` matches several jobs: {names}. Use the job number, e.g. `/history job {found[0].id}`."
    )


def resolve_query(ctx: BotContext, *, actor: Actor, args: HistoryArgs) -> HistoryQuery:
    """Turn parsed arguments into dates and ids, in the caller's time zone.

    Raises:
        HistoryRefused: a crew member asked for others, or the job is unknown or ambiguous.
    """
    if args.asks_for_others(actor.user_id) and not actor.is_manager:
        raise HistoryRefused(NOT_YOURS)
    zone = ctx.directory.user(actor.team_id, actor.user_id).zone
    first, last = args.period.resolve(today_in(zone), ctx.settings.week_start)
    job = _job_named(ctx, args.job_query) if args.job_query else None
    user_id = args.user_id or (None if job is not None else actor.user_id)
    return HistoryQuery(first=first, last=last, user_id=user_id, job_id=job.id if job else None)


def load_history(ctx: BotContext, *, actor: Actor, query: HistoryQuery) -> HistoryView:
    """Read the entries ``query`` names, as ``actor`` may see them (one core call).

    Raises:
        HistoryRefused: the actor may not see them.
    """
    if (query.job_id is not None or query.user_id != actor.user_id) and not actor.is_manager:
        raise HistoryRefused(NOT_YOURS)
    entries = ctx.services.entries
    try:
        if query.user_id is not None:
            listed = entries.list_user_entries(
                actor=actor, team_id=actor.team_id, user_id=query.user_id, first=query.first, last=query.last
            )
            if query.job_id is not None:
                listed = EntryList([e for e in listed.entries if e.job_id == query.job_id], listed.complete)
        else:
            listed = entries.list_team_entries(
                actor=actor, team_id=actor.team_id, first=query.first, last=query.last, job_id=query.job_id
            )
    except PermissionDenied:
        raise HistoryRefused(NOT_YOURS) from None
    job = ctx.services.jobs.get(query.job_id) if query.job_id is not None else None
    approvals = []
    if query.user_id is not None:
        found = ctx.services.approvals.approvals_between(actor.team_id, query.first, query.last, user_id=query.user_id)
        approvals = list(found.values())
    return HistoryView(
        query=query,
        entries=listed.entries,
        complete=listed.complete,
        viewer_id=actor.user_id,
        job=job,
        approvals=approvals,
        manager=actor.is_manager,
    )


def send_chart(ctx: BotContext, client: WebClient, *, actor: Actor, view: HistoryView) -> None:
    """Upload the chart of ``view``'s entries to the actor's DM with the bot."""
    query = view.query
    period = period_label(query.first, query.last)
    chart = hours_chart(
        view.entries, query.first, query.last, title=f"Hours · {period}", week_start=ctx.settings.week_start
    )
    channel = client.conversations_open(users=actor.user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        file=chart.png,
        filename=f"crewclock-hours-{query.first.isoformat()}-to-{query.last.isoformat()}.png",
        title=f"Hours per {chart.per}, by job · {period}",
        alt_txt=f"Bar chart of hours per {chart.per}, stacked by job, {period}",
        initial_comment=f"Hours per {chart.per} by job, {period}.",
    )


def answer(respond: Respond, payload: dict[str, Any], *, replace: bool = False) -> None:
    """Post an ephemeral answer to the request's response_url."""
    respond(
        text=payload["text"],
        blocks=payload["blocks"],
        response_type="ephemeral",
        replace_original=replace,
    )


def show_history(ctx: BotContext, *, actor: Actor, query: HistoryQuery, respond: Respond, replace: bool) -> None:
    """Load, render and post one page; a refusal is told to the user instead."""
    try:
        view = load_history(ctx, actor=actor, query=query)
    except HistoryRefused as refused:
        answer(respond, refusal_message(refused.message))
        return
    answer(respond, history_message(view), replace=replace)


def register(app: App, ctx: BotContext) -> None:
    """Wire `/history` into ``app``."""

    def ack_history(ack: Ack, command: dict[str, Any]) -> None:
        # Only pure parsing here: the ack must not wait on Slack, Redis or Postgres.
        text = command.get("text") or ""
        if is_history_help(text):
            ack(response_type="ephemeral", text=HISTORY_HELP)
            return
        try:
            parse_history_args(text)
        except HistoryArgsError as bad:
            ack(response_type="ephemeral", **usage_message(bad.message, HISTORY_HELP))
            return
        ack()

    def render_history(body: dict[str, Any], client: WebClient, command: dict[str, Any], respond: Respond) -> None:
        text = command.get("text") or ""
        if is_history_help(text):
            return  # the ack already answered
        try:
            args = parse_history_args(text)
        except HistoryArgsError:
            return  # the ack already explained
        actor = ctx.directory.actor(command["team_id"], command["user_id"])
        try:
            query = resolve_query(ctx, actor=actor, args=args)
            if args.chart:
                view = load_history(ctx, actor=actor, query=query)
                send_chart(ctx, client, actor=actor, view=view)
                answer(respond, chart_sent_message(len(view.entries), view.complete))
                return
        except HistoryRefused as refused:
            answer(respond, refusal_message(refused.message))
            return
        show_history(ctx, actor=actor, query=query, respond=respond, replace=False)

    # Unexpected failures after the ack reach the user through bot.errors.lazy.
    app.command(COMMAND)(ack=ack_history, lazy=[lazy(render_history)])
