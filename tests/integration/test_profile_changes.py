"""Held profiles and the word that one was saved (bot.profile_changes), on the real Redis.

An HTTP worker holds the profiles its acks read for as long as its subscription to saved
profiles lasts; the background process saving a profile (the daily refresh, a modal) makes it
drop the old one. Two clients play the two processes; the worker's monotonic clock is moved by
the test (``hours.time``), its subscription and Redis are real.
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
from bot.listeners.commands.hours import PROFILE_MEMORY_S, PROFILE_REFRESH_S, RecentProfiles, remember_profile
from bot.profile_changes import ProfileChanges
from tests.support.waiting import wait_until

TEAM = "T0CHANGE1"
DEFAULT_ZONE = "UTC"


class Clock:
    """Stands in for ``time`` inside ``hours``: both clocks move only when the test says so."""

    def __init__(self) -> None:
        self.now = 10_000.0
        self.wall_offset = 0.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return real_time.time() + self.wall_offset

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.wall_offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(hours, "time", fake)
    return fake


def context(client: redis.Redis) -> Any:
    return SimpleNamespace(services=SimpleNamespace(redis=client), settings=SimpleNamespace(timezone=DEFAULT_ZONE))


@pytest.fixture
def worker(redis_url: str, real_redis: redis.Redis) -> Iterator[tuple[Any, RecentProfiles, ProfileChanges]]:
    """An HTTP worker's view: its own Redis client, its held profiles, listening for saved ones."""
    client = redis.Redis.from_url(redis_url)
    profiles = RecentProfiles()
    changes = profiles.listen(client)
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


def saved(background: Any, changes: ProfileChanges, user: SlackUser) -> None:
    """The background process saves the profile, and the worker has had word of it."""
    before = changes.generation
    remember_profile(background, user)
    wait_until(lambda: changes.generation > before, what="the worker heard of the save")


def holding_denver(
    worker: tuple[Any, RecentProfiles, ProfileChanges], background: Any
) -> tuple[Any, RecentProfiles, ProfileChanges]:
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
    worker: tuple[Any, RecentProfiles, ProfileChanges], background: Any, clock: Clock
) -> None:
    ctx, profiles, _ = holding_denver(worker, background)

    overwrite_silently(ctx.services.redis, "U1", "Asia/Tokyo")
    clock.advance(10 * PROFILE_MEMORY_S)

    assert profiles.get(ctx, TEAM, "U1").tz == "America/Denver"  # no Redis read on the ack


def test_a_profile_saved_by_another_process_replaces_the_held_one_at_once(
    worker: tuple[Any, RecentProfiles, ProfileChanges], background: Any, clock: Clock
) -> None:
    ctx, profiles, _ = holding_denver(worker, background)

    remember_profile(background, crew("U1", "America/New_York"))  # the user moved; the refresh saw it

    wait_until(lambda: profiles.get(ctx, TEAM, "U1").tz == "America/New_York", what="the worker sees the new zone")
    assert profiles.get(ctx, TEAM, "U2").known is False  # other users are untouched by the message


def test_after_the_subscription_breaks_what_was_held_is_trusted_for_minutes_only(
    worker: tuple[Any, RecentProfiles, ProfileChanges], background: Any, clock: Clock, real_redis: redis.Redis
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
    worker: tuple[Any, RecentProfiles, ProfileChanges], background: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, profiles, changes = worker
    saved(background, changes, crew("U1", "America/Denver"))
    read = hours.known_profile

    def read_then_another_process_saves(ctx: Any, team_id: str, user_id: str) -> hours.KnownProfile:
        profile = read(ctx, team_id, user_id)
        before = changes.generation
        remember_profile(background, crew("U1", "America/New_York"))
        wait_until(lambda: changes.generation > before, what="the message arrived mid-read")
        return profile

    monkeypatch.setattr(hours, "known_profile", read_then_another_process_saves)
    assert profiles.get(ctx, TEAM, "U1").tz == "America/Denver"  # what this ack read
    monkeypatch.setattr(hours, "known_profile", read)

    assert profiles.get(ctx, TEAM, "U1").tz == "America/New_York"  # not held: read again


def test_a_long_held_profile_still_gets_its_daily_look_in_slack(
    worker: tuple[Any, RecentProfiles, ProfileChanges], background: Any, clock: Clock
) -> None:
    ctx, profiles, changes = worker
    saved(background, changes, crew("U1", "America/Denver"))
    assert profiles.get(ctx, TEAM, "U1").fresh

    clock.advance(PROFILE_REFRESH_S + 1)
    held = profiles.get(ctx, TEAM, "U1")

    assert (held.tz, held.fresh) == ("America/Denver", False)  # so the ack's follow-up looks again
