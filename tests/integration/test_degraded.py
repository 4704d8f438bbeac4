"""The core under a full Redis, a cold cache with Postgres down, and a late email."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
import redis

from core.catalog import CatalogUnavailable, JobCatalog
from core.domain.jobs import Job
from core.hot.store import PENDING_KEY, HotStore, StorageUnavailable, key_id
from core.service import TimeEntryService
from core.sql.store import SqlStore, make_engine
from core.sync.engine import RetryPolicy, SyncEngine
from core.sync.postgres_sink import PostgresSink
from tests.support.builders import ScriptedSink, actor, draft
from tests.support.servers import PrivateRedis


@pytest.fixture
def full_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis("--maxmemory", "3mb", "--maxmemory-policy", "noeviction").start()
    yield server
    server.close()


def fill_up(client: redis.Redis) -> None:
    """Write filler until Redis refuses writes, even small ones.

    A refused 2 kB write leaves memory a little under the limit once its query buffer is freed,
    so smaller fillers follow: a write of an entry's size must find Redis full too.
    """
    i = 0
    for size in (2000, 200, 20):
        while True:
            i += 1
            if i > 100_000:
                raise AssertionError("Redis never filled up")
            try:
                client.set(f"filler:{i}", "x" * size)
            except redis.exceptions.OutOfMemoryError:
                break


def test_a_full_redis_refuses_new_entries_but_drains_its_backlog(full_redis: PrivateRedis, sql: SqlStore) -> None:
    client = redis.Redis.from_url(full_redis.url)
    hot = HotStore(client)
    postgres_down = ScriptedSink("postgres", "retry", "Postgres unavailable")
    engine = SyncEngine(hot, [postgres_down], policy=RetryPolicy(20, 0.001, 0.001))
    service = TimeEntryService(hot, sql, engine, default_zone=ZoneInfo("UTC"))
    ids = [service.record_entry(draft(f"U{i}"), actor=actor(f"U{i}")).entry.id for i in range(5)]
    fill_up(client)

    with pytest.raises(StorageUnavailable):  # the user is told: not saved
        service.record_entry(draft("U99"), actor=actor("U99"))

    engine.sinks = [PostgresSink(sql)]  # Postgres is back
    time.sleep(0.01)
    report = engine.drain()
    assert report.synced == 5
    assert all(sql.get(i) is not None for i in ids)
    assert client.zcard(PENDING_KEY) == 0
    assert all(client.ttl(f"e:{key_id(i)}") > 0 for i in ids)
    # Reads still work at maxmemory (no-writes scripts).
    assert hot.get(ids[0]) is not None
    engine.shutdown(1)


def test_the_job_list_survives_a_cold_redis_and_a_dead_postgres(real_redis: redis.Redis, sql: SqlStore) -> None:
    sql.upsert_jobs([Job("1042", "Smith Residence")])
    catalog = JobCatalog(sql, real_redis)
    assert [j.id for j in catalog.active_jobs()] == ["1042"]
    real_redis.flushdb()
    dead = SqlStore(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"))
    catalog._sql = dead  # the same process, now with Postgres unreachable
    assert [j.id for j in catalog.active_jobs()] == ["1042"]  # from memory
    with pytest.raises(CatalogUnavailable):  # a process that never saw the list says so
        JobCatalog(dead, real_redis).active_jobs()


def test_an_email_learned_after_the_first_sync_fills_the_row(real_redis: redis.Redis, sql: SqlStore) -> None:
    hot = HotStore(real_redis)
    engine = SyncEngine(hot, [PostgresSink(sql)], policy=RetryPolicy())
    service = TimeEntryService(hot, sql, engine, default_zone=ZoneInfo("UTC"))
    entry = service.record_entry(replace(draft("U1"), user_email=""), actor=actor("U1")).entry
    deadline = time.monotonic() + 5
    while sql.get(entry.id) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sql.get(entry.id).user_email == ""  # type: ignore[union-attr]
    hot.remember_email("T0CREW", "U1", "u1@example.com")  # the bot learns it from users.info
    assert hot.get(entry.id).user_email == "u1@example.com"  # type: ignore[union-attr]
    sql.upsert_entries([hot.get(entry.id)])  # type: ignore[list-item]  # the next push of that version
    assert sql.get(entry.id).user_email == "u1@example.com"  # type: ignore[union-attr]
    engine.shutdown(1)


def test_the_job_list_is_read_from_redis_at_most_every_few_seconds(
    real_redis: redis.Redis, sql: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.catalog

    sql.upsert_jobs([Job("1042", "Smith Residence")])
    catalog = JobCatalog(sql, real_redis)
    catalog.refresh_cache()
    real_redis.hset("jobs", "7", '["Lee Kitchen", true, null]')  # another process adds a job
    assert [j.id for j in catalog.active_jobs()] == ["1042"]  # the ack path reads memory
    monkeypatch.setattr(core.catalog, "JOBS_FRESH_S", 0.0)
    assert [j.id for j in catalog.active_jobs()] == ["7", "1042"]  # then Redis again
