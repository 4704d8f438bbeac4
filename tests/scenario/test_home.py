"""App Home: this week's hours with a bar per day, the last entries, Log hours; refreshed after writes."""

from __future__ import annotations

import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from core.domain.clock import today_in
from tests.fakes.slack_requests import (
    USER_ID,
    app_home_opened_event,
    block_actions_body,
    event_body,
    slash_command_body,
)
from tests.scenario.conftest import RunningBot, texts_in, view_for_payload_home


def published_home(bot: RunningBot, count: int = 1) -> dict:
    call = bot.slack.wait_for("views.publish", count)[-1]
    assert call["params"]["user_id"] == USER_ID
    return dict(call["response"]["view"])


def test_opening_the_home_publishes_the_week_with_bars_and_the_last_entries(
    start_bot: Callable[..., RunningBot],
) -> None:
    # The crew's zone is configured (as in production): a first-time user's quick entry, logged
    # before Slack has told crewclock their own zone, then falls in the same week as their Home,
    # whatever the hour in UTC.
    bot = start_bot(timezone="America/Chicago")
    bot.slack.set_user(USER_ID, tz="America/Chicago")
    for text in ("7-3:30 lunch 30 job 1042", "yesterday 6-10 job 2001"):
        assert bot.post(slash_command_body(text=text)).status == 200
    bot.slack.wait_for("chat.postMessage", 2)
    assert bot.slack.calls("views.publish") == []  # never opened: nothing to refresh
    # Yesterday is older than a fresh Redis's watermark: core's recent_entries finds it in
    # Postgres only (reported), so let it get there.
    bot.settle()

    response = bot.post(event_body(app_home_opened_event(USER_ID)))

    assert response.status == 200
    home = published_home(bot)
    text = texts_in(home["blocks"])
    today = today_in(ZoneInfo("America/Chicago"))
    assert f"{today:%a} {today.day:>2}  ▇▇▇▇▇▇▇▇ 8.0" in text
    assert "Week total:" in text
    assert "Smith Residence · 07:00–15:30 · *8.0 h*" in text
    assert "Sun Valley Clinic · 06:00–10:00 · *4.0 h*" in text
    assert "America/Chicago" in text
    edit_buttons = [b["accessory"] for b in home["blocks"] if b.get("accessory", {}).get("action_id") == "entry_edit"]
    assert len(edit_buttons) == 2
    log_hours = [b["accessory"] for b in home["blocks"] if b.get("accessory", {}).get("action_id") == "home_log_hours"]
    assert log_hours and log_hours[0]["text"]["text"] == "Log hours"


def test_the_messages_tab_publishes_nothing(bot: RunningBot) -> None:
    assert bot.post(event_body(app_home_opened_event(USER_ID, tab="messages"))).status == 200
    assert bot.post(event_body(app_home_opened_event(USER_ID, tab="home"))).status == 200

    bot.slack.wait_for("views.publish")
    time.sleep(0.3)  # the Messages tab's lazy listener started first; it had time to publish, if it would
    assert len(bot.slack.calls("views.publish")) == 1


def test_log_hours_on_the_home_opens_the_modal(bot: RunningBot) -> None:
    body = block_actions_body("home_log_hours", user_id=USER_ID, view=view_for_payload_home())

    assert bot.post(body).status == 200

    [call] = bot.slack.wait_for("views.open")
    assert call["response"]["view"]["title"]["text"] == "Log hours"


def test_after_the_home_was_opened_each_write_refreshes_it(bot: RunningBot) -> None:
    assert bot.post(event_body(app_home_opened_event(USER_ID))).status == 200
    assert "Nothing logged yet" in texts_in(published_home(bot)["blocks"])

    assert bot.post(slash_command_body(text="7-3:30 job 1042")).status == 200

    home = published_home(bot, 2)
    assert "Smith Residence · 07:00–15:30 · *8.5 h*" in texts_in(home["blocks"])
