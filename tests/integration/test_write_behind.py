"""The write-behind promises on the real Redis and Postgres (INVARIANTS.md 1-6)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import time as clock

import pytest
import redis
import sqlalchemy as sa

from core.bootstrap import Services
from core.domain.entry import SyncStatus
from core.hot.store import DEAD_KEY, PENDING_KEY, HotStore, key_id
from core.sql.store import SqlStore
from core.sync.engine import PROBE_BATCH, RetryPolicy, SyncEngine
from core.sync.postgres_sink import PostgresSink
from tests.support.builders import CountingSink, ScriptedSink, actor, days_ago, draft
from tests.support.waiting import wait_until


def rows(sql: SqlStore) -> list[tuple[str, int]]:
    with sql.engine.connect() as conn:
        return [(str(i), v) for i, v in conn.execute(sa.text("SELECT id, version FROM time_entries ORDER BY id"))]


def test_record_then_synced_then_ttl_applied(make_services: Callable[..., Services], real_redis: redis.Redis) -> None:
    services = make_services()
    result = services.entries.record_entry(draft("U1", notes="primed north wall"), actor=actor("U1"), intent_key="t1")
    key = f"e:{key_id(result.entry.id)}"

    # Acknowledged means durable: in Redis with no TTL, in the pending index, before any sync.
    assert result.entry.sync_label == "PENDING"
    assert real_redis.exists(key)

    wait_until(lambda: services.sql.get(result.entry.id) is not None)
    wait_until(lambda: services.entries.get_entry(result.entry.id, actor=actor("U1")).is_saved)
    saved = services.sql.get(result.entry.id)
    assert saved is not None and saved.notes == "primed north wall" and saved.total_hours == result.entry.total_hours
    assert real_redis.ttl(key) > 25 * 86400  # the TTL appears only after Postgres has it
    assert real_redis.zscore(PENDING_KEY, key_id(result.entry.id)) is None


def test_pending_entries_never_carry_a_ttl(base_settings, real_redis: redis.Redis, sql: SqlStore) -> None:  # type: ignore[no-untyped-def]
    hot = HotStore(real_redis)
    engine = SyncEngine(
        hot, [ScriptedSink("postgres", "retry", "Postgres unavailable")], policy=RetryPolicy(50, 0.01, 0.01)
    )
    services_like = _service(hot, sql, engine)
    entry = services_like.record_entry(draft("U1"), actor=actor("U1")).entry
    for _ in range(5):
        time.sleep(0.02)
        engine.sweep()
    key = f"e:{key_id(entry.id)}"
    assert real_redis.ttl(key) == -1
    assert real_redis.zscore(PENDING_KEY, key_id(entry.id)) is not None
    held = hot.get(entry.id)
    assert held is not None
    assert held.postgres.status is SyncStatus.PENDING
    assert held.postgres.attempts >= 5
    assert held.postgres.last_error == "Postgres unavailable"
    assert held.postgres.next_attempt_at > time.time() - 1
    engine.shutdown(1)


def _service(hot: HotStore, sql: SqlStore, engine: SyncEngine):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    from core.service import TimeEntryService

    return TimeEntryService(hot, sql, engine, default_zone=ZoneInfo("UTC"))


def test_postgres_down_then_back_syncs_everything_once(real_redis: redis.Redis) -> None:
    from tests.support.servers import PrivatePostgres

    pg = PrivatePostgres().start()
    try:
        sql = SqlStore(__import__("core.sql.store", fromlist=["make_engine"]).make_engine(pg.url))
        sql.migrate()
        hot = HotStore(real_redis)
        counting = CountingSink(PostgresSink(sql))
        engine = SyncEngine(hot, [counting], policy=RetryPolicy(100, 0.01, 0.05), workers=2)
        service = _service(hot, sql, engine)
        pg.stop()

        started = time.perf_counter()
        ids = [
            service.record_entry(draft(f"U{i}", day=days_ago(i % 5)), actor=actor(f"U{i}")).entry.id for i in range(40)
        ]
        ack_time = (time.perf_counter() - started) / 40
        engine.sweep_all()
        for entry_id in ids:
            entry = hot.get(entry_id)
            assert entry is not None and not entry.is_saved
            assert "Postgres unavailable" in entry.postgres.last_error
            assert real_redis.ttl(f"e:{key_id(entry_id)}") == -1
        assert ack_time < 0.05  # generous: acks never waited on the dead server

        pg.start()
        engine.drain()
        wait_until(lambda: all(hot.get(i).is_saved for i in ids))  # type: ignore[union-attr]
        assert sorted(i for i, _ in rows(sql)) == sorted(ids)
        assert all(real_redis.ttl(f"e:{key_id(i)}") > 0 for i in ids)
        assert real_redis.zcard(PENDING_KEY) == 0
        engine.shutdown(2)
        sql.engine.dispose()
    finally:
        pg.close()


def test_two_sweepers_push_each_entry_version_once(real_redis: redis.Redis, sql: SqlStore) -> None:
    hot = HotStore(real_redis)
    counting = CountingSink(PostgresSink(sql))
    # Sync nothing on submit: both sweepers find the whole backlog due at once.
    idle = SyncEngine(hot, [counting], policy=RetryPolicy())
    idle.submit = lambda entry_id: False  # type: ignore[method-assign]
    service = _service(hot, sql, idle)
    ids = [service.record_entry(draft(f"U{i}"), actor=actor(f"U{i}")).entry.id for i in range(300)]

    engines = [SyncEngine(hot, [counting], policy=RetryPolicy(), batch_size=25) for _ in range(2)]
    threads = [threading.Thread(target=e.sweep_all) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(i for i, _ in rows(sql)) == sorted(ids)
    assert set(counting.pushed.values()) == {1}
    assert len(counting.pushed) == 300
    assert real_redis.zcard(PENDING_KEY) == 0


def test_an_edit_wins_over_a_late_retry_of_the_old_version(
    make_services: Callable[..., Services], sql: SqlStore
) -> None:
    services = make_services()
    first = services.entries.record_entry(draft("U1"), actor=actor("U1")).entry
    edited = services.entries.edit_entry(first.id, draft("U1", start=clock(6), end=clock(14)), actor=actor("U1")).entry
    assert edited.version == 2
    wait_until(lambda: (sql.get(first.id) or first).version == 2)
    sql.upsert_entries([first])  # a slow worker's push of version 1 arrives last
    row = sql.get(first.id)
    assert row is not None and row.version == 2 and row.start_time == clock(6)


def test_dead_letter_after_max_attempts_then_admin_retry(real_redis: redis.Redis, sql: SqlStore) -> None:
    hot = HotStore(real_redis)
    sink = ScriptedSink("postgres", "raise", "connection refused")
    engine = SyncEngine(hot, [sink], policy=RetryPolicy(3, 0.001, 0.001))
    service = _service(hot, sql, engine)
    entry = service.record_entry(draft("U1"), actor=actor("U1")).entry
    wait_until(lambda: len(sink.calls) >= 1)
    for _ in range(10):
        time.sleep(0.01)
        engine.sweep()
    dead = hot.get(entry.id)
    assert dead is not None and dead.postgres.status is SyncStatus.DEAD
    assert dead.postgres.attempts == 3 and "connection refused" in dead.postgres.last_error
    assert real_redis.zscore(DEAD_KEY, key_id(entry.id)) is not None
    assert real_redis.zscore(PENDING_KEY, key_id(entry.id)) is None
    assert real_redis.ttl(f"e:{key_id(entry.id)}") == -1  # never dropped, never expiring
    assert [e.id for e in service.dead_letters(actor=actor("A1", admin=True))] == [entry.id]

    sink.outcome = "ok"
    assert service.retry_dead_letter(entry.id, actor=actor("A1", admin=True))
    wait_until(lambda: hot.get(entry.id).is_saved)  # type: ignore[union-attr]
    assert real_redis.zscore(DEAD_KEY, key_id(entry.id)) is None
    engine.shutdown(1)


def test_a_permanent_error_dead_letters_at_once(real_redis: redis.Redis, sql: SqlStore) -> None:
    hot = HotStore(real_redis)
    zoho = ScriptedSink("zoho", "permanent", "Zoho 7048: invalid user")
    engine = SyncEngine(hot, [PostgresSink(sql), zoho], policy=RetryPolicy(8, 0.001, 0.001))
    service = _service(hot, sql, engine)
    service.zoho_enabled = True
    entry = service.record_entry(draft("U1"), actor=actor("U1")).entry
    wait_until(lambda: real_redis.zscore(DEAD_KEY, key_id(entry.id)) is not None)
    held = hot.get(entry.id)
    assert held is not None
    assert held.is_saved  # Postgres has it: the user sees "saved"
    assert held.zoho.status is SyncStatus.DEAD and held.zoho.last_error == "Zoho 7048: invalid user"
    assert len(zoho.calls) == 1
    assert sql.get(entry.id) is not None
    engine.shutdown(1)


def test_zoho_failing_never_blocks_postgres(real_redis: redis.Redis, sql: SqlStore) -> None:
    hot = HotStore(real_redis)
    zoho = ScriptedSink("zoho", "retry", "Zoho 503")
    engine = SyncEngine(hot, [PostgresSink(sql), zoho], policy=RetryPolicy(8, 0.001, 0.001))
    service = _service(hot, sql, engine)
    service.zoho_enabled = True
    entry = service.record_entry(draft("U1"), actor=actor("U1")).entry
    wait_until(lambda: sql.get(entry.id) is not None)
    held = hot.get(entry.id)
    assert held is not None and held.is_saved and held.zoho.status is SyncStatus.PENDING
    assert real_redis.ttl(f"e:{key_id(entry.id)}") == -1  # Zoho still owed: no TTL yet
    zoho.outcome = "ok"
    wait_until(lambda: (time.sleep(0.01), engine.sweep(), hot.get(entry.id).zoho.status is SyncStatus.SYNCED)[2])  # type: ignore[union-attr]
    assert real_redis.ttl(f"e:{key_id(entry.id)}") > 0
    engine.shutdown(1)


def test_the_same_intent_records_one_entry(make_services: Callable[..., Services], sql: SqlStore) -> None:
    services = make_services()
    first = services.entries.record_entry(draft("U1"), actor=actor("U1"), intent_key="view-V1")
    again = services.entries.record_entry(draft("U1"), actor=actor("U1"), intent_key="view-V1")
    assert first.created and not again.created and again.entry.id == first.entry.id
    wait_until(lambda: sql.count_entries() == 1)
    time.sleep(0.1)
    assert sql.count_entries() == 1


def test_overlapping_shifts_are_refused_across_midnight(make_services: Callable[..., Services]) -> None:
    from core.domain.rules import EntryValidationError

    services = make_services()
    services.entries.record_entry(
        draft("U1", day=days_ago(2), start=clock(22), end=clock(6), lunch=None), actor=actor("U1")
    )
    with pytest.raises(EntryValidationError) as info:
        services.entries.record_entry(
            draft("U1", day=days_ago(1), start=clock(5), end=clock(9), lunch=None), actor=actor("U1")
        )
    assert info.value.errors == {"start_time": "Overlaps your 22:00–06:00 entry on Smith Residence."}
    # Another crew member's shift, or the same hours on another day, is fine.
    services.entries.record_entry(
        draft("U2", day=days_ago(1), start=clock(5), end=clock(9), lunch=None), actor=actor("U2")
    )
    services.entries.record_entry(
        draft("U1", day=days_ago(1), start=clock(7), end=clock(9), lunch=None), actor=actor("U1")
    )


def test_delete_is_a_tombstone_that_reaches_postgres(make_services: Callable[..., Services], sql: SqlStore) -> None:
    services = make_services()
    entry = services.entries.record_entry(draft("U1"), actor=actor("U1")).entry
    services.entries.delete_entry(entry.id, actor=actor("U1"))
    wait_until(lambda: (sql.get(entry.id) or entry).deleted)
    row = sql.get(entry.id)
    assert row is not None and row.version == 2
    listed = services.entries.list_user_entries(
        actor=actor("U1"), team_id=entry.slack_team_id, user_id="U1", first=days_ago(30), last=days_ago(-1)
    )
    assert listed.entries == []
    # The slot is free again.
    services.entries.record_entry(draft("U1"), actor=actor("U1"))


def test_crew_cannot_touch_another_members_entry(make_services: Callable[..., Services]) -> None:
    from core.service import PermissionDenied

    services = make_services()
    entry = services.entries.record_entry(draft("U1"), actor=actor("U1")).entry
    with pytest.raises(PermissionDenied):
        services.entries.edit_entry(entry.id, draft("U1", start=clock(6)), actor=actor("U2"))
    with pytest.raises(PermissionDenied):
        services.entries.delete_entry(entry.id, actor=actor("U2"))
    with pytest.raises(PermissionDenied):
        services.entries.get_entry(entry.id, actor=actor("U2"))
    # A manager may; the entry stays the crew member's.
    edited = services.entries.edit_entry(entry.id, draft("U1", start=clock(6)), actor=actor("M1", manager=True)).entry
    assert edited.slack_user_id == "U1" and edited.start_time == clock(6)


def test_shutdown_leaves_unfinished_work_pending(base_settings, real_redis: redis.Redis, sql: SqlStore) -> None:  # type: ignore[no-untyped-def]
    hot = HotStore(real_redis)
    gate = threading.Event()

    class SlowSink(ScriptedSink):
        def push(self, requests):  # type: ignore[no-untyped-def]
            gate.wait(5)
            return super().push(requests)

    engine = SyncEngine(hot, [SlowSink("postgres")], policy=RetryPolicy(), workers=1)
    service = _service(hot, sql, engine)
    ids = [service.record_entry(draft(f"U{i}"), actor=actor(f"U{i}")).entry.id for i in range(3)]
    assert engine.shutdown(0.2) == 1  # one batch in flight at the deadline
    assert all(real_redis.zscore(PENDING_KEY, key_id(i)) is not None for i in ids)
    assert all(real_redis.ttl(f"e:{key_id(i)}") == -1 for i in ids)
    gate.set()
    assert engine.submit(ids[0]) is False  # a stopped engine takes nothing new


def test_start_warns_when_redis_could_lose_pending_entries(
    make_services: Callable[..., Services], caplog: pytest.LogCaptureFixture
) -> None:
    services = make_services()  # the shared test Redis keeps nothing on disk
    with caplog.at_level("WARNING", logger="core.bootstrap"):
        services.start()
    assert any("redis persistence" in r.getMessage() and "appendonly yes" in r.getMessage() for r in caplog.records)


def test_dead_letters_from_an_outage_revive_when_the_sink_recovers(real_redis: redis.Redis, sql: SqlStore) -> None:
    hot = HotStore(real_redis)
    postgres = ScriptedSink("postgres", "raise", "connection refused")
    zoho = ScriptedSink("zoho", "permanent", "Zoho 7048: invalid user")
    engine = SyncEngine(hot, [postgres], policy=RetryPolicy(2, 0.001, 0.001))
    service = _service(hot, sql, engine)
    ids = [service.record_entry(draft(f"U{i}"), actor=actor(f"U{i}")).entry.id for i in range(4)]
    for _ in range(10):
        time.sleep(0.01)
        engine.sweep_all()
    assert real_redis.zcard(DEAD_KEY) == 4
    assert engine.revive_exhausted() == 1  # the probe fails: Postgres is still down
    assert real_redis.zcard(DEAD_KEY) == 3

    postgres.outcome = "ok"
    for _ in range(10):
        time.sleep(0.01)
        engine.sweep_all()
    assert engine.revive_exhausted() == 3
    wait_until(lambda: (engine.sweep_all(), all(hot.get(i).is_saved for i in ids))[1])  # type: ignore[union-attr]
    assert real_redis.zcard(DEAD_KEY) == 0

    # A permanent error is never revived on its own: it needs a person.
    engine.sinks = [PostgresSink(sql), zoho]
    service.zoho_enabled = True
    other = service.record_entry(draft("U9"), actor=actor("U9")).entry
    wait_until(lambda: real_redis.zscore(DEAD_KEY, key_id(other.id)) is not None)
    assert engine.revive_exhausted() == 0
    engine.shutdown(1)


def test_entries_written_together_are_pushed_as_one_batch(real_redis: redis.Redis, sql: SqlStore) -> None:
    hot = HotStore(real_redis)
    sink = ScriptedSink("postgres", "ok")
    engine = SyncEngine(hot, [sink], policy=RetryPolicy(), linger_s=0.5)
    service = _service(hot, sql, engine)
    ids = [service.record_entry(draft(f"U{i}"), actor=actor(f"U{i}")).entry.id for i in range(20)]
    wait_until(lambda: all(hot.get(i).is_saved for i in ids))  # type: ignore[union-attr]
    assert sum(len(call) for call in sink.calls) == 20
    assert len(sink.calls) <= 3  # not twenty single-entry pushes
    engine.shutdown(1)


def test_while_postgres_is_down_fresh_entries_wait_for_the_sweeper(real_redis: redis.Redis, sql: SqlStore) -> None:
    hot = HotStore(real_redis)
    sink = ScriptedSink("postgres", "raise", "connection refused")
    # A long backoff: the failed entry is not due again during the test, so only fresh
    # entries could make more pushes.
    engine = SyncEngine(hot, [sink], policy=RetryPolicy(50, 30, 30), linger_s=0)
    service = _service(hot, sql, engine)
    first = service.record_entry(draft("U1"), actor=actor("U1")).entry
    wait_until(lambda: hot.get(first.id).postgres.attempts == 1)  # type: ignore[union-attr]
    assert len(sink.calls) == 1
    others = [service.record_entry(draft(f"U{i}"), actor=actor(f"U{i}")).entry.id for i in range(2, 6)]
    time.sleep(0.2)
    assert len(sink.calls) == 1  # acks went on; no push was tried for each of them

    sink.outcome = "ok"
    engine.sweep_all()  # the sweeper still tries what is due, and its success closes the breaker
    assert all(hot.get(i).is_saved for i in others)  # type: ignore[union-attr]
    assert [i for i, _ in hot.pending_ids()] == [first.id]  # still backing off
    assert engine.submit(first.id) is True
    engine.shutdown(1)


def test_a_pending_entry_that_redis_lost_is_recorded_not_silently_dropped(
    real_redis: redis.Redis, sql: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    from core.schedule.scheduler import sweep_job

    hot = HotStore(real_redis)
    engine = SyncEngine(hot, [ScriptedSink("postgres", "ok")], policy=RetryPolicy())
    engine.submit = lambda entry_id, **_: False  # type: ignore[method-assign]
    entry = _service(hot, sql, engine).record_entry(draft("U1"), actor=actor("U1")).entry
    real_redis.delete(f"e:{key_id(entry.id)}")  # what an allkeys-* eviction does
    with caplog.at_level("ERROR", logger="core.schedule.scheduler"):
        sweep_job(engine, hot)()
    assert [i for i, _ in hot.lost_ids()] == [entry.id]
    assert real_redis.zscore(PENDING_KEY, key_id(entry.id)) is None
    assert any(entry.id in r.getMessage() and "evicted" in r.getMessage() for r in caplog.records)


def test_while_postgres_is_down_a_sweep_probes_a_few_entries_not_the_whole_backlog(
    real_redis: redis.Redis, sql: SqlStore
) -> None:
    hot = HotStore(real_redis)
    sink = ScriptedSink("postgres", "raise", "connection refused")
    # Immediate retries, so every entry is due again at each sweep; linger 0: fresh entries try at once.
    engine = SyncEngine(hot, [sink], policy=RetryPolicy(50, 0.0001, 0.0001), linger_s=0, batch_size=20)
    service = _service(hot, sql, engine)
    first = service.record_entry(draft("U0"), actor=actor("U0")).entry
    wait_until(lambda: engine.first_sink_down)  # its push failed: the breaker is open
    ids = [first.id] + [service.record_entry(draft(f"U{i}"), actor=actor(f"U{i}")).entry.id for i in range(1, 60)]
    sink.calls.clear()

    engine.sweep_all()

    assert [len(batch) for batch in sink.calls] == [PROBE_BATCH]  # one probe, not 60 failures
    assert len(hot.pending_ids()) == 60

    sink.outcome = "ok"  # Postgres is back; the breaker is still open until a push gets through
    engine.sweep_all()

    assert sink.calls[1:][0] and len(sink.calls[1]) == PROBE_BATCH  # the probe first...
    assert sum(len(batch) for batch in sink.calls[1:]) == 60  # ...then everything, in the same sweep
    assert all(hot.get(i).is_saved for i in ids)  # type: ignore[union-attr]
    assert not engine.first_sink_down
    engine.shutdown(1)
