"""The time entry and its per-sink sync state: plain data, no IO."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal

NOTES_MAX_CHARS = 3000
CHANGE_ORDER_MAX_CHARS = 64


class SyncStatus(str, enum.Enum):
    """Where one entry version stands with one sink."""

    PENDING = "P"
    SYNCED = "S"
    DEAD = "D"
    OFF = "O"  # the sink is disabled: nothing is owed to it


@dataclass(frozen=True, slots=True)
class SinkState:
    """One sink's view of an entry.

    ``synced_version`` is the newest version the sink has accepted (0: none);
    ``inflight_version`` is set just before a push and cleared when its result is
    recorded, so a crash mid-push is visible to the next attempt (it must
    reconcile before pushing again).
    """

    status: SyncStatus = SyncStatus.PENDING
    attempts: int = 0
    synced_version: int = 0
    inflight_version: int = 0
    last_error: str = ""
    next_attempt_at: float = 0.0  # epoch seconds; 0 when nothing is scheduled


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking: a Slack user in a team, and whether they may act for others."""

    team_id: str
    user_id: str
    is_manager: bool = False
    is_admin: bool = False

    def may_act_for(self, team_id: str, user_id: str) -> bool:
        if self.team_id != team_id:
            return False
        return self.user_id == user_id or self.is_manager or self.is_admin


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """What a user asks to record; ``total_hours`` is never taken from input."""

    slack_team_id: str
    slack_user_id: str
    job_id: str
    job_name: str
    work_date: date
    start_time: time
    end_time: time
    lunch_start: time | None = None
    lunch_end: time | None = None
    notes: str = ""
    change_order: str = ""
    user_email: str = ""


@dataclass(frozen=True, slots=True)
class TimeEntry:
    """One version of a time entry as the stores hold it."""

    id: str
    slack_team_id: str
    slack_user_id: str
    user_email: str
    job_id: str
    job_name: str
    work_date: date
    start_time: time
    end_time: time
    lunch_start: time | None
    lunch_end: time | None
    total_hours: Decimal
    notes: str
    change_order: str
    created_at: datetime
    updated_at: datetime
    version: int = 1
    deleted: bool = False
    postgres: SinkState = field(default_factory=SinkState)
    zoho: SinkState = field(default_factory=lambda: SinkState(status=SyncStatus.OFF))
    # Who made this version, when it is not the owner (a manager's edit); "" means the owner.
    updated_by: str = ""

    @property
    def changed_by(self) -> str:
        """The Slack user id of whoever made this version (the owner unless a manager did)."""
        return self.updated_by or self.slack_user_id

    @property
    def is_saved(self) -> bool:
        """True once Postgres, the permanent record, holds this version."""
        return self.postgres.synced_version >= self.version

    @property
    def sync_label(self) -> str:
        """SYNCED, PENDING or FAILED, as history shows it (Postgres decides)."""
        if self.is_saved:
            return "SYNCED"
        if self.postgres.status is SyncStatus.DEAD:
            return "FAILED"
        return "PENDING"

    def sink_state(self, sink: str) -> SinkState:
        return self.postgres if sink == "postgres" else self.zoho

    def with_sink_state(self, sink: str, state: SinkState) -> TimeEntry:
        return replace(self, postgres=state) if sink == "postgres" else replace(self, zoho=state)
