"""/hours <text>: quick entries, the modal when the job is unclear, explanations, retries."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.context import SlackUser
from bot.listeners.commands import hours
from bot.listeners.commands.hours import save_profile
from core.catalog import JobCatalog
from core.domain.clock import today_in
from core.domain.jobs import Job
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_requests import USER_ID, slash_command_body
from tests.scenario.conftest import (
    RunningBot,
    entries_of,
    modal_values,
    submission,
    texts_in,
    wait_until,
    zone_off_utc_date,
)
from tests.support.clock import MovedClock


def quick(bot: RunningBot, text: str, user_id: str = USER_ID) -> str:
    """Send ``/hours text``; returns the ephemeral answer's text ("" for an empty ack)."""
    response = bot.post(slash_command_body(text=text, user_id=user_id))
    assert response.status == 200
    answer = response.json()
    if answer is None:
        return ""
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7-3:30 job 1042", ("1042", 0, "07:00", "15:30", None, "", "", "8.50")),
        (
            "7a-3:30p lunch 30 sun valley -- primed north wall",
            ("2001", 0, "07:00", "15:30", ("12:00", "12:30"), "primed north wall", "", "8.00"),
        ),
        (
            "yesterday 07:00-15:30 lunch 12-12:30 job 1042 co 17",
            ("1042", -1, "07:00", "15:30", ("12:00", "12:30"), "", "17", "8.00"),
        ),
        ("6p-2a job #2001", ("2001", 0, "18:00", "02:00", None, "", "", "8.00")),
    ],
)
def test_quick_entries_are_stored_as_typed(bot: RunningBot, text: str, expected: tuple[object, ...]) -> None:
    job_id, days, start, end, lunch, notes, change_order, hours = expected

    answer = quick(bot, text)

    [entry] = entries_of(bot)
    today = today_in(ZoneInfo("UTC"))  # a first-time user: the configured zone
    assert entry.job_id == job_id
    assert entry.work_date == today + timedelta(days=days)  # type: ignore[operator]
    assert (f"{entry.start_time:%H:%M}", f"{entry.end_time:%H:%M}") == (start, end)
    got_lunch = (f"{entry.lunch_start:%H:%M}", f"{entry.lunch_end:%H:%M}") if entry.lunch_start else None
    assert got_lunch == lunch
    assert (entry.notes, entry.change_order, str(entry.total_hours)) == (notes, change_order, hours)
    assert answer.startswith(f"Logged {float(hours):.1f} h · {entry.job_name} · ")
    assert "⏳ pending" in answer or "✅ saved" in answer
    [post] = bot.slack.wait_for("chat.postMessage")
    assert post["params"]["channel"] == bot.slack.dm_channel(USER_ID)
    assert post["params"]["text"].startswith(f"Logged {float(hours):.1f} h · {entry.job_name}")


def test_after_the_first_entry_the_users_slack_time_zone_decides_today(bot: RunningBot) -> None:
    zone = zone_off_utc_date()
    bot.slack.set_user(USER_ID, tz=zone)

    quick(bot, "1-2a job 1042")
    bot.slack.wait_for("users.info")
    wait_until(lambda: bot.services.redis.get(f"slack:known:T0CREW001:{USER_ID}"), what="profile remembered")
    quick(bot, "3-4a job 1042")

    days = sorted(e.work_date for e in entries_of(bot))
    assert days == sorted([today_in(ZoneInfo("UTC")), today_in(ZoneInfo(zone))])
    assert days[0] != days[1]


