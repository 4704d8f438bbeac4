"""Zoho sink configuration: plain data, filled in by ``core.settings`` (never from os.environ here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

ZohoMode = Literal["off", "webhook", "people"]
MODES: tuple[ZohoMode, ...] = ("off", "webhook", "people")

# Accounts server and Zoho People host per data centre. A refresh token only works
# against the accounts server of the data centre where the org lives.
DATA_CENTRES: dict[str, tuple[str, str]] = {
    "us": ("https://accounts.zoho.com", "https://people.zoho.com"),
    "eu": ("https://accounts.zoho.eu", "https://people.zoho.eu"),
    "in": ("https://accounts.zoho.in", "https://people.zoho.in"),
    "au": ("https://accounts.zoho.com.au", "https://people.zoho.com.au"),
    "jp": ("https://accounts.zoho.jp", "https://people.zoho.jp"),
    "ca": ("https://accounts.zohocloud.ca", "https://people.zohocloud.ca"),
    "cn": ("https://accounts.zoho.com.cn", "https://people.zoho.com.cn"),
}


class ZohoConfigError(ValueError):
    """The configuration cannot work; the message names settings, never their values."""


@dataclass(frozen=True, slots=True)
class ZohoConfig:
    """Everything the Zoho sinks need.

    Secrets are excluded from ``repr`` so a logged config never leaks them.

    Attributes:
        mode: "off", "webhook" or "people".
        accounts_url: Zoho accounts server of the org's data centre (OAuth token endpoint).
        api_url: Zoho People host of the same data centre.
        client_id: OAuth client id of the self-client / server app.
        client_secret: OAuth client secret.
        refresh_token: long-lived refresh token with ZOHOPEOPLE.timetracker.ALL scope.
        webhook_url: Zoho Flow / Creator webhook for webhook mode.
        webhook_secret: HMAC-SHA256 key for the webhook signature header.
        user_map: Slack email (lower case) -> Zoho user (email, employee id or erecno),
            for people whose Zoho login differs from their Slack email.
        connect_timeout_s: TCP/TLS connect timeout.
        read_timeout_s: time to wait for Zoho's reply once the request is sent.
        token_refresh_margin_s: refresh the access token this long before it expires.
        max_token_grants: at most this many token grants per ``token_grant_window_s``;
            Zoho allows about 10 per refresh token per 10 minutes and then blocks.
        token_grant_window_s: the window for ``max_token_grants``.
        requests_per_minute: our own ceiling on Zoho People calls (Zoho documents a
            threshold of 20 a minute per time tracker API, then a 5 minute lock).
        requests_per_day: our own daily ceiling (the real quota depends on the edition).
        max_rate_wait_s: how long a push may wait for a rate-limit permit before
            giving the entry back to the core to retry later.
        rate_limit_lock_s: wait after a 429 that carries no Retry-After (Zoho's lock period).
    """

    mode: ZohoMode = "off"
    accounts_url: str = "https://accounts.zoho.com"
    api_url: str = "https://people.zoho.com"
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    user_map: dict[str, str] = field(default_factory=dict)
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 20.0
    token_refresh_margin_s: float = 300.0
    max_token_grants: int = 5
    token_grant_window_s: float = 600.0
    requests_per_minute: int = 20
    requests_per_day: int = 5000
    max_rate_wait_s: float = 5.0
    rate_limit_lock_s: float = 300.0

    @classmethod
    def for_data_centre(cls, dc: str, **kwargs: object) -> ZohoConfig:
        """Build a config whose accounts and API hosts match one data centre.

        Args:
            dc: one of ``DATA_CENTRES`` ("us", "eu", "in", "au", "jp", "ca", "cn").
            **kwargs: any other ``ZohoConfig`` field.

        Raises:
            ZohoConfigError: for an unknown data centre.
        """
        try:
            accounts_url, api_url = DATA_CENTRES[dc.lower()]
        except KeyError:
            known = ", ".join(sorted(DATA_CENTRES))
            raise ZohoConfigError(f"unknown Zoho data centre {dc!r} (known: {known})") from None
        return cls(accounts_url=accounts_url, api_url=api_url, **kwargs)  # type: ignore[arg-type]

    def problems(self) -> list[str]:
        """List what keeps this config from working in its mode (empty when it is fine)."""
        if self.mode not in MODES:
            return [f"ZOHO_MODE must be one of {', '.join(MODES)}"]
        found: list[str] = []
        if self.mode == "people":
            for name in ("client_id", "client_secret", "refresh_token"):
                if not getattr(self, name):
                    found.append(f"zoho {name} is required in people mode")
            for name in ("accounts_url", "api_url"):
                if not _is_http_url(getattr(self, name)):
                    found.append(f"zoho {name} must be an http(s) URL")
        if self.mode == "webhook":
            if not _is_http_url(self.webhook_url):
                found.append("zoho webhook_url must be an http(s) URL in webhook mode")
            if not self.webhook_secret:
                found.append("zoho webhook_secret is required in webhook mode")
        if self.connect_timeout_s <= 0 or self.read_timeout_s <= 0:
            found.append("zoho timeouts must be positive")
        if self.requests_per_minute < 1 or self.requests_per_day < 1:
            found.append("zoho rate limits must be at least 1")
        if self.max_token_grants < 1:
            found.append("zoho max_token_grants must be at least 1")
        return found

    def validate(self) -> ZohoConfig:
        """Return self, or raise if the config cannot work.

        Raises:
            ZohoConfigError: listing every problem found.
        """
        found = self.problems()
        if found:
            raise ZohoConfigError("; ".join(found))
        return self


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
