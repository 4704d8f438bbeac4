"""KeepAliveWebClient over real HTTP: FakeSlack (keep-alive), and small servers that close connections."""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import struct
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.client import IncompleteRead, RemoteDisconnected
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

import bot.web_transport
from bot.web_transport import KeepAliveWebClient
from tests.fakes.slack_api import FakeSlack
from tests.support.servers import free_port

TOKEN = "xoxb-crewclock-test"


def count_connections(slack: FakeSlack) -> list[tuple[str, int]]:
    """The client addresses of the connections FakeSlack accepts from now on (one entry per TCP connection)."""
    accepted: list[tuple[str, int]] = []
    server = slack._server
    assert server is not None
    accept = server.get_request

    def counting_accept() -> Any:
        sock, address = accept()
        accepted.append(address)
        return sock, address

    server.get_request = counting_accept  # type: ignore[method-assign]
    return accepted


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


class TinyServer:
    """An HTTP/1.1 server answering ``{"ok": true, "path": ...}``, with the connection handling a test needs.

    ``keep_alive``: keep connections open (until the server stops: they are closed then, as a
    restarted server's are); otherwise close each one after its answer, saying ``Connection: close``
    when ``announce`` is set, or silently (as an idle timeout does) when not; with ``reset``, by a
    TCP reset rather than a FIN. :meth:`drop_next`:
    read the next request and close the connection without answering; :meth:`truncate_next`: close
    it in the middle of the answer.
    """

    def __init__(self, *, keep_alive: bool = False, announce: bool = False, reset: bool = False, port: int = 0) -> None:
        self.connections = 0
        self.requests: list[str] = []
        self._faults: list[str] = []
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.closed = threading.Semaphore(0)  # released as each connection is closed
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                with owner._lock:
                    owner.connections += 1
                    owner._sockets.append(self.connection)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner._lock:
                    owner.requests.append(self.path)
                    fault = owner._faults.pop(0) if owner._faults else ""
                self.close_connection = bool(fault) or not keep_alive
                if fault == "drop":
                    return
                data = json.dumps({"ok": True, "path": self.path}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                if announce:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data[: len(data) // 2] if fault == "truncate" else data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def shutdown_request(self, request: Any) -> None:
                if reset:  # close with a TCP reset instead of a FIN
                    request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    request.close()
                else:
                    super().shutdown_request(request)
                owner.closed.release()

        self._server = Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def drop_next(self) -> None:
        with self._lock:
            self._faults.append("drop")

    def truncate_next(self) -> None:
        with self._lock:
            self._faults.append("truncate")

    def __enter__(self) -> TinyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


# -- connection reuse ----------------------------------------------------------------------------


def test_calls_from_one_thread_share_one_connection(slack: FakeSlack) -> None:
    accepted = count_connections(slack)
    client = KeepAliveWebClient(token=TOKEN, base_url=slack.base_url)
    posted = client.chat_postMessage(channel="C1", text="hi")
    client.chat_update(channel="C1", ts=posted["ts"], text="edited")
    client.users_info(user="U1")
    assert slack.methods() == ["chat.postMessage", "chat.update", "users.info"]
    assert len(accepted) == 1


def test_the_stock_client_connects_per_call(slack: FakeSlack) -> None:
    """The baseline the counting above is measured against."""
    accepted = count_connections(slack)
    client = WebClient(token=TOKEN, base_url=slack.base_url)
    for _ in range(3):
        client.auth_test()
    assert len(accepted) == 3


def test_calls_from_many_threads_all_succeed_on_one_connection_each(slack: FakeSlack) -> None:
    accepted = count_connections(slack)
    client = KeepAliveWebClient(token=TOKEN, base_url=slack.base_url)
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)

    def work(n: int) -> list[str]:
        start.wait()
        return [client.chat_postMessage(channel=f"C{n}", text=str(i))["channel"] for i in range(per_thread)]

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(work, range(threads)))
    assert results == [[f"C{n}"] * per_thread for n in range(threads)]
    assert len(slack.calls("chat.postMessage")) == threads * per_thread
    assert len(accepted) == threads


def test_a_deep_copy_shares_the_connections(slack: FakeSlack) -> None:
    """Bolt deep-copies each request, client included, for lazy listeners."""
    accepted = count_connections(slack)
    client = KeepAliveWebClient(token=TOKEN, base_url=slack.base_url)
    client.auth_test()
    copy.deepcopy(client).auth_test()
    assert len(accepted) == 1


# -- the stock client's contract -------------------------------------------------------------------


@pytest.mark.parametrize("client_class", [WebClient, KeepAliveWebClient])
def test_responses_parse_as_with_the_stock_client(slack: FakeSlack, client_class: type[WebClient]) -> None:
    client = client_class(token=TOKEN, base_url=slack.base_url)
    resp = client.chat_postMessage(channel="C1", text="hi")
    assert resp["ok"] is True and resp["channel"] == "C1" and resp["message"]["text"] == "hi"
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert int(resp.headers["Content-Length"]) > 0
    assert client.users_info(user="U7")["user"]["id"] == "U7"
    [call] = slack.calls("chat.postMessage")
    assert call["token"] == TOKEN and call["params"]["text"] == "hi"
    assert call["headers"]["user-agent"].startswith("Python/")  # slack_sdk's own User-Agent


