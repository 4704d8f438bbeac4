"""Zoho configuration: validation names settings, never values; secrets stay out of repr."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.settings import Settings
from core.zoho import build_sink
from core.zoho.config import DATA_CENTRES, ZohoConfig, ZohoConfigError
from core.zoho.factory import config_from_settings
from core.zoho.people_sink import ZohoPeopleSink
from core.zoho.webhook_sink import ZohoWebhookSink
from tests.fakes.zoho_api import InMemoryZohoRefs

PEOPLE = ZohoConfig(mode="people", client_id="1000.C", client_secret="top-secret", refresh_token="1000.rt-secret")


def test_people_mode_needs_oauth_credentials() -> None:
    problems = ZohoConfig(mode="people").problems()
    assert any("client_id" in p for p in problems)
    assert any("client_secret" in p for p in problems)
    assert any("refresh_token" in p for p in problems)
    assert PEOPLE.problems() == []


def test_webhook_mode_needs_url_and_secret() -> None:
    with pytest.raises(ZohoConfigError) as caught:
        ZohoConfig(mode="webhook", webhook_url="not a url").validate()
    assert "webhook_url" in str(caught.value) and "webhook_secret" in str(caught.value)


def test_repr_and_errors_never_show_secrets() -> None:
    config = replace(PEOPLE, webhook_secret="hook-secret", api_url="ftp://nope")
    text = repr(config)
    for secret in ("top-secret", "1000.rt-secret", "hook-secret"):
        assert secret not in text
    with pytest.raises(ZohoConfigError) as caught:
        config.validate()
    assert "top-secret" not in str(caught.value)


def test_data_centres_pair_accounts_and_api_hosts() -> None:
    eu = ZohoConfig.for_data_centre("EU", mode="people")
    assert (eu.accounts_url, eu.api_url) == ("https://accounts.zoho.eu", "https://people.zoho.eu")
    assert {"us", "eu", "in", "au", "jp"} <= set(DATA_CENTRES)
    with pytest.raises(ZohoConfigError):
        ZohoConfig.for_data_centre("mars")


def test_build_sink_picks_the_mode() -> None:
    refs = InMemoryZohoRefs().callables()
    assert build_sink(ZohoConfig(), **refs) is None
    people = build_sink(PEOPLE, **refs)
    assert isinstance(people, ZohoPeopleSink)
    people.close()
    webhook = ZohoConfig(mode="webhook", webhook_url="https://flow.zoho.com/hook", webhook_secret="whk-secret-77")
    sink = build_sink(webhook, **refs)
    assert isinstance(sink, ZohoWebhookSink)
    assert "whk-secret-77" not in repr(sink)
    sink.close()
    with pytest.raises(ZohoConfigError):
        build_sink(ZohoConfig(mode="people"), **refs)


def test_settings_map_onto_the_config() -> None:
    settings = Settings.from_env(
        {
            "ZOHO_MODE": "people",
            "ZOHO_ACCOUNTS_URL": "https://accounts.zoho.in",
            "ZOHO_API_URL": "https://people.zoho.in",
            "ZOHO_CLIENT_ID": "1000.C",
            "ZOHO_CLIENT_SECRET": "sec",
            "ZOHO_REFRESH_TOKEN": "rt",
            "ZOHO_TIMEOUT_S": "12",
            "ZOHO_RATE_PER_MINUTE": "15",
            "ZOHO_RATE_PER_DAY": "900",
        }
    )
    config = config_from_settings(settings)
    assert config.mode == "people"
    assert (config.accounts_url, config.api_url) == ("https://accounts.zoho.in", "https://people.zoho.in")
    assert (config.read_timeout_s, config.connect_timeout_s) == (12.0, 5.0)
    assert (config.requests_per_minute, config.requests_per_day) == (15, 900)
    assert config.problems() == []
