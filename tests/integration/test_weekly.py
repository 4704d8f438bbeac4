"""The weekly DM job on the real Redis and Postgres, talking HTTP to the fake Slack.

What a user sees is what FakeSlack recorded: the chat.postMessage calls to their DM.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_web_client
from bot.context import BotContext, UserDirectory
from bot.weekly import WeeklySummaries, claim_key, register_weekly_job
from core.bootstrap import Services
from core.domain.clock import today_in, week_range
from core.domain.entry import Actor, EntryDraft
from tests.fakes.slack_api import TEAM_ID, FakeSlack

pytestmark = pytest.mark.integration

CHICAGO = ZoneInfo("America/Chicago")
TOKYO = ZoneInfo("Asia/Tokyo")
MANAGER = "U0BOSS001"
CREW = ["U0CREW101", "U0CREW102", "U0CREW103", "U0CREW104"]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.set_user(MANAGER, tz="America/Chicago", real_name="Bo Boss")
        for i, user in enumerate(CREW):
            fake.set_user(user, tz="America/Chicago", real_name=f"Crew Member {i + 1}")
        yield fake


@pytest.fixture
def weekly_services(make_services: Callable[..., Services], slack: FakeSlack) -> Callable[..., Services]:
    """Services whose settings point at the fake Slack; the DM is due from Monday 00:00 by default."""

    def make(**overrides: Any) -> Services:
        settings: dict[str, Any] = {
            "slack_bot_token": "xoxb-test",
            "slack_api_url": slack.base_url,
            "manager_user_ids": frozenset({MANAGER}),
            "weekly_summary_day": 0,
            "weekly_summary_time": time(0, 0),
        }
        settings.update(overrides)
        return make_services(**settings)

    return make


def context(services: Services) -> BotContext:
    client = build_web_client(services.settings)  # the production client: it retries 429s
    return BotContext(services.settings, services, client, UserDirectory(client, services))


def week_monday() -> Any:
    """Monday of this week in Chicago: a day every test zone has reached (Tokyo is ahead)."""
    return week_range(today_in(CHICAGO))[0]


def log_hours(services: Services, user: str, *, day: Any = None, start: int = 7, hours: int = 8) -> None:
    work_date = day or week_monday()
    draft = EntryDraft(
        slack_team_id=TEAM_ID,
        slack_user_id=user,
        job_id="1042",
        job_name="Smith Residence",
        work_date=work_date,
        start_time=time(start),
        end_time=time(start + hours),
    )
    services.entries.record_entry(draft, actor=Actor(TEAM_ID, user), zone=CHICAGO)


def dms(slack: FakeSlack) -> Counter[str]:
    """How many weekly DMs each user got (their DM channel, as the fake names it)."""
    by_channel = Counter(c["params"]["channel"] for c in slack.calls("chat.postMessage") if c["response"]["ok"])
    return Counter({user: by_channel[slack.dm_channel(user)] + by_channel[user] for user in [MANAGER, *CREW]})


def posted_texts(slack: FakeSlack, user: str) -> list[str]:
    return [
        c["params"]["text"]
        for c in slack.calls("chat.postMessage")
        if c["params"]["channel"] in (user, slack.dm_channel(user)) and c["response"]["ok"]
    ]


def test_each_person_and_manager_gets_one_dm_even_with_two_processes_racing(
    weekly_services: Callable[..., Services], slack: FakeSlack
) -> None:
    first, second = weekly_services(), weekly_services()  # two bot processes, one Redis
    for user in CREW:
        log_hours(first, user)
    slack.set_latency(0.05, "chat.postMessage")  # keep both runs inside the race window
    runners = [WeeklySummaries(context(s), pace_s=0) for s in (first, second)]
    start = threading.Barrier(len(runners))
    reports: list[Any] = []

    def run(runner: WeeklySummaries) -> None:
        start.wait()
        reports.append(runner.run())

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert dms(slack) == Counter({MANAGER: 1, **{user: 1 for user in CREW}})
    assert sum(len(r.sent) for r in reports) == len(CREW) + 1
    # Later runs, in either process, send nothing more.
    for runner in runners:
        assert runner.run().sent == []
    assert len(slack.calls("chat.postMessage")) == len(CREW) + 1
    monday = week_monday()
    assert first.redis.get(claim_key(TEAM_ID, CREW[0], monday)) == b"sent"
    assert 7 * 86400 < first.redis.ttl(claim_key(TEAM_ID, CREW[0], monday)) <= 8 * 86400


def test_the_dm_and_digest_say_what_the_week_holds(weekly_services: Callable[..., Services], slack: FakeSlack) -> None:
    services = weekly_services()
    monday = week_monday()
    log_hours(services, CREW[0], day=monday, start=6, hours=11)
    log_hours(services, CREW[1], day=monday, hours=4)
    WeeklySummaries(context(services), pace_s=0).run()

    [crew_text] = posted_texts(slack, CREW[0])
    assert crew_text.startswith("Your week ")
    assert ": 11.0 h" in crew_text
    [digest] = [c for c in slack.calls("chat.postMessage") if c["params"]["text"].startswith("Crew hours")]
    lines = [b["text"]["text"] for b in digest["params"]["blocks"] if b["type"] == "section"]
    body = "\n".join(lines)
    assert "Crew Member 2 — 4.0 h" in body
    assert "Crew Member 1 — 11.0 h" in body
    assert "Crew Member 3" not in body  # logged nothing this week


def test_nothing_before_the_local_send_time_and_each_zone_on_its_own_clock(
    weekly_services: Callable[..., Services], slack: FakeSlack
) -> None:
    slack.set_user(CREW[1], tz="Asia/Tokyo", real_name="Tokyo Crew")
    services = weekly_services(weekly_summary_day=4, weekly_summary_time=time(16, 0))
    monday = week_monday()
    log_hours(services, CREW[0], day=monday)
    log_hours(services, CREW[1], day=monday)

    def at(moment: datetime) -> WeeklySummaries:
        return WeeklySummaries(context(services), pace_s=0, clock=moment.timestamp)

    friday = monday + timedelta(days=4)
    at(datetime.combine(monday, time(9), CHICAGO)).run()
    assert slack.calls("chat.postMessage") == []

    tokyo_due = datetime.combine(friday, time(16, 1), TOKYO)  # Friday 01:01 in Chicago
    at(tokyo_due).run()
    assert dms(slack)[CREW[1]] == 1
    assert dms(slack)[CREW[0]] == 0

    at(datetime.combine(friday, time(16, 1), CHICAGO)).run()
    assert dms(slack)[CREW[0]] == 1
    assert dms(slack)[MANAGER] == 1  # the manager's digest at the manager's 16:00 (Chicago)
    assert dms(slack)[CREW[1]] == 1

    # The next week holds no entries yet: nothing new.
    at(datetime.combine(friday + timedelta(days=7), time(16, 1), CHICAGO)).run()
    assert len(slack.calls("chat.postMessage")) == 3


def test_a_crashed_claim_is_retried_after_it_expires_and_a_sent_one_never_again(
    weekly_services: Callable[..., Services], slack: FakeSlack
) -> None:
    services = weekly_services()
    for user in CREW[:3]:
        log_hours(services, user)
    monday = week_monday()
    crashed, already_sent = claim_key(TEAM_ID, CREW[0], monday), claim_key(TEAM_ID, CREW[1], monday)
    services.redis.set(crashed, "sending:process-that-died", px=400)  # claimed, never sent
    services.redis.set(already_sent, "sent", ex=8 * 86400)

    runner = WeeklySummaries(context(services), pace_s=0)
    runner.run()
    assert dms(slack)[CREW[0]] == 0  # the claim still stands: it might be mid-send
    assert dms(slack)[CREW[1]] == 0
    assert dms(slack)[CREW[2]] == 1

    threading.Event().wait(0.5)  # the dead process's claim expires
    runner.run()
    runner.run()
    assert dms(slack)[CREW[0]] == 1
    assert dms(slack)[CREW[1]] == 0
    assert dms(slack)[CREW[2]] == 1
    assert services.redis.get(crashed) == b"sent"


def test_a_429_is_retried_after_retry_after_and_the_dm_arrives(
    weekly_services: Callable[..., Services], slack: FakeSlack
) -> None:
    services = weekly_services(manager_user_ids=frozenset())
    log_hours(services, CREW[0])
    slack.rate_limit_next("chat.postMessage", retry_after=1)

    report = WeeklySummaries(context(services), pace_s=0).run()

    attempts = slack.calls("chat.postMessage")
    assert [c["status"] for c in attempts] == [429, 200]
    assert attempts[1]["at"] - attempts[0]["at"] >= 0.9  # Retry-After was honoured
    assert dms(slack)[CREW[0]] == 1
    assert report.sent == [claim_key(TEAM_ID, CREW[0], week_monday())]


def test_slack_refusing_a_dm_backs_off_and_still_limited_retries_next_run(
    weekly_services: Callable[..., Services], slack: FakeSlack
) -> None:
    services = weekly_services(manager_user_ids=frozenset())
    log_hours(services, CREW[0])
    log_hours(services, CREW[1])
    monday = week_monday()
    slack.fail_next("chat.postMessage", "user_disabled")
    slack.fail_next("chat.postMessage", "ratelimited")
    runner = WeeklySummaries(context(services), pace_s=0)

    first = runner.run()
    assert sorted(first.failed) == sorted(claim_key(TEAM_ID, u, monday) for u in CREW[:2])
    refused, limited = claim_key(TEAM_ID, CREW[0], monday), claim_key(TEAM_ID, CREW[1], monday)
    assert services.redis.get(refused) == b"failed:user_disabled"
    assert 0 < services.redis.ttl(refused) <= 3600
    assert services.redis.get(limited) is None  # freed for the next run

    second = runner.run()
    assert second.sent == [limited]
    assert dms(slack)[CREW[0]] == 0
    assert dms(slack)[CREW[1]] == 1


def test_register_weekly_job_adds_one_interval_job(weekly_services: Callable[..., Services]) -> None:
    services = weekly_services()
    services.scheduler.start(paused=True)  # running, as in `crewclock serve`, but nothing fires
    ctx = context(services)
    register_weekly_job(ctx, interval_s=120)
    register_weekly_job(ctx, interval_s=120)  # a second registration replaces, never doubles
    jobs = [j for j in services.scheduler.get_jobs() if j.id == "weekly-summary"]
    assert len(jobs) == 1
    assert jobs[0].trigger.interval == timedelta(seconds=120)
