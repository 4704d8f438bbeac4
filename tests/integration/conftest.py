"""Fixtures for the integration tests that run the hot tier's scripts on both Redis kinds."""

from __future__ import annotations

import fakeredis
import pytest
import redis

from core.hot.store import HotStore


@pytest.fixture(params=["redis", "fakeredis"])
def hot(request: pytest.FixtureRequest) -> HotStore:
    """A HotStore on the real Redis, then on fakeredis (the embedded default): the Lua must agree."""
    if request.param == "redis":
        client: redis.Redis = request.getfixturevalue("real_redis")
    else:
        client = fakeredis.FakeRedis()
    return HotStore(client)
