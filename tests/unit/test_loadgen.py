"""bench.loadgen against a small local HTTP/1.1 keep-alive server (threads, one per connection).

Each request body is ``id=<n>&kind=<kind>``; the server answers by kind: ``logged`` (200, "Logged ..."),
``nolog`` (200, another text), ``fail`` (500), ``close`` (200 "Logged ..." with Connection: close),
``chunked`` (a chunked 200), ``drop-once`` (the first time: close without answering) and ``hang``
(answers after a second).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from bench import loadgen
from bench.loadgen import Run, build_request, closed_loop, in_child, open_loop

NOT_LOGGED = "That date is more than 60 days back"


@dataclass
class State:
    delay: float = 0.0
    received: list[int] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    connections: int = 0
    dropped: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms wait between them
    server: Server

    def setup(self) -> None:
        super().setup()
        with self.server.state.lock:
            self.server.state.connections += 1

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        state = self.server.state
        fields = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        rid, kind = int(fields["id"]), fields["kind"]
        with state.lock:
            state.received.append(rid)
            state.in_flight += 1
            state.most_in_flight = max(state.most_in_flight, state.in_flight)
            drop = kind == "drop-once" and rid not in state.dropped
            state.dropped.add(rid)
        try:
            time.sleep(1.0 if kind == "hang" else state.delay)
        finally:
            with state.lock:
                state.in_flight -= 1
        if drop:
            self.close_connection = True
            return
        if kind == "chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"2\r\n{}\r\n0\r\n\r\n")
            return
        status, text = {"fail": (500, "boom"), "nolog": (200, NOT_LOGGED)}.get(kind, (200, f"Logged 8h (#{rid})"))
        body = json.dumps({"response_type": "ephemeral", "text": text}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if kind == "close":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    state: State

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up on a hung answer


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def state(server: Server) -> State:
    server.state = State()
    return server.state


def port_of(server: Server) -> int:
    return server.server_address[1]


def requests(kinds: list[str]) -> list[tuple[bytes, dict[str, str]]]:
    return [
        (f"id={i}&kind={k}".encode(), {"content-type": "application/x-www-form-urlencoded"})
        for i, k in enumerate(kinds)
    ]


def eventually(check: object, timeout: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)
    assert check()  # type: ignore[operator]


def test_build_request_is_one_complete_post() -> None:
    raw = build_request(b"a=1", {"content-type": "text/plain", "x-slack-signature": "v0=ab"}, "127.0.0.1:9")
    head, body = raw.split(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /slack/events HTTP/1.1"
    assert {"Host: 127.0.0.1:9", "Content-Length: 3", "content-type: text/plain", "x-slack-signature: v0=ab"} <= set(
        lines[1:]
    )
    assert body == b"a=1"


def test_latency_ends_when_the_answer_arrives_not_when_the_generator_has_read_it(
    server: Server, state: State, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generator's own parsing of an answer is not the server's latency."""
    state.delay = 0.01
    real_classify = loadgen.classify

    def slow_classify(status: int, body: bytes) -> tuple[bool, str]:
        time.sleep(0.05)  # far longer than the server takes
        return real_classify(status, body)

    monkeypatch.setattr(loadgen, "classify", slow_classify)
    for run in (
        open_loop(port_of(server), requests(["logged"] * 4), rate=10),
        closed_loop(port_of(server), requests(["logged"] * 4), seconds=5.0, clients=1),
    ):
        assert len(run.latencies) == 4 and not run.errors
        assert all(state.delay <= latency < 0.05 for latency in run.latencies)


def test_open_loop_sends_each_request_once_and_classifies_answers(server: Server, state: State) -> None:
    state.delay = 0.01
    kinds = ["logged"] * 40
    kinds[5], kinds[10], kinds[15], kinds[25] = "nolog", "fail", "close", "close"
    run = open_loop(port_of(server), requests(kinds), rate=400)

    assert sorted(state.received) == list(range(40))  # every request once
    assert run.sent == 40 and len(run.send_lags) == 40
    assert len(run.latencies) == 39  # one per HTTP 200 answer: all but the 500
    assert sorted(run.errors) == ["HTTP 500", NOT_LOGGED]
    assert min(run.latencies) >= state.delay
    assert run.seconds >= 39 / 400
    assert run.loadgen_cpu_seconds > 0
    assert state.connections >= 3  # two answers closed their connection: new ones carried on


