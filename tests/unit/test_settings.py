from datetime import time

import pytest

from core.settings import Settings, SettingsError


def test_defaults_run_on_embedded_storage() -> None:
    settings = Settings.from_env({})
    assert settings.embedded_redis
    assert settings.sqlalchemy_url == "sqlite:///crewclock.db"
    assert (settings.entry_cache_days, settings.max_backdate_days, settings.week_start) == (30, 60, 0)
    assert (settings.weekly_summary_day, settings.weekly_summary_time) == (4, time(16, 0))


def test_values_are_read_and_plain_postgres_urls_use_psycopg() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u:p@db/crew",
            "REDIS_URL": "redis://cache:6379/0",
            "SYNC_WORKERS": "8",
            "MANAGER_USER_IDS": "U1, U2,",
            "WEEK_START": "sun",
            "TIMEZONE": "America/Chicago",
            "ZOHO_USER_MAP": "a@x.com=b@y.com",
        }
    )
    assert settings.database_url == "postgresql+psycopg://u:p@db/crew"
    assert settings.sync_workers == 8
    assert settings.manager_user_ids == {"U1", "U2"}
    assert settings.week_start == 6
    assert settings.zoho_user_map == {"a@x.com": "b@y.com"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SYNC_WORKERS": "lots"}, "SYNC_WORKERS must be a whole number"),
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE must be an IANA time zone"),
        ({"ZOHO_MODE": "sometimes"}, "ZOHO_MODE must be off, webhook or people"),
        ({"WEEKLY_SUMMARY_TIME": "4pm"}, "WEEKLY_SUMMARY_TIME must look like 16:00"),
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_repr_never_shows_secrets() -> None:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-secret", "ZOHO_CLIENT_SECRET": "zsecret"})
    assert "xoxb-secret" not in repr(settings) and "zsecret" not in repr(settings)


def test_the_seeds_zoho_settings_still_mean_webhook_mode() -> None:
    settings = Settings.from_env({"ZOHO_ACCESS_TOKEN_URL": "https://flow.zoho.com/hook/1", "ZOHO_WEBHOOK_SECRET": "s"})
    assert (settings.zoho_mode, settings.zoho_webhook_url) == ("webhook", "https://flow.zoho.com/hook/1")
    assert Settings.from_env({"ZOHO_ACCESS_TOKEN_URL": "https://x", "ZOHO_MODE": "off"}).zoho_mode == "off"
