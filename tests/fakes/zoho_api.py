"""A local fake of Zoho (accounts + People time tracker) and of a Zoho webhook receiver.

Real HTTP servers on 127.0.0.1 (a free port each), each serving from its own thread, so
the sink's httpx client, timeouts, connection pool and error mapping are exercised as
they would be against Zoho. State lives in memory; every call is counted.

Protocol, as documented by Zoho (see core/zoho/client.py for the choices made where the
docs are unclear):

* ``POST /oauth/v2/token`` form ``grant_type=refresh_token&client_id&client_secret&refresh_token``
  -> ``{"access_token", "expires_in", "api_domain", "token_type"}``; a bad refresh token
  -> ``{"error": "invalid_code"}``; more than ``grant_limit`` grants per ``grant_window_s``
  -> HTTP 400 ``{"error": "Access Denied", "error_description": "You have made too many
  requests continuously. ..."}``.
* ``/people/api/timetracker/addupdatetimelogs`` (form ``timelogs`` = JSON array, <= 100,
  within 31 days) -> ``response.result`` with ``addedTimelogIds`` (in request order),
  ``editedTimelogIds`` and ``errorLogs`` for the logs that failed.
* ``/people/api/timetracker/deletetimelog?timeLogId=a,b`` -> ``result: [{"timeLogId"}]``;
  an unknown id fails the whole call with 7049 and deletes nothing.
* ``GET /people/api/timetracker/gettimelogs`` (user, fromDate, toDate <= 31 days apart,
  sIndex, limit <= 200) -> ``result: [...]``; nothing found -> ``status: 1`` with 7024.
* A missing, unknown or expired token -> HTTP 401.

Faults (``fail_next``): "429" (with or without Retry-After), "500", "slow" (the call is
applied, the reply comes after ``delay_s``), "drop" (applied, then the connection is
closed with no reply) and "drop_before" (closed before anything is applied). Per-log
bulk failures: ``reject_entry(entry_id, code, message)``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock_time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypedDict
from urllib.parse import parse_qs, urlsplit

from core.domain.entry import TimeEntry

API_PREFIX = "/people/api/timetracker/"
CLIENT_ID = "1000.TESTCLIENT"
CLIENT_SECRET = "fake-client-secret-5f1c"
REFRESH_TOKEN = "1000.fake-refresh-token-9a7e"

FAULTS = ("429", "500", "slow", "drop", "drop_before", "400")


@dataclass
class _Fault:
    kind: str
    remaining: int
    retry_after: str | None = None
    delay_s: float = 0.0


@dataclass
class _Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class _Loopback:
    """Plumbing shared by the fakes: a threaded HTTP server, call counts and a fault queue."""

    def __init__(self, *, latency_s: float = 0.0) -> None:
        self.latency_s = latency_s
        self.calls: Counter[str] = Counter()
        self.call_times: list[tuple[float, str]] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> _Loopback:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like Zoho, so the pool is exercised
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False  # a "slow" reply must not hold up stop()
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(
        self,
        endpoint: str,
        kind: str,
        *,
        times: int = 1,
        retry_after: str | None = None,
        delay_s: float = 1.0,
    ) -> None:
        """Make the next ``times`` calls of ``endpoint`` fail as ``kind`` (see FAULTS)."""
        assert kind in FAULTS, kind
        with self._lock:
            self._faults.setdefault(endpoint, deque()).append(_Fault(kind, times, retry_after, delay_s))

    def _take_fault(self, endpoint: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(endpoint)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.popleft()
            return fault

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if raw and handler.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            params.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
        if self.latency_s:
            time.sleep(self.latency_s)
        endpoint = self._endpoint(parts.path)
        with self._lock:
            self.calls[endpoint] += 1
            self.call_times.append((time.monotonic(), endpoint))
        fault = self._take_fault(endpoint)
        if fault is not None and fault.kind == "drop_before":
            return _drop(handler)
        if fault is not None and fault.kind in ("429", "500", "400"):
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            status = int(fault.kind)
            body = {"response": {"status": 1, "message": f"fault {status}", "errors": [{"code": 0, "message": "x"}]}}
            return _write(handler, _Reply(status, body, headers))
        reply = self._route(method, parts.path, params, handler, raw)
        if fault is not None and fault.kind == "drop":
            return _drop(handler)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay_s)
        _write(handler, reply)

    def _endpoint(self, path: str) -> str:
        return path.rstrip("/").rsplit("/", 1)[-1] or "/"

    def _route(
        self, method: str, path: str, params: dict[str, str], handler: BaseHTTPRequestHandler, raw: bytes
    ) -> _Reply:
        raise NotImplementedError


def _write(handler: BaseHTTPRequestHandler, reply: _Reply) -> None:
    data = json.dumps(reply.body).encode()
    try:
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json;charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True  # the client gave up (timeout): nothing to tell it


def _drop(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection without a reply, as a proxy or a crashed node would."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


@dataclass
class FakeLog:
    """A time log as the fake Zoho holds it."""

    timelog_id: str
    user: str
    job_id: str
    work_date: date
    hours: str
    description: str
    edits: int = 0

    def as_zoho(self) -> dict[str, Any]:
        hours, minutes = (int(part) for part in self.hours.split(":"))
        return {
            "erecno": "5000" + hashlib.sha1(self.user.encode()).hexdigest()[:8],
            "employeeMailId": self.user,
            "timerLog": False,
            "timelogId": self.timelog_id,
            "type": 0,
            "workDate": self.work_date.isoformat(),
            "hours": self.hours,
            "totaltime": (hours * 60 + minutes) * 60,
            "jobId": self.job_id,
            "jobName": f"job {self.job_id}",
            "description": self.description,
            "billingStatus": "billable",
            "approvalStatus": "notsubmitted",
        }


class FakeZoho(_Loopback):
    """Fake Zoho accounts server + People time tracker, on one loopback port.

    Args:
        token_ttl_s: ``expires_in`` of each access token.
        latency_s: added to every call before it is handled.
        known_users: when set, other users fail with 7048 (invalid user).
        known_jobs: when set, other job ids fail with 7050 (invalid value).
        threshold_per_minute: when set, more API calls than this in 60 s answer 429.
        grant_limit: token grants allowed per ``grant_window_s`` (Zoho: about 10 per 10 min).
        empty_read_as_error: answer an empty gettimelogs with 7024 (else an empty list).
    """

    def __init__(
        self,
        *,
        token_ttl_s: float = 3600,
        latency_s: float = 0.0,
        known_users: set[str] | None = None,
        known_jobs: set[str] | None = None,
        threshold_per_minute: int | None = None,
        grant_limit: int = 10,
        grant_window_s: float = 600.0,
        empty_read_as_error: bool = True,
    ) -> None:
        super().__init__(latency_s=latency_s)
        self.token_ttl_s = token_ttl_s
        self.known_users = known_users
        self.known_jobs = known_jobs
        self.threshold_per_minute = threshold_per_minute
        self.grant_limit = grant_limit
        self.grant_window_s = grant_window_s
        self.empty_read_as_error = empty_read_as_error
        self.logs: dict[str, FakeLog] = {}
        self.grants = 0
        self.rejected_tokens = 0
        self.issued_tokens: list[str] = []
        self.bulk_sizes: list[int] = []
        self._tokens: dict[str, float] = {}
        self._grant_times: deque[float] = deque()
        self._api_times: deque[float] = deque()
        self._rejections: dict[str, tuple[int, str]] = {}
        self._ids = itertools.count(1)

    # -- test controls ----------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every access token handed out so far stops working (answers 401)."""
        with self._lock:
            self._tokens.clear()

    def reject_entry(self, entry_id: str, code: int, message: str) -> None:
        """Bulk adds/edits of this entry's log fail with ``code`` until ``accept_entry``."""
        with self._lock:
            self._rejections[entry_id] = (code, message)

    def accept_entry(self, entry_id: str) -> None:
        with self._lock:
            self._rejections.pop(entry_id, None)

    def logs_of(self, entry_id: str) -> list[FakeLog]:
        """Every log whose description carries ``crewclock:<entry_id>``."""
        with self._lock:
            return [log for log in self.logs.values() if log.description.split(" ", 1)[0] == f"crewclock:{entry_id}"]

    def add_log(self, *, user: str, job_id: str, work_date: date, hours: str, description: str) -> FakeLog:
        """Put a log straight into the store (someone else's, or ours from a past crash)."""
        with self._lock:
            log = FakeLog(self._new_id(), user, job_id, work_date, hours, description)
            self.logs[log.timelog_id] = log
            return log

    def api_calls(self) -> int:
        return sum(n for name, n in self.calls.items() if name != "token")

    # -- protocol ---------------------------------------------------------------------

    def _new_id(self) -> str:
        return f"4915000000{next(self._ids):06d}"

    def _route(
        self, method: str, path: str, params: dict[str, str], handler: BaseHTTPRequestHandler, raw: bytes
    ) -> _Reply:
        if path == "/oauth/v2/token" and method == "POST":
            return self._token(params)
        if not path.startswith(API_PREFIX):
            return _Reply(404, {"error": "not found"})
        name = path[len(API_PREFIX) :]
        auth = handler.headers.get("Authorization", "")
        token = auth.removeprefix("Zoho-oauthtoken ").strip()
        with self._lock:
            valid = token in self._tokens and self._tokens[token] > time.monotonic()
            if not valid:
                self.rejected_tokens += 1
        if not valid:
            return _Reply(401, _error(path, 7218, "Invalid OAuthtoken"))
        if self._over_threshold():
            return _Reply(429, _error(path, 7073, "API call threshold exceeded; locked"))
        if name == "addupdatetimelogs" and method == "POST":
            return self._bulk(path, params)
        if name == "deletetimelog":
            return self._delete(path, params)
        if name == "gettimelogs" and method == "GET":
            return self._get(path, params)
        return _Reply(404, _error(path, 7019, f"unknown call {name}"))

    def _over_threshold(self) -> bool:
        if self.threshold_per_minute is None:
            return False
        with self._lock:
            now = time.monotonic()
            while self._api_times and self._api_times[0] <= now - 60:
                self._api_times.popleft()
            self._api_times.append(now)
            return len(self._api_times) > self.threshold_per_minute

    def _token(self, form: dict[str, str]) -> _Reply:
        if form.get("grant_type") != "refresh_token":
            return _Reply(200, {"error": "unsupported_grant_type"})
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _Reply(200, {"error": "invalid_client"})
        if form.get("refresh_token") != REFRESH_TOKEN:
            return _Reply(200, {"error": "invalid_code"})
        with self._lock:
            now = time.monotonic()
            while self._grant_times and self._grant_times[0] <= now - self.grant_window_s:
                self._grant_times.popleft()
            if len(self._grant_times) >= self.grant_limit:
                return _Reply(
                    400,
                    {
                        "error_description": "You have made too many requests continuously. "
                        "Please try again after some time.",
                        "error": "Access Denied",
                        "status": "failure",
                    },
                )
            self._grant_times.append(now)
            token = f"1000.{uuid.uuid4().hex}.{uuid.uuid4().hex[:12]}"
            self._tokens[token] = now + self.token_ttl_s
            self.issued_tokens.append(token)
            self.grants += 1
        return _Reply(
            200,
            {"access_token": token, "expires_in": self.token_ttl_s, "api_domain": self.url, "token_type": "Bearer"},
        )

    def _bulk(self, path: str, params: dict[str, str]) -> _Reply:
        try:
            items = json.loads(params["timelogs"])
            assert isinstance(items, list)
        except (KeyError, ValueError, AssertionError):
            return _Reply(200, _error(path, 7019, "Missing parameter(s) in the request: timelogs"))
        self.bulk_sizes.append(len(items))
        if len(items) > 100:
            return _Reply(200, _error(path, 7034, "Only 100 timelogs can be added or edited at a time"))
        try:
            dates = [date.fromisoformat(str(item.get("date"))) for item in items]
        except ValueError:
            return _Reply(200, _error(path, 7055, "Invalid date format"))
        if dates and (max(dates) - min(dates)).days >= 31:
            return _Reply(200, _error(path, 7034, "Timelogs must be within 31 consecutive days"))
        added: list[str] = []
        edited: list[str] = []
        errors: list[dict[str, Any]] = []
        with self._lock:
            for item, work_date in zip(items, dates, strict=True):
                failure = self._validate(item)
                if failure is not None:
                    code, message = failure
                    errors.append(
                        {
                            "errorCode": code,
                            "message": message,
                            "user": item.get("user"),
                            "date": item.get("date"),
                            "jobId": item.get("jobId"),
                            "hours": item.get("hours"),
                        }
                    )
                    continue
                timelog_id = item.get("timelogId")
                if timelog_id:
                    log = self.logs[timelog_id]
                    log.user, log.job_id, log.work_date = item["user"], item["jobId"], work_date
                    log.hours, log.description = item["hours"], item.get("description", "")
                    log.edits += 1
                    edited.append(timelog_id)
                else:
                    log = FakeLog(
                        self._new_id(),
                        item["user"],
                        item["jobId"],
                        work_date,
                        item["hours"],
                        item.get("description", ""),
                    )
                    self.logs[log.timelog_id] = log
                    added.append(log.timelog_id)
        result: dict[str, Any] = {"addedTimelogIds": added, "editedTimelogIds": edited}
        if errors:
            result["errorLogs"] = errors
        return _Reply(
            200,
            {"response": {"result": result, "message": "Data updated successfully", "uri": path, "status": 0}},
        )

    def _validate(self, item: dict[str, Any]) -> tuple[int, str] | None:
        for name in ("user", "jobId", "date", "hours"):
            if not item.get(name):
                return 7052, f"Missing mandatory field values: {name}"
        if self.known_users is not None and item["user"] not in self.known_users:
            return 7048, "Invalid user / No such user found"
        if self.known_jobs is not None and item["jobId"] not in self.known_jobs:
            return 7050, "Invalid value for the field jobId"
        if item.get("timelogId") and item["timelogId"] not in self.logs:
            return 7049, "Missing record for the specified record Id"
        key = str(item.get("description", "")).split(" ", 1)[0]
        entry_id = key.removeprefix("crewclock:") if key.startswith("crewclock:") else None
        if entry_id is not None and entry_id in self._rejections:
            return self._rejections[entry_id]
        return None

    def _delete(self, path: str, params: dict[str, str]) -> _Reply:
        ids = [part for part in params.get("timeLogId", "").split(",") if part]
        if not ids:
            return _Reply(200, _error(path, 7019, "Missing parameter(s) in the request: timeLogId"))
        with self._lock:
            if any(timelog_id not in self.logs for timelog_id in ids):
                return _Reply(200, _error(path, 7049, "Missing record for the specified record Id"))
            for timelog_id in ids:
                del self.logs[timelog_id]
        return _Reply(
            200,
            {
                "response": {
                    "result": [{"timeLogId": timelog_id} for timelog_id in ids],
                    "message": "Timelog(s) deleted successfully",
                    "uri": path,
                    "status": 0,
                }
            },
        )

    def _get(self, path: str, params: dict[str, str]) -> _Reply:
        try:
            first = date.fromisoformat(params["fromDate"])
            last = date.fromisoformat(params["toDate"])
        except (KeyError, ValueError):
            return _Reply(200, _error(path, 9004, "Wrong date format given for parameter"))
        if last < first:
            return _Reply(200, _error(path, 9006, "toDate should be after the fromDate"))
        if (last - first).days >= 31:
            return _Reply(200, _error(path, 9007, "Maximum of one month's data can only be fetched at a time"))
        user = params.get("user", "all")
        start = int(params.get("sIndex", "0"))
        limit = min(int(params.get("limit", "200")), 200)
        with self._lock:
            if self.known_users is not None and user != "all" and user not in self.known_users:
                return _Reply(200, _error(path, 7048, "Invalid user / No such user found"))
            matching = sorted(
                (
                    log
                    for log in self.logs.values()
                    if first <= log.work_date <= last and (user == "all" or log.user == user)
                ),
                key=lambda log: (log.work_date, log.timelog_id),
            )
            page = [log.as_zoho() for log in matching[start : start + limit]]
        if not page and self.empty_read_as_error:
            return _Reply(200, _error(path, 7024, "No records found"))
        return _Reply(
            200, {"response": {"result": page, "message": "Data fetched successfully", "uri": path, "status": 0}}
        )


