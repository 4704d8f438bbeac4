"""The weekly DM as a running bot sends it: hours logged over HTTP, the scheduled job fires, one DM arrives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

from tests.fakes.slack_requests import USER_ID, slash_command_body
from tests.scenario.conftest import RunningBot, json_param, texts_in, wait_until

MANAGER = "U0MGR0001"


def fire_weekly_job(bot: RunningBot) -> None:
    """Make the scheduler run the weekly job now (it is registered by build_app, every few minutes)."""
    job = bot.services.scheduler.get_job("weekly-summary")
    assert job is not None
    job.modify(next_run_time=datetime.now(UTC))


def weekly_dms(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    channel = bot.slack.dm_channel(user)
    return [
        c
        for c in bot.slack.calls("chat.postMessage")
        if c["params"]["channel"] in (user, channel) and c["params"]["text"].startswith(("Your week", "Crew hours"))
    ]


def test_hours_logged_over_http_come_back_in_one_weekly_dm(start_bot: Callable[..., RunningBot]) -> None:
    bot = start_bot(
        timezone="America/Chicago",  # FakeSlack's users are in Chicago too: one calendar for the test
        weekly_summary_day=0,  # due from Monday 00:00: always due by the time the test runs
        weekly_summary_time=time(0, 0),
        manager_user_ids=frozenset({MANAGER}),
    )
    bot.slack.set_user(USER_ID, tz="America/Chicago", real_name="Pat Painter")
    assert bot.post(slash_command_body("/hours", text="7-3:30 lunch 30 job 1042")).status == 200

    fire_weekly_job(bot)

    [dm] = wait_until(lambda: weekly_dms(bot, USER_ID), what="the weekly DM")
    assert dm["params"]["text"].startswith("Your week ")
    shown = texts_in(json_param(dm, "blocks"))
    assert "*Total: 8.0 h*" in shown
    assert "Smith Residence: 8.0 h" in shown
    [digest] = wait_until(lambda: weekly_dms(bot, MANAGER), what="the manager's digest")
    assert "Pat Painter — 8.0 h" in texts_in(json_param(digest, "blocks"))

    # Run the scheduled job again, here and now: this week's DMs are already out.
    report = bot.services.scheduler.get_job("weekly-summary").func()
    assert report.sent == []
    assert len(weekly_dms(bot, USER_ID)) == 1
    assert len(weekly_dms(bot, MANAGER)) == 1
