"""What an HTTP worker holds in memory, and the word of other processes' changes (core.hot.changes), on the real Redis.

An HTTP worker holds the profiles and the job list its acks read for as long as its subscription
lasts; the background process saving a profile (the daily refresh, a modal), or any process
changing a job, makes it drop what it held. Two clients play the two processes; the worker's clock
is moved by the test (``hours.time``, ``catalog.time``), its subscription and Redis are real.
"""

from __future__ import annotations

import json
import time as real_time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import redis

from bot.context import SlackUser
from bot.listeners.commands import hours
from bot.listeners.commands.hours import (
    PROFILE_MEMORY_S,
    PROFILE_REFRESH_S,
    PROFILE_TOPIC,
    RecentProfiles,
    remember_profile,
)
from core import catalog
from core.catalog import JOBS_FRESH_S, JOBS_KEY, JOBS_TOPIC, JobCatalog
from core.domain.jobs import Job
from core.hot.changes import Changes
from core.sql.store import SqlStore
from tests.support.clock import MovedClock
from tests.support.waiting import wait_until

TEAM = "T0CHANGE1"
DEFAULT_ZONE = "UTC"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> MovedClock:
    fake = MovedClock()
    monkeypatch.setattr(hours, "time", fake)
    return fake


def context(client: redis.Redis) -> Any:
    return SimpleNamespace(services=SimpleNamespace(redis=client), settings=SimpleNamespace(timezone=DEFAULT_ZONE))


@pytest.fixture
def worker(redis_url: str, real_redis: redis.Redis) -> Iterator[tuple[Any, RecentProfiles, Changes]]:
    """An HTTP worker's view: its own Redis client, its held profiles, listening for saved ones."""
    client = redis.Redis.from_url(redis_url)
    profiles = RecentProfiles()
    changes = Changes(client)
    profiles.follow(changes)
    changes.start()
    wait_until(lambda: changes.session != 0, what="the worker subscribed")
    yield context(client), profiles, changes
    changes.stop(wait=True)  # before its connection closes under it
    client.close()


@pytest.fixture
def background(redis_url: str) -> Iterator[Any]:
    """Another process (the background one), saving profiles on a client of its own."""
    client = redis.Redis.from_url(redis_url)
    yield context(client)
    client.close()


def crew(user_id: str, tz: str) -> SlackUser:
    return SlackUser(user_id, TEAM, f"Crew {user_id}", f"{user_id.lower()}@example.com", tz)


def saved(background: Any, changes: Changes, user: SlackUser) -> None:
    """The background process saves the profile, and the worker has had word of it."""
    before = changes.generation(PROFILE_TOPIC)
    remember_profile(background, user)
    wait_until(lambda: changes.generation(PROFILE_TOPIC) > before, what="the worker heard of the save")


def holding_denver(worker: tuple[Any, RecentProfiles, Changes], background: Any) -> tuple[Any, RecentProfiles, Changes]:
    """U1's profile (America/Denver), saved by the background process and read by the worker's ack."""
    ctx, profiles, changes = worker
    saved(background, changes, crew("U1", "America/Denver"))
    assert profiles.get(ctx, TEAM, "U1").tz == "America/Denver"
    return worker


def overwrite_silently(client: redis.Redis, user_id: str, tz: str) -> None:
    """Change the stored profile without saying so (no process does this): shows whether the worker reads Redis."""
    client.set(
        f"slack:known:{TEAM}:{user_id}", json.dumps([tz, f"{user_id.lower()}@example.com", int(real_time.time())])
    )


def test_a_profile_is_held_past_the_old_five_minutes_while_the_subscription_lives(
    worker: tuple[Any, RecentProfiles, Changes], background: Any, clock: MovedClock
) -> None:
    ctx, profiles, _ = holding_denver(worker, background)

    overwrite_silently(ctx.services.redis, "U1", "Asia/Tokyo")
    clock.advance(10 * PROFILE_MEMORY_S)

    assert profiles.get(ctx, TEAM, "U1").tz == "America/Denver"  # no Redis read on the ack


def test_a_profile_saved_by_another_process_replaces_the_held_one_at_once(
    worker: tuple[Any, RecentProfiles, Changes], background: Any, clock: MovedClock
) -> None:
    ctx, profiles, _ = holding_denver(worker, background)

    remember_profile(background, crew("U1", "America/New_York"))  # the user moved; the refresh saw it

    wait_until(lambda: profiles.get(ctx, TEAM, "U1").tz == "America/New_York", what="the worker sees the new zone")
    assert profiles.get(ctx, TEAM, "U2").known is False  # other users are untouched by the message


def test_after_the_subscription_breaks_what_was_held_is_trusted_for_minutes_only(
    worker: tuple[Any, RecentProfiles, Changes], background: Any, clock: MovedClock, real_redis: redis.Redis
) -> None:
    ctx, profiles, changes = holding_denver(worker, background)
    first_session = changes.session

    real_redis.client_kill_filter(_type="pubsub")  # a saved profile's message could be lost now
    wait_until(lambda: changes.session not in (0, first_session), what="the worker subscribed again")
    overwrite_silently(ctx.services.redis, "U1", "Asia/Tokyo")

    clock.advance(PROFILE_MEMORY_S - 1)
    assert profiles.get(ctx, TEAM, "U1").tz == "America/Denver"  # the old rule: five minutes
    clock.advance(2)
    assert profiles.get(ctx, TEAM, "U1").tz == "Asia/Tokyo"  # read again, under the new subscription...
    overwrite_silently(ctx.services.redis, "U1", "Europe/Lisbon")
    clock.advance(10 * PROFILE_MEMORY_S)
    assert profiles.get(ctx, TEAM, "U1").tz == "Asia/Tokyo"  # ...which vouches for it from then on


