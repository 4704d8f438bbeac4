"""The one place that reads the environment.

Every setting is documented in the README's Settings table; ``Settings.from_env``
is called once by the entry point and the result is passed down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class SettingsError(ValueError):
    """A setting has a value crewclock cannot use; the message names it."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _ids(env: Mapping[str, str], name: str) -> frozenset[str]:
    return frozenset(part.strip() for part in env.get(name, "").split(",") if part.strip())


def _overtime(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if not 0 < value <= 168:
        raise SettingsError(f"{name} must be between 0 and 168 hours, got {value:g}")
    return value


def _weekday(env: Mapping[str, str], name: str, default: str) -> int:
    raw = env.get(name, default).strip().lower()
    for index, day in enumerate(WEEKDAYS):
        if raw and day.startswith(raw[:3]):
            return index
    raise SettingsError(f"{name} must be a weekday name, got {raw!r}")


def _clock(env: Mapping[str, str], name: str, default: str) -> time:
    raw = env.get(name, default).strip()
    try:
        hours, minutes = raw.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise SettingsError(f"{name} must look like 16:00, got {raw!r}") from None


def _zone(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, default).strip() or default
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{name} must be an IANA time zone like America/Chicago, got {raw!r}") from None
    return raw


def _user_map(env: Mapping[str, str], name: str) -> dict[str, str]:
    """``a@x.com=b@y.com,c@x.com=123`` → {"a@x.com": "b@y.com", "c@x.com": "123"}."""
    pairs: dict[str, str] = {}
    for part in env.get(name, "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SettingsError(f"{name} entries must look like slack@email=zoho-user, got {part!r}")
        pairs[key.strip().lower()] = value.strip()
    return pairs


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything crewclock can be told, with the defaults a fresh machine runs on."""

    redis_url: str = ""  # empty: in-process fakeredis
    database_url: str = ""  # empty: SQLite file ./crewclock.db
    entry_cache_days: int = 30
    max_backdate_days: int = 60
    timezone: str = "UTC"
    week_start: int = 0  # Monday
    auto_migrate: bool = False
    sync_workers: int = 4
    sync_retry_interval_s: float = 30.0
    sync_max_attempts: int = 12  # ~45 min of backoff before an admin is told; revived on recovery
    sync_backoff_base_s: float = 2.0
    sync_backoff_cap_s: float = 900.0
    sync_lease_s: float = 300.0
    sync_batch_size: int = 500
    shutdown_deadline_s: float = 10.0
    log_level: str = "INFO"
    # Slack edge
    port: int = 3000
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = ""
    manager_user_ids: frozenset[str] = frozenset()
    manager_usergroup_id: str = ""
    admin_user_ids: frozenset[str] = frozenset()
    weekly_summary_day: int = 4  # Friday
    weekly_summary_time: time = time(16, 0)
    overtime_weekly_hours: float = 40.0  # payroll export and summaries: hours past this in a week are overtime
    # Zoho sink
    zoho_mode: str = "off"
    zoho_accounts_url: str = "https://accounts.zoho.com"
    zoho_api_url: str = "https://people.zoho.com"
    zoho_client_id: str = ""
    zoho_client_secret: str = ""
    zoho_refresh_token: str = ""
    zoho_webhook_url: str = ""
    zoho_webhook_secret: str = ""
    zoho_user_map: dict[str, str] = field(default_factory=dict)
    zoho_timeout_s: float = 10.0
    zoho_rate_per_minute: int = 20  # Zoho documents 20 time-tracker calls a minute, then a lock
    zoho_rate_per_day: int = 10000
    # Operations
    alert_pending_age_s: float = 900.0  # DM the admins when the oldest pending entry is older
    alert_check_interval_s: float = 30.0

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or "sqlite:///crewclock.db"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every setting once; raise ``SettingsError`` naming a bad one."""
        env = os.environ if env is None else env
        # The seed's deployments set only ZOHO_ACCESS_TOKEN_URL (a Zoho Flow webhook): keep them working.
        webhook_url = (env.get("ZOHO_WEBHOOK_URL") or env.get("ZOHO_ACCESS_TOKEN_URL") or "").strip()
        default_mode = "webhook" if webhook_url and "ZOHO_MODE" not in env else "off"
        zoho_mode = env.get("ZOHO_MODE", default_mode).strip().lower() or "off"
        if zoho_mode not in ("off", "webhook", "people"):
            raise SettingsError(f"ZOHO_MODE must be off, webhook or people, got {zoho_mode!r}")
        database_url = env.get("DATABASE_URL", "").strip()
        if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
            # psycopg 3 is the driver we ship; plain URLs from hosting providers mean it too.
            database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
        return cls(
            redis_url=env.get("REDIS_URL", "").strip(),
            database_url=database_url,
            entry_cache_days=_int(env, "ENTRY_CACHE_DAYS", 30, minimum=1),
            max_backdate_days=_int(env, "MAX_BACKDATE_DAYS", 60, minimum=0),
            timezone=_zone(env, "TIMEZONE", "UTC"),
            week_start=_weekday(env, "WEEK_START", "monday"),
            auto_migrate=_bool(env, "AUTO_MIGRATE", False),
            sync_workers=_int(env, "SYNC_WORKERS", 4, minimum=1),
            sync_retry_interval_s=_float(env, "SYNC_RETRY_INTERVAL_S", 30.0),
            sync_max_attempts=_int(env, "SYNC_MAX_ATTEMPTS", 12, minimum=1),
            sync_backoff_base_s=_float(env, "SYNC_BACKOFF_BASE_S", 2.0),
            sync_backoff_cap_s=_float(env, "SYNC_BACKOFF_CAP_S", 900.0),
            sync_lease_s=_float(env, "SYNC_LEASE_S", 300.0),
            sync_batch_size=_int(env, "SYNC_BATCH_SIZE", 500, minimum=1),
            shutdown_deadline_s=_float(env, "SHUTDOWN_DEADLINE_S", 10.0),
            log_level=env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO",
            port=_int(env, "PORT", 3000, minimum=1),
            slack_bot_token=env.get("SLACK_BOT_TOKEN", "").strip(),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip(),
            slack_app_token=env.get("SLACK_APP_TOKEN", "").strip(),
            slack_api_url=env.get("SLACK_API_URL", "").strip(),
            manager_user_ids=_ids(env, "MANAGER_USER_IDS"),
            manager_usergroup_id=env.get("MANAGER_USERGROUP_ID", "").strip(),
            admin_user_ids=_ids(env, "ADMIN_USER_IDS"),
            weekly_summary_day=_weekday(env, "WEEKLY_SUMMARY_DAY", "friday"),
            weekly_summary_time=_clock(env, "WEEKLY_SUMMARY_TIME", "16:00"),
            overtime_weekly_hours=_overtime(env, "OVERTIME_WEEKLY_HOURS", 40.0),
            zoho_mode=zoho_mode,
            zoho_accounts_url=env.get("ZOHO_ACCOUNTS_URL", "https://accounts.zoho.com").rstrip("/"),
            zoho_api_url=env.get("ZOHO_API_URL", "https://people.zoho.com").rstrip("/"),
            zoho_client_id=env.get("ZOHO_CLIENT_ID", "").strip(),
            zoho_client_secret=env.get("ZOHO_CLIENT_SECRET", "").strip(),
            zoho_refresh_token=env.get("ZOHO_REFRESH_TOKEN", "").strip(),
            zoho_webhook_url=webhook_url,
            zoho_webhook_secret=env.get("ZOHO_WEBHOOK_SECRET", "").strip(),
            zoho_user_map=_user_map(env, "ZOHO_USER_MAP"),
            zoho_timeout_s=_float(env, "ZOHO_TIMEOUT_S", 10.0),
            zoho_rate_per_minute=_int(env, "ZOHO_RATE_PER_MINUTE", 20, minimum=1),
            zoho_rate_per_day=_int(env, "ZOHO_RATE_PER_DAY", 10000, minimum=1),
            alert_pending_age_s=_float(env, "ALERT_PENDING_AGE_S", 900.0),
            alert_check_interval_s=_float(env, "ALERT_CHECK_INTERVAL_S", 30.0),
        )

    def __repr__(self) -> str:  # secrets never reach a log line through repr()
        redis_kind = "embedded" if self.embedded_redis else "server"
        db_kind = self.sqlalchemy_url.split("://")[0]
        return f"Settings(redis={redis_kind}, db={db_kind}, zoho={self.zoho_mode})"
