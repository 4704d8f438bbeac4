"""Log-hours reminders through the real HTTP endpoint and two bot processes: opting in with
`/crewclock remind`, one DM per person and day across processes, none to people who logged,
Snooze 1 h."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.app import build_web_client
from bot.context import BotContext, UserDirectory
from bot.reminders import LogHoursReminders
from bot.views.common import LOG_HOURS_ACTION
from bot.views.reminders import SNOOZE_ACTION
from core.domain.entry import Actor, EntryDraft
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_requests import USER_ID, block_actions_body, slash_command_body
from tests.scenario.conftest import RunningBot, texts_in
from tests.scenario.test_history import new_response_url, responses

CHICAGO = ZoneInfo("America/Chicago")  # FakeSlack's users' zone
MANAGER, LOGGED, TEAMMATE = "U0MGR0001", "U0CREW002", "U0CREW003"


def last_wednesday() -> date:
    today = datetime.now(CHICAGO).date()
    return today - timedelta(days=(today.weekday() - 2) % 7 or 7)


def at(day: date, clock: time) -> float:
    return datetime.combine(day, clock, tzinfo=CHICAGO).timestamp()


def crewclock(bot: RunningBot, text: str, user_id: str = USER_ID) -> str:
    url, method = new_response_url(bot)
    assert bot.post(slash_command_body("/crewclock", text=text, user_id=user_id, response_url=url)).status == 200
    [answer] = responses(bot, method)
    return str(answer["text"])


def job_of(bot: RunningBot, now: float) -> LogHoursReminders:
    """The reminder job of ``bot``'s process, at a fixed time."""
    client = build_web_client(bot.settings)
    ctx = BotContext(bot.settings, bot.services, client, UserDirectory(client, bot.services))
    return LogHoursReminders(ctx, clock=lambda: now)


def reminders_to(bot: RunningBot, user: str) -> list[dict]:
    return [m for m in bot.slack.messages(bot.slack.dm_channel(user)) if m["text"].startswith("⏰")]


def log(bot: RunningBot, user: str, day: date) -> None:
    draft = EntryDraft(TEAM_ID, user, "1042", "Smith Residence", day, time(7), time(15))
    bot.services.entries.record_entry(draft, actor=Actor(TEAM_ID, user), zone=CHICAGO)


def test_opting_in_and_out_is_saved_in_postgres_and_redis(start_bot: Callable[..., RunningBot]) -> None:
    bot = start_bot(manager_user_ids=frozenset({MANAGER}))

    assert crewclock(bot, "remind on 4:30pm").startswith("✅ Your reminder is on: Mon–Fri at 16:30 local time")
    assert crewclock(bot, "remind team on 17:00").startswith("Only managers can set the team's reminder.")
    assert crewclock(bot, "remind team on 17:00", MANAGER).startswith("✅ The team's reminder is on: Mon–Fri at 17:00")
    assert crewclock(bot, "remind") == "Your reminder: at 16:30 your time.\nTeam reminder: at 17:00."
    assert crewclock(bot, "remind off") == "✅ Your reminder is off."
    ack = bot.post(slash_command_body("/crewclock", text="remind on 25:00")).json()
    assert ack["text"].startswith("`25:00` is not a time of day.")

    with bot.services.sql.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT user_id, enabled, remind_at FROM reminder_settings ORDER BY user_id"))
        assert [tuple(r) for r in rows] == [("", True, time(17)), (USER_ID, False, time(16, 30))]
    assert bot.services.redis.hgetall("rm:settings") == {
        f"{TEAM_ID}:".encode(): b"on 17:00",
        f"{TEAM_ID}:{USER_ID}".encode(): b"off 16:30",
    }


