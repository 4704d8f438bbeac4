"""What the Slack edge (and the console, and the CLI) call: record, edit, delete, read.

The write path is validate, one Redis script, hand the id to the sync pool:
nothing on it waits for Postgres or Zoho.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.domain.clock import days_between, today_in, week_range
from core.domain.entry import Actor, EntryDraft, SinkState, SyncStatus, TimeEntry
from core.domain.rules import (
    EntryValidationError,
    day_number,
    first_version,
    overlap_message,
    validate_draft,
)
from core.hot.store import (
    EntryNotFound,
    HotStore,
    OverlapError,
    PermissionDenied,
    StorageUnavailable,
    WeekLocked,
    WriteResult,
)
from core.sql.audit import AuditStep
from core.sql.store import SqlStore
from core.sync.engine import SyncEngine

log = logging.getLogger(__name__)

__all__ = [
    "DiscardResult",
    "EntryHistory",
    "EntryList",
    "EntryNotFound",
    "EntryValidationError",
    "PermissionDenied",
    "RecordResult",
    "StorageUnavailable",
    "TimeEntryService",
    "WeekSummary",
]

RecordResult = WriteResult


@dataclass(frozen=True, slots=True)
class EntryList:
    """Entries newest first; ``complete`` is False when Postgres could not answer its part."""

    entries: list[TimeEntry]
    complete: bool = True

    @property
    def total_hours(self) -> Decimal:
        return sum((e.total_hours for e in self.entries), Decimal("0.00"))


@dataclass(frozen=True, slots=True)
class WeekSummary:
    first_day: date
    last_day: date
    hours_by_day: dict[date, Decimal]
    entries: list[TimeEntry]
    complete: bool = True
    hours_by_job: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.hours_by_day.values(), Decimal("0.00"))


@dataclass(frozen=True, slots=True)
class DiscardResult:
    """What discarding a dead letter did: ``discarded`` is False when it was no longer dead."""

    discarded: bool
    version: int  # the entry's version in Redis (0: not there)
    saved_version: int  # the version Postgres holds (0: none)

    @property
    def saved(self) -> bool:
        """True when Postgres, the permanent record, holds the current version."""
        return self.version > 0 and self.saved_version >= self.version


@dataclass(frozen=True, slots=True)
class EntryHistory:
    """What the audit trail holds for one entry, oldest step first."""

    entry_id: str
    steps: list[AuditStep]
    unrecorded: TimeEntry | None = None


def locked_week_message(approver: str) -> str:
    """What a user is told when a write falls in an approved week."""
    return f"That week was approved by <@{approver}> and is locked; ask a manager to reopen it."


def newest_first(entries: Iterable[TimeEntry]) -> list[TimeEntry]:
    return sorted(entries, key=lambda e: (e.work_date, e.start_time, e.created_at), reverse=True)


def merge_by_id(*sources: Iterable[TimeEntry]) -> list[TimeEntry]:
    """One entry per id, the highest version winning; tombstones dropped; newest first."""
    best: dict[str, TimeEntry] = {}
    for source in sources:
        for entry in source:
            held = best.get(entry.id)
            if (
                held is None
                or entry.version > held.version
                or (entry.version == held.version and entry.is_saved and not held.is_saved)
            ):
                best[entry.id] = entry
    return newest_first(e for e in best.values() if not e.deleted)


class TimeEntryService:
    """The core's one door for entries."""

    def __init__(
        self,
        hot: HotStore,
        sql: SqlStore,
        sync: SyncEngine,
        *,
        default_zone: ZoneInfo,
        cache_days: int = 30,
        max_backdate_days: int = 60,
        week_start: int = 0,
        zoho_enabled: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hot = hot
        self.sql = sql
        self.sync = sync
        self.default_zone = default_zone
        self.cache_days = cache_days
        self.max_backdate_days = max_backdate_days
        self.week_start = week_start
        self.zoho_enabled = zoho_enabled
        self.clock = clock
        self._write_listeners: list[Callable[[str, TimeEntry], None]] = []
        self._read_listeners: list[Callable[[bool], None]] = []

    # -- observers (metrics) ------------------------------------------------------------

    def add_write_listener(self, listener: Callable[[str, TimeEntry], None]) -> None:
        """``listener(mode, entry)`` after each new write: mode is create, edit or delete."""
        self._write_listeners.append(listener)

    def add_read_listener(self, listener: Callable[[bool], None]) -> None:
        """``listener(needed_postgres)`` after each history read: False when Redis answered alone."""
        self._read_listeners.append(listener)

    def _tell(self, listeners: list[Callable[..., None]], *args: object) -> None:
        for listener in listeners:
            try:
                listener(*args)
            except Exception:  # counting must never turn a saved entry or a read into an error
                log.exception("service listener failed")

    # -- writes -----------------------------------------------------------------------

    def record_entry(
        self,
        draft: EntryDraft,
        *,
        actor: Actor,
        intent_key: str | None = None,
        zone: ZoneInfo | None = None,
    ) -> RecordResult:
        """Validate and record a new entry; the sync to Postgres and Zoho follows in the background.

        Args:
            draft: what the user entered.
            actor: who submits it (a manager may record for a crew member).
            intent_key: identifies the request (Slack trigger or view id): the same key
                never records twice and returns the entry it recorded first.
            zone: the user's time zone, for "today" (default: the configured one).

        Raises:
            EntryValidationError: a rule is broken; ``errors`` names each field.
            PermissionDenied: recording for someone the actor may not act for.
            StorageUnavailable: Redis did not take it; nothing was saved.
        """
        if not actor.may_act_for(draft.slack_team_id, draft.slack_user_id):
            raise PermissionDenied("you can only log your own hours")
        now = self.clock()
        validate_draft(
            draft,
            today=today_in(zone or self.default_zone, now),
            max_backdate_days=self.max_backdate_days,
        )
        entry = self._entry_from(draft, str(uuid.uuid4()), now, actor)
        result = self._write("create", entry, actor, intent_key, now)
        if result.created:
            self.sync.submit(result.entry.id)
        return result

    def edit_entry(
        self,
        entry_id: str,
        draft: EntryDraft,
        *,
        actor: Actor,
        intent_key: str | None = None,
        zone: ZoneInfo | None = None,
    ) -> RecordResult:
        """Replace an entry's fields with ``draft`` as a new version (same id)."""
        now = self.clock()
        validate_draft(
            draft,
            today=today_in(zone or self.default_zone, now),
            max_backdate_days=self.max_backdate_days,
        )
        entry = self._entry_from(draft, entry_id, now, actor)
        result = self._write_existing("edit", entry, actor, intent_key, now)
        self.sync.submit(entry_id)
        return result

    def delete_entry(self, entry_id: str, *, actor: Actor, intent_key: str | None = None) -> RecordResult:
        """Delete as a tombstone version, synced like any edit so every sink learns of it."""
        now = self.clock()
        current = self.get_entry(entry_id, actor=actor)
        result = self._write_existing("delete", current, actor, intent_key, now)
        self.sync.submit(entry_id)
        return result

    def _write(self, mode: str, entry: TimeEntry, actor: Actor, intent_key: str | None, now: float) -> RecordResult:
        try:
            result = self.hot.write(
                mode,
                entry,
                actor_team=actor.team_id,
                actor_user=actor.user_id,
                privileged=actor.is_manager or actor.is_admin,
                intent=intent_key,
                now=now,
                week_start=self.week_start,
            )
        except WeekLocked as exc:
            raise EntryValidationError({"work_date": locked_week_message(exc.approver)}) from None
        except OverlapError as exc:
            other = exc.other
            raise EntryValidationError(
                {"start_time": overlap_message(other.start_time, other.end_time, other.job_name)}
            ) from None
        if result.created:
            self._tell(self._write_listeners, mode, result.entry)
        return result

    def _write_existing(
        self, mode: str, entry: TimeEntry, actor: Actor, intent_key: str | None, now: float
    ) -> RecordResult:
        try:
            return self._write(mode, entry, actor, intent_key, now)
        except EntryNotFound:
            # Older than the hot window: bring the saved row back into Redis, then change it.
            saved = self.sql.get(entry.id)
            if saved is None or saved.deleted:
                raise
            self.hot.restore(saved, cache_days=self.cache_days, now=now)
            return self._write(mode, entry, actor, intent_key, now)

    def _entry_from(self, draft: EntryDraft, entry_id: str, now: float, actor: Actor) -> TimeEntry:
        # Whole seconds, as the hot tier keeps them: the entry it stores is then this one (codec.round_trips).
        return first_version(
            draft,
            entry_id,
            datetime.fromtimestamp(int(now), UTC),
            postgres=SinkState(SyncStatus.PENDING, next_attempt_at=now),
            zoho=SinkState(SyncStatus.PENDING, next_attempt_at=now) if self.zoho_enabled else SinkState(SyncStatus.OFF),
            updated_by="" if actor.user_id == draft.slack_user_id else actor.user_id,
        )

    # -- reads ------------------------------------------------------------------------

    def get_entry(self, entry_id: str, *, actor: Actor) -> TimeEntry:
        entry = self.hot.get(entry_id)
        if entry is None:
            entry = self.sql.get(entry_id)
        if entry is None or entry.deleted:
            raise EntryNotFound(entry_id)
        if not actor.may_act_for(entry.slack_team_id, entry.slack_user_id):
            raise PermissionDenied(entry_id)
        return entry

    def hot_from(self, now: float | None = None) -> date:
        """The first work date Redis is known to hold completely."""
        today = today_in(ZoneInfo("UTC"), self.clock() if now is None else now)
        window_start = today - timedelta(days=self.cache_days)
        mark = self.hot.watermark()
        if mark is None:
            return today + timedelta(days=2)  # unknown: Postgres answers everything
        return max(window_start, date(1970, 1, 1) + timedelta(days=mark))

    def list_user_entries(self, *, actor: Actor, team_id: str, user_id: str, first: date, last: date) -> EntryList:
        """A user's live entries with work dates in [first, last], newest first."""
        if not actor.may_act_for(team_id, user_id):
            raise PermissionDenied("crew members can only see their own hours")
        hot = self.hot.user_entries(team_id, user_id, day_number(first), day_number(last))
        hot_from = self.hot_from()
        cold: list[TimeEntry] = []
        complete = True
        if first < hot_from:
            try:
                cold = self.sql.user_entries(
                    team_id,
                    user_id,
                    first,
                    min(last, hot_from - timedelta(days=1)),
                    include_deleted=True,
                )
            except Exception as exc:  # Postgres down: show what Redis has and say so
                log.warning("history read from Postgres failed: %s", exc)
                complete = False
        self._tell(self._read_listeners, first < hot_from)
        return EntryList(merge_by_id(cold, hot), complete)

    def recent_entries(self, *, actor: Actor, team_id: str, user_id: str, limit: int = 5) -> EntryList:
        """The user's newest ``limit`` entries: the hot window first, Postgres for what is older."""
        today = today_in(self.default_zone, self.clock())
        window_start = today - timedelta(days=self.cache_days)
        listed = self.list_user_entries(
            actor=actor, team_id=team_id, user_id=user_id, first=window_start, last=today + timedelta(days=1)
        )
        entries, complete = listed.entries, listed.complete
        if len(entries) < limit:
            try:
                older = self.sql.recent_user_entries(team_id, user_id, window_start, limit)
                entries = merge_by_id(entries, older)
            except Exception as exc:
                log.warning("recent entries read from Postgres failed: %s", exc)
                complete = False
        return EntryList(entries[:limit], complete)

    def list_team_entries(
        self, *, actor: Actor, team_id: str, first: date, last: date, job_id: str | None = None
    ) -> EntryList:
        """Every crew member's entries (optionally one job's): for managers only."""
        if actor.team_id != team_id or not (actor.is_manager or actor.is_admin):
            raise PermissionDenied("only managers can see the whole crew's hours")
        overlay = [
            e
            for e in self.hot.pending_overlay()
            if e.slack_team_id == team_id and first <= e.work_date <= last and (job_id is None or e.job_id == job_id)
        ]
        try:
            cold = self.sql.entries_between(team_id, first, last, job_id=job_id)
        except Exception as exc:
            log.warning("team read from Postgres failed: %s", exc)
            return EntryList(merge_by_id(overlay), complete=False)
        return EntryList(merge_by_id(cold, overlay))

    def team_members(self, team_id: str, first: date, last: date) -> set[str]:
        """User ids with a live entry dated in [first, last] (Postgres plus what it does not have yet)."""
        # The overlay first: an entry leaves it only after Postgres has committed it, so reading
        # Postgres second cannot miss one that settles in between.
        found = {
            e.slack_user_id
            for e in self.hot.pending_overlay()
            if e.slack_team_id == team_id and first <= e.work_date <= last and not e.deleted
        }
        found.update(user for team, user in self.sql.active_users(first, last, team_id=team_id))
        return found

    def entry_history(self, entry_id: str, *, actor: Actor) -> EntryHistory:
        """An entry's audit trail (managers and admins), and its newest version from Redis.

        ``unrecorded`` is the newest version when Postgres has not taken it yet (its step is
        written when it does); None when the trail is up to date.
        """
        if not (actor.is_manager or actor.is_admin):
            raise PermissionDenied("only managers can see an entry's history")
        current = self.hot.get(entry_id)
        steps = [s for s in self.sql.entry_audit(entry_id) if s.team_id == actor.team_id]
        if current is not None and current.slack_team_id != actor.team_id:
            raise PermissionDenied(entry_id)
        if current is None and not steps:
            raise EntryNotFound(entry_id)
        recorded = max((s.version for s in steps), default=0)
        unrecorded = current if current is not None and current.version > recorded else None
        return EntryHistory(entry_id, steps, unrecorded)

    def week_summary(
        self,
        *,
        actor: Actor,
        team_id: str,
        user_id: str,
        zone: ZoneInfo | None = None,
        day: date | None = None,
    ) -> WeekSummary:
        """Hours per day (and per job) of the week holding ``day`` (default: today in ``zone``)."""
        day = day or today_in(zone or self.default_zone, self.clock())
        first, last = week_range(day, self.week_start)
        listed = self.list_user_entries(actor=actor, team_id=team_id, user_id=user_id, first=first, last=last)
        by_day = {d: Decimal("0.00") for d in days_between(first, last)}
        by_job: dict[str, Decimal] = {}
        for entry in listed.entries:
            by_day[entry.work_date] += entry.total_hours
            by_job[entry.job_name] = by_job.get(entry.job_name, Decimal("0.00")) + entry.total_hours
        return WeekSummary(first, last, by_day, listed.entries, listed.complete, by_job)

    # -- admin ------------------------------------------------------------------------

    def dead_letters(self, *, actor: Actor, limit: int = 100) -> list[TimeEntry]:
        if not actor.is_admin:
            raise PermissionDenied("only admins can see failed syncs")
        return self.hot.get_many([i for i, _ in self.hot.dead_ids(limit)])

    def discard_dead_letter(self, entry_id: str, *, actor: Actor) -> DiscardResult:
        """Stop retrying a dead-lettered entry; nothing is deleted.

        The entry leaves the dead-letter index for ``q:discarded``. A row Postgres holds stays
        there; when Postgres holds the current version the Redis copy gets the usual cache TTL,
        otherwise Redis keeps it with no TTL (``crewclock reconcile`` lists it).
        """
        if not actor.is_admin:
            raise PermissionDenied("only admins can discard failed syncs")
        entry = self.hot.get(entry_id)
        saved_version = 0
        try:
            saved = self.sql.get(entry_id)
            saved_version = saved.version if saved is not None else 0
        except Exception as exc:  # Postgres down: assume it does not have it, keep the Redis copy
            log.warning("discard: could not ask Postgres about %s: %s", entry_id, exc, extra={"entry_id": entry_id})
        version = entry.version if entry is not None else 0
        expire_at = None
        if entry is not None and saved_version >= version:
            now = self.clock()
            expire_at = max(int((day_number(entry.work_date) + self.cache_days + 2) * 86400), int(now) + 3600)
        discarded = self.hot.discard_dead(entry_id, now=self.clock(), expire_at=expire_at)
        if discarded:
            log.info(
                "dead letter %s discarded by %s (Postgres has v%d of v%d)",
                entry_id,
                actor.user_id,
                saved_version,
                version,
                extra={"entry_id": entry_id, "slack_user_id": actor.user_id},
            )
        return DiscardResult(discarded, version, saved_version)

    def retry_dead_letter(self, entry_id: str, *, actor: Actor) -> bool:
        if not actor.is_admin:
            raise PermissionDenied("only admins can retry failed syncs")
        requeued = self.hot.retry_dead(entry_id)
        if requeued:
            self.sync.submit(entry_id, now_even_if_down=True)
        return requeued
