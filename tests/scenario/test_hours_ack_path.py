"""The ack path never waits on Slack's Web API: a slow Slack changes no answer time, and views.open
still lands inside the trigger's 3 seconds because lazy listeners start right after the ack."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

from core.domain.clock import today_in
from tests.fakes.slack_requests import USER_ID, block_actions_body, block_suggestion_body, slash_command_body
from tests.scenario.conftest import RunningBot, entries_of, modal_values, open_modal, submission, wait_until

SLOW_SLACK_S = 1.5
FAST_ACK_S = 0.5


def timed_post(bot: RunningBot, body: str) -> float:
    started = time.monotonic()
    assert bot.post(body).status == 200
    return time.monotonic() - started


def test_every_answer_is_fast_while_the_web_api_takes_seconds(bot: RunningBot) -> None:
    view = open_modal(bot)  # opened while Slack is quick; now Slack slows down
    bot.slack.set_latency(SLOW_SLACK_S)
    day = today_in(ZoneInfo("America/Chicago")).isoformat()

    times = {
        "quick entry of a first-time user (no cached profile)": timed_post(
            bot, slash_command_body(text="7-3:30 job 1042", user_id="U0NEWBIE")
        ),
        "modal submission": timed_post(bot, submission(view, modal_values(work_date=day))),
        "/hours with no text": timed_post(bot, slash_command_body(text="")),
        "job options": timed_post(bot, block_suggestion_body("job_select", value="smi")),
        "Edit click": timed_post(
            bot, block_actions_body("entry_edit", value="none", channel_id="D1", message_ts="1.2")
        ),
    }

    assert all(seconds < FAST_ACK_S for seconds in times.values()), times
    assert len(entries_of(bot, "U0NEWBIE")) == 1 and len(entries_of(bot)) == 1


def test_views_open_follows_the_command_well_inside_three_seconds(bot: RunningBot) -> None:
    bot.slack.set_user(USER_ID, tz="America/Chicago")
    sent = time.time()

    assert bot.post(slash_command_body(text="")).status == 200

    [call] = bot.slack.wait_for("views.open")
    assert call["at"] - sent < 1.0


def test_the_users_profile_is_fetched_after_the_ack_and_remembered_for_the_next_entry(bot: RunningBot) -> None:
    bot.slack.set_latency(SLOW_SLACK_S, "users.info")

    first = timed_post(bot, slash_command_body(text="7-9 job 1042"))
    wait_until(lambda: bot.slack.calls("users.info"), what="profile fetched lazily")
    wait_until(lambda: bot.services.redis.get(f"slack:known:T0CREW001:{USER_ID}"), timeout=5, what="remembered")
    second = timed_post(bot, slash_command_body(text="10-12 job 1042"))

    assert first < FAST_ACK_S and second < FAST_ACK_S
    assert len(bot.slack.calls("users.info")) == 1
