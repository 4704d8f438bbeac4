"""A fake Slack Socket Mode endpoint: a real WebSocket server on 127.0.0.1 speaking Slack's protocol.

Slack's side of Socket Mode (https://api.slack.com/apis/connections/socket), as the bot meets it:

1. The app calls ``apps.connections.open`` with its app-level token (``xapp-...``) and gets a
   single-use WebSocket URL. :class:`tests.fakes.slack_api.FakeSlack` answers that method with
   :meth:`FakeSocketMode.issue_url` once told to (``FakeSlack.enable_socket_mode``).
2. The app connects; Slack sends ``hello``. A URL whose ticket was never issued, or was used
   already, is refused with HTTP 401 before the WebSocket opens.
3. Slack pushes envelopes (``slash_commands``, ``interactive``, ``events_api``), each with an
   ``envelope_id``; the app acknowledges each with ``{"envelope_id": ..., "payload": {...}}``
   (payload optional: it is the answer a slash command or view submission would have had over HTTP).
4. Now and then Slack sends ``{"type": "disconnect", "reason": "refresh_requested"}``: the app
   is expected to fetch a new URL and connect again.

    with FakeSocketMode() as socket_mode:
        slack.enable_socket_mode(socket_mode.issue_url, app_token="xapp-1-test")
        ... start the bot ...
        connection = socket_mode.wait_for_connection()
        envelope_id = socket_mode.push_slash_command({"command": "/hours", "text": "help", ...})
        ack = socket_mode.wait_for_ack(envelope_id)

Everything the app sends is recorded per connection; pings are answered by the websockets library.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from tests.fakes.slack_api import APP_ID

LINK_PATH = "/link/"


@dataclass
class SocketConnection:
    """One WebSocket connection the app opened, as the fake saw it."""

    number: int  # 1 for the first connection, 2 after a refresh...
    path: str  # path and query as requested (``/link/?ticket=...&app_id=...``)
    ticket: str
    received: list[dict[str, Any]] = field(default_factory=list)  # the app's messages, parsed, oldest first
    closed: bool = False
    close_code: int | None = None  # 1006 (abnormal closure) when the app dropped the socket without a close frame
    closed_by_fake: bool = False
    _ws: ServerConnection | None = field(default=None, repr=False)


class FakeSocketMode:
    """A local stand-in for ``wss://wss-primary.slack.com/link/``, started and stopped by the test.

    Args:
        app_id: The app the connections belong to (``hello``'s ``connection_info``).
        host: Interface to bind; loopback only by design.
        port: 0 picks a free port.
    """

    def __init__(self, *, app_id: str = APP_ID, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app_id = app_id
        self._host = host
        self._requested_port = port
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._tickets: set[str] = set()  # issued and not used yet
        self._connections: list[SocketConnection] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeSocketMode:
        """Start serving in a background thread; returns self."""
        if self._server is None:
            self._server = serve(self._handle, self._host, self._requested_port, process_request=self._check_ticket)
            self._thread = threading.Thread(target=self._server.serve_forever, name="fake-socket-mode", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Close open connections (1001, going away), stop serving and free the port."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSocketMode is not started")
        return int(self._server.socket.getsockname()[1])

    def issue_url(self) -> str:
        """A new single-use URL, as ``apps.connections.open`` hands out (``ws://``: no TLS locally)."""
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://{self._host}:{self.port}{LINK_PATH}?ticket={ticket}&app_id={self.app_id}"

    # -- pushing envelopes ---------------------------------------------------------------

    def push(self, envelope: dict[str, Any], connection: SocketConnection | None = None) -> str:
        """Send an envelope on ``connection`` (default: the newest open one); returns its envelope_id."""
        target = connection or self.current()
        if target._ws is None:
            raise RuntimeError("that connection is not open")
        target._ws.send(json.dumps(envelope))
        return str(envelope.get("envelope_id", ""))

    def push_slash_command(self, payload: dict[str, Any], connection: SocketConnection | None = None) -> str:
        """A ``slash_commands`` envelope: ``payload`` has the fields of the command's form POST."""
        return self.push(slash_commands_envelope(payload), connection)

    def push_event(self, payload: dict[str, Any], connection: SocketConnection | None = None) -> str:
        """An ``events_api`` envelope: ``payload`` is the ``event_callback`` body the Events API would POST."""
        return self.push(events_api_envelope(payload), connection)

    def push_interactive(self, payload: dict[str, Any], connection: SocketConnection | None = None) -> str:
        """An ``interactive`` envelope: ``payload`` is the decoded ``payload=`` JSON of an interaction."""
        return self.push(interactive_envelope(payload), connection)

    def request_refresh(self, connection: SocketConnection | None = None) -> None:
        """Slack's periodic ``disconnect`` (``refresh_requested``): the app should reconnect on a new URL."""
        self.push(
            {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "applink-fake"}}, connection
        )

    # -- inspection ----------------------------------------------------------------------

    def connections(self) -> list[SocketConnection]:
        """Every connection accepted so far, oldest first."""
        with self._lock:
            return list(self._connections)

    def current(self) -> SocketConnection:
        """The newest open connection (RuntimeError when there is none)."""
        with self._lock:
            for connection in reversed(self._connections):
                if not connection.closed:
                    return connection
        raise RuntimeError("the app has no open Socket Mode connection")

    def wait_for_connection(self, count: int = 1, timeout: float = 10.0) -> SocketConnection:
        """Wait until ``count`` connections have been accepted (and said hello to); returns the newest."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._connections) >= count, timeout):
                raise TimeoutError(f"waited {timeout}s for connection #{count}; got {len(self._connections)}")
            return self._connections[count - 1]

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The app's acknowledgement of ``envelope_id`` (on any connection)."""

        def find() -> dict[str, Any] | None:
            for connection in self._connections:
                for message in connection.received:
                    if message.get("envelope_id") == envelope_id:
                        return message
            return None

        with self._changed:
            if not self._changed.wait_for(lambda: find() is not None, timeout):
                raise TimeoutError(f"no acknowledgement of envelope {envelope_id} in {timeout}s")
            return find() or {}

    def wait_closed(self, connection: SocketConnection, timeout: float = 10.0) -> SocketConnection:
        """Wait until ``connection`` has ended; returns it."""
        with self._changed:
            if not self._changed.wait_for(lambda: connection.closed, timeout):
                raise TimeoutError(f"connection #{connection.number} still open after {timeout}s")
            return connection

    # -- the server side -----------------------------------------------------------------

    def _check_ticket(self, ws: ServerConnection, request: Request) -> Response | None:
        split = urlsplit(request.path)
        ticket = (parse_qs(split.query).get("ticket") or [""])[0]
        with self._lock:
            valid = split.path == LINK_PATH and ticket in self._tickets
            self._tickets.discard(ticket)  # single use
        if not valid:
            return ws.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
        return None

    def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request is not None else ""
        ticket = (parse_qs(urlsplit(path).query).get("ticket") or [""])[0]
        connection = SocketConnection(0, path, ticket, _ws=ws)
        ws.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {
                        "host": "applink-fake",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        with self._changed:  # visible to the test only once hello is out: envelopes follow it, as on Slack
            connection.number = len(self._connections) + 1
            self._connections.append(connection)
            self._changed.notify_all()
        try:
            for raw in ws:
                try:
                    message = json.loads(raw)
                except ValueError:
                    message = {"unparsed": raw}
                with self._changed:
                    connection.received.append(message if isinstance(message, dict) else {"unparsed": raw})
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                connection.closed = True
                connection.close_code = ws.close_code
                connection.closed_by_fake = self._server is None  # stop() closes with 1001
                connection._ws = None
                self._changed.notify_all()


# -- envelopes, in the shapes Slack sends ------------------------------------------------------


def new_envelope_id() -> str:
    return str(uuid.uuid4())


def slash_commands_envelope(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "envelope_id": new_envelope_id(),
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": payload,
    }


def events_api_envelope(payload: dict[str, Any], *, retry_attempt: int = 0, retry_reason: str = "") -> dict[str, Any]:
    return {
        "envelope_id": new_envelope_id(),
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry_attempt,
        "retry_reason": retry_reason,
        "payload": payload,
    }


def interactive_envelope(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "envelope_id": new_envelope_id(),
        "type": "interactive",
        "accepts_response_payload": payload.get("type") == "view_submission",
        "payload": payload,
    }


def app_token() -> str:
    """An app-level token in Slack's shape (a test value, not a credential)."""
    return f"xapp-1-{APP_ID}-{int(time.time())}-{secrets.token_hex(16)}"


def socket_mode_fake() -> Iterator[FakeSocketMode]:
    """Body of a pytest fixture: ``fake_socket_mode = pytest.fixture(socket_mode_fake)`` in a conftest."""
    with FakeSocketMode() as fake:
        yield fake