def test_a_crew_member_back_hours_later_is_answered_from_memory_until_a_process_saves_their_profile(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ack holds a returning user's time zone while subscribed to other processes' changes (core.hot.changes):
    no Redis read hours later, yet a profile saved by any process replaces it at once."""
    held_zone, moved_zone = "Pacific/Pago_Pago", "Pacific/Kiritimati"  # 25 hours apart: never the same date
    clock = MovedClock()
    monkeypatch.setattr(hours, "time", clock)
    bot.slack.set_user(USER_ID, tz=held_zone)

    def saved_elsewhere(zone: str) -> None:  # as the background process's daily refresh does
        save_profile(bot.services.redis, SlackUser(USER_ID, TEAM_ID, "Pat", "pat@example.com", zone))
        time.sleep(0.5)  # word of the save reaches the bot's subscription

    saved_elsewhere(held_zone)
    quick(bot, "1-2a job 1042")  # the ack reads the profile from Redis and holds it
    bot.services.redis.set(  # changed without a word: no crewclock process does this
        f"slack:known:{TEAM_ID}:{USER_ID}", json.dumps([moved_zone, "pat@example.com", int(clock.time())])
    )
    clock.advance(6 * 3600)  # back at the end of the shift, long past the old five-minute memory
    quick(bot, "3-4a job 1042")
    saved_elsewhere(moved_zone)
    quick(bot, "5-6a job 1042")

    days = [e.work_date for e in sorted(entries_of(bot), key=lambda e: e.start_time)]
    assert days == [today_in(ZoneInfo(held_zone))] * 2 + [today_in(ZoneInfo(moved_zone))]


def test_a_job_another_process_adds_can_be_logged_at_once(bot: RunningBot) -> None:
    """`crewclock jobs import`, or /crewclock jobs answered by another process, rewrites the Redis copy
    of the job list and says so (core.hot.changes): the ack's held list makes way at once."""
    assert quick(bot, "6-7a job 1042").startswith("Logged 1.0 h")  # the ack reads the job list and holds it
    JobCatalog(bot.services.sql, bot.services.redis).upsert([Job("3001", "Maple Court Exterior")])  # elsewhere
    time.sleep(0.5)  # word of it reaches the bot's subscription

    assert quick(bot, "8-9a maple court").startswith("Logged 1.0 h · Maple Court Exterior")


@pytest.mark.parametrize(
    ("text", "notice"),
    [
        ("7-3:30 smith", "matches 2 jobs"),
        ("7-3:30 nowhere", "couldn't find a job matching *nowhere*"),
        ("7-3:30 lunch 30", "Which job was that?"),
    ],
)
def test_an_unclear_job_opens_the_modal_prefilled_and_saving_it_records_once(
    bot: RunningBot, text: str, notice: str
) -> None:
    assert quick(bot, text) == ""

    [call] = bot.slack.wait_for("views.open")
    view = call["response"]["view"]
    assert notice in texts_in(view["blocks"][0])
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["start_time"]["initial_time"] == "07:00"
    assert inputs["end_time"]["initial_time"] == "15:30"
    assert "initial_option" not in inputs["job"]
    assert entries_of(bot) == []

    day = inputs["work_date"]["initial_date"]
    assert bot.post(submission(view, modal_values(work_date=day, job="1043"))).body == b""
    [entry] = entries_of(bot)
    assert entry.job_name == "Smithson Garage"


def test_unparseable_text_gets_an_explanation_with_examples_and_nothing_else(bot: RunningBot) -> None:
    answer = quick(bot, "worked all day on the roof")

    assert "For example `/hours 7-3:30 smith`" in answer
    assert "Traceback" not in answer
    assert entries_of(bot) == []
    assert bot.slack.calls("views.open") == []
    assert bot.slack.calls("chat.postMessage") == []


def test_help_shows_the_grammar(bot: RunningBot) -> None:
    answer = quick(bot, "help")

    assert answer.startswith("*Log hours in one line:*")
    assert entries_of(bot) == []


def test_a_quick_entry_the_rules_refuse_says_why_under_the_fields_name(bot: RunningBot) -> None:
    # One explicit date: the second entry may already use the zone Slack gave after the first.
    day = (today_in(ZoneInfo("UTC")) - timedelta(days=1)).isoformat()
    quick(bot, f"{day} 7-3:30 job 1042")

    answer = quick(bot, f"{day} 3-6p job 2001")

    assert answer.startswith("*Not saved:*")
    assert "*Start:* Overlaps your 07:00–15:30 entry on Smith Residence." in answer
    assert len(entries_of(bot)) == 1


def test_a_slack_retry_of_the_same_command_records_one_entry(bot: RunningBot) -> None:
    body = slash_command_body(text="7-3:30 job 1042")

    first = bot.post(body)
    again = bot.post(body, retry_num=1)

    assert (first.status, again.status) == (200, 200)
    assert first.json()["text"].split(" · ")[:3] == again.json()["text"].split(" · ")[:3]
    assert len(entries_of(bot)) == 1
    bot.slack.wait_for("chat.postMessage")
    time.sleep(0.3)  # the retry's lazy listener had time to post, if it would
    assert len(bot.slack.calls("chat.postMessage")) == 1
