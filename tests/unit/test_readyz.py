"""The readiness probe answers within its deadline, whatever Redis or the database do."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import fakeredis

from core.ops.readiness import ReadinessProbe
from core.sql.store import SqlStore, make_engine


class HangingRedis:
    """A Redis whose every call blocks (a network partition without resets)."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def ping(self) -> bool:
        self.released.wait(10)
        return True


def sqlite(tmp_path: Path) -> SqlStore:
    store = SqlStore(make_engine(f"sqlite:///{tmp_path}/crewclock.db"))
    store.migrate()
    return store


def test_ready_with_every_check_listed(tmp_path: Path) -> None:
    probe = ReadinessProbe(fakeredis.FakeRedis(), sqlite(tmp_path), embedded_redis=True)

    readiness = probe.check()

    assert readiness.ready
    assert [c["name"] for c in readiness.as_json()["checks"]] == ["redis", "database", "schema"]


def test_a_hanging_redis_means_not_ready_within_the_deadline_and_probes_do_not_pile_up(tmp_path: Path) -> None:
    redis = HangingRedis()
    probe = ReadinessProbe(redis, sqlite(tmp_path), timeout_s=0.2)  # type: ignore[arg-type]
    threads_before = threading.active_count()
    try:
        started = time.monotonic()
        first = probe.check()
        second = probe.check()  # shares the check still in flight instead of starting another
        elapsed = time.monotonic() - started

        assert not first.ready and not second.ready
        assert "within 0.2s" in first.as_json()["checks"][0]["detail"]
        assert elapsed < 1.0
        assert threading.active_count() <= threads_before + 1
    finally:
        redis.released.set()


def test_a_schema_behind_the_code_is_not_ready(tmp_path: Path) -> None:
    store = SqlStore(make_engine(f"sqlite:///{tmp_path}/empty.db"))  # never migrated

    readiness = ReadinessProbe(fakeredis.FakeRedis(), store, embedded_redis=True).check()

    assert not readiness.ready
    schema = next(c for c in readiness.checks if c.name == "schema")
    assert "crewclock migrate" in schema.detail
