"""``crewclock serve``: Slack over HTTP (waitress) on PORT, or Socket Mode with SLACK_APP_TOKEN.

HTTP routes: ``POST /slack/events`` (commands, interactivity, events, options — Bolt
verifies each signature and answers 401 to a missing, wrong or stale one), ``GET /healthz``
(the process is up and has Redis), ``GET /readyz`` (Redis and the database reachable, schema
current; 503 otherwise, within two seconds) and ``GET /metrics`` (Prometheus). SIGTERM or
SIGINT stops accepting, lets requests in flight finish, then drains the core (``services.stop()``).

With ``workers`` > 1, metrics use prometheus-client's multiprocess mode in a temporary
directory made (and removed) by ``serve``: whichever worker is scraped reports every worker's
counts and ack latencies.
"""

from __future__ import annotations

import contextvars
import json
import logging
import multiprocessing
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

import waitress
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.channel import HTTPChannel

from bot.app import build_app
from bot.errors import new_reference
from bot.observability import slack_metrics, start_request
from core.bootstrap import Services, build_services
from core.ops.metrics import CONTENT_TYPE, Metrics, enable_multiprocess
from core.ops.readiness import ReadinessProbe
from core.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
HTTP_THREADS = 16

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _answer(start_response: StartResponse, status: str, body: bytes, content_type: str) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def make_wsgi_app(app: App, services: Services) -> WsgiApp:
    """The WSGI callable: Bolt on ``POST /slack/events`` (timed), ``/healthz``, ``/readyz``, ``/metrics``."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    ack_seconds = slack_metrics(services.metrics).ack_seconds
    probe = ReadinessProbe(services.redis, services.sql, embedded_redis=services.settings.embedded_redis)

    def timed_slack(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        kind = start_request()
        started = time.perf_counter()
        try:
            answer = slack(environ, start_response)  # Bolt's adapter answers in full: the ack is done here
        except Exception:
            # Bolt's own error path can fail on a malformed payload (e.g. block_actions with no
            # action). Slack needs a 2xx, or it retries: log with a reference and answer empty.
            log.exception("Bolt failed on a request (ref %s)", new_reference())
            answer = _answer(start_response, "200 OK", b"", "text/plain")
        ack_seconds.labels(kind[0]).observe(time.perf_counter() - started)
        return answer

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if method in ("GET", "HEAD"):
            if path == HEALTH_PATH:
                redis_ok = services.hot.ping()
                body = json.dumps({"status": "ok" if redis_ok else "degraded", "redis": redis_ok}).encode()
                # Redis is what acknowledging needs; without it this process should get no traffic.
                status = "200 OK" if redis_ok else "503 Service Unavailable"
                return _answer(start_response, status, body, "application/json")
            if path == READY_PATH:
                readiness = probe.check()
                status = "200 OK" if readiness.ready else "503 Service Unavailable"
                return _answer(start_response, status, json.dumps(readiness.as_json()).encode(), "application/json")
            if path == METRICS_PATH:
                return _answer(start_response, "200 OK", services.metrics.render(), CONTENT_TYPE)
        # A fresh context per request: the kind and log fields set while serving it end with it.
        return contextvars.Context().run(timed_slack, environ, start_response)

    return wsgi


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket, to be shared by worker processes."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class HttpServer:
    """waitress serving one WSGI app from a background thread, with a graceful stop."""

    def __init__(
        self,
        wsgi: WsgiApp,
        *,
        host: str = "0.0.0.0",
        port: int = 0,
        threads: int = HTTP_THREADS,
        sock: socket.socket | None = None,
    ) -> None:
        where: dict[str, Any] = {"sockets": [sock]} if sock is not None else {"host": host, "port": port}
        self._server: Any = waitress.create_server(
            wsgi, threads=threads, ident="crewclock", clear_untrusted_proxy_headers=True, **where
        )
        self.port: int = int(sock.getsockname()[1] if sock is not None else self._server.effective_port)
        self._thread = threading.Thread(target=self._server.run, name="crewclock-http", daemon=True)

    def start(self) -> HttpServer:
        self._thread.start()
        return self

    def _idle(self) -> bool:
        dispatcher = self._server.task_dispatcher
        busy = dispatcher.active_count > 0 or len(dispatcher.queue) > 0
        unsent = any(
            isinstance(channel, HTTPChannel) and channel.total_outbufs_len
            for channel in list(self._server._map.values())
        )
        return not busy and not unsent

    def _in_loop(self, action: Callable[[], object]) -> None:
        """Run ``action`` in the server's own loop thread (closing sockets under its select is not safe)."""
        done = threading.Event()

        def thunk() -> None:
            try:
                action()
            finally:
                done.set()

        self._server.trigger.pull_trigger(thunk)
        done.wait(timeout=5)

    def stop(self, deadline_s: float = 10.0) -> None:
        """Stop accepting, give requests in flight up to ``deadline_s`` to finish, then close."""
        self._in_loop(lambda: wasyncore.dispatcher.close(self._server))  # the listening socket only
        deadline = time.monotonic() + deadline_s
        while not self._idle() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=max(deadline - time.monotonic(), 0.1))
        self._in_loop(lambda: wasyncore.close_all(self._server._map))  # idle keep-alive connections; the loop ends
        self._thread.join(timeout=5)


