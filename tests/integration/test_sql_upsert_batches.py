"""Postgres upserts batch after batch on one connection: the staging table made once, audit and guard kept.

``SqlStore._copy_upsert`` makes its temporary table once per connection and sends the audit,
upsert and email statements in one round trip. These run many batches through a pool of one
connection (as a busy sync worker's connection sees them) and read the results back through
the ``sql`` fixture's own engine: what Postgres holds, not what the store believes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import psycopg
import pytest
import sqlalchemy as sa

from core.domain.entry import TimeEntry
from core.domain.rules import first_version
from core.sql.store import SqlStore
from tests.support.builders import days_ago, draft

T0 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TOO_LONG_CHANGE_ORDER = "CO-" + "9" * 62  # the column is VARCHAR(64)


def entry_id(n: int) -> str:
    return f"5a1e0000-0000-4000-8000-{n:012d}"


def entry(
    n: int, *, version: int = 1, end: time = time(15, 30), email: str | None = None, **changes: object
) -> TimeEntry:
    """Version ``version`` of entry ``n``, from the shared draft builder; ``end`` differs per version in tests."""
    d = draft(f"U{n % 7}", day=days_ago(n % 5), end=end)
    first = replace(
        first_version(d, entry_id(n), T0),
        user_email=d.user_email if email is None else email,
        updated_at=T0 + timedelta(minutes=version),
        version=version,
    )
    return replace(first, **changes)  # type: ignore[arg-type]


@pytest.fixture
def one_connection(database_url: str, sql: SqlStore) -> Iterator[SqlStore]:
    """A store whose pool holds exactly one connection: every batch reuses it (``sql`` empties the tables)."""
    engine = sa.create_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=5)
    yield SqlStore(engine)
    engine.dispose()


def backend_pid(store: SqlStore) -> int:
    """The Postgres server process behind the store's connection: the same pid means the same connection."""
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def audit_count(sql: SqlStore) -> int:
    with sql.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM entry_audit")).scalar_one())


def row_count(sql: SqlStore) -> int:
    with sql.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM time_entries")).scalar_one())


def test_many_small_batches_on_one_connection_all_land_with_their_audit_steps(
    one_connection: SqlStore, sql: SqlStore
) -> None:
    pid = backend_pid(one_connection)
    batches = 40
    for n in range(1, batches + 1):
        batch = [entry(n)]  # a new entry ...
        if n > 1:  # ... and an edit of the one before, as steady load brings them
            batch.append(entry(n - 1, version=2, end=time(16, 0), updated_by="U0MGR0001"))
        one_connection.upsert_entries(batch)

    assert backend_pid(one_connection) == pid  # one connection carried every batch
    assert row_count(sql) == batches
    for n in range(1, batches):
        saved = sql.get(entry_id(n))
        assert saved is not None
        assert (saved.version, saved.end_time, saved.updated_by) == (2, time(16, 0), "U0MGR0001")
        create, edit = sql.entry_audit(entry_id(n))
        assert (create.version, create.action, create.changes["end_time"]) == (1, "create", [None, "15:30"])
        assert (edit.version, edit.action, edit.actor) == (2, "edit", "U0MGR0001")
        assert edit.changes["end_time"] == ["15:30", "16:00"]
    last = sql.get(entry_id(batches))
    assert last is not None and (last.version, last.end_time) == (1, time(15, 30))
    assert audit_count(sql) == batches + (batches - 1)


def test_an_older_version_arriving_later_changes_nothing_and_adds_no_audit_step(
    one_connection: SqlStore, sql: SqlStore
) -> None:
    final = entry(1, version=3, end=time(17, 0), notes="final")
    one_connection.upsert_entries([entry(1)])
    one_connection.upsert_entries([final])

    one_connection.upsert_entries([entry(1, version=2, end=time(16, 0), notes="stale"), entry(2)])  # a late retry

    held = sql.get(entry_id(1))
    assert held is not None
    assert (held.version, held.end_time, held.notes) == (3, time(17, 0), "final")
    assert sql.get(entry_id(2)) is not None  # the rest of the batch with the stale row landed

    one_connection.upsert_entries([final])  # a redelivery of the version Postgres holds

    assert [(s.version, s.action) for s in sql.entry_audit(entry_id(1))] == [(1, "create"), (3, "edit")]


def test_a_batch_failing_in_its_transaction_writes_nothing_and_the_next_batch_on_that_connection_lands(
    one_connection: SqlStore, sql: SqlStore
) -> None:
    # A change order longer than its column stands in for any row Postgres refuses inside the
    # transaction (the rules stop this one earlier). The first batch on a fresh connection makes
    # the staging table in the transaction that now rolls back: the table goes with it.
    pid = backend_pid(one_connection)
    with pytest.raises(psycopg.errors.StringDataRightTruncation):
        one_connection.upsert_entries([entry(1), entry(2, change_order=TOO_LONG_CHANGE_ORDER)])

    assert (row_count(sql), audit_count(sql)) == (0, 0)

    one_connection.upsert_entries([entry(3)])  # the same connection: the staging table is made again

    assert sql.get(entry_id(3)) is not None
    assert [s.action for s in sql.entry_audit(entry_id(3))] == ["create"]

    # Failing again once the table exists (made in a committed transaction): still all or nothing.
    with pytest.raises(psycopg.errors.StringDataRightTruncation):
        one_connection.upsert_entries(
            [entry(3, version=2, end=time(16, 0)), entry(4, change_order=TOO_LONG_CHANGE_ORDER)]
        )

    held = sql.get(entry_id(3))
    assert held is not None and (held.version, held.end_time) == (1, time(15, 30))
    assert sql.get(entry_id(4)) is None
    assert audit_count(sql) == 1

    one_connection.upsert_entries([entry(3, version=2, end=time(16, 0)), entry(4, change_order="CO-17")])

    edited, fixed = sql.get(entry_id(3)), sql.get(entry_id(4))
    assert edited is not None and (edited.version, edited.end_time) == (2, time(16, 0))
    assert fixed is not None and fixed.change_order == "CO-17"
    assert [s.action for s in sql.entry_audit(entry_id(3))] == ["create", "edit"]
    assert [s.action for s in sql.entry_audit(entry_id(4))] == ["create"]
    assert backend_pid(one_connection) == pid  # all of it on the one connection


def test_an_entry_first_synced_without_an_email_gets_it_from_a_later_push(
    one_connection: SqlStore, sql: SqlStore
) -> None:
    # A new crew member's entries can sync before Slack has told crewclock their address.
    one_connection.upsert_entries([entry(1, email=""), entry(2, email="")])
    assert [sql.get(entry_id(n)).user_email for n in (1, 2)] == ["", ""]  # type: ignore[union-attr]

    # Entry 1: the same version pushed again, now with the email (the hot store learned it).
    # Entry 2: a later version that carries it.
    one_connection.upsert_entries([entry(1, email="u1@example.com"), entry(2, version=2, email="u2@example.com")])

    first, second = sql.get(entry_id(1)), sql.get(entry_id(2))
    assert first is not None and (first.version, first.user_email) == (1, "u1@example.com")
    assert second is not None and (second.version, second.user_email) == (2, "u2@example.com")
    assert [s.version for s in sql.entry_audit(entry_id(1))] == [1]  # the email alone is no new step

    # A push of the same version without the email does not take it away.
    one_connection.upsert_entries([entry(1, email="")])
    assert sql.get(entry_id(1)).user_email == "u1@example.com"  # type: ignore[union-attr]
