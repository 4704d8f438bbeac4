"""Options for the job type-ahead (external_select): active jobs from the Redis cache."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.context import BotContext
from bot.views.entry_modal import JOB_ACTION, job_options


def register(app: App, ctx: BotContext) -> None:
    def suggest(ack: Ack, body: dict[str, Any]) -> None:
        ack(options=job_options(ctx.services.jobs.search(str(body.get("value") or ""))))

    app.options(JOB_ACTION)(suggest)
