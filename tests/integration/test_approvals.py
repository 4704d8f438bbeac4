"""Weekly approval on the real Redis and Postgres: the lock on the Redis write path, reopening,
the reload into a wiped Redis, and the audit of entries and approvals."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from datetime import time as clock

import pytest
import redis

from core.bootstrap import Services
from core.domain.clock import week_range
from core.service import EntryValidationError, PermissionDenied
from tests.support.builders import TEAM, actor, draft

CREW, MANAGER = "U0CREW001", "U0MGR0001"
BOSS = actor(MANAGER, manager=True)
LOCKED = f"That week was approved by <@{MANAGER}> and is locked; ask a manager to reopen it."


def this_week() -> date:
    return week_range(date.today())[0]


def wait_synced(services: Services) -> None:
    deadline = time.monotonic() + 10
    while services.hot.counts()[0] and time.monotonic() < deadline:
        services.sync.sweep_all()
        time.sleep(0.02)
    assert services.hot.counts()[0] == 0


def test_an_approved_week_refuses_changes_from_everyone_until_reopened(make_services: Callable[..., Services]) -> None:
    services = make_services()
    entries = services.entries
    entry = entries.record_entry(draft(CREW), actor=actor(CREW)).entry

    approval = services.approvals.approve_week(BOSS, TEAM, CREW, date.today())
    assert (approval.week_start, approval.approved_by, approval.approved) == (this_week(), MANAGER, True)

    later = replace(draft(CREW), start_time=clock(8, 0))
    for who in (actor(CREW), BOSS):  # the manager too must reopen first
        with pytest.raises(EntryValidationError) as refused:
            entries.edit_entry(entry.id, later, actor=who)
        assert refused.value.errors == {"work_date": LOCKED}
        with pytest.raises(EntryValidationError):
            entries.delete_entry(entry.id, actor=who)
    with pytest.raises(EntryValidationError):  # nor a new entry in that week
        entries.record_entry(draft(CREW, start=clock(16, 0), end=clock(18, 0), lunch=None), actor=actor(CREW))
    assert entries.get_entry(entry.id, actor=actor(CREW)).version == 1

    reopened = services.approvals.reopen_week(BOSS, TEAM, CREW, this_week())
    assert reopened is not None and reopened.status == "reopened" and reopened.reopened_by == MANAGER
    edited = entries.edit_entry(entry.id, later, actor=actor(CREW)).entry
    assert (edited.version, edited.start_time) == (2, clock(8, 0))


def test_moving_an_entry_into_an_approved_week_is_refused(make_services: Callable[..., Services]) -> None:
    services = make_services()
    last_week = this_week() - timedelta(days=7)
    entry = services.entries.record_entry(draft(CREW), actor=actor(CREW)).entry
    services.approvals.approve_week(BOSS, TEAM, CREW, last_week + timedelta(days=3))  # any day of that week
    with pytest.raises(EntryValidationError) as refused:
        services.entries.edit_entry(entry.id, draft(CREW, day=last_week + timedelta(days=1)), actor=actor(CREW))
    assert refused.value.errors == {"work_date": LOCKED}
    other = services.entries.record_entry(draft("U0OTHER01"), actor=actor("U0OTHER01"))  # others are not locked
    assert other.created


def test_only_managers_approve_and_reopen(make_services: Callable[..., Services]) -> None:
    services = make_services()
    with pytest.raises(PermissionDenied):
        services.approvals.approve_week(actor(CREW), TEAM, CREW, date.today())
    with pytest.raises(PermissionDenied):
        services.approvals.reopen_week(actor(CREW), TEAM, CREW, date.today())
    with pytest.raises(PermissionDenied):  # another workspace's manager
        services.approvals.approve_week(replace(BOSS, team_id="T0ELSE"), TEAM, CREW, date.today())


def test_an_approval_survives_a_redis_flush(make_services: Callable[..., Services], real_redis: redis.Redis) -> None:
    services = make_services()
    entry = services.entries.record_entry(draft(CREW), actor=actor(CREW)).entry
    wait_synced(services)
    services.approvals.approve_week(BOSS, TEAM, CREW, date.today())

    real_redis.flushdb()  # Redis lost everything; Postgres has the entry and the approval
    services.start()  # a restart (or the next retry sweep) notices and reloads the approvals

    with pytest.raises(EntryValidationError) as refused:
        services.entries.edit_entry(entry.id, replace(draft(CREW), notes="changed"), actor=BOSS)
    assert refused.value.errors == {"work_date": LOCKED}


def test_the_retry_sweep_reloads_approvals_into_a_wiped_redis(
    make_services: Callable[..., Services], real_redis: redis.Redis
) -> None:
    services = make_services()
    services.approvals.approve_week(BOSS, TEAM, CREW, date.today())
    real_redis.flushdb()
    services.scheduler.get_job("retry-sweep").func()  # the scheduler is not started: run it here
    with pytest.raises(EntryValidationError):
        services.entries.record_entry(draft(CREW), actor=actor(CREW))


def test_approve_the_whole_team_approves_who_logged_that_week(make_services: Callable[..., Services]) -> None:
    services = make_services()
    for user in ("U0A", "U0B"):
        services.entries.record_entry(draft(user), actor=actor(user))
    wait_synced(services)
    services.entries.record_entry(draft("U0C"), actor=actor("U0C"))  # still pending: counted too
    services.approvals.approve_week(BOSS, TEAM, "U0A", date.today())

    approved = services.approvals.approve_team_week(BOSS, TEAM, date.today())

    assert sorted(a.user_id for a in approved) == ["U0B", "U0C"]  # U0A was approved already
    assert all(services.approvals.week_approval(TEAM, u, this_week()) for u in ("U0A", "U0B", "U0C"))
    assert services.approvals.week_approval(TEAM, "U0D", this_week()) is None


def test_approvals_and_reopens_are_audited(make_services: Callable[..., Services]) -> None:
    services = make_services()
    services.approvals.approve_week(BOSS, TEAM, CREW, date.today())
    services.approvals.reopen_week(actor("U0MGR0002", manager=True), TEAM, CREW, date.today())
    services.approvals.approve_week(BOSS, TEAM, CREW, date.today())
    steps = services.approvals.week_steps(TEAM, CREW, date.today())
    assert [(s.action, s.actor, s.week_start) for s in steps] == [
        ("approve", MANAGER, this_week()),
        ("reopen", "U0MGR0002", this_week()),
        ("approve", MANAGER, this_week()),
    ]
    assert steps[0].at <= steps[1].at <= steps[2].at


def test_an_entry_history_shows_who_changed_what(make_services: Callable[..., Services]) -> None:
    services = make_services()
    entries = services.entries
    entry = entries.record_entry(draft(CREW, notes="primed"), actor=actor(CREW)).entry
    wait_synced(services)
    entries.edit_entry(entry.id, draft(CREW, notes="primed, 2nd coat", end=clock(16, 0)), actor=BOSS)
    wait_synced(services)
    entries.delete_entry(entry.id, actor=actor(CREW))
    with pytest.raises(PermissionDenied):
        entries.entry_history(entry.id, actor=actor(CREW))
    wait_synced(services)

    history = entries.entry_history(entry.id, actor=BOSS)
    assert history.unrecorded is None
    assert [(s.version, s.action, s.actor) for s in history.steps] == [
        (1, "create", CREW),
        (2, "edit", MANAGER),
        (3, "delete", CREW),
    ]
    assert history.steps[0].changes["notes"] == [None, "primed"]
    assert history.steps[1].changes == {
        "end_time": ["15:30", "16:00"],
        "total_hours": ["8.00", "8.50"],
        "notes": ["primed", "primed, 2nd coat"],
    }
    assert history.steps[2].changes == {"deleted": [False, True]}
