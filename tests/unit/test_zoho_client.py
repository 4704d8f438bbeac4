"""Zoho People client: how replies and transport failures become typed errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from urllib.parse import parse_qs

import httpx
import pytest

from core.zoho.client import ZohoPeopleClient
from core.zoho.errors import (
    ZohoAuthError,
    ZohoNetworkError,
    ZohoPermanentError,
    ZohoRateLimited,
    ZohoTransientError,
    ZohoUnavailable,
)
from core.zoho.oauth import TokenProvider
from core.zoho.ratelimit import RateLimiter
from core.zoho.timelogs import payload_for
from tests.fakes.zoho_api import make_entry

Handler = Callable[[httpx.Request], httpx.Response]


def client(
    api: Handler, *, limiter: RateLimiter | None = None, lock_s: float = 300.0, max_wait_s: float = 5.0
) -> ZohoPeopleClient:
    grants = iter(range(1, 100))

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            return httpx.Response(200, json={"access_token": f"tok-{next(grants)}", "expires_in": 3600})
        return api(request)

    http = httpx.Client(transport=httpx.MockTransport(route))
    tokens = TokenProvider(
        http=http, accounts_url="https://accounts.zoho.com", client_id="c", client_secret="s", refresh_token="r"
    )
    return ZohoPeopleClient(
        http=http,
        tokens=tokens,
        api_url="https://people.zoho.com",
        limiter=limiter,
        max_rate_wait_s=max_wait_s,
        rate_limit_lock_s=lock_s,
    )


def zoho(result: object = None, *, status: int = 0, errors: object = None) -> dict[str, object]:
    body: dict[str, object] = {"status": status, "message": "m", "uri": "/x"}
    if result is not None:
        body["result"] = result
    if errors is not None:
        body["errors"] = errors
    return {"response": body}


PAYLOAD = payload_for(make_entry(), user="ana@crew.test", job_id="Z1")


def test_bulk_call_posts_the_documented_form_and_reads_ids() -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=zoho({"addedTimelogIds": [491], "editedTimelogIds": ["7"]}))

    result = client(api).add_update_timelogs([PAYLOAD, PAYLOAD.as_edit("7")])
    assert result.added_ids == ["491"] and result.edited_ids == ["7"] and result.error_logs == []
    request = seen[0]
    assert request.method == "POST"
    assert request.url.path == "/people/api/timetracker/addupdatetimelogs"
    assert request.headers["Authorization"] == "Zoho-oauthtoken tok-1"
    logs = json.loads(parse_qs(request.content.decode())["timelogs"][0])
    assert logs[0] == PAYLOAD.as_json() and logs[1]["timelogId"] == "7"


def test_bulk_error_logs_are_parsed_with_their_codes() -> None:
    error = {"errorCode": 7048, "message": "Invalid user", "user": "x", "date": "2026-11-02", "jobId": "Z1"}

    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=zoho({"addedTimelogIds": [], "errorLogs": [error]}))

    result = client(api).add_update_timelogs([PAYLOAD])
    assert result.error_logs[0].code == 7048
    assert result.error_logs[0].permanent
    assert "7048" in result.error_logs[0].describe()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (httpx.Response(429, headers={"Retry-After": "12"}), (ZohoRateLimited, 12.0)),
        (httpx.Response(429), (ZohoRateLimited, 300.0)),
        (httpx.Response(503, headers={"Retry-After": "5"}), (ZohoUnavailable, 5.0)),
        (httpx.Response(500), (ZohoUnavailable, None)),
    ],
)
def test_rate_limits_and_server_errors_are_transient(
    reply: httpx.Response, expected: tuple[type[Exception], float | None]
) -> None:
    kind, retry_after = expected
    with pytest.raises(kind) as caught:
        client(lambda request: reply).add_update_timelogs([PAYLOAD])
    assert isinstance(caught.value, ZohoTransientError)
    assert caught.value.retry_after_s == retry_after


def test_retry_after_as_an_http_date_is_understood() -> None:
    reply = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    with pytest.raises(ZohoRateLimited) as caught:
        client(lambda request: reply).add_update_timelogs([PAYLOAD])
    assert caught.value.retry_after_s is not None and caught.value.retry_after_s > 1e6


def test_a_429_pauses_the_shared_limiter() -> None:
    limiter = RateLimiter(per_minute=100, per_day=1000)
    with pytest.raises(ZohoRateLimited):
        client(lambda request: httpx.Response(429, headers={"Retry-After": "30"}), limiter=limiter).get_timelogs(
            user="u", from_date=date(2026, 1, 1), to_date=date(2026, 1, 1)
        )
    assert limiter.try_acquire() == pytest.approx(30, abs=1)


@pytest.mark.parametrize("code", [7019, 7048, 7052])
def test_validation_codes_are_permanent(code: int) -> None:
    reply = httpx.Response(200, json=zoho(status=1, errors=[{"code": code, "message": "no"}]))
    with pytest.raises(ZohoPermanentError) as caught:
        client(lambda request: reply).add_update_timelogs([PAYLOAD])
    assert caught.value.code == code
    assert str(code) in str(caught.value)


def test_error_object_instead_of_list_is_understood() -> None:
    reply = httpx.Response(200, json=zoho(status=1, errors={"code": 7019, "message": "Missing parameter"}))
    with pytest.raises(ZohoPermanentError) as caught:
        client(lambda request: reply).delete_timelogs(["1"])
    assert caught.value.code == 7019


def test_unknown_failure_code_is_transient() -> None:
    reply = httpx.Response(200, json=zoho(status=1, errors=[{"code": 6999, "message": "hiccup"}]))
    with pytest.raises(ZohoTransientError):
        client(lambda request: reply).add_update_timelogs([PAYLOAD])


def test_other_4xx_is_permanent() -> None:
    with pytest.raises(ZohoPermanentError):
        client(lambda request: httpx.Response(400, text="bad")).add_update_timelogs([PAYLOAD])


def test_no_records_is_an_empty_read() -> None:
    reply = httpx.Response(200, json=zoho(status=1, errors=[{"code": 7024, "message": "No records found"}]))
    assert (
        client(lambda request: reply).get_timelogs(user="u", from_date=date(2026, 1, 1), to_date=date(2026, 1, 1)) == []
    )


def test_reads_page_through_results_and_split_long_ranges() -> None:
    seen: list[dict[str, str]] = []

    def api(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        count = 200 if params["sIndex"] == "0" and params["fromDate"] == "2026-01-01" else 3
        rows = [
            {"timelogId": f"{params['fromDate']}-{params['sIndex']}-{n}", "workDate": params["fromDate"]}
            for n in range(count)
        ]
        return httpx.Response(200, json=zoho(rows))

    records = client(api).get_timelogs(user="u", from_date=date(2026, 1, 1), to_date=date(2026, 2, 15))
    windows = [(p["fromDate"], p["toDate"], p["sIndex"]) for p in seen]
    assert windows == [
        ("2026-01-01", "2026-01-28", "0"),
        ("2026-01-01", "2026-01-28", "200"),
        ("2026-01-29", "2026-02-15", "0"),
    ]
    assert len(records) == 206


def test_read_timeout_may_have_applied_connect_error_has_not() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    for handler, maybe in ((slow, True), (refused, False), (dropped, True)):
        with pytest.raises(ZohoNetworkError) as caught:
            client(handler).add_update_timelogs([PAYLOAD])
        assert caught.value.maybe_applied is maybe


def test_401_refreshes_once_and_retries_once() -> None:
    tokens_seen: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        tokens_seen.append(request.headers["Authorization"])
        if len(tokens_seen) == 1:
            return httpx.Response(401, json=zoho(status=1, errors=[{"code": 7218, "message": "Invalid OAuthtoken"}]))
        return httpx.Response(200, json=zoho({"addedTimelogIds": ["1"]}))

    assert client(api).add_update_timelogs([PAYLOAD]).added_ids == ["1"]
    assert tokens_seen == ["Zoho-oauthtoken tok-1", "Zoho-oauthtoken tok-2"]


def test_a_second_401_is_an_auth_error_not_a_loop() -> None:
    calls: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Authorization"])
        return httpx.Response(401)

    with pytest.raises(ZohoAuthError):
        client(api).add_update_timelogs([PAYLOAD])
    assert calls == ["Zoho-oauthtoken tok-1", "Zoho-oauthtoken tok-2"]


def test_local_limiter_refuses_before_calling_zoho() -> None:
    calls: list[int] = []

    def api(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json=zoho({"addedTimelogIds": ["1"]}))

    zc = client(api, limiter=RateLimiter(per_minute=2, per_day=100), max_wait_s=0.0)
    zc.add_update_timelogs([PAYLOAD])
    zc.add_update_timelogs([PAYLOAD])
    with pytest.raises(ZohoRateLimited) as caught:
        zc.add_update_timelogs([PAYLOAD])
    assert caught.value.retry_after_s == pytest.approx(30, abs=1)
    assert len(calls) == 2
