"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that records calls and answers like Slack.

Point slack_sdk at it the way production points at Slack::

    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        client.chat_postMessage(channel="U123", text="hi")
        [call] = slack.calls("chat.postMessage")
        assert call["params"]["text"] == "hi"

What it does:

* Records every request (``method`` such as ``"views.open"``, ``params`` merged from the query
  string and a form-encoded or JSON body, lower-cased ``headers``, the bearer ``token``, the
  raw ``body``, and the ``status`` and ``response`` it answered) in a thread-safe list:
  :meth:`FakeSlack.calls`, :meth:`FakeSlack.wait_for`, :meth:`FakeSlack.reset`. The POST of
  file bytes to an upload URL is recorded as method ``"upload"``.
* Answers in the documented shapes for the methods crewclock uses (auth.test, views.*,
  chat.*, conversations.open, users.info, usergroups.users.list, the files_upload_v2 flow,
  files.info, and apps.connections.open once :meth:`FakeSlack.enable_socket_mode` is called);
  any other method gets ``{"ok": true}``. It keeps just enough state to be
  honest: posted messages can be updated (and ``chat.update`` of an unknown ts fails as on
  Slack), views keep ids and hashes, uploads keep their bytes.
* Checks a few documented limits that real code trips on (modal title 24 characters, 100
  blocks in a view, 50 in a message, private_metadata 3,000 characters, a message needs text
  or blocks), answering with Slack's error instead of silently accepting.
* Faults on demand: :meth:`FakeSlack.fail_next` (``ok: false`` with an error),
  :meth:`FakeSlack.rate_limit_next` (HTTP 429 with ``Retry-After``) and
  :meth:`FakeSlack.set_latency`.

Written for crewclock in the spirit of bolt-python's test server, not copied from it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import mimetypes
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

TEAM_ID = "T0CREW001"
TEAM_DOMAIN = "crewclock-test"
BOT_USER_ID = "U0CREWBOT"
BOT_ID = "B0CREWBOT"
APP_ID = "A0CREWCLK"
DEFAULT_TZ = "America/Chicago"

MODAL_TITLE_MAX = 24
VIEW_BLOCKS_MAX = 100
MESSAGE_BLOCKS_MAX = 50
PRIVATE_METADATA_MAX = 3000

Params = dict[str, Any]
Call = dict[str, Any]
_Reply = tuple[int, dict[str, Any], dict[str, str]]  # status, JSON body, extra headers
_TextReply = tuple[int, str, dict[str, str]]  # the upload URL answers in plain text


@dataclass
class Upload:
    """One file of the files_upload_v2 flow, from getUploadURLExternal to completion."""

    file_id: str
    filename: str
    length: int
    alt_txt: str = ""
    content: bytes | None = None  # None until the bytes are POSTed to the upload URL
    title: str = ""
    channel_id: str = ""
    initial_comment: str = ""
    thread_ts: str = ""
    completed: bool = False

    @property
    def text(self) -> str:
        """The uploaded bytes as UTF-8 text (for CSV assertions)."""
        return (self.content or b"").decode("utf-8")


@dataclass
class _Fault:
    kind: str  # "error" or "ratelimit"
    error: str = ""
    retry_after: int = 1


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    faults: dict[str, deque[_Fault]] = field(default_factory=lambda: defaultdict(deque))
    latency: dict[str | None, float] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)