def test_one_reminder_per_person_across_two_processes_and_none_to_who_logged(
    start_bot: Callable[..., RunningBot],
) -> None:
    first = start_bot(manager_user_ids=frozenset({MANAGER}))
    second = start_bot(manager_user_ids=frozenset({MANAGER}), jobs=())  # another process, same stores
    day = last_wednesday()
    crewclock(first, "remind on 16:30")
    crewclock(first, "remind on 16:30", LOGGED)
    crewclock(first, "remind team on 17:00", MANAGER)
    log(first, LOGGED, day)
    log(first, TEAMMATE, day - timedelta(days=1))  # logged lately: the team reminder reaches them
    first.settle()

    before = job_of(first, at(day, time(16, 0))).run()
    assert before.sent == []  # not yet 16:30 in Chicago

    jobs = [job_of(bot, at(day, time(17, 5))) for bot in (first, second)]
    start = threading.Barrier(2)
    reports = []

    def run(job: LogHoursReminders) -> None:
        start.wait()
        reports.append(job.run())

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    sent = sorted(key for report in reports for key in report.sent)
    assert sent == [f"remind:{TEAM_ID}:{u}:{day.isoformat()}:0" for u in (USER_ID, TEAMMATE)]
    assert len(reminders_to(first, USER_ID)) == 1 and len(reminders_to(first, TEAMMATE)) == 1
    assert reminders_to(first, LOGGED) == []
    [dm] = reminders_to(first, USER_ID)
    assert dm["text"] == f"⏰ You have no hours logged for today ({day:%a %b} {day.day}) yet."
    actions = {e["action_id"]: e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert set(actions) == {LOG_HOURS_ACTION, SNOOZE_ACTION}  # Log hours opens the /hours modal

    assert job_of(second, at(day, time(18, 0))).run().sent == []  # later runs: already sent
    saturday = day + timedelta(days=3)
    assert job_of(second, at(saturday, time(17, 5))).run().sent == []  # not on weekends


def test_snooze_sends_one_more_reminder_an_hour_later(start_bot: Callable[..., RunningBot]) -> None:
    bot = start_bot()
    day = last_wednesday()
    crewclock(bot, "remind on 16:30")
    job = bot.services.scheduler.get_job("log-hours-reminders").func.__self__  # the process's own job
    job.clock = lambda: at(day, time(16, 31))
    job.run()
    [dm] = reminders_to(bot, USER_ID)
    [snooze] = [e for b in dm["blocks"] if b.get("block_id") == "reminder" for e in b["elements"][1:]]

    url, method = new_response_url(bot)
    body = block_actions_body(SNOOZE_ACTION, value=snooze["value"], channel_id=dm["channel"], message_ts=dm["ts"])
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["response_url"] = url
    assert bot.post(urlencode({"payload": json.dumps(payload)})).status == 200
    [snoozed] = responses(bot, method)
    assert snoozed["replace_original"] is True
    assert texts_in(snoozed["blocks"]).startswith("😴 Snoozed: I'll remind you again at 17:31 unless you log hours")

    job.clock = lambda: at(day, time(17, 1))
    assert job.run().sent == []
    job.clock = lambda: at(day, time(17, 32))
    assert job.run().sent == [f"remind:{TEAM_ID}:{USER_ID}:{day.isoformat()}:1"]
    assert job.run().sent == []
    assert len(reminders_to(bot, USER_ID)) == 2


def test_no_snoozed_reminder_once_they_have_logged(start_bot: Callable[..., RunningBot]) -> None:
    bot = start_bot()
    day = last_wednesday()
    crewclock(bot, "remind on 16:30")
    job = bot.services.scheduler.get_job("log-hours-reminders").func.__self__
    job.clock = lambda: at(day, time(16, 31))
    job.run()
    snoozed = json.dumps([1, at(day, time(17, 31))])  # as the Snooze button leaves it
    bot.services.redis.set(f"remind:snooze:{TEAM_ID}:{USER_ID}:{day.isoformat()}", snoozed)
    log(bot, USER_ID, day)
    job.clock = lambda: at(day, time(17, 40))
    assert job.run().sent == [] and len(reminders_to(bot, USER_ID)) == 1
