"""record.lua's week lock on real Redis and on fakeredis (the embedded default): the script finds
the week of a date exactly as Python does, for every week start."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from core.domain.clock import week_range
from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.domain.rules import day_number, total_hours
from core.hot.store import HotStore, WeekLocked
from tests.support.builders import TEAM, draft


def entry_on(day: date, user: str = "U1") -> TimeEntry:
    d = draft(user, day=day, lunch=None)
    return TimeEntry(
        id=str(uuid.uuid4()),
        slack_team_id=TEAM,
        slack_user_id=user,
        user_email="",
        job_id=d.job_id,
        job_name=d.job_name,
        work_date=day,
        start_time=d.start_time,
        end_time=d.end_time,
        lunch_start=None,
        lunch_end=None,
        total_hours=total_hours(d.start_time, d.end_time),
        notes="",
        change_order="",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        postgres=SinkState(SyncStatus.PENDING),
    )


@pytest.mark.parametrize("week_start", range(7))
def test_the_script_locks_exactly_the_approved_week(hot: HotStore, week_start: int) -> None:
    anchor = date(2026, 11, 25)  # a Wednesday
    first, last = week_range(anchor, week_start)
    hot.lock_week(TEAM, "U1", day_number(first), "U0MGR")
    for offset in range(-1, 8):
        day = first + timedelta(days=offset)
        write = lambda d=day: hot.write(  # noqa: E731
            "create", entry_on(d), actor_team=TEAM, actor_user="U1", privileged=False, intent=None,
            week_start=week_start,
        )  # fmt: skip
        if first <= day <= last:
            with pytest.raises(WeekLocked) as locked:
                write()
            assert (locked.value.approver, locked.value.week_start_day) == ("U0MGR", day_number(first))
        else:
            assert write().created


def test_a_manager_edit_is_stored_with_who_made_it(hot: HotStore) -> None:
    entry = entry_on(date(2026, 11, 25))
    hot.write("create", entry, actor_team=TEAM, actor_user="U1", privileged=False, intent=None)
    edited = hot.write("edit", entry, actor_team=TEAM, actor_user="U0MGR", privileged=True, intent=None).entry
    assert (edited.version, edited.updated_by, edited.changed_by) == (2, "U0MGR", "U0MGR")
    again = hot.write("edit", entry, actor_team=TEAM, actor_user="U1", privileged=False, intent=None).entry
    assert (again.version, again.updated_by, again.changed_by) == (3, "", "U1")
