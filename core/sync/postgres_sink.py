"""Postgres as a sink: the permanent record, written by version-guarded upserts."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError

from core.sql.store import SqlStore
from core.sync.ports import PushRequest, PushResult

log = logging.getLogger(__name__)


class PostgresSink:
    """Pushes entries to the SQL store; the upsert is idempotent, so ``uncertain`` needs no check."""

    name = "postgres"
    idempotent = True

    def __init__(self, store: SqlStore, max_batch: int = 1000) -> None:
        self.store = store
        self.max_batch = max_batch

    def push(self, requests: Sequence[PushRequest]) -> list[PushResult]:
        try:
            self.store.upsert_entries([r.entry for r in requests])
        except OperationalError as exc:  # server down, connection lost, timeout: try again later
            error = f"Postgres unavailable: {_first_line(exc)}"
            return [PushResult.retry(r.entry.id, error) for r in requests]
        except ProgrammingError as exc:  # e.g. the schema is not migrated: fixable, so keep retrying
            error = f"Postgres schema problem (run `crewclock migrate`): {_first_line(exc)}"
            return [PushResult.retry(r.entry.id, error) for r in requests]
        except (DataError, IntegrityError) as exc:
            if len(requests) > 1:  # find the one bad row; the others go through
                return [result for r in requests for result in self.push([r])]
            return [PushResult.permanent(requests[0].entry.id, f"Postgres rejected the entry: {_first_line(exc)}")]
        return [PushResult.ok(r.entry.id) for r in requests]


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