@pytest.mark.parametrize("client_class", [WebClient, KeepAliveWebClient])
def test_ok_false_raises_slack_api_error(slack: FakeSlack, client_class: type[WebClient]) -> None:
    client = client_class(token=TOKEN, base_url=slack.base_url)
    slack.fail_next("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="hi")
    assert raised.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as unknown_ts:
        client.chat_update(channel="C1", ts="1.2", text="x")
    assert unknown_ts.value.response["error"] == "message_not_found"
    assert client.chat_postMessage(channel="C1", text="again")["ok"] is True


@pytest.mark.parametrize("client_class", [WebClient, KeepAliveWebClient])
def test_a_429_without_retry_handlers_surfaces_like_urlopens(slack: FakeSlack, client_class: type[WebClient]) -> None:
    client = client_class(token=TOKEN, base_url=slack.base_url, retry_handlers=[])
    slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="hi")
    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response.headers["retry-after"] == "7"  # slack_sdk adds it for HTTPError answers only


def test_a_429_is_retried_after_retry_after_then_succeeds(slack: FakeSlack) -> None:
    accepted = count_connections(slack)
    client = KeepAliveWebClient(
        token=TOKEN, base_url=slack.base_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
    )
    slack.rate_limit_next("chat.postMessage", retry_after=0)
    assert client.chat_postMessage(channel="C1", text="hi")["ok"] is True
    assert [c["status"] for c in slack.calls("chat.postMessage")] == [429, 200]
    assert len(accepted) == 1  # an error answer leaves the connection reusable


def test_a_refused_connection_raises_urlerror_and_is_retried() -> None:
    handler = ConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0))
    client = KeepAliveWebClient(base_url=f"http://127.0.0.1:{free_port()}/api/", retry_handlers=[handler])
    with pytest.raises(URLError) as raised:
        client.auth_test()
    assert isinstance(raised.value.reason, ConnectionRefusedError)


# -- connections the server closes -------------------------------------------------------------------


@pytest.mark.parametrize("announce", [True, False], ids=["connection-close", "silent-close"])
def test_a_server_closing_between_requests_is_transparent(announce: bool) -> None:
    with TinyServer(announce=announce) as server:
        client = KeepAliveWebClient(token=TOKEN, base_url=server.base_url, retry_handlers=[])
        paths = [client.api_call(f"m.{i}")["path"] for i in range(4)]
        assert paths == [f"/api/m.{i}" for i in range(4)]
        assert server.requests == paths  # each request sent once
        assert server.connections == 4


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
def test_a_kept_connection_closed_as_the_request_is_sent_is_retried_once(
    monkeypatch: pytest.MonkeyPatch, reset: bool
) -> None:
    """The race the idle check cannot see (the close arrives after it): the request goes again, once."""
    monkeypatch.setattr(bot.web_transport, "_readable", lambda sock: False)
    with TinyServer(reset=reset) as server:
        client = KeepAliveWebClient(token=TOKEN, base_url=server.base_url, retry_handlers=[])
        for i in range(3):
            assert client.api_call(f"m.{i}")["ok"] is True
            assert server.closed.acquire(timeout=5)  # closed by the server before the next call
        assert server.requests == ["/api/m.0", "/api/m.1", "/api/m.2"]  # the server never read the stale sends
        assert server.connections == 3


def test_a_restarted_server_is_reconnected_to() -> None:
    port = free_port()
    with TinyServer(keep_alive=True, port=port) as first:
        client = KeepAliveWebClient(token=TOKEN, base_url=first.base_url, retry_handlers=[])
        assert [client.api_call("m.before")["ok"] for _ in range(2)] == [True, True]
        assert first.connections == 1
    with TinyServer(keep_alive=True, port=port) as second:
        assert [client.api_call("m.after")["ok"] for _ in range(2)] == [True, True]
        assert (second.requests, second.connections) == (["/api/m.after"] * 2, 1)


def test_a_fresh_connection_closed_without_an_answer_is_left_to_the_retry_handler() -> None:
    """Not a stale kept connection: the transport raises what urlopen raises, and slack_sdk's handler decides."""
    with TinyServer(keep_alive=True) as server:
        server.drop_next()
        bare = KeepAliveWebClient(token=TOKEN, base_url=server.base_url, retry_handlers=[])
        with pytest.raises(RemoteDisconnected):
            bare.api_call("m.dropped")
        server.drop_next()
        handler = ConnectionErrorRetryHandler(
            max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0)
        )
        retrying = KeepAliveWebClient(token=TOKEN, base_url=server.base_url, retry_handlers=[handler])
        assert retrying.api_call("m.retried")["ok"] is True
        assert server.requests == ["/api/m.dropped", "/api/m.retried", "/api/m.retried"]


def test_an_answer_cut_short_on_a_kept_connection_is_not_sent_again() -> None:
    """Once a byte of the answer arrived, the server may have acted on the request: no transparent retry."""
    with TinyServer(keep_alive=True) as server:
        client = KeepAliveWebClient(token=TOKEN, base_url=server.base_url, retry_handlers=[])
        assert client.api_call("m.first")["ok"] is True
        server.truncate_next()
        with pytest.raises(IncompleteRead):
            client.api_call("m.cut")
        assert server.requests == ["/api/m.first", "/api/m.cut"]
        assert client.api_call("m.after")["ok"] is True


def test_a_proxy_falls_back_to_the_stock_transport(slack: FakeSlack) -> None:
    client = KeepAliveWebClient(token=TOKEN, base_url="http://slack.invalid/api/", proxy=slack.url)
    assert client.auth_test()["ok"] is True  # FakeSlack takes the proxy's absolute-URI request too
    assert client._connections.by_origin == {}
