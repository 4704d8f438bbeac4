"""Alerts: once per incident (not per entry), shared by several processes, resolved once, then again."""

from __future__ import annotations

import time

import fakeredis
import pytest

from bot.views.status import alert_message
from core.hot.store import DEAD_KEY, PENDING_KEY, HotStore, key_id
from core.ops.alerts import DEAD_LETTERS, PENDING_AGE, Alert, AlertMonitor
from core.service import TimeEntryService
from core.sql.store import SqlStore, make_engine
from core.sync.engine import RetryPolicy, SyncEngine
from tests.support.builders import actor, draft

THRESHOLD_S = 900.0


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hot() -> HotStore:
    return HotStore(fakeredis.FakeRedis())


def record(hot: HotStore, user: str, at: float) -> str:
    """An entry recorded at ``at`` that nothing syncs (it stays pending)."""
    engine = SyncEngine(hot, [], policy=RetryPolicy())
    engine.submit = lambda entry_id: False  # type: ignore[method-assign]
    service = TimeEntryService(hot, SqlStore(make_engine("sqlite://")), engine, default_zone=None, clock=lambda: at)  # type: ignore[arg-type]
    return service.record_entry(draft(user), actor=actor(user)).entry.id


def monitor(hot: HotStore, sent: list[Alert], clock: Clock) -> AlertMonitor:
    return AlertMonitor(hot, sent.append, pending_age_s=THRESHOLD_S, clock=clock)


def test_an_old_backlog_alerts_once_however_many_entries_and_checks(hot: HotStore) -> None:
    clock, sent = Clock(), []
    processes = [monitor(hot, sent, clock) for _ in range(3)]  # three crewclock processes
    record(hot, "U1", clock.now)
    for check in processes:
        check.check()
    assert sent == []  # young entries: no incident

    clock.now += THRESHOLD_S + 1
    for user in ("U2", "U3", "U4"):
        record(hot, user, clock.now)
        for check in processes:
            check.check()

    assert [(a.kind, a.resolved) for a in sent] == [(PENDING_AGE, False)]
    assert sent[0].backlog.pending == 2  # sent at the first check past the threshold


def test_the_incident_ends_when_the_backlog_clears_and_a_new_one_alerts_again(hot: HotStore) -> None:
    clock, sent = Clock(), []
    processes = [monitor(hot, sent, clock) for _ in range(2)]
    entry_id = record(hot, "U1", clock.now - THRESHOLD_S - 5)
    for check in processes:
        check.check()
    hot.redis.zrem(PENDING_KEY, key_id(entry_id))  # synced
    for check in processes:
        check.check()
    record(hot, "U2", clock.now - THRESHOLD_S - 5)
    for check in processes:
        check.check()

    assert [(a.kind, a.resolved) for a in sent] == [(PENDING_AGE, False), (PENDING_AGE, True), (PENDING_AGE, False)]


def test_dead_letters_alert_once_per_incident(hot: HotStore) -> None:
    clock, sent = Clock(), []
    check = monitor(hot, sent, clock)
    first, second = record(hot, "U1", clock.now), record(hot, "U2", clock.now)
    hot.redis.zadd(DEAD_KEY, {key_id(first): clock.now})
    check.check()
    hot.redis.zadd(DEAD_KEY, {key_id(second): clock.now})
    check.check()

    dead = [a for a in sent if a.kind == DEAD_LETTERS]
    assert [(a.resolved, a.backlog.dead) for a in dead] == [(False, 1)]
    text = alert_message(dead[0])["text"]
    assert "1 time entry failed to sync" in text and "/crewclock status" in text


def test_an_alert_nobody_received_is_tried_again_at_the_next_check(hot: HotStore) -> None:
    clock, sent = Clock(), []
    record(hot, "U1", clock.now - THRESHOLD_S - 5)

    def slack_down(alert: Alert) -> None:
        raise RuntimeError("no admin could be told")

    with pytest.raises(RuntimeError):
        AlertMonitor(hot, slack_down, pending_age_s=THRESHOLD_S, clock=clock).check()
    monitor(hot, sent, clock).check()

    assert [(a.kind, a.resolved) for a in sent] == [(PENDING_AGE, False)]
    assert "not reaching the permanent record" in alert_message(sent[0])["text"]