class ShutdownSignal:
    """SIGTERM and SIGINT, noted from the moment this is installed (start-up included).

    The handlers only note the signal; the main thread polls, so nothing is interrupted
    half-way. They stay installed while the process drains: a second signal changes nothing.
    """

    def __init__(self) -> None:
        self.received = ""

    def install(self) -> ShutdownSignal:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._note)
        return self

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.received = self.received or signal.Signals(signum).name

    def wait(self, keep_going: Callable[[], bool] = lambda: True) -> str:
        """Block until a signal arrives (its name) or ``keep_going`` turns False ("")."""
        while not self.received and keep_going():
            time.sleep(0.2)
        return self.received


def serve(settings: Settings, *, workers: int = 1) -> int:
    """Run the bot until SIGTERM/SIGINT; returns the process exit code.

    Args:
        settings: everything crewclock is told.
        workers: HTTP worker processes sharing the port (CPython runs one thread of
            Python at a time: a process per core is how a bigger machine gets used).
            Each builds its own services; the core is made for several processes.
    """
    if settings.slack_app_token:
        return _serve_socket_mode(settings)
    if workers <= 1:
        return _serve_http(settings)
    return _serve_workers(settings, workers)


def _serve_socket_mode(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    signals = ShutdownSignal().install()
    services = build_services(settings)
    services.start()
    try:
        handler = SocketModeHandler(build_app(settings, services), settings.slack_app_token)
        handler.connect()
        log.info("crewclock is answering Slack over Socket Mode")
        reason = signals.wait()
        log.info("%s: closing the Socket Mode connection", reason)
        handler.close()
    finally:
        services.stop()
    log.info("crewclock stopped")
    return 0


def _serve_http(settings: Settings, sock: socket.socket | None = None, metrics_dir: str | None = None) -> int:
    signals = ShutdownSignal().install()
    services = build_services(settings, metrics=Metrics(multiprocess_dir=metrics_dir))
    services.start()
    try:
        app = build_app(settings, services)
        server = HttpServer(make_wsgi_app(app, services), port=settings.port, sock=sock).start()
        log.info(
            "crewclock is answering Slack on port %d (%s; %s, %s, %s)",
            server.port,
            EVENTS_PATH,
            HEALTH_PATH,
            READY_PATH,
            METRICS_PATH,
        )
        reason = signals.wait()
        log.info("%s: no new requests; finishing the ones in flight", reason)
        server.stop(deadline_s=settings.shutdown_deadline_s)
    finally:
        services.stop()
    log.info("crewclock stopped")
    return 0


def _serve_workers(settings: Settings, workers: int) -> int:
    """Bind once, fork ``workers`` processes that each serve the shared socket; stop them together."""
    sock = listening_socket("0.0.0.0", settings.port)
    signals = ShutdownSignal().install()
    metrics_dir = tempfile.mkdtemp(prefix="crewclock-metrics-")
    enable_multiprocess(metrics_dir)  # before the fork: every worker's metrics go to files there
    forked = multiprocessing.get_context("fork")  # nothing but the socket exists yet: safe to fork
    children = [
        forked.Process(target=_serve_http, args=(settings, sock, metrics_dir), name=f"crewclock-http-{i}")
        for i in range(workers)
    ]
    for child in children:
        child.start()
    log.info("crewclock: %d HTTP workers on port %d", workers, settings.port)
    reason = signals.wait(keep_going=lambda: all(child.is_alive() for child in children))
    if not reason:
        log.error("an HTTP worker exited on its own; stopping the others")
    for child in children:
        # Ctrl-C reaches the whole process group: the workers have it already.
        if reason != "SIGINT" and child.is_alive():
            child.terminate()  # SIGTERM: each finishes its requests and drains its core
    for child in children:
        child.join(timeout=settings.shutdown_deadline_s + 10)
    sock.close()
    shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0 if reason and all(child.exitcode == 0 for child in children) else 1
