"""record.lua's idempotency and overlap paths, on real Redis and on fakeredis (the embedded default).

A request's intent records one entry and only a write that lands holds it (a refused one can be
sent again); an id already taken is never overwritten; overlaps are found among several of the
user's shifts, night shifts and tombstones included. Each test reads what Redis then holds.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from core.domain.clock import week_range
from core.domain.entry import TimeEntry
from core.domain.rules import day_number, total_hours
from core.hot.store import HotStore, OverlapError, WeekLocked, WriteResult
from tests.integration.test_week_lock_lua import entry_on
from tests.support.builders import TEAM

DAY = date(2026, 11, 25)


def shift(day: date, start: int, end: int, user: str = "U1") -> TimeEntry:
    return replace(
        entry_on(day, user), start_time=time(start), end_time=time(end), total_hours=total_hours(time(start), time(end))
    )


def create(hot: HotStore, entry: TimeEntry, intent: str | None = None) -> WriteResult:
    return hot.write("create", entry, actor_team=TEAM, actor_user=entry.slack_user_id, privileged=False, intent=intent)


def on_record(hot: HotStore, user: str = "U1") -> list[TimeEntry]:
    """The user's live entries around DAY, as Redis holds them."""
    entries = hot.user_entries(TEAM, user, day_number(DAY) - 7, day_number(DAY) + 7)
    return [e for e in entries if not e.deleted]


def ids_on_record(hot: HotStore, user: str = "U1") -> set[str]:
    return {e.id for e in on_record(hot, user)}


def test_the_same_intent_records_once_and_answers_with_the_first_entry(hot: HotStore) -> None:
    first = create(hot, shift(DAY, 7, 15), intent="hours:T1")
    again = create(hot, shift(DAY, 7, 15), intent="hours:T1")  # Slack's retry: a new id, the same trigger
    assert first.created and not again.created
    assert again.entry.id == first.entry.id
    assert ids_on_record(hot) == {first.entry.id}


def test_a_refused_create_gives_its_intent_back(hot: HotStore) -> None:
    blocking = create(hot, shift(DAY, 7, 15), intent="hours:T0").entry
    with pytest.raises(OverlapError) as refused:
        create(hot, shift(DAY, 14, 18), intent="hours:T1")
    assert refused.value.other.id == blocking.id
    hot.write("delete", blocking, actor_team=TEAM, actor_user="U1", privileged=False, intent=None)
    # The same request sent again is checked again, and now it fits.
    landed = create(hot, shift(DAY, 14, 18), intent="hours:T1")
    assert landed.created
    assert landed.entry.id in ids_on_record(hot)


def test_a_create_refused_by_a_locked_week_gives_its_intent_back(hot: HotStore) -> None:
    first, _ = week_range(DAY, 0)
    hot.lock_week(TEAM, "U1", day_number(first), "U0MGR")
    with pytest.raises(WeekLocked):
        create(hot, shift(DAY, 7, 15), intent="hours:T1")
    hot.unlock_week(TEAM, "U1", day_number(first))
    assert create(hot, shift(DAY, 7, 15), intent="hours:T1").created


def test_a_taken_id_is_never_overwritten(hot: HotStore) -> None:
    stored = create(hot, shift(DAY, 7, 15), intent="hours:T1").entry
    # The same id sent again with another intent (a replay whose intent expired) or with none.
    for intent in ("hours:T2", None):
        clash = create(hot, replace(shift(DAY + timedelta(days=3), 9, 10), id=stored.id), intent=intent)
        assert not clash.created
        assert clash.entry == stored
    assert on_record(hot) == [stored]


def test_overlaps_are_found_among_several_neighbours(hot: HotStore) -> None:
    create(hot, shift(DAY - timedelta(days=1), 6, 14))
    night = create(hot, shift(DAY - timedelta(days=1), 22, 5)).entry  # reaches 05:00 on DAY
    create(hot, shift(DAY + timedelta(days=1), 7, 15))
    gone = create(hot, shift(DAY, 12, 16)).entry
    hot.write("delete", gone, actor_team=TEAM, actor_user="U1", privileged=False, intent=None)
    create(hot, shift(DAY, 7, 8, user="U2"))  # someone else's shift never blocks

    with pytest.raises(OverlapError) as refused:
        create(hot, shift(DAY, 4, 8))
    assert refused.value.other.id == night.id
    fits = create(hot, shift(DAY, 12, 16))  # where the deleted shift was
    assert fits.created and fits.entry.id in ids_on_record(hot)
