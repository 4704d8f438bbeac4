"""crewclock reconcile on the real Redis and Postgres: drift found, re-queued, landed; idempotent; the CLI."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from bot.cli import main
from core.bootstrap import Services
from core.domain.entry import SyncStatus
from core.hot.store import DEAD_KEY, PENDING_KEY, key_id
from core.ops.reconcile import format_report, reconcile
from core.settings import Settings
from tests.support.builders import ScriptedSink, actor, days_ago, draft


def record(services: Services, user: str, back: int = 0) -> str:
    return services.entries.record_entry(draft(user, day=days_ago(back)), actor=actor(user)).entry.id


def settle(services: Services, timeout: float = 5.0) -> None:
    """Wait for the sync pool (helped by sweeps) to empty the pending index."""
    deadline = time.monotonic() + timeout
    while services.hot.counts()[0] and time.monotonic() < deadline:
        services.sync.sweep_all()
        time.sleep(0.02)
    assert services.hot.counts()[0] == 0


def synced(services: Services, *users: str) -> list[str]:
    ids = [record(services, user) for user in users]
    settle(services)
    assert services.hot.counts() == (0, 0)
    return ids


def forget_in_postgres(services: Services, entry_id: str) -> None:
    """Postgres restored from a backup older than the entry."""
    with services.sql.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM time_entries WHERE id = :i"), {"i": entry_id})


def test_an_entry_postgres_lost_is_requeued_and_lands_again(make_services: Callable[..., Services]) -> None:
    services = make_services()
    lost, _kept = synced(services, "U1", "U2")
    forget_in_postgres(services, lost)

    report = reconcile(services, days=7)

    assert report.requeued == [lost]
    assert report.in_step == 1
    assert not report.in_order
    entry = services.hot.get(lost)
    assert entry is not None and entry.postgres.status is SyncStatus.PENDING
    assert services.redis.ttl(f"e:{key_id(lost)}") == -1  # pending again: no TTL
    assert services.redis.zscore(PENDING_KEY, key_id(lost)) is not None
    settle(services)
    assert services.sql.get(lost) is not None
    assert reconcile(services, days=7).in_order


def test_a_pending_entry_missing_from_the_index_is_put_back(make_services: Callable[..., Services]) -> None:
    services = make_services()
    services.sync.submit = lambda entry_id: False  # type: ignore[method-assign]  # nothing syncs it meanwhile
    entry_id = record(services, "U1")
    services.redis.zrem(PENDING_KEY, key_id(entry_id))  # e.g. a partial restore of Redis

    report = reconcile(services, days=7)

    assert report.requeued == [entry_id]
    assert services.redis.zscore(PENDING_KEY, key_id(entry_id)) is not None


def test_pending_dead_and_postgres_only_entries_are_reported_not_touched(
    make_services: Callable[..., Services],
) -> None:
    services = make_services()
    services.hot.mark_watermark(0)  # Redis has held every day since long ago: the hot window is 30 days
    in_postgres_only = synced(services, "U1")[0]
    services.redis.delete(f"e:{key_id(in_postgres_only)}")  # Redis lost it; Postgres has it
    services.sync.sinks = [ScriptedSink("postgres", "permanent", "refused")]
    dead = record(services, "U2")
    settle(services)
    services.sync.sinks = [ScriptedSink("postgres", "retry", "Postgres down")]
    pending = record(services, "U3")  # Postgres stays down while reconcile runs

    report = reconcile(services, days=7)

    assert report.dead == [dead]
    assert report.on_their_way == 1
    assert report.requeued == []
    assert report.postgres_only == 1
    assert services.redis.zscore(DEAD_KEY, key_id(dead)) is not None
    assert services.hot.get(pending) is not None
    text = format_report(report)
    assert "failed, for admins:           1" in text
    assert "only in Postgres (hot window): 1" in text
    assert "Zoho: not checked — Zoho is off" in text


def test_reconcile_from_several_processes_at_once_queues_each_entry_once(
    make_services: Callable[..., Services],
) -> None:
    services = make_services()
    ids = synced(services, "U1", "U2", "U3", "U4")
    for entry_id in ids:
        forget_in_postgres(services, entry_id)
    others = [make_services() for _ in range(3)]

    threads = [threading.Thread(target=reconcile, args=(s,), kwargs={"days": 7}) for s in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert services.redis.zcard(PENDING_KEY) == 4
    report = services.sync.drain()
    assert report.synced == 4 and report.claimed == 4
    assert all(services.sql.get(i) is not None for i in ids)
    again = reconcile(services, days=7)
    assert again.in_order and again.in_step == 4


def test_the_cli_prints_the_report_and_exits_1_when_it_requeued(
    make_services: Callable[..., Services],
    base_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = make_services()
    lost = synced(services, "U1")[0]
    forget_in_postgres(services, lost)
    monkeypatch.setenv("REDIS_URL", base_settings.redis_url)
    monkeypatch.setenv("DATABASE_URL", base_settings.database_url)

    code = main(["reconcile", "--days", "3"])

    out = capsys.readouterr().out
    assert code == 1
    assert "re-queued (Postgres lacked):  1" in out
    assert f"re-queued: {lost}" in out
    settle(services)
    assert main(["reconcile", "--days", "3"]) == 0


def test_zoho_people_logs_are_read_back_and_a_missing_one_reported(make_services: Callable[..., Services]) -> None:
    from core.domain.jobs import Job
    from core.zoho.people_sink import ZohoPeopleSink
    from tests.fakes.zoho_api import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, FakeZoho

    with FakeZoho() as fake:
        services = make_services(
            zoho_mode="people",
            zoho_accounts_url=fake.url,
            zoho_api_url=fake.url,
            zoho_client_id=CLIENT_ID,
            zoho_client_secret=CLIENT_SECRET,
            zoho_refresh_token=REFRESH_TOKEN,
            zoho_timeout_s=0.5,
            zoho_rate_per_minute=10_000,
        )
        services.sql.upsert_jobs([Job("1042", "Smith Residence", True, "ZJ-1042")])
        try:
            kept, lost = synced(services, "U1", "U2")
            [log] = fake.logs_of(lost)
            del fake.logs[log.timelog_id]  # someone deleted it in Zoho

            report = reconcile(services, days=7)

            assert report.zoho.checked and report.zoho.entries == 2
            assert report.zoho.missing == [lost]
            assert report.requeued == [] and not report.in_order
            assert f"no Zoho log: {lost}" in format_report(report)
            assert fake.logs_of(kept)
        finally:
            for sink in services.sync.sinks:
                if isinstance(sink, ZohoPeopleSink):
                    sink.close()
