"""HTTP client for the Zoho People time tracker API.

Calls used (all under ``{api_url}/people/api/timetracker/``):

* ``POST addupdatetimelogs`` with form field ``timelogs`` = JSON array (bulk add/edit,
  up to 100 logs within 31 days). Reply ``response.result`` holds ``addedTimelogIds``,
  ``editedTimelogIds`` and, when some logs failed, ``errorLogs`` (each with
  ``errorCode``, ``message``, ``user``, ``date``, ``jobId``, ``hours``).
* ``POST deletetimelog`` with ``timeLogId`` = comma-separated ids; reply ``result`` is
  a list of ``{"timeLogId": ...}``.
* ``GET gettimelogs`` with ``user``, ``fromDate``, ``toDate``, ``dateFormat``,
  ``sIndex``, ``limit`` (at most 200 a page, at most one month a call).

Where Zoho's pages are unclear we chose, and the fake mirrors:

* ``errors`` is sometimes documented as a list and sometimes as one object; both parse.
* a bulk call that fails as a whole answers ``status: 1`` with ``errors``; per-log
  failures answer ``status: 0`` with ``errorLogs``. A ``status: 1`` reply that still
  carries ``result.errorLogs`` is read as per-log failures.
* an expired or revoked token answers HTTP 401 (the body's code is not relied on).
* "no records" (7024) on a read is an empty list; a delete of a missing log answers 7049.
* reads ask for at most 28 days at a time, since "one month" is not defined further.

Every call first takes a permit from the rate limiter, then a cached token; a 401
invalidates that token and the call is sent once more with a fresh one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from core.zoho.config import ZohoConfig
from core.zoho.errors import (
    NO_RECORDS_CODE,
    ZohoAuthError,
    ZohoError,
    ZohoNetworkError,
    ZohoPermanentError,
    ZohoRateLimited,
    ZohoTransientError,
    ZohoUnavailable,
    is_permanent_code,
)
from core.zoho.oauth import TokenProvider
from core.zoho.ratelimit import RateLimiter
from core.zoho.timelogs import TimeLogPayload, TimeLogRecord

log = logging.getLogger("crewclock.zoho.client")

API_PREFIX = "/people/api/timetracker"
PAGE_LIMIT = 200
READ_WINDOW_DAYS = 28


def build_http_client(config: ZohoConfig, *, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """One pooled httpx client with explicit timeouts, shared by OAuth and API calls.

    Args:
        config: supplies the connect and read timeouts.
        transport: optional transport (tests pass ``httpx.MockTransport``).
    """
    timeout = httpx.Timeout(
        connect=config.connect_timeout_s,
        read=config.read_timeout_s,
        write=config.read_timeout_s,
        pool=config.connect_timeout_s,
    )
    limits = httpx.Limits(max_connections=10, max_keepalive_connections=5, keepalive_expiry=30.0)
    return httpx.Client(
        timeout=timeout,
        limits=limits,
        transport=transport,
        headers={"User-Agent": "crewclock-zoho/1"},
    )


@dataclass(frozen=True, slots=True)
class BulkErrorLog:
    """One log Zoho refused in a bulk call."""

    code: int | None
    message: str
    user: str
    date: str
    job_id: str
    hours: str

    @property
    def permanent(self) -> bool:
        return is_permanent_code(self.code)

    def describe(self) -> str:
        code = f" ({self.code})" if self.code is not None else ""
        return f"Zoho refused the time log{code}: {self.message}"


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What a bulk add/edit call reported."""

    added_ids: list[str] = field(default_factory=list)
    edited_ids: list[str] = field(default_factory=list)
    error_logs: list[BulkErrorLog] = field(default_factory=list)