def test_a_save_that_crosses_the_read_is_not_held(
    worker: tuple[Any, RecentProfiles, Changes], background: Any, clock: MovedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, profiles, changes = worker
    saved(background, changes, crew("U1", "America/Denver"))
    read = hours.known_profile

    def read_then_another_process_saves(ctx: Any, team_id: str, user_id: str) -> hours.KnownProfile:
        profile = read(ctx, team_id, user_id)
        before = changes.generation(PROFILE_TOPIC)
        remember_profile(background, crew("U1", "America/New_York"))
        wait_until(lambda: changes.generation(PROFILE_TOPIC) > before, what="the message arrived mid-read")
        return profile

    monkeypatch.setattr(hours, "known_profile", read_then_another_process_saves)
    assert profiles.get(ctx, TEAM, "U1").tz == "America/Denver"  # what this ack read
    monkeypatch.setattr(hours, "known_profile", read)

    assert profiles.get(ctx, TEAM, "U1").tz == "America/New_York"  # not held: read again


def test_a_long_held_profile_still_gets_its_daily_look_in_slack(
    worker: tuple[Any, RecentProfiles, Changes], background: Any, clock: MovedClock
) -> None:
    ctx, profiles, changes = worker
    saved(background, changes, crew("U1", "America/Denver"))
    assert profiles.get(ctx, TEAM, "U1").fresh

    clock.advance(PROFILE_REFRESH_S + 1)
    held = profiles.get(ctx, TEAM, "U1")

    assert (held.tz, held.fresh) == ("America/Denver", False)  # so the ack's follow-up looks again


# -- the job list ---------------------------------------------------------------------------


@pytest.fixture
def worker_jobs(
    redis_url: str, sql: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[JobCatalog, Changes, MovedClock, redis.Redis]]:
    """An HTTP worker's job list (its own client and subscription), on a clock the test moves."""
    clock = MovedClock()
    monkeypatch.setattr(catalog, "time", clock)
    client = redis.Redis.from_url(redis_url)
    changes = Changes(client)
    jobs = JobCatalog(sql, client, changes)
    changes.start()
    wait_until(lambda: changes.session != 0, what="the worker subscribed")
    yield jobs, changes, clock, client
    changes.stop(wait=True)
    client.close()


def changed_elsewhere(sql: SqlStore, redis_url: str, changes: Changes, jobs: list[Job]) -> None:
    """Another process adds or changes jobs (Postgres, then its Redis copy), and the worker has word of it."""
    before = changes.generation(JOBS_TOPIC)
    client = redis.Redis.from_url(redis_url)
    JobCatalog(sql, client).upsert(jobs)
    client.close()
    wait_until(lambda: changes.generation(JOBS_TOPIC) > before, what="the worker heard of the change")


def names(jobs: list[Job]) -> list[str]:
    return [j.name for j in jobs]


def test_a_job_list_read_while_subscribed_is_used_past_the_old_five_seconds(
    worker_jobs: tuple[JobCatalog, Changes, MovedClock, redis.Redis],
    sql: SqlStore,
    redis_url: str,
    real_redis: redis.Redis,
) -> None:
    jobs, changes, clock, _ = worker_jobs
    changed_elsewhere(sql, redis_url, changes, [Job("1042", "Smith Residence")])
    assert names(jobs.active_jobs()) == ["Smith Residence"]

    real_redis.hset(JOBS_KEY, "2001", json.dumps(["Sun Valley Clinic", True, None]))  # without a word
    clock.advance(100 * JOBS_FRESH_S)

    assert names(jobs.active_jobs()) == ["Smith Residence"]  # no Redis read on the ack


def test_a_job_added_by_another_process_is_in_the_list_at_once(
    worker_jobs: tuple[JobCatalog, Changes, MovedClock, redis.Redis], sql: SqlStore, redis_url: str
) -> None:
    jobs, changes, _, _ = worker_jobs
    changed_elsewhere(sql, redis_url, changes, [Job("1042", "Smith Residence")])
    assert names(jobs.active_jobs()) == ["Smith Residence"]

    changed_elsewhere(sql, redis_url, changes, [Job("2001", "Sun Valley Clinic")])

    assert names(jobs.active_jobs()) == ["Smith Residence", "Sun Valley Clinic"]


def test_a_job_change_that_crosses_the_read_makes_the_next_ack_read_again(
    worker_jobs: tuple[JobCatalog, Changes, MovedClock, redis.Redis],
    sql: SqlStore,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jobs, changes, _, client = worker_jobs
    changed_elsewhere(sql, redis_url, changes, [Job("1042", "Smith Residence")])
    read = client.hgetall

    def read_then_another_process_changes(key: str) -> Any:
        raw = read(key)
        monkeypatch.setattr(client, "hgetall", read)
        changed_elsewhere(sql, redis_url, changes, [Job("2001", "Sun Valley Clinic")])
        return raw

    monkeypatch.setattr(client, "hgetall", read_then_another_process_changes)
    assert names(jobs.active_jobs()) == ["Smith Residence"]  # what this ack read

    assert names(jobs.active_jobs()) == ["Smith Residence", "Sun Valley Clinic"]  # not held: read again
