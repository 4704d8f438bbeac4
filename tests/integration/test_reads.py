"""Reads tell the truth: Redis and Postgres merged by id, no gaps at the 30-day seam (INVARIANT 8)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import redis

from core.bootstrap import Services
from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.domain.rules import day_number, first_version
from core.hot.store import WATERMARK_KEY
from tests.support.builders import TEAM, actor, days_ago, draft


def saved_row(user: str, days: int, idx: int) -> TimeEntry:
    """An entry that only Postgres holds (older than the hot window)."""
    d = draft(user, day=days_ago(days))
    stamp = datetime.now(UTC) - timedelta(days=days)
    return replace(
        first_version(d, f"00000000-0000-4000-8000-{idx:012d}", stamp),
        notes=f"old {days}",
        change_order="",
        postgres=SinkState(SyncStatus.SYNCED, synced_version=1),
    )


def wait_synced(services: Services) -> None:
    deadline = time.monotonic() + 10
    while services.hot.counts()[0] and time.monotonic() < deadline:
        services.sync.sweep_all()
        time.sleep(0.02)
    assert services.hot.counts()[0] == 0


def test_history_spans_the_seam_without_gaps_or_duplicates(
    make_services: Callable[..., Services], real_redis: redis.Redis
) -> None:
    services = make_services()
    # Redis has known every entry since 40 days ago (as if it had been running that long).
    real_redis.set(WATERMARK_KEY, day_number(days_ago(40)))
    old = [saved_row("U1", d, d) for d in (31, 35, 45, 59)]
    services.sql.upsert_entries(old)
    recent = [
        services.entries.record_entry(draft("U1", day=days_ago(d)), actor=actor("U1")).entry for d in (0, 3, 29, 30)
    ]
    wait_synced(services)

    listed = services.entries.list_user_entries(
        actor=actor("U1"), team_id=TEAM, user_id="U1", first=days_ago(60), last=days_ago(0)
    )
    assert listed.complete
    assert [e.work_date for e in listed.entries] == sorted([e.work_date for e in old + recent], reverse=True)
    assert len({e.id for e in listed.entries}) == 8
    assert all(e.sync_label == "SYNCED" for e in listed.entries)
    assert listed.total_hours == Decimal("64.00")


def test_a_wiped_redis_falls_back_to_postgres(make_services: Callable[..., Services], real_redis: redis.Redis) -> None:
    services = make_services()
    services.start()
    entries = [services.entries.record_entry(draft("U1", day=days_ago(d)), actor=actor("U1")).entry for d in (0, 1, 2)]
    wait_synced(services)
    real_redis.flushdb()  # a Redis restart without persistence: synced entries are gone from it
    services.hot.mark_fresh(day_number(datetime.now(UTC).date()))  # what the next sweep does
    listed = services.entries.list_user_entries(
        actor=actor("U1"), team_id=TEAM, user_id="U1", first=days_ago(7), last=days_ago(0)
    )
    assert sorted(e.id for e in listed.entries) == sorted(e.id for e in entries)


def test_pending_entries_show_as_pending_and_win_over_older_saved_versions(
    make_services: Callable[..., Services],
) -> None:
    services = make_services()
    entry = services.entries.record_entry(draft("U1", day=days_ago(2)), actor=actor("U1")).entry
    wait_synced(services)
    services.sync.submit = lambda entry_id: False  # type: ignore[method-assign]
    services.entries.edit_entry(entry.id, draft("U1", day=days_ago(2), notes="second coat"), actor=actor("U1"))
    listed = services.entries.list_user_entries(
        actor=actor("U1"), team_id=TEAM, user_id="U1", first=days_ago(7), last=days_ago(0)
    )
    assert [(e.notes, e.version, e.sync_label) for e in listed.entries] == [("second coat", 2, "PENDING")]


def test_editing_an_entry_older_than_the_hot_window(make_services: Callable[..., Services]) -> None:
    services = make_services()
    old = saved_row("U1", 45, 1)
    services.sql.upsert_entries([old])
    edited = services.entries.edit_entry(
        old.id, replace(draft("U1", day=old.work_date), notes="fixed"), actor=actor("U1")
    ).entry
    assert edited.version == 2
    wait_synced(services)
    row = services.sql.get(old.id)
    assert row is not None and row.version == 2 and row.notes == "fixed"


def test_week_summary_and_recent_entries(make_services: Callable[..., Services]) -> None:
    from core.domain.clock import week_range

    services = make_services()
    first, _ = week_range(days_ago(0))
    for d in range((days_ago(0) - first).days + 1):
        services.entries.record_entry(draft("U1", day=first + timedelta(days=d)), actor=actor("U1"))
    summary = services.entries.week_summary(actor=actor("U1"), team_id=TEAM, user_id="U1")
    assert summary.first_day == first and summary.last_day == first + timedelta(days=6)
    assert summary.total == Decimal("8.00") * ((days_ago(0) - first).days + 1)
    assert summary.hours_by_job == {"Smith Residence": summary.total}
    recent = services.entries.recent_entries(actor=actor("U1"), team_id=TEAM, user_id="U1", limit=2)
    assert [e.work_date for e in recent.entries] == sorted((e.work_date for e in summary.entries), reverse=True)[:2]


def test_managers_read_a_job_across_the_crew(make_services: Callable[..., Services]) -> None:
    import pytest

    from core.service import PermissionDenied

    services = make_services()
    services.entries.record_entry(draft("U1", job_id="7"), actor=actor("U1"))
    services.entries.record_entry(draft("U2", job_id="7"), actor=actor("U2"))
    services.entries.record_entry(draft("U3", job_id="8"), actor=actor("U3"))
    services.sync.submit = lambda entry_id: False  # type: ignore[method-assign]
    services.entries.record_entry(draft("U4", job_id="7"), actor=actor("U4"))  # still pending
    listed = services.entries.list_team_entries(
        actor=actor("M1", manager=True), team_id=TEAM, first=days_ago(1), last=days_ago(0), job_id="7"
    )
    assert sorted(e.slack_user_id for e in listed.entries) == ["U1", "U2", "U4"]
    with pytest.raises(PermissionDenied):
        services.entries.list_team_entries(actor=actor("U1"), team_id=TEAM, first=days_ago(1), last=days_ago(0))
