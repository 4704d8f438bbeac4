"""RecentProfiles: the quick entry's ack reads a user's zone from process memory for PROFILE_MEMORY_S.

The stand-in context has only what ``RecentProfiles`` touches: ``services.redis`` (fakeredis)
and ``settings.timezone``. Another crewclock process refreshing a profile is played by
``remember_profile``, which writes Redis only. The clock is ``hours.time.monotonic``, moved by
the test instead of sleeping.
"""

from __future__ import annotations

import json
import time as real_time
from types import SimpleNamespace
from typing import Any

import fakeredis
import pytest

from bot.context import SlackUser
from bot.listeners.commands import hours
from bot.listeners.commands.hours import PROFILE_MEMORY_S, RecentProfiles, remember_profile
from tests.support.clock import MovedClock

TEAM = "T0CREW001"
DEFAULT_ZONE = "UTC"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> MovedClock:
    fake = MovedClock()
    monkeypatch.setattr(hours, "time", fake)  # this module's clock only
    return fake


@pytest.fixture
def ctx(fake_redis: fakeredis.FakeRedis) -> Any:
    return SimpleNamespace(services=SimpleNamespace(redis=fake_redis), settings=SimpleNamespace(timezone=DEFAULT_ZONE))


def user(user_id: str, tz: str, email: str = "") -> SlackUser:
    return SlackUser(user_id, TEAM, f"Crew {user_id}", email or f"{user_id.lower()}@example.com", tz)


def stored_elsewhere(ctx: Any, user_id: str, tz: str) -> None:
    """Another process (or this one's earlier follow-up) wrote the user's profile to Redis."""
    remember_profile(ctx, user(user_id, tz))


def redis_key(user_id: str) -> str:
    return f"slack:known:{TEAM}:{user_id}"


def test_a_profile_read_once_is_served_from_memory_even_after_the_redis_key_is_gone(
    ctx: Any, clock: MovedClock
) -> None:
    profiles = RecentProfiles()
    stored_elsewhere(ctx, "U1", "America/Denver")

    first = profiles.get(ctx, TEAM, "U1")
    ctx.services.redis.delete(redis_key("U1"))
    clock.advance(PROFILE_MEMORY_S - 1)
    again = profiles.get(ctx, TEAM, "U1")

    assert (first.tz, first.email, first.known) == ("America/Denver", "u1@example.com", True)
    assert again == first


def test_after_profile_memory_s_the_profile_is_read_from_redis_again(ctx: Any, clock: MovedClock) -> None:
    profiles = RecentProfiles()
    stored_elsewhere(ctx, "U1", "America/Denver")
    assert profiles.get(ctx, TEAM, "U1").tz == "America/Denver"

    stored_elsewhere(ctx, "U1", "America/New_York")  # the user moved; another process saw it
    clock.advance(PROFILE_MEMORY_S - 1)
    assert profiles.get(ctx, TEAM, "U1").tz == "America/Denver"  # still trusted from memory
    clock.advance(2)
    assert profiles.get(ctx, TEAM, "U1").tz == "America/New_York"

    ctx.services.redis.delete(redis_key("U1"))  # held again from that read: the next 300 s need no Redis
    assert profiles.get(ctx, TEAM, "U1").tz == "America/New_York"


def test_an_unknown_user_is_not_held_so_a_profile_stored_later_is_seen_at_once(ctx: Any, clock: MovedClock) -> None:
    profiles = RecentProfiles()

    unknown = profiles.get(ctx, TEAM, "U1")
    stored_elsewhere(ctx, "U1", "Pacific/Honolulu")  # the first follow-up looked the user up
    known = profiles.get(ctx, TEAM, "U1")

    assert (unknown.tz, unknown.email, unknown.known) == (DEFAULT_ZONE, "", False)
    assert (known.tz, known.known) == ("Pacific/Honolulu", True)


def test_remember_makes_the_new_zone_visible_at_once_and_writes_it_to_redis(ctx: Any, clock: MovedClock) -> None:
    profiles = RecentProfiles()
    stored_elsewhere(ctx, "U1", "America/Denver")
    assert profiles.get(ctx, TEAM, "U1").tz == "America/Denver"

    profiles.remember(ctx, user("U1", "Asia/Tokyo", "pat@example.com"))
    now = profiles.get(ctx, TEAM, "U1")

    assert (now.tz, now.email, now.known, now.fresh) == ("Asia/Tokyo", "pat@example.com", True, True)
    tz, email, seen = json.loads(ctx.services.redis.get(redis_key("U1")))  # what other processes will read
    assert (tz, email) == ("Asia/Tokyo", "pat@example.com")
    assert seen == pytest.approx(real_time.time(), abs=60)


def test_remember_holds_a_user_never_read_before(ctx: Any, clock: MovedClock) -> None:
    profiles = RecentProfiles()

    profiles.remember(ctx, user("U1", "Europe/Lisbon"))
    ctx.services.redis.delete(redis_key("U1"))

    assert profiles.get(ctx, TEAM, "U1").tz == "Europe/Lisbon"


def test_past_capacity_the_least_recently_stored_profile_is_dropped(ctx: Any, clock: MovedClock) -> None:
    profiles = RecentProfiles(capacity=2)
    for user_id, tz in (("U1", "America/Denver"), ("U2", "America/Chicago"), ("U3", "Asia/Tokyo")):
        stored_elsewhere(ctx, user_id, tz)

    profiles.get(ctx, TEAM, "U1")
    profiles.get(ctx, TEAM, "U2")
    profiles.remember(ctx, user("U1", "Europe/Lisbon"))  # stored again: now U2 is the least recent
    profiles.get(ctx, TEAM, "U3")
    ctx.services.redis.flushdb()  # from here only memory can answer

    assert profiles.get(ctx, TEAM, "U1").tz == "Europe/Lisbon"
    assert profiles.get(ctx, TEAM, "U3").tz == "Asia/Tokyo"
    dropped = profiles.get(ctx, TEAM, "U2")
    assert (dropped.tz, dropped.known) == (DEFAULT_ZONE, False)


def test_profiles_are_held_per_team(ctx: Any, clock: MovedClock) -> None:
    profiles = RecentProfiles()
    stored_elsewhere(ctx, "U1", "America/Denver")
    assert profiles.get(ctx, TEAM, "U1").tz == "America/Denver"

    other_team = profiles.get(ctx, "T0OTHER01", "U1")

    assert (other_team.tz, other_team.known) == (DEFAULT_ZONE, False)
