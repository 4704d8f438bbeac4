"""Reminders to log hours: who opted in (a person, or a manager for the whole team) and when.

Settings live in Postgres (``reminder_settings``; ``user_id`` "" is the whole team) and are
cached in Redis in one hash, ``rm:settings`` (``{team}:{user}`` -> ``on HH:MM`` or ``off HH:MM``),
which the reminder job reads every minute in every process. ``rm:loaded`` marks the cache as
complete; on a fresh or wiped Redis it is missing and the next read loads Postgres again.

A person's own setting wins over the team's: ``off`` opts them out of a team reminder, ``on``
gives them their own time. The time is each person's local time (their Slack time zone).
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import redis
from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.domain.entry import Actor
from core.hot.store import PermissionDenied
from core.service import TimeEntryService
from core.sql.models import ReminderSettingRow

SETTINGS_KEY = "rm:settings"
LOADED_KEY = "rm:loaded"
log = logging.getLogger(__name__)

TEAM = ""  # the user id of a team-wide setting
DEFAULT_TIME = time(16, 30)
TEAM_LOOKBACK_DAYS = 30  # a team reminder goes to everyone who logged hours in this many days


@dataclass(frozen=True, slots=True)
class ReminderSetting:
    team_id: str
    user_id: str  # "" for the whole team
    enabled: bool
    remind_at: time

    @property
    def cached(self) -> str:
        return f"{'on' if self.enabled else 'off'} {self.remind_at:%H:%M}"

    @classmethod
    def from_cache(cls, field: str, value: str) -> ReminderSetting:
        team_id, _, user_id = field.partition(":")
        state, _, clock = value.partition(" ")
        hours, minutes = clock.split(":")
        return cls(team_id, user_id, state == "on", time(int(hours), int(minutes)))


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone to remind, and at what local time."""

    team_id: str
    user_id: str
    remind_at: time


class ReminderSettings:
    """Read and change reminder settings (Postgres first, then the Redis cache)."""

    def __init__(
        self,
        engine: Engine,
        client: redis.Redis,
        entries: TimeEntryService,
        *,
        clock: Callable[[], float] = _time.time,
    ) -> None:
        self.engine = engine
        self.redis = client
        self.entries = entries
        self.clock = clock
        self._dialect = postgresql if engine.dialect.name == "postgresql" else sqlite

    # -- writes -----------------------------------------------------------------------

    def set_own(self, actor: Actor, *, enabled: bool, remind_at: time | None = None) -> ReminderSetting:
        """The actor's own reminder: on at ``remind_at`` (default: their current time, else 16:30), or off."""
        current = self.setting(actor.team_id, actor.user_id)
        at = remind_at or (current.remind_at if current else DEFAULT_TIME)
        return self._save(ReminderSetting(actor.team_id, actor.user_id, enabled, at), actor)

    def set_team(self, actor: Actor, *, enabled: bool, remind_at: time | None = None) -> ReminderSetting:
        """The team's reminder (managers): everyone who logged hours lately, unless they opted out."""
        if not (actor.is_manager or actor.is_admin):
            raise PermissionDenied("only managers can set the team's reminder")
        current = self.setting(actor.team_id, TEAM)
        at = remind_at or (current.remind_at if current else DEFAULT_TIME)
        return self._save(ReminderSetting(actor.team_id, TEAM, enabled, at), actor)

    def _save(self, setting: ReminderSetting, actor: Actor) -> ReminderSetting:
        values = {
            "team_id": setting.team_id,
            "user_id": setting.user_id,
            "enabled": setting.enabled,
            "remind_at": setting.remind_at,
            "updated_by": actor.user_id,
            "updated_at": datetime.fromtimestamp(self.clock(), UTC),
        }
        stmt = self._dialect.insert(ReminderSettingRow).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ReminderSettingRow.team_id, ReminderSettingRow.user_id],
            set_={k: v for k, v in values.items() if k not in ("team_id", "user_id")},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)
        self._ensure_cache()
        self.redis.hset(SETTINGS_KEY, f"{setting.team_id}:{setting.user_id}", setting.cached)
        return setting

    # -- reads ------------------------------------------------------------------------

    def _ensure_cache(self) -> None:
        """Load Postgres's settings into a Redis that lacks them (fresh or wiped)."""
        if self.redis.exists(LOADED_KEY):
            return
        with Session(self.engine) as session:
            rows = [
                ReminderSetting(r.team_id, r.user_id, r.enabled, r.remind_at)
                for r in session.scalars(select(ReminderSettingRow))
            ]
        pipe = self.redis.pipeline(transaction=True)
        for row in rows:
            pipe.hset(SETTINGS_KEY, f"{row.team_id}:{row.user_id}", row.cached)
        pipe.set(LOADED_KEY, 1)
        pipe.execute()

    def all_settings(self) -> list[ReminderSetting]:
        """Every setting, from the Redis cache (loaded from Postgres first when missing)."""
        self._ensure_cache()
        raw: dict[bytes | str, bytes | str] = self.redis.hgetall(SETTINGS_KEY)
        return [ReminderSetting.from_cache(_text(k), _text(v)) for k, v in raw.items()]

    def setting(self, team_id: str, user_id: str) -> ReminderSetting | None:
        """One stored setting (``user_id`` "" for the team's), or None."""
        self._ensure_cache()
        raw = self.redis.hget(SETTINGS_KEY, f"{team_id}:{user_id}")
        return None if raw is None else ReminderSetting.from_cache(f"{team_id}:{user_id}", _text(raw))

    def recipients(self, settings: Iterable[ReminderSetting] | None = None) -> list[Recipient]:
        """Everyone opted in, at their time: own settings first, then the team's for the rest of the crew."""
        settings = list(self.all_settings() if settings is None else settings)
        own = {(s.team_id, s.user_id): s for s in settings if s.user_id != TEAM}
        found = {key: Recipient(s.team_id, s.user_id, s.remind_at) for key, s in own.items() if s.enabled}
        today = datetime.fromtimestamp(self.clock(), UTC).date()
        for team in (s for s in settings if s.user_id == TEAM and s.enabled):
            try:
                members = self.entries.team_members(team.team_id, today - timedelta(days=TEAM_LOOKBACK_DAYS), today)
            except SQLAlchemyError as exc:  # Postgres away: own reminders still go out, the team's next run
                log.warning("team reminder of %s skipped: the crew list needs Postgres (%s)", team.team_id, exc)
                continue
            for user_id in members:
                if (team.team_id, user_id) not in own:
                    found[(team.team_id, user_id)] = Recipient(team.team_id, user_id, team.remind_at)
        return sorted(found.values(), key=lambda r: (r.team_id, r.user_id))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
