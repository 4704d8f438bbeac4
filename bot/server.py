"""``crewclock serve``: Slack over HTTP (waitress) on PORT, or Socket Mode with SLACK_APP_TOKEN.

HTTP routes: ``POST /slack/events`` (commands, interactivity, events, options — Bolt
verifies each signature and answers 401 to a missing, wrong or stale one) and
``GET /healthz``. SIGTERM or SIGINT stops accepting, lets requests in flight finish,
then drains the core (``services.stop()``).
"""

from __future__ import annotations

import json
import logging
import signal
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
from core.bootstrap import Services, build_services
from core.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
HTTP_THREADS = 16

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def make_wsgi_app(app: App, services: Services) -> WsgiApp:
    """The WSGI callable: Bolt on ``POST /slack/events``, a health check on ``GET /healthz``."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            redis_ok = services.hot.ping()
            body = json.dumps({"status": "ok" if redis_ok else "degraded", "redis": redis_ok}).encode()
            # Redis is what acknowledging needs; without it this process should get no traffic.
            status = "200 OK" if redis_ok else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return slack(environ, start_response)

    return wsgi


class HttpServer:
    """waitress serving one WSGI app from a background thread, with a graceful stop."""

    def __init__(self, wsgi: WsgiApp, *, host: str = "0.0.0.0", port: int = 0, threads: int = HTTP_THREADS) -> None:
        self._server: Any = waitress.create_server(
            wsgi, host=host, port=port, threads=threads, ident="crewclock", clear_untrusted_proxy_headers=True
        )
        self.port: int = self._server.effective_port
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


class _Shutdown(Exception):
    """Raised in the main thread by SIGTERM/SIGINT to leave the wait."""


def _raise_shutdown(signum: int, frame: FrameType | None) -> None:
    raise _Shutdown(signal.Signals(signum).name)


def _wait_for_signal() -> str:
    previous = {sig: signal.signal(sig, _raise_shutdown) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            time.sleep(3600)
    except _Shutdown as stop:
        return str(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(settings: Settings) -> int:
    """Run the bot until SIGTERM/SIGINT; returns the process exit code."""
    services = build_services(settings)
    services.start()
    try:
        app = build_app(settings, services)
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(app, settings.slack_app_token)
            handler.connect()
            log.info("crewclock is answering Slack over Socket Mode")
            reason = _wait_for_signal()
            log.info("%s: closing the Socket Mode connection", reason)
            handler.close()
        else:
            server = HttpServer(make_wsgi_app(app, services), port=settings.port).start()
            log.info("crewclock is answering Slack on port %d (%s, %s)", server.port, EVENTS_PATH, HEALTH_PATH)
            reason = _wait_for_signal()
            log.info("%s: no new requests; finishing the ones in flight", reason)
            server.stop(deadline_s=settings.shutdown_deadline_s)
    finally:
        services.stop()
    log.info("crewclock stopped")
    return 0
