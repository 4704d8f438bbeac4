"""Export payroll (a manager's App Home, and /history's team and job views): the CSV to the manager's DM.

The export streams (``core.payroll``): Postgres in batches plus Redis's pending entries, written to
a temporary file that files_upload_v2 sends, so a long range never sits in memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.context import BotContext
from bot.errors import lazy, notify
from bot.listeners import team_of
from bot.views.history import period_label
from bot.views.payroll import PAYROLL_ACTION, StalePayrollButton, payroll_sent_message, read_payroll_value
from core.domain.entry import TimeEntry
from core.payroll import payroll_entries, payroll_filename, write_payroll_csv

MANAGERS_ONLY = "Only managers can export payroll."


def register(app: App, ctx: BotContext) -> None:
    """Wire the Export payroll button into ``app``."""

    def ack_now(ack: Ack) -> None:
        ack()

    def export(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        team, clicker = team_of(body), body["user"]["id"]
        channel = (body.get("container") or {}).get("channel_id", "")
        actor = ctx.directory.actor(team, clicker)
        if not actor.is_manager:
            notify(client, clicker, channel, MANAGERS_ONLY)
            return
        try:
            first, last, job_id = read_payroll_value(body["actions"][0].get("value") or "")
        except StalePayrollButton as stale:
            notify(client, clicker, channel, str(stale))
            return
        services = ctx.services

        def rows() -> Iterator[TimeEntry]:
            for entry in payroll_entries(services.sql, services.hot, first, last, team_id=team):
                if job_id is None or entry.job_id == job_id:
                    yield entry

        with tempfile.TemporaryDirectory(prefix="crewclock-payroll-") as folder:
            path = Path(folder) / payroll_filename(first, last)
            with path.open("w", newline="", encoding="utf-8") as out:
                report = write_payroll_csv(
                    out,
                    rows(),
                    first=first,
                    last=last,
                    week_start=ctx.settings.week_start,
                    overtime_after=Decimal(str(ctx.settings.overtime_weekly_hours)),
                    user_name=lambda t, u: ctx.directory.user(t, u).name,
                )
            message = payroll_sent_message(report.entries, len(report.weeks), report.partial_weeks)
            dm = client.conversations_open(users=clicker)["channel"]["id"]
            client.files_upload_v2(
                channel=dm,
                file=str(path),
                filename=path.name,
                title=f"Payroll {period_label(first, last)}",
                initial_comment=f"Payroll {period_label(first, last)}: {report.entries} entries, "
                f"{len(report.weeks)} worker-weeks, overtime past {ctx.settings.overtime_weekly_hours:g} h a week.",
            )
        if body.get("response_url"):
            respond(text=message["text"], blocks=message["blocks"], response_type="ephemeral", replace_original=False)

    # Unexpected failures after the ack (Postgres, Slack) reach the user through bot.errors.lazy.
    app.action(PAYROLL_ACTION)(ack=ack_now, lazy=[lazy(export)])
