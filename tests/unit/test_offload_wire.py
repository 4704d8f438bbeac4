"""Entries handed to the background process cross the pipe in the hot tier's encoding, unchanged."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from datetime import UTC, date, datetime, time
from multiprocessing.reduction import ForkingPickler

import pytest

import bot.offload  # noqa: F401  (registers how entries cross the pipe)
from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.domain.rules import first_version
from core.hot import codec
from tests.support.builders import draft

DRAFT = draft(
    day=date(2026, 11, 20),
    start=time(22, 0),
    end=time(6, 30),  # past midnight
    lunch=(time(2, 0), time(2, 30)),
    job_name="Smith Residence — north wall",
    notes='primed "north" wall, 2 coats ✓',
    change_order="CO-17",
)


def as_the_hot_tier_holds_it(entry: TimeEntry) -> TimeEntry:
    return codec.decode(entry.id, codec.encode(entry), entry.user_email)


def fresh() -> TimeEntry:
    return as_the_hot_tier_holds_it(first_version(DRAFT, "e-1", datetime(2026, 11, 20, 23, 5, 7, tzinfo=UTC)))


@pytest.mark.parametrize(
    "entry",
    [
        fresh(),
        replace(fresh(), version=3, updated_by="UMANAGER", lunch_start=None, lunch_end=None, notes=""),
        replace(fresh(), version=4, deleted=True),
        replace(
            fresh(),
            postgres=SinkState(SyncStatus.SYNCED, synced_version=1),
            zoho=SinkState(SyncStatus.PENDING, attempts=3, last_error="HTTP 503", next_attempt_at=5.5),
        ),
    ],
    ids=["fresh", "edited by a manager", "tombstone", "zoho retrying"],
)
def test_an_entry_arrives_as_it_was_sent(entry: TimeEntry) -> None:
    entry = as_the_hot_tier_holds_it(entry)
    queue = multiprocessing.get_context("fork").Queue()
    message = ("follow_up", "hours.follow_up", {"body": {"user_id": "U1"}, "plan": {"recorded": entry}})

    # It travels as the compact encoding, not as a pickled dataclass.
    assert codec.encode(entry).encode() in bytes(ForkingPickler.dumps(entry))
    queue.put(message)
    received = queue.get(timeout=5)

    assert received == message
    assert received[2]["plan"]["recorded"].total_hours == entry.total_hours
