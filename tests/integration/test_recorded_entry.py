"""The entry a write returns (what the ack and the DM show) is the entry Redis holds.

The ack's write takes two shortcuts, each held here to what the long way gives, on real Redis:
a create does not decode what record.lua stored (``codec.round_trips``), and record.lua is
sent and read on the thread's own connection without redis-py's command path
(``HotStore._run_record``), which it falls back on when the script or the connection is gone.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import redis

from core.domain.entry import SinkState, SyncStatus
from core.domain.rules import first_version
from core.hot import codec
from core.hot.store import HotStore
from core.service import TimeEntryService
from core.sql.store import SqlStore
from core.sync.engine import RetryPolicy, SyncEngine
from tests.support.builders import actor, days_ago, draft
from tests.support.servers import PrivateRedis


def _service(real_redis: redis.Redis, sql: SqlStore, *, zoho: bool = False) -> tuple[TimeEntryService, list[str]]:
    """The service on the real Redis; its sync only notes what it was handed (nothing changes the entry)."""
    hot = HotStore(real_redis)
    engine = SyncEngine(hot, [], policy=RetryPolicy(5, 0.01, 0.01))
    handed: list[str] = []
    engine.forward_to(handed.append)
    service = TimeEntryService(hot, sql, engine, default_zone=ZoneInfo("UTC"))
    service.zoho_enabled = zoho
    return service, handed


CASES = {
    "plain": (draft("U1"), actor("U1")),
    "notes and change order": (
        draft("U2", notes="primed north wall — 2 coats, 50% done", change_order=" CO-17 "),
        actor("U2"),
    ),
    "night shift, no lunch": (draft("U3", start=time(22, 0), end=time(6, 0), lunch=None, day=days_ago(3)), actor("U3")),
    "logged by a manager": (draft("U4"), actor("M1", manager=True)),
}


@pytest.mark.parametrize("zoho", [False, True], ids=["zoho off", "zoho on"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_created_entry_is_returned_as_redis_holds_it(
    real_redis: redis.Redis, sql: SqlStore, case: str, zoho: bool
) -> None:
    service, handed = _service(real_redis, sql, zoho=zoho)
    entry_draft, who = CASES[case]

    recorded = service.record_entry(entry_draft, actor=who, intent_key=f"recorded:{case}:{zoho}").entry

    assert recorded == service.hot.get(recorded.id)
    assert handed == [recorded.id]
    assert recorded.version == 1 and recorded.sync_label == "PENDING"
    assert recorded.zoho.status is (SyncStatus.PENDING if zoho else SyncStatus.OFF)
    assert recorded.updated_by == ("M1" if case == "logged by a manager" else "")


def test_a_create_without_an_email_returns_the_one_redis_knows(real_redis: redis.Redis, sql: SqlStore) -> None:
    service, _ = _service(real_redis, sql)
    service.record_entry(draft("U5", day=days_ago(1)), actor=actor("U5"))  # remembers u5@example.com
    no_email = dataclasses.replace(draft("U5"), user_email="")

    recorded = service.record_entry(no_email, actor=actor("U5")).entry

    assert recorded.user_email == "u5@example.com"
    assert recorded == service.hot.get(recorded.id)


def test_entries_that_would_not_round_trip_are_read_back_from_redis(real_redis: redis.Redis) -> None:
    """Written directly, with sub-second times: the write returns what is stored (whole seconds)."""
    hot = HotStore(real_redis)
    at = datetime(2026, 11, 27, 7, 15, 30, 123456, tzinfo=UTC)
    due = 1796021549.4123251
    entry_id = "0b6f0d5e-2f4c-4f0e-9d53-0c6b1f0a7e11"
    entry = first_version(draft("U6", day=days_ago(2)), entry_id, at, postgres=SinkState(next_attempt_at=due))
    assert not codec.round_trips(entry)

    written = hot.write("create", entry, actor_team=entry.slack_team_id, actor_user="U6", privileged=False, intent=None)

    assert written.entry == hot.get(entry.id)
    assert written.entry.created_at == at.replace(microsecond=0)
    assert written.entry.postgres.next_attempt_at == due


def test_a_write_after_redis_forgot_its_scripts_is_recorded(sql: SqlStore) -> None:
    server = PrivateRedis().start()
    try:
        client = redis.Redis.from_url(server.url)
        service, _ = _service(client, sql)
        first = service.record_entry(draft("U7", day=days_ago(1)), actor=actor("U7")).entry
        client.script_flush()  # as after a failover to a replica that never loaded them

        second = service.record_entry(draft("U7"), actor=actor("U7")).entry

        assert [e.id for e in service.hot.user_entries(first.slack_team_id, "U7", 0, 10**6)] == [second.id, first.id]
    finally:
        server.close()


def test_a_write_after_redis_restarted_is_recorded_once(sql: SqlStore) -> None:
    server = PrivateRedis().start()
    try:
        client = redis.Redis.from_url(server.url)
        service, handed = _service(client, sql)
        service.record_entry(draft("U8", day=days_ago(1)), actor=actor("U8"))
        server.stop()
        server.start()  # empty (no persistence): the thread's connection is dead, the scripts gone

        recorded = service.record_entry(draft("U8"), actor=actor("U8"), intent_key="after-restart").entry
        again = service.record_entry(draft("U8"), actor=actor("U8"), intent_key="after-restart")

        assert service.hot.get(recorded.id) == recorded
        assert not again.created and again.entry.id == recorded.id
        assert handed[-1] == recorded.id and len(handed) == 2
    finally:
        server.close()
