"""The audit trail the Postgres sink writes: one step per new version, old and new values, once.

Run on the real Postgres (COPY path, audit computed by the server) and on SQLite (the embedded
default, audit computed in Python): both must record the same steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.domain.entry import TimeEntry
from core.sql.audit import AUDITED_FIELDS, audit_steps
from core.sql.store import SqlStore, make_engine

T0 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
V1 = TimeEntry(
    id="6f1c2a40-0000-4000-8000-000000000001",
    slack_team_id="T0CREW001",
    slack_user_id="U0CREW001",
    user_email="pat@example.com",
    job_id="1042",
    job_name="Smith Residence",
    work_date=date(2026, 11, 27),
    start_time=time(7, 0),
    end_time=time(15, 30),
    lunch_start=time(12, 0),
    lunch_end=time(12, 30),
    total_hours=Decimal("8.00"),
    notes="primed north wall",
    change_order="",
    created_at=T0,
    updated_at=T0,
)
V2 = replace(
    V1,
    version=2,
    end_time=time(16, 0),
    total_hours=Decimal("8.50"),
    lunch_start=None,
    lunch_end=None,
    updated_at=T0 + timedelta(hours=1),
    updated_by="U0MGR0001",
)
V3 = replace(V2, version=3, deleted=True, updated_at=T0 + timedelta(hours=2), updated_by="")


@pytest.fixture(params=["postgres", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "postgres":
        yield request.getfixturevalue("sql")
        return
    sqlite = SqlStore(make_engine(f"sqlite:///{tmp_path / 'audit.db'}"))
    sqlite.migrate()
    yield sqlite
    sqlite.engine.dispose()


def test_create_edit_delete_each_leave_one_step_with_old_and_new_values(store: SqlStore) -> None:
    for version in (V1, V2, V3):
        store.upsert_entries([version])

    create, edit, delete = store.entry_audit(V1.id)
    assert (create.version, create.action, create.actor, create.at) == (1, "create", "U0CREW001", T0)
    assert create.changes["start_time"] == [None, "07:00"]
    assert create.changes["total_hours"] == [None, "8.00"]
    assert create.changes["notes"] == [None, "primed north wall"]
    assert create.changes["deleted"] == [None, False]
    assert (edit.version, edit.action, edit.actor) == (2, "edit", "U0MGR0001")
    assert edit.changes == {
        "end_time": ["15:30", "16:00"],
        "lunch_start": ["12:00", None],
        "lunch_end": ["12:30", None],
        "total_hours": ["8.00", "8.50"],
    }
    assert (delete.version, delete.action, delete.actor) == (3, "delete", "U0CREW001")
    assert delete.changes == {"deleted": [False, True]}
    saved = store.get(V1.id)
    assert saved is not None and saved.deleted and saved.version == 3


def test_the_server_computes_what_the_python_audit_computes(store: SqlStore) -> None:
    store.upsert_entries([V1])
    held = {V1.id: {name: getattr(V1, name) for name in ("version", *AUDITED_FIELDS)}}
    [expected] = audit_steps([V2], held)
    store.upsert_entries([V2])
    assert store.entry_audit(V1.id)[1] == expected


def test_pushing_a_version_again_records_nothing_new(store: SqlStore) -> None:
    store.upsert_entries([V1])
    store.upsert_entries([V1, V1])
    store.upsert_entries([V2])
    store.upsert_entries([V1, V2])
    assert [s.version for s in store.entry_audit(V1.id)] == [1, 2]


def test_versions_postgres_never_saw_collapse_into_one_step(store: SqlStore) -> None:
    store.upsert_entries([V1])
    # v2 was superseded in Redis while Postgres was down: Postgres is pushed v3 straight away.
    v3_live = replace(V2, version=3, notes="second coat", updated_by="")
    store.upsert_entries([v3_live])
    steps = store.entry_audit(V1.id)
    assert [(s.version, s.action, s.actor) for s in steps] == [(1, "create", "U0CREW001"), (3, "edit", "U0CREW001")]
    assert steps[1].changes["notes"] == ["primed north wall", "second coat"]
    assert steps[1].changes["end_time"] == ["15:30", "16:00"]


def test_a_row_knows_who_changed_it(store: SqlStore) -> None:
    store.upsert_entries([V2])
    saved = store.get(V1.id)
    assert saved is not None
    assert saved.changed_by == "U0MGR0001"
    store.upsert_entries([replace(V2, version=4, updated_by="")])
    again = store.get(V1.id)
    assert again is not None and again.updated_by == "" and again.changed_by == "U0CREW001"
