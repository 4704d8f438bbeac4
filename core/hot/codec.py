"""Compact encoding of an entry for the Redis hot tier.

A JSON array by position, times as minutes and dates as day numbers, keeps an
entry near 200 bytes in Redis (the seed's JSON object in a hash costs ~840).
The Lua scripts read the same positions: keep ``F`` in step with lua/*.lua.

The last position, ``UPDATED_BY`` (who made this version), is left out altogether when it
is the entry's owner, as it nearly always is: a manager's edit adds it, and entries written
before the audit trail existed simply lack it. An absent position costs no memory.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.domain.rules import day_number, from_day_number, minutes, total_hours


class F:
    """Field positions in the encoded array (0-based; Lua adds one)."""

    VERSION, TEAM, USER, EMAIL, JOB_ID, JOB_NAME, DAY = 0, 1, 2, 3, 4, 5, 6
    START, END, LUNCH_START, LUNCH_END, NOTES, CHANGE_ORDER = 7, 8, 9, 10, 11, 12
    CREATED, UPDATED, DELETED, POSTGRES, ZOHO = 13, 14, 15, 16, 17
    UPDATED_BY = 18  # optional: absent when the owner made this version


# A sink state: [status, attempts, synced_version, inflight_version, last_error, next_attempt_at],
# or a bare number when clean (see _state_out); lua/_lib.lua expands and compacts the same way.


def _state_out(s: SinkState) -> Any:
    # Clean states, by far the most common, are one number: 0 = sink off, n = synced version n.
    if s.status is SyncStatus.OFF:
        return 0
    if s.status is SyncStatus.SYNCED and not (s.attempts or s.inflight_version or s.last_error):
        return s.synced_version
    return [s.status.value, s.attempts, s.synced_version, s.inflight_version, s.last_error, s.next_attempt_at]


def _state_in(raw: Any) -> SinkState:
    if isinstance(raw, int):
        return SinkState(SyncStatus.OFF) if raw == 0 else SinkState(SyncStatus.SYNCED, synced_version=raw)
    return SinkState(
        status=SyncStatus(raw[0]),
        attempts=int(raw[1]),
        synced_version=int(raw[2]),
        inflight_version=int(raw[3]),
        last_error=str(raw[4] or ""),
        next_attempt_at=float(raw[5] or 0),
    )


def _clock(m: int | None) -> time | None:
    return None if m is None else time(m // 60, m % 60)


def _epoch(dt: datetime) -> int:
    return int(dt.timestamp())  # seconds are enough for created/updated, and shorter


def encode(entry: TimeEntry) -> str:
    row: list[Any] = [
        entry.version,
        entry.slack_team_id,
        entry.slack_user_id,
        "",  # the email is kept once per user, in the team's profile hash
        entry.job_id,
        entry.job_name,
        day_number(entry.work_date),
        minutes(entry.start_time),
        minutes(entry.end_time),
        None if entry.lunch_start is None else minutes(entry.lunch_start),
        None if entry.lunch_end is None else minutes(entry.lunch_end),
        entry.notes,
        entry.change_order,
        _epoch(entry.created_at),
        _epoch(entry.updated_at) - _epoch(entry.created_at),  # seconds after created: usually 0
        1 if entry.deleted else 0,
        _state_out(entry.postgres),
        _state_out(entry.zoho),
    ]
    if entry.updated_by and entry.updated_by != entry.slack_user_id:
        row.append(entry.updated_by)
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def round_trips(entry: TimeEntry) -> bool:
    """Whether ``decode(encode(entry))`` gives ``entry`` back, so a create need not decode what it stored.

    The encoding keeps whole seconds of created/updated, a clean sink state as one number and
    leaves out the owner as ``updated_by``; the other fields are kept as they are (hours are
    always derived from the times). record.lua stores a create's encoding as it is sent.
    """
    return (
        entry.created_at.microsecond == 0
        and entry.updated_at == entry.created_at
        and entry.updated_by != entry.slack_user_id
        and _state_in(_state_out(entry.postgres)) == entry.postgres
        and _state_in(_state_out(entry.zoho)) == entry.zoho
    )


def decode(entry_id: str, raw: str | bytes, email: str = "") -> TimeEntry:
    row = json.loads(raw)
    start, end = _clock(row[F.START]), _clock(row[F.END])
    lunch_start, lunch_end = _clock(row[F.LUNCH_START]), _clock(row[F.LUNCH_END])
    assert start is not None and end is not None
    return TimeEntry(
        id=entry_id,
        slack_team_id=row[F.TEAM],
        slack_user_id=row[F.USER],
        user_email=email or row[F.EMAIL],
        job_id=row[F.JOB_ID],
        job_name=row[F.JOB_NAME],
        work_date=from_day_number(int(row[F.DAY])),
        start_time=start,
        end_time=end,
        lunch_start=lunch_start,
        lunch_end=lunch_end,
        total_hours=total_hours(start, end, lunch_start, lunch_end),
        notes=row[F.NOTES],
        change_order=row[F.CHANGE_ORDER],
        created_at=datetime.fromtimestamp(row[F.CREATED], UTC),
        updated_at=datetime.fromtimestamp(row[F.CREATED] + row[F.UPDATED], UTC),
        version=int(row[F.VERSION]),
        deleted=bool(row[F.DELETED]),
        postgres=_state_in(row[F.POSTGRES]),
        zoho=_state_in(row[F.ZOHO]),
        updated_by=_updated_by(row),
    )


def _updated_by(row: list[Any]) -> str:
    by = row[F.UPDATED_BY] if len(row) > F.UPDATED_BY else ""
    return "" if not by or by == row[F.USER] else str(by)


def encode_state(state: SinkState) -> Any:
    return _state_out(state)