def _error(path: str, code: int, message: str) -> dict[str, Any]:
    return {
        "response": {
            "message": "Error occurred",
            "uri": path,
            "errors": [{"code": code, "message": message}],
            "status": 1,
        }
    }


class FakeWebhookReceiver(_Loopback):
    """A Zoho Flow-like webhook: checks the HMAC, keeps the first delivery of each idempotency key.

    Attributes:
        deliveries: every POST as (idempotency key, signature valid, parsed body).
        accepted: idempotency key -> body, first delivery only.
    """

    def __init__(self, secret: str, *, latency_s: float = 0.0) -> None:
        super().__init__(latency_s=latency_s)
        self.secret = secret
        self.deliveries: list[tuple[str, bool, dict[str, Any]]] = []
        self.accepted: dict[str, dict[str, Any]] = {}

    def _route(
        self, method: str, path: str, params: dict[str, str], handler: BaseHTTPRequestHandler, raw: bytes
    ) -> _Reply:
        if method != "POST":
            return _Reply(405, {"error": "POST only"})
        key = handler.headers.get("Idempotency-Key", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(expected, handler.headers.get("X-Crewclock-Signature", ""))
        body = json.loads(raw or b"{}")
        with self._lock:
            self.deliveries.append((key, valid, body))
            if not valid:
                return _Reply(401, {"error": "bad signature"})
            if not key:
                return _Reply(400, {"error": "Idempotency-Key required"})
            duplicate = key in self.accepted
            self.accepted.setdefault(key, body)
        return _Reply(200, {"status": "duplicate" if duplicate else "accepted"})


class ZohoRefCallables(TypedDict):
    """The SQL store's three callables, as ``build_sink`` takes them."""

    load_zoho_ids: Callable[[Sequence[str]], dict[str, str]]
    save_zoho_id: Callable[[str, str | None], None]
    job_zoho_id: Callable[[str], str | None]


class InMemoryZohoRefs:
    """Stand-in for the SQL store's Zoho callables (entry -> log id, job -> Zoho job id)."""

    def __init__(self, jobs: dict[str, str | None] | None = None) -> None:
        self.ids: dict[str, str] = {}
        self.jobs: dict[str, str | None] = dict(jobs or {})
        self.saves: list[tuple[str, str | None]] = []
        self.fail_saves = 0  # fail this many save_zoho_id calls
        self._lock = threading.Lock()

    def load_zoho_ids(self, entry_ids: Sequence[str]) -> dict[str, str]:
        with self._lock:
            return {entry_id: self.ids[entry_id] for entry_id in entry_ids if entry_id in self.ids}

    def save_zoho_id(self, entry_id: str, zoho_id: str | None) -> None:
        with self._lock:
            if self.fail_saves > 0:
                self.fail_saves -= 1
                raise ConnectionError("postgres went away")
            self.saves.append((entry_id, zoho_id))
            if zoho_id is None:
                self.ids.pop(entry_id, None)
            else:
                self.ids[entry_id] = zoho_id

    def job_zoho_id(self, job_id: str) -> str | None:
        return self.jobs.get(job_id)

    def callables(self) -> ZohoRefCallables:
        return {
            "load_zoho_ids": self.load_zoho_ids,
            "save_zoho_id": self.save_zoho_id,
            "job_zoho_id": self.job_zoho_id,
        }


def make_entry(
    entry_id: str = "e1",
    *,
    version: int = 1,
    deleted: bool = False,
    email: str = "ana@crew.test",
    slack_user_id: str = "U1",
    job_id: str = "job-1",
    work_date: date = date(2026, 11, 2),
    start: str = "07:00",
    end: str = "15:30",
    lunch: tuple[str, str] | None = ("12:00", "12:30"),
    total_hours: str = "8.0",
    notes: str = "",
    change_order: str = "",
) -> TimeEntry:
    """A time entry for Zoho tests (the core computes total_hours; here it is given)."""
    stamp = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    return TimeEntry(
        id=entry_id,
        slack_team_id="T0CREW",
        slack_user_id=slack_user_id,
        user_email=email,
        job_id=job_id,
        job_name=f"Job {job_id}",
        work_date=work_date,
        start_time=clock_time.fromisoformat(start),
        end_time=clock_time.fromisoformat(end),
        lunch_start=clock_time.fromisoformat(lunch[0]) if lunch else None,
        lunch_end=clock_time.fromisoformat(lunch[1]) if lunch else None,
        total_hours=Decimal(total_hours),
        notes=notes,
        change_order=change_order,
        created_at=stamp,
        updated_at=stamp,
        version=version,
        deleted=deleted,
    )