def test_open_loop_latency_includes_waiting_for_a_connection(server: Server, state: State) -> None:
    state.delay = 0.04
    run = open_loop(port_of(server), requests(["logged"] * 8), rate=200, connections=2)

    assert not run.errors and len(run.latencies) == 8
    assert state.most_in_flight <= 2
    assert min(run.latencies) >= state.delay
    # 8 requests in 35 ms over 2 connections of 40 ms each: the last is answered ~160 ms after the
    # first send, ~125 ms after its own scheduled time, most of it spent waiting for a connection.
    assert max(run.latencies) > 0.1
    assert max(run.send_lags) > 0.06


def test_open_loop_retries_a_request_a_kept_connection_lost_unanswered(server: Server, state: State) -> None:
    run = open_loop(port_of(server), requests(["logged", "drop-once", "logged"]), rate=20, connections=1)

    assert not run.errors and len(run.latencies) == 3
    assert sorted(state.received) == [0, 1, 1, 2]  # request 1 again, on a new connection
    assert state.connections == 2


def test_open_loop_reports_chunked_answers_and_refused_connections(server: Server, state: State) -> None:
    run = open_loop(port_of(server), requests(["logged", "chunked", "logged"]), rate=100)
    assert run.errors == ["chunked answer"] and len(run.latencies) == 2

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    run = open_loop(closed_port, requests(["logged"] * 3), rate=100)
    assert run.errors == ["ConnectionRefusedError"] * 3 and not run.latencies


def test_closed_loop_keeps_at_most_n_in_flight(server: Server, state: State) -> None:
    state.delay = 0.01
    run = closed_loop(port_of(server), requests(["logged"] * 1000), seconds=0.3, clients=4)

    assert not run.errors
    assert 2 <= state.most_in_flight <= 4
    assert run.sent == len(run.latencies) == len(state.received)
    assert sorted(state.received) == list(range(run.sent))  # taken in order, each once
    assert 0.3 <= run.seconds < 0.5
    assert run.throughput == pytest.approx(len(run.latencies) / run.seconds)
    assert 100 < run.throughput <= 4 / state.delay
    assert min(run.latencies) >= state.delay


def test_closed_loop_reconnects_after_connection_close_and_stops_when_requests_run_out(
    server: Server, state: State
) -> None:
    kinds = ["close" if i % 3 == 2 else "logged" for i in range(12)]
    kinds[4] = "nolog"
    run = closed_loop(port_of(server), requests(kinds), seconds=5, clients=2)

    assert run.sent == 12 and sorted(state.received) == list(range(12))
    assert len(run.latencies) == 11 and run.errors == [NOT_LOGGED]  # only logged answers count
    assert run.seconds < 1
    eventually(lambda: state.connections == 2 + 4)  # 4 answers said Connection: close


def test_in_child_runs_the_loop_in_another_process(server: Server, state: State) -> None:
    run = in_child(open_loop, port_of(server), requests(["logged"] * 10), 200)
    assert isinstance(run, Run) and len(run.latencies) == 10 and not run.errors
    assert run.loadgen_cpu_seconds > 0
    assert sorted(state.received) == list(range(10))


@pytest.mark.parametrize("timer", ["fd", "loop"])
def test_open_loop_sends_on_schedule_never_early(
    server: Server, state: State, timer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOADGEN_TIMER", timer)  # the timerfd, or the loop's millisecond timers
    run = open_loop(port_of(server), requests(["logged"] * 20), rate=200)
    assert len(run.latencies) == 20 and not run.errors
    assert min(run.send_lags) >= 0
    assert run.seconds >= 19 / 200


def test_unanswered_requests_are_timeouts(server: Server, state: State, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loadgen, "TIMEOUT_S", 0.2)
    run = open_loop(port_of(server), requests(["logged", "hang", "logged"]), rate=100)
    assert run.errors == ["timeout"] and len(run.latencies) == 2

    run = closed_loop(port_of(server), requests(["logged", "hang", "logged", "logged"]), seconds=0.1, clients=2)
    assert run.errors == ["timeout"] and len(run.latencies) == 3