class ZohoPeopleClient:
    """Typed calls to the time tracker API; raises ``ZohoError`` subclasses only.

    Args:
        http: shared httpx client (see ``build_http_client``).
        tokens: access-token source.
        api_url: Zoho People host of the org's data centre.
        limiter: optional client-side rate limiter; every API call takes one permit.
        max_rate_wait_s: how long to wait for a permit before raising ``ZohoRateLimited``.
        rate_limit_lock_s: back-off after a 429 without Retry-After.
    """

    def __init__(
        self,
        *,
        http: httpx.Client,
        tokens: TokenProvider,
        api_url: str,
        limiter: RateLimiter | None = None,
        max_rate_wait_s: float = 5.0,
        rate_limit_lock_s: float = 300.0,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._base = api_url.rstrip("/") + API_PREFIX
        self._limiter = limiter
        self._max_rate_wait_s = max_rate_wait_s
        self._lock_s = rate_limit_lock_s

    def close(self) -> None:
        """Close the shared connection pool."""
        self._http.close()

    def add_update_timelogs(self, logs: Sequence[TimeLogPayload]) -> BulkResult:
        """Add (no ``timelog_id``) or edit (with one) up to 100 logs in one call."""
        data = {"timelogs": json.dumps([item.as_json() for item in logs])}
        response = self._call("POST", "addupdatetimelogs", data=data, allow_error_logs=True)
        result = response.get("result")
        if not isinstance(result, Mapping):
            result = {}
        return BulkResult(
            added_ids=_ids(result.get("addedTimelogIds")),
            edited_ids=_ids(result.get("editedTimelogIds")),
            error_logs=[_error_log(item) for item in _list(result.get("errorLogs"))],
        )

    def delete_timelogs(self, timelog_ids: Sequence[str]) -> list[str]:
        """Delete logs by id and return the ids Zoho reported deleted.

        Raises:
            ZohoPermanentError: with ``code == 7049`` when a log does not exist.
        """
        response = self._call("POST", "deletetimelog", data={"timeLogId": ",".join(timelog_ids)})
        return [
            str(item.get("timeLogId"))
            for item in _list(response.get("result"))
            if isinstance(item, Mapping) and item.get("timeLogId") is not None
        ]

    def get_timelogs(self, *, user: str, from_date: date, to_date: date) -> list[TimeLogRecord]:
        """All of one user's logs between two dates (inclusive), across pages and months."""
        records: list[TimeLogRecord] = []
        start = from_date
        while start <= to_date:
            end = min(to_date, start + timedelta(days=READ_WINDOW_DAYS - 1))
            records.extend(self._get_window(user, start, end))
            start = end + timedelta(days=1)
        return records

    def _get_window(self, user: str, start: date, end: date) -> list[TimeLogRecord]:
        records: list[TimeLogRecord] = []
        index = 0
        while True:
            params = {
                "user": user,
                "fromDate": start.isoformat(),
                "toDate": end.isoformat(),
                "dateFormat": "yyyy-MM-dd",
                "billingStatus": "all",
                "jobId": "all",
                "sIndex": str(index),
                "limit": str(PAGE_LIMIT),
            }
            page = _list(self._call("GET", "gettimelogs", params=params).get("result"))
            records.extend(_record(item, user) for item in page if isinstance(item, Mapping))
            if len(page) < PAGE_LIMIT:
                return records
            index += PAGE_LIMIT

    def _call(
        self,
        method: str,
        name: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        allow_error_logs: bool = False,
    ) -> Mapping[str, Any]:
        url = f"{self._base}/{name}"
        for attempt in (1, 2):
            if self._limiter is not None:
                self._limiter.acquire(self._max_rate_wait_s)
            token = self._tokens.token()
            try:
                reply = self._http.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers={"Authorization": f"Zoho-oauthtoken {token}"},
                )
            except httpx.HTTPError as exc:
                raise network_error(name, exc) from None
            if reply.status_code == 401:
                # The cached token expired early or was revoked: refresh once, retry once.
                self._tokens.invalidate(token)
                if attempt == 1:
                    log.info("zoho %s: 401, refreshing the access token and retrying once", name)
                    continue
                raise ZohoAuthError(f"Zoho {name}: a freshly granted access token was rejected (401)")
            return self._parse(name, reply, allow_error_logs=allow_error_logs)
        raise AssertionError("unreachable")  # pragma: no cover

    def _parse(self, name: str, reply: httpx.Response, *, allow_error_logs: bool) -> Mapping[str, Any]:
        status = reply.status_code
        if status == 429:
            wait = retry_after_seconds(reply)
            if wait is None:
                wait = self._lock_s
            if self._limiter is not None:
                self._limiter.pause(wait)  # every thread backs off, not just this one
            raise ZohoRateLimited(f"Zoho {name}: rate limited (429)", retry_after_s=wait)
        if status >= 500:
            raise ZohoUnavailable(f"Zoho {name}: HTTP {status}", retry_after_s=retry_after_seconds(reply))
        response = _response_object(reply)
        code, message = _first_error(response)
        if status == 408:
            raise ZohoNetworkError(f"Zoho {name}: HTTP 408", maybe_applied=True)
        if status >= 400:
            detail = f" ({code}) {message}" if code is not None else f" {message}".rstrip()
            raise ZohoPermanentError(f"Zoho {name}: HTTP {status}{detail}", code=code)
        if response.get("status") in (0, "0"):
            return response
        result = response.get("result")
        if allow_error_logs and isinstance(result, Mapping) and result.get("errorLogs"):
            return response
        if code == NO_RECORDS_CODE:
            return {"result": []}
        text = f"Zoho {name}: ({code}) {message}" if code is not None else f"Zoho {name}: {message}"
        if is_permanent_code(code):
            raise ZohoPermanentError(text, code=code)
        # An unknown failure code may be Zoho having a bad moment; the core's bounded
        # retries still dead-letter it if it keeps coming back.
        raise ZohoTransientError(text)


