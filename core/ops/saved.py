"""What Postgres holds, as (id → version), for status and reconcile: one query, no full rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from core.sql.models import TimeEntryRow
from core.sql.store import SqlStore

CHUNK = 1000


def saved_versions(sql: SqlStore, entry_ids: Sequence[str]) -> dict[str, int]:
    """The version Postgres holds of each id it has (ids it lacks are absent)."""
    found: dict[str, int] = {}
    ids = list(entry_ids)
    with sql.engine.connect() as conn:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            rows = conn.execute(select(TimeEntryRow.id, TimeEntryRow.version).where(TimeEntryRow.id.in_(chunk)))
            found.update({str(i): int(v) for i, v in rows})
    return found


def saved_rows_between(sql: SqlStore, first: date, last: date) -> dict[str, tuple[int, date]]:
    """id → (version, work date) of every row (tombstones too) with a work date in [first, last]."""
    query = select(TimeEntryRow.id, TimeEntryRow.version, TimeEntryRow.work_date).where(
        TimeEntryRow.work_date >= first, TimeEntryRow.work_date <= last
    )
    with sql.engine.connect() as conn:
        return {str(i): (int(v), d) for i, v, d in conn.execute(query)}