class FakeSlack:
    """A local stand-in for ``https://slack.com/api/``, started and stopped by the test.

    Args:
        team_id: The workspace every answer speaks for.
        bot_user_id: The bot's user id (auth.test, message authors).
        bot_id: The bot id (auth.test, message authors).
        app_id: The app id put on views.
        token: When set, calls whose bearer token (or ``token`` param) differs get
            ``invalid_auth``, and calls with none get ``not_authed``.
        host: Interface to bind; loopback only by design.
        port: 0 picks a free port.
    """

    def __init__(
        self,
        *,
        team_id: str = TEAM_ID,
        team_domain: str = TEAM_DOMAIN,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        app_id: str = APP_ID,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.token = token
        self._host = host
        self._requested_port = port
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._state = _State()
        self._users: dict[str, dict[str, Any]] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._ids = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._socket_mode_url: Callable[[], str] | None = None
        self._app_token = ""
        self._routes: dict[str, Callable[[Params], _Reply]] = {
            "auth.test": self._auth_test,
            "views.open": lambda p: self._view_call(p, "views.open"),
            "views.push": lambda p: self._view_call(p, "views.push"),
            "views.update": lambda p: self._view_call(p, "views.update"),
            "views.publish": lambda p: self._view_call(p, "views.publish"),
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Start serving in a background thread; returns self."""
        if self._server is not None:
            return self
        server = _Server((self._host, self._requested_port), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the server root."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/api/``: what ``WebClient(base_url=...)`` and SLACK_API_URL take."""
        return f"{self.url}/api/"

    # -- configuration -------------------------------------------------------------------

    def set_user(
        self,
        user_id: str,
        *,
        tz: str = DEFAULT_TZ,
        email: str | None = None,
        real_name: str | None = None,
        name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        is_admin: bool = False,
    ) -> dict[str, Any]:
        """Define what ``users.info`` answers for ``user_id``; returns that user object.

        Users never defined are answered too (a plausible default in ``DEFAULT_TZ``), so a
        test only configures the users it cares about.
        """
        user = self._user_object(
            user_id,
            tz=tz,
            email=email,
            real_name=real_name,
            name=name,
            is_bot=is_bot,
            deleted=deleted,
            is_admin=is_admin,
        )
        with self._lock:
            self._users[user_id] = user
        return user

    def set_usergroup(self, usergroup_id: str, members: list[str]) -> None:
        """Define the members ``usergroups.users.list`` returns (unknown groups: ``no_such_subteam``)."""
        with self._lock:
            self._usergroups[usergroup_id] = list(members)

    def enable_socket_mode(self, issue_url: Callable[[], str], *, app_token: str) -> None:
        """Answer ``apps.connections.open`` as Slack does for an app with Socket Mode on.

        Args:
            issue_url: Makes the WebSocket URL of each answer (``FakeSocketMode.issue_url``).
            app_token: The app-level token (``xapp-...``) the call must carry as its Bearer token;
                without one it gets ``not_authed``, with another ``invalid_auth`` (a token in the
                form body does not count: Slack wants it in the header for this method).
        """
        with self._lock:
            self._socket_mode_url = issue_url
            self._app_token = app_token

    def fail_next(self, method: str, error: str = "internal_error", *, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` answer ``{"ok": false, "error": error}``."""
        with self._lock:
            self._state.faults[method].extend(_Fault("error", error=error) for _ in range(times))

    def rate_limit_next(self, method: str, retry_after: int = 1, *, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` answer HTTP 429 with ``Retry-After``."""
        with self._lock:
            self._state.faults[method].extend(
                _Fault("ratelimit", error="ratelimited", retry_after=retry_after) for _ in range(times)
            )

    def set_latency(self, seconds: float, method: str | None = None) -> None:
        """Delay every answer (or only ``method``'s) by ``seconds``; 0 removes the delay."""
        with self._lock:
            if seconds > 0:
                self._state.latency[method] = seconds
            else:
                self._state.latency.pop(method, None)

    def forget_calls(self) -> None:
        """Forget the recorded calls only (long benchmark runs): messages, views and latency stay."""
        with self._lock:
            self._state.calls.clear()

    def reset(self) -> None:
        """Forget calls, faults, latency, messages, views and uploads; keep users and groups."""
        with self._lock:
            self._state = _State()

    # -- inspection ----------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, oldest first, of one method (``"views.open"``) or of all."""
        with self._lock:
            return [c for c in self._state.calls if method is None or c["method"] == method]

    def methods(self) -> list[str]:
        """The methods called, in order (handy in assertion messages)."""
        with self._lock:
            return [c["method"] for c in self._state.calls]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``method`` has been called at least ``count`` times; return those calls.

        Raises:
            TimeoutError: Fewer calls arrived in time; the message lists what did arrive.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self._state.calls if c["method"] == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c["method"] for c in self._state.calls]
                    raise TimeoutError(
                        f"waited {timeout}s for {count} {method} call(s), got {len(found)}; calls: {seen}"
                    )
                self._changed.wait(remaining)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages posted with chat.postMessage, as last updated, oldest first."""
        with self._lock:
            return [dict(m) for (ch, _ts), m in self._state.messages.items() if channel is None or ch == channel]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """One posted message as last updated (KeyError when there is none)."""
        with self._lock:
            return dict(self._state.messages[(channel, ts)])

    def view(self, view_id: str) -> dict[str, Any]:
        """A view as last opened, pushed, updated or published (KeyError when unknown)."""
        with self._lock:
            return dict(self._state.views[view_id])

    def uploads(self, *, completed_only: bool = True) -> list[Upload]:
        """Files uploaded through the files_upload_v2 flow, oldest first."""
        with self._lock:
            return [u for u in self._state.uploads.values() if u.completed or not completed_only]

    def dm_channel(self, user_id: str) -> str:
        """The DM channel id conversations.open returns for ``user_id`` (stable per user)."""
        return dm_channel_id(user_id)

    # -- request handling ----------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if split.path.startswith("/upload/v1/"):
            self._reply(handler, *self._receive_upload(split.path.rsplit("/", 1)[-1], body, headers))
            return
        if not split.path.startswith("/api/"):
            self._reply(handler, 404, {"ok": False, "error": "unknown_path"}, {})
            return
        method = split.path[len("/api/") :]
        params: Params = dict(parse_qsl(split.query, keep_blank_values=True))
        body_error = _parse_body(headers.get("content-type", ""), body, params)
        token = _bearer(headers.get("authorization", "")) or str(params.get("token") or "")

        with self._changed:
            fault = self._state.faults[method].popleft() if self._state.faults.get(method) else None
            if fault is not None and fault.kind == "ratelimit":
                reply: _Reply = (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(fault.retry_after)})
            elif fault is not None:
                reply = (200, {"ok": False, "error": fault.error}, {})
            elif body_error:
                reply = (200, {"ok": False, "error": body_error}, {})
            elif method == "apps.connections.open":  # the app-level token, not the bot's
                reply = self._apps_connections_open(_bearer(headers.get("authorization", "")))
            elif self.token is not None and not token:
                reply = (200, {"ok": False, "error": "not_authed"}, {})
            elif self.token is not None and token != self.token:
                reply = (200, {"ok": False, "error": "invalid_auth"}, {})
            else:
                try:
                    reply = self._routes.get(method, _ok)(params)
                except (ValueError, TypeError, AttributeError, KeyError) as error:
                    # Malformed arguments (say, blocks that are not JSON): Slack refuses them too.
                    reply = _error("invalid_arguments", f"[ERROR] {error!r}")
            self._state.calls.append(
                {
                    "method": method,
                    "http_method": handler.command,
                    "params": params,
                    "headers": headers,
                    "token": token,
                    "body": body,
                    "status": reply[0],
                    "response": reply[1],
                    "at": time.time(),
                }
            )
            self._changed.notify_all()
            delay = self._state.latency.get(method, self._state.latency.get(None, 0.0))
        if delay:
            time.sleep(delay)  # after recording, so wait_for sees a call still in flight
        self._reply(handler, *reply)

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any] | str, extra: dict[str, str]
    ) -> None:
        text = isinstance(payload, str)
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain; charset=utf-8" if text else "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    # -- Web API methods (called with the lock held) ------------------------------------

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):09d}"

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ids):06d}"

    def _auth_test(self, params: Params) -> _Reply:
        return _ok_reply(
            url=f"https://{self.team_domain}.slack.com/",
            team="Crewclock Test",
            user="crewclock",
            team_id=self.team_id,
            user_id=self.bot_user_id,
            bot_id=self.bot_id,
            is_enterprise_install=False,
        )

    def _apps_connections_open(self, bearer: str) -> _Reply:
        if not bearer:
            return _error("not_authed")
        if self._socket_mode_url is None or bearer != self._app_token:  # no app-level token is valid before
            return _error("invalid_auth")
        return _ok_reply(url=self._socket_mode_url())

    def _view_call(self, params: Params, method: str) -> _Reply:
        try:
            view = _json_param(params.get("view"))
        except ValueError:
            return _error("invalid_arguments", "[ERROR] view must be a JSON object [json-pointer:/view]")
        if not isinstance(view, dict) or not view:
            return _error("invalid_arguments", "[ERROR] missing required field: view [json-pointer:/view]")
        problem = _view_problem(view, home=method == "views.publish")
        if problem:
            return _error("invalid_arguments", problem)

        previous: dict[str, Any] | None = None
        if method == "views.open" and not params.get("trigger_id"):
            return _error("invalid_arguments", "[ERROR] missing required field: trigger_id")
        if method == "views.push" and not params.get("trigger_id"):
            return _error("invalid_arguments", "[ERROR] missing required field: trigger_id")
        if method == "views.publish":
            if not params.get("user_id"):
                return _error("invalid_arguments", "[ERROR] missing required field: user_id")
            view_id = next(
                (
                    v["id"]
                    for v in self._state.views.values()
                    if v["type"] == "home" and v.get("_user_id") == params["user_id"]
                ),
                None,
            ) or self._next_id("V")
            previous = self._state.views.get(view_id)
        elif method == "views.update":
            view_id = str(params.get("view_id") or "")
            if not view_id and params.get("external_id"):
                view_id = next(
                    (v["id"] for v in self._state.views.values() if v["external_id"] == params["external_id"]), ""
                )
                if not view_id:
                    return _error("not_found")
            if not view_id:
                return _error("invalid_arguments", "[ERROR] view_id or external_id is required")
            previous = self._state.views.get(view_id)  # unknown ids are accepted: a test may invent them
            if previous is not None and params.get("hash") and params["hash"] != previous["hash"]:
                return _error("hash_conflict")
        else:
            view_id = self._next_id("V")

        root = previous["root_view_id"] if previous else view_id
        previous_view_id = None
        if method == "views.push":
            parent = next(reversed(self._state.views.values()), None) if self._state.views else None
            previous_view_id = parent["id"] if parent else None
            root = parent["root_view_id"] if parent else view_id
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type", "modal"),
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id") or (previous or {}).get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{next(self._ids):08x}",  # changes on every write, as on Slack
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root,
            "previous_view_id": previous_view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if method == "views.publish":
            stored["_user_id"] = params["user_id"]
        self._state.views[view_id] = stored
        return _ok_reply(view={k: v for k, v in stored.items() if not k.startswith("_")})

    def _chat_post_message(self, params: Params) -> _Reply:
        channel = str(params.get("channel") or "")
        if not channel:
            return _error("channel_not_found")
        blocks = _json_param(params.get("blocks")) if params.get("blocks") else None
        if not params.get("text") and not blocks and not params.get("attachments"):
            return _error("no_text")
        if blocks is not None and len(blocks) > MESSAGE_BLOCKS_MAX:
            return _error("invalid_blocks", f"[ERROR] must provide at most {MESSAGE_BLOCKS_MAX} items")
        if channel[0] in "UW":  # posting to a user id lands in the app's DM with them
            channel = self.dm_channel(channel)
        ts = self._next_ts()
        message = {
            "type": "message",
            "channel": channel,
            "ts": ts,
            "text": params.get("text", ""),
            "blocks": blocks or [],
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
        }
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        self._state.messages[(channel, ts)] = message
        return _ok_reply(channel=channel, ts=ts, message={k: v for k, v in message.items() if k != "channel"})

    def _chat_update(self, params: Params) -> _Reply:
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        if not channel:
            return _error("channel_not_found")
        current = self._state.messages.get((channel, ts))
        if current is None:
            return _error("message_not_found")
        if "blocks" in params:
            blocks = _json_param(params["blocks"]) or []
            if len(blocks) > MESSAGE_BLOCKS_MAX:
                return _error("invalid_blocks", f"[ERROR] must provide at most {MESSAGE_BLOCKS_MAX} items")
            current["blocks"] = blocks
        if "text" in params:
            current["text"] = params["text"]
        current["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return _ok_reply(
            channel=channel,
            ts=ts,
            text=current["text"],
            message={k: v for k, v in current.items() if k != "channel"},
        )

    def _chat_post_ephemeral(self, params: Params) -> _Reply:
        if not params.get("channel"):
            return _error("channel_not_found")
        if not params.get("user"):
            return _error("user_not_in_channel")
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            return _error("no_text")
        return _ok_reply(message_ts=self._next_ts())

    def _conversations_open(self, params: Params) -> _Reply:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if params.get("channel"):
            return _ok_reply(no_op=True, already_open=True, channel={"id": params["channel"]})
        if not users:
            return _error("users_list_not_supplied")
        if len(users) == 1:
            channel_id = self.dm_channel(users[0])
            return _ok_reply(no_op=True, already_open=True, channel={"id": channel_id, "is_im": True, "user": users[0]})
        group = "G" + hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
        return _ok_reply(no_op=True, already_open=True, channel={"id": group, "is_mpim": True})

    def _users_info(self, params: Params) -> _Reply:
        user_id = str(params.get("user") or "")
        if not user_id:
            return _error("user_not_found")
        user = self._users.get(user_id) or self._user_object(user_id)
        return _ok_reply(user=user)

    def _usergroups_users_list(self, params: Params) -> _Reply:
        group = str(params.get("usergroup") or "")
        if group not in self._usergroups:
            return _error("no_such_subteam")
        return _ok_reply(users=list(self._usergroups[group]))

    def _files_get_upload_url(self, params: Params) -> _Reply:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename or length <= 0:
            return _error("invalid_arguments", "[ERROR] filename and a positive length are required")
        file_id = self._next_id("F")
        self._state.uploads[file_id] = Upload(file_id, filename, length, alt_txt=str(params.get("alt_txt") or ""))
        return _ok_reply(upload_url=f"{self.url}/upload/v1/{file_id}", file_id=file_id)

    def _receive_upload(self, file_id: str, body: bytes, headers: dict[str, str]) -> _TextReply:
        with self._changed:
            upload = self._state.uploads.get(file_id)
            if upload is not None:
                upload.content = body
            self._state.calls.append(
                {
                    "method": "upload",
                    "http_method": "POST",
                    "params": {"file_id": file_id},
                    "headers": headers,
                    "token": "",
                    "body": body,
                    "status": 200 if upload else 404,
                    "response": None,
                    "at": time.time(),
                }
            )
            self._changed.notify_all()
        if upload is None:
            return 404, "file not found", {}
        return 200, f"OK - {len(body)}", {}

    def _files_complete_upload(self, params: Params) -> _Reply:
        try:
            files = _json_param(params.get("files"))
        except ValueError:
            return _error("invalid_arguments", "[ERROR] files must be a JSON array")
        if not isinstance(files, list) or not files:
            return _error("invalid_arguments", "[ERROR] missing required field: files")
        done: list[Upload] = []
        for item in files:
            upload = self._state.uploads.get(str(item.get("id", "")))
            if upload is None or upload.content is None:
                return _error("file_not_found")
            done.append(upload)
        channel_id = str(params.get("channel_id") or "")
        for upload, item in zip(done, files, strict=True):
            upload.title = str(item.get("title") or upload.filename)
            upload.channel_id = channel_id
            upload.initial_comment = str(params.get("initial_comment") or "")
            upload.thread_ts = str(params.get("thread_ts") or "")
            upload.completed = True
        return _ok_reply(files=[self._file_object(u) for u in done])

    def _files_info(self, params: Params) -> _Reply:
        upload = self._state.uploads.get(str(params.get("file") or ""))
        if upload is None or not upload.completed:
            return _error("file_not_found")
        return _ok_reply(file=self._file_object(upload))

    # -- object shapes -------------------------------------------------------------------

    def _file_object(self, upload: Upload) -> dict[str, Any]:
        mimetype = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        return {
            "id": upload.file_id,
            "created": int(time.time()),
            "timestamp": int(time.time()),
            "name": upload.filename,
            "title": upload.title,
            "mimetype": mimetype,
            "filetype": upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else "binary",
            "user": self.bot_user_id,
            "size": len(upload.content or b""),
            "url_private": f"{self.url}/files/{upload.file_id}/{upload.filename}",
            "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{upload.file_id}",
            "channels": [upload.channel_id] if upload.channel_id.startswith("C") else [],
            "ims": [upload.channel_id] if upload.channel_id.startswith("D") else [],
            "groups": [upload.channel_id] if upload.channel_id.startswith("G") else [],
        }

    def _user_object(
        self,
        user_id: str,
        *,
        tz: str = DEFAULT_TZ,
        email: str | None = None,
        real_name: str | None = None,
        name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        is_admin: bool = False,
    ) -> dict[str, Any]:
        zone = ZoneInfo(tz)
        now = datetime.now(zone)
        offset = now.utcoffset()
        handle = name or user_id.lower()
        full_name = real_name or f"Crew Member {user_id}"
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": handle,
            "deleted": deleted,
            "real_name": full_name,
            "tz": tz,
            "tz_label": now.tzname() or tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_admin": is_admin,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "profile": {
                "real_name": full_name,
                "real_name_normalized": full_name,
                "display_name": handle,
                "display_name_normalized": handle,
                "email": email if email is not None else f"{handle}@example.com",
                "team": self.team_id,
            },
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # idle keep-alive connections must not block stop()
    request_queue_size = 128  # the default 5 drops bursts of connects, costing 1 s SYN retries
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    protocol_version = "HTTP/1.1"  # keep-alive, so load tests do not pay a connect per call
    disable_nagle_algorithm = True  # headers and body go out in two writes: on a kept connection, Nagle
    # and the client's delayed ACK would hold the body ~40 ms (a fresh connection ACKs at once)

    def do_POST(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests assert on recorded calls, not on an access log."""


# -- helpers ------------------------------------------------------------------------------


def dm_channel_id(user_id: str) -> str:
    """The id of the app's DM with ``user_id``: stable, and shaped like Slack's (``D...``)."""
    return "D" + hashlib.sha1(user_id.encode()).hexdigest()[:10].upper()


def _ok(params: Params) -> _Reply:
    return 200, {"ok": True}, {}


def _ok_reply(**fields: Any) -> _Reply:
    return 200, {"ok": True, **fields}, {}


def _error(error: str, *messages: str) -> _Reply:
    body: dict[str, Any] = {"ok": False, "error": error}
    if messages:
        body["response_metadata"] = {"messages": list(messages)}
    return 200, body, {}


def _bearer(authorization: str) -> str:
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _parse_body(content_type: str, body: bytes, params: Params) -> str:
    """Merge the body's parameters into ``params``; return a Slack error name or ""."""
    if not body:
        return ""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            return "invalid_json"
        if not isinstance(data, dict):
            return "invalid_json"
        params.update(data)
    elif kind == "application/x-www-form-urlencoded" or not kind:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    # multipart (the retired files.upload) is recorded raw in the call's "body" only
    return ""


def _json_param(value: Any) -> Any:
    """A parameter that Slack takes as JSON: a JSON body gives the object, a form the string."""
    if isinstance(value, str):
        return json.loads(value) if value else None
    return value


def _view_problem(view: dict[str, Any], *, home: bool) -> str:
    """The first documented limit the view breaks, as Slack words it, or ""."""
    expected = "home" if home else "modal"
    if view.get("type") != expected:
        return f"[ERROR] type must be {expected} [json-pointer:/view/type]"
    if not home:
        title = (view.get("title") or {}).get("text", "")
        if not title:
            return "[ERROR] missing required field: title [json-pointer:/view/title]"
        if len(title) > MODAL_TITLE_MAX:
            return f"[ERROR] must be less than {MODAL_TITLE_MAX + 1} characters [json-pointer:/view/title/text]"
    if len(view.get("blocks") or []) > VIEW_BLOCKS_MAX:
        return f"[ERROR] must provide at most {VIEW_BLOCKS_MAX} items [json-pointer:/view/blocks]"
    if len(view.get("private_metadata") or "") > PRIVATE_METADATA_MAX:
        return f"[ERROR] must be at most {PRIVATE_METADATA_MAX} characters [json-pointer:/view/private_metadata]"
    return ""


def slack_fake() -> Iterator[FakeSlack]:
    """Body of a pytest fixture: ``fake_slack = pytest.fixture(slack_fake)`` in a conftest."""
    with FakeSlack() as fake:
        yield fake