def network_error(name: str, exc: httpx.HTTPError) -> ZohoError:
    """Map an httpx failure to a transient error that says whether the call may have landed."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError | httpx.PoolTimeout):
        return ZohoNetworkError(f"Zoho {name}: could not connect ({kind})", maybe_applied=False)
    if isinstance(exc, httpx.TransportError):
        # Sent (at least partly) with no reply read: Zoho may or may not have applied it.
        return ZohoNetworkError(f"Zoho {name}: no reply ({kind})", maybe_applied=True)
    return ZohoNetworkError(f"Zoho {name}: {kind}", maybe_applied=True)


def retry_after_seconds(reply: httpx.Response) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP date), if any."""
    raw = reply.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _response_object(reply: httpx.Response) -> Mapping[str, Any]:
    try:
        body = reply.json()
    except ValueError:
        return {"status": 1, "message": f"non-JSON reply (HTTP {reply.status_code})"}
    if isinstance(body, Mapping):
        inner = body.get("response")
        if isinstance(inner, Mapping):
            return inner
        return body
    return {"status": 1, "message": "unexpected reply shape"}


def _first_error(response: Mapping[str, Any]) -> tuple[int | None, str]:
    errors = response.get("errors")
    first: object = errors[0] if isinstance(errors, list) and errors else errors
    message = str(response.get("message") or "")
    if isinstance(first, Mapping):
        return _int(first.get("code")), str(first.get("message") or message)
    return None, message


def _error_log(item: object) -> BulkErrorLog:
    entry = item if isinstance(item, Mapping) else {}
    return BulkErrorLog(
        code=_int(entry.get("errorCode", entry.get("code"))),
        message=str(entry.get("message") or "unknown error"),
        user=str(entry.get("user") or ""),
        date=str(entry.get("date") or ""),
        job_id=str(entry.get("jobId") or ""),
        hours=str(entry.get("hours") or ""),
    )


def _record(item: Mapping[str, Any], user: str) -> TimeLogRecord:
    try:
        work_date = date.fromisoformat(str(item.get("workDate")))
    except ValueError:
        # Still matchable by our key in the description; the content check just fails.
        work_date = date.min
    return TimeLogRecord(
        timelog_id=str(item.get("timelogId") or item.get("timeLogId") or ""),
        user=str(item.get("employeeMailId") or user),
        job_id=str(item.get("jobId") or ""),
        work_date=work_date,
        hours=str(item.get("hours") or ""),
        description=str(item.get("description") or ""),
    )


def _ids(value: object) -> list[str]:
    return [str(item) for item in _list(value) if item is not None and str(item)]


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str | float):
        try:
            return int(value)
        except ValueError:
            return None
    return None
