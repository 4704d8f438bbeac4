"""OAuth token cache: refresh once per expiry, share a refresh across threads, never leak secrets."""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import parse_qs

import httpx
import pytest

from core.zoho.errors import ZohoAuthError, ZohoNetworkError, ZohoRateLimited
from core.zoho.oauth import TokenProvider

SECRET = "s3cret-client-value"
REFRESH = "1000.refresh-token-value"


class AccountsServer:
    """An in-memory accounts server behind httpx.MockTransport."""

    def __init__(self, *, expires_in: float = 3600, reply: dict[str, object] | None = None, status: int = 200):
        self.expires_in = expires_in
        self.reply = reply
        self.status = status
        self.grants = 0
        self.forms: list[dict[str, list[str]]] = []
        self.urls: list[str] = []
        self.delay_s = 0.0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        self.forms.append(parse_qs(request.content.decode()))
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.reply is not None:
            return httpx.Response(self.status, json=self.reply)
        self.grants += 1
        return httpx.Response(200, json={"access_token": f"tok-{self.grants}", "expires_in": self.expires_in})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def provider(server: AccountsServer, clock: Clock | None = None, **kwargs: object) -> TokenProvider:
    http = httpx.Client(transport=httpx.MockTransport(server))
    return TokenProvider(
        http=http,
        accounts_url="https://accounts.zoho.eu/",
        client_id="1000.CLIENT",
        client_secret=SECRET,
        refresh_token=REFRESH,
        clock=clock or Clock(),
        **kwargs,  # type: ignore[arg-type]
    )


def test_token_is_cached_until_shortly_before_expiry() -> None:
    server, clock = AccountsServer(expires_in=3600), Clock()
    tokens = provider(server, clock, refresh_margin_s=300)
    assert {tokens.token() for _ in range(50)} == {"tok-1"}
    clock.now = 3299
    assert tokens.token() == "tok-1"
    clock.now = 3301  # inside the margin: refresh before Zoho would say 401
    assert tokens.token() == "tok-2"
    assert server.grants == tokens.grants == 2


def test_refresh_uses_the_data_centre_and_sends_secrets_in_the_body_only() -> None:
    server = AccountsServer()
    provider(server).token()
    assert server.urls == ["https://accounts.zoho.eu/oauth/v2/token"]
    assert server.forms[0] == {
        "grant_type": ["refresh_token"],
        "client_id": ["1000.CLIENT"],
        "client_secret": [SECRET],
        "refresh_token": [REFRESH],
    }


def test_concurrent_callers_share_one_refresh() -> None:
    server = AccountsServer()
    server.delay_s = 0.05
    tokens = provider(server)
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(tokens.token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.grants == 1
    assert set(seen) == {"tok-1"}


def test_invalidate_drops_only_the_token_that_failed() -> None:
    server = AccountsServer()
    tokens = provider(server)
    stale = tokens.token()
    tokens.invalidate(stale)
    fresh = tokens.token()
    assert fresh == "tok-2"
    tokens.invalidate(stale)  # a second thread's 401 with the old token: no new grant
    assert tokens.token() == fresh
    assert server.grants == 2


def test_grant_budget_stops_a_401_loop_from_burning_zohos_allowance() -> None:
    server, clock = AccountsServer(), Clock()
    tokens = provider(server, clock, max_grants=3, grant_window_s=600)
    for _ in range(3):
        tokens.invalidate(tokens.token())
    with pytest.raises(ZohoAuthError) as caught:
        tokens.token()
    assert server.grants == 3
    assert caught.value.retry_after_s == pytest.approx(600)
    clock.now = 601
    assert tokens.token() == "tok-4"


def test_refused_refresh_token_is_an_auth_error_without_secrets() -> None:
    tokens = provider(AccountsServer(reply={"error": "invalid_code"}))
    with pytest.raises(ZohoAuthError) as caught:
        tokens.token()
    assert "invalid_code" in str(caught.value)
    assert SECRET not in str(caught.value) and REFRESH not in str(caught.value)
    assert SECRET not in repr(tokens) and REFRESH not in repr(tokens)


def test_too_many_grants_reply_is_rate_limited_for_the_window() -> None:
    reply: dict[str, object] = {
        "error": "Access Denied",
        "error_description": "You have made too many requests continuously.",
    }
    tokens = provider(AccountsServer(reply=reply, status=400))
    with pytest.raises(ZohoRateLimited) as caught:
        tokens.token()
    assert caught.value.retry_after_s == 600


def test_expires_in_given_in_milliseconds_is_understood() -> None:
    server, clock = AccountsServer(expires_in=3_600_000), Clock()
    tokens = provider(server, clock, refresh_margin_s=300)
    tokens.token()
    clock.now = 3299
    tokens.token()
    assert server.grants == 1
    clock.now = 3301
    tokens.token()
    assert server.grants == 2


def test_unreachable_accounts_server_is_transient() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    tokens = TokenProvider(
        http=httpx.Client(transport=httpx.MockTransport(boom)),
        accounts_url="https://accounts.zoho.com",
        client_id="c",
        client_secret=SECRET,
        refresh_token=REFRESH,
    )
    with pytest.raises(ZohoNetworkError):
        tokens.token()


def test_nothing_logged_carries_a_secret_or_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = AccountsServer()
    tokens = provider(server)
    token = tokens.token()
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "new access token" in text
    for secret in (SECRET, REFRESH, token):
        assert secret not in text
