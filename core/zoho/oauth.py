"""Zoho OAuth: access tokens from a refresh token, cached, refreshed rarely.

Zoho lets one refresh token mint only about ten access tokens per ten minutes and then
blocks it, so a token is cached until shortly before ``expires_in`` and one refresh
serves every thread. A local grant budget (``max_grants`` per ``grant_window_s``) keeps a
misbehaving API (401 after 401) from burning Zoho's allowance.

The refresh-token grant is sent as a form body, not query parameters as some Zoho pages
show: URLs end up in access logs and in httpx's own INFO log line, bodies do not.
Nothing here logs or raises with a token, the client secret or the refresh token.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import httpx

from core.zoho.errors import (
    ZohoAuthError,
    ZohoNetworkError,
    ZohoRateLimited,
    ZohoTransientError,
    ZohoUnavailable,
)

log = logging.getLogger("crewclock.zoho.oauth")

TOKEN_PATH = "/oauth/v2/token"
# Some Zoho data centres used to answer expires_in in milliseconds (with expires_in_sec
# beside it); anything longer than a day cannot be seconds.
_MAX_PLAUSIBLE_TTL_S = 86_400


class TokenProvider:
    """Hands out a valid access token; thread-safe.

    Args:
        http: the shared httpx client (its timeouts apply to the token call too).
        accounts_url: accounts server of the org's data centre.
        client_id: OAuth client id.
        client_secret: OAuth client secret.
        refresh_token: OAuth refresh token.
        refresh_margin_s: refresh this long before expiry (capped at half the lifetime).
        max_grants: most token grants allowed per ``grant_window_s``.
        grant_window_s: window for ``max_grants``.
        clock: monotonic clock, injectable for tests.
    """

    def __init__(
        self,
        *,
        http: httpx.Client,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        refresh_margin_s: float = 300.0,
        max_grants: int = 5,
        grant_window_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._url = accounts_url.rstrip("/") + TOKEN_PATH
        self._form = {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        }
        self._margin_s = refresh_margin_s
        self._max_grants = max_grants
        self._grant_window_s = grant_window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self._grant_times: deque[float] = deque()
        self.grants = 0  # successful grants, for metrics and tests

    def __repr__(self) -> str:  # never show the secrets or the token
        return f"TokenProvider(url={self._url!r}, grants={self.grants})"

    def token(self) -> str:
        """Return a cached access token, refreshing it first if it is near expiry.

        Raises:
            ZohoAuthError: Zoho refused the refresh token, or the local grant budget is spent.
            ZohoTransientError: the accounts server was unreachable, slow or rate limiting.
        """
        with self._lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token
            return self._refresh_locked()

    def invalidate(self, stale: str) -> None:
        """Forget ``stale`` after Zoho answered 401 with it.

        Only the token that failed is dropped: when several threads hit 401 with the same
        token, the first refresh is shared and the others reuse its result.
        """
        with self._lock:
            if self._token == stale:
                self._token = None

    def _refresh_locked(self) -> str:
        now = self._clock()
        while self._grant_times and self._grant_times[0] <= now - self._grant_window_s:
            self._grant_times.popleft()
        if len(self._grant_times) >= self._max_grants:
            wait = self._grant_times[0] + self._grant_window_s - now
            raise ZohoAuthError(
                f"Zoho token grant budget spent ({self._max_grants} per "
                f"{self._grant_window_s:.0f}s); not asking again for {wait:.0f}s",
                retry_after_s=wait,
            )
        self._grant_times.append(now)
        try:
            reply = self._http.post(self._url, data=self._form)
        except httpx.TimeoutException as exc:
            raise ZohoNetworkError(f"Zoho token request timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise ZohoNetworkError(f"Zoho token request failed ({type(exc).__name__})") from None
        if reply.status_code == 429:
            raise ZohoRateLimited("Zoho accounts server answered 429", retry_after_s=self._grant_window_s)
        if reply.status_code >= 500:
            raise ZohoUnavailable(f"Zoho accounts server answered {reply.status_code}")
        try:
            body = reply.json()
        except ValueError:
            raise ZohoAuthError(f"Zoho accounts server answered {reply.status_code} without JSON") from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise self._refusal(body if isinstance(body, dict) else {}, reply.status_code)
        ttl = _ttl_seconds(body)
        margin = min(self._margin_s, ttl / 2)
        self._token = token
        self._refresh_at = now + ttl - margin
        self.grants += 1
        log.info("zoho oauth: new access token, valid for %ss", ttl)
        return token

    def _refusal(self, body: dict[str, object], status: int) -> ZohoTransientError:
        error = str(body.get("error") or f"HTTP {status}")
        description = str(body.get("error_description") or "")
        if "too many requests" in description.lower():
            # Zoho blocks token grants for the rest of its ten minute window.
            return ZohoRateLimited(f"Zoho refused a token grant: {description}", retry_after_s=self._grant_window_s)
        hint = " (check the refresh token, client id/secret and data centre)"
        return ZohoAuthError(f"Zoho refused the refresh token: {error}{hint}")


def _ttl_seconds(body: dict[str, object]) -> float:
    raw = body.get("expires_in_sec", body.get("expires_in", 3600))
    try:
        ttl = float(raw) if isinstance(raw, int | float | str) else 3600.0
    except ValueError:
        ttl = 3600.0
    if ttl > _MAX_PLAUSIBLE_TTL_S:
        ttl /= 1000.0
    return max(ttl, 1.0)
