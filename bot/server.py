"""``crewclock serve``: Slack over HTTP (uvicorn) on PORT, or Socket Mode with SLACK_APP_TOKEN.

HTTP routes: ``POST /slack/events`` (commands, interactivity, events, options — Bolt
verifies each signature and answers 401 to a missing, wrong or stale one), ``GET /healthz``
(the process is up and has Redis), ``GET /readyz`` (Redis and the database reachable, schema
current; 503 otherwise, within two seconds) and ``GET /metrics`` (Prometheus). SIGTERM or
SIGINT stops accepting, lets requests in flight finish, then drains the core (``services.stop()``).
In Socket Mode, Slack's requests come over the socket and PORT serves the three probes alone.

Why uvicorn (httptools + uvloop) and Bolt dispatched on its event loop: the ack path is
parse + one Redis call, well under a millisecond, so running it inline costs less than
handing each request to a thread (waitress spent about 0.3 ms of CPU per request on that
and its own parsing; ``bench/bench_ack.py`` compares). Everything slow (Web API calls,
Postgres, Zoho) already runs after the ack in Bolt's lazy-listener threads or the sync
pool, and the probes that may wait on a database run in a thread, so the loop never waits
on them.

With ``workers`` > 1, metrics use prometheus-client's multiprocess mode in a temporary
directory made (and removed) by ``serve``: whichever worker is scraped reports every worker's
counts and ack latencies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.adapter.asgi.http_response import AsgiHttpResponse
from slack_bolt.error import BoltError
from slack_bolt.request import BoltRequest
from slack_sdk.errors import SlackApiError

from bot.app import build_app
from bot.errors import new_reference
from bot.fast_lane import FastLane
from bot.observability import slack_metrics, start_request
from bot.offload import STOP, Message, Receiver, holding, release, send_from_here
from core.bootstrap import Services, build_services
from core.ops.metrics import CONTENT_TYPE, Metrics, enable_multiprocess
from core.ops.readiness import ReadinessProbe
from core.settings import Settings

if TYPE_CHECKING:
    from slack_sdk.socket_mode.builtin import SocketModeClient

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
BACKGROUND_NICENESS = 10  # bench_ack at 200/s: ack p99 8.8–16 ms with it, 27–42 ms without
PROBE_THREADS = 2  # /healthz, /readyz and /metrics may wait on Redis or Postgres: never on the event loop

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Answer = tuple[int, bytes, str]


async def _respond(send: Send, answer: Answer) -> None:
    status, body, content_type = answer
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def make_asgi_app(app: App | None, services: Services, hand_off: Callable[[Message], None] | None = None) -> AsgiApp:
    """The ASGI callable: Bolt on ``POST /slack/events`` (timed), ``/healthz``, ``/readyz``, ``/metrics``.

    ``app`` None: the probes only (Socket Mode, where Slack's requests come over the socket).
    ``hand_off``: the background process's queue ``put`` (``send_from_here``); a request's
    hand-offs then go once its answer is sent.
    """
    ack_seconds = slack_metrics(services.metrics).ack_seconds
    lane: FastLane | None = getattr(app, "fast_lane", None)
    probe = ReadinessProbe(services.redis, services.sql, embedded_redis=services.settings.embedded_redis)
    probes = ThreadPoolExecutor(max_workers=PROBE_THREADS, thread_name_prefix="crewclock-probe")
    services.extra_closers.append(lambda: probes.shutdown(wait=False))

    def health() -> Answer:
        redis_ok = services.hot.ping()
        body = json.dumps({"status": "ok" if redis_ok else "degraded", "redis": redis_ok}).encode()
        # Redis is what acknowledging needs; without it this process should get no traffic.
        return (200 if redis_ok else 503), body, "application/json"

    def ready() -> Answer:
        readiness = probe.check()
        return (200 if readiness.ready else 503), json.dumps(readiness.as_json()).encode(), "application/json"

    def metrics() -> Answer:
        return 200, services.metrics.render(), CONTENT_TYPE

    get_routes: dict[str, Callable[[], Answer]] = {HEALTH_PATH: health, READY_PATH: ready, METRICS_PATH: metrics}

    async def slack(scope: Scope, receive: Receive, send: Send) -> None:
        assert app is not None
        kind = start_request()  # each request is its own asyncio task: the slot lives in its context
        started = time.perf_counter()
        hold = holding(hand_off) if hand_off is not None else None  # hand-offs go once the answer is sent
        try:
            request = AsgiHttpRequest(scope, receive)  # type: ignore[arg-type]
            body = await request.get_raw_body()
            try:
                # The ack path, inline: parse + one Redis call; Web API work goes to lazy listeners.
                headers = request.get_headers()
                fast = lane.answer(body, headers) if lane is not None else None  # type: ignore[arg-type]
                bolt = fast or app.dispatch(BoltRequest(body=body, query=request.query_string, headers=headers))
                answer = AsgiHttpResponse(status=bolt.status, headers=bolt.headers, body=bolt.body)
            except Exception:
                # Bolt's own error path can fail on a malformed payload (e.g. block_actions with no
                # action). Slack needs a 2xx, or it retries: log with a reference and answer empty.
                log.exception("Bolt failed on a request (ref %s)", new_reference())
                answer = AsgiHttpResponse(status=200, headers={"content-type": ["text/plain"]}, body="")
            await send(answer.get_response_start())
            await send(answer.get_response_body())
            ack_seconds.labels(kind[0]).observe(time.perf_counter() - started)
        finally:
            if hold is not None:
                release(hold)  # even when the client is gone: what was recorded still syncs

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan is off; websockets are not served
        method, path = scope["method"], scope["path"]
        if method in ("GET", "HEAD") and path in get_routes:
            answer = await asyncio.get_running_loop().run_in_executor(probes, get_routes[path])
            await _respond(send, answer)
        elif method == "POST" and path == EVENTS_PATH and app is not None:
            await slack(scope, receive, send)
        else:
            await _respond(send, (404, b"Not Found", "text/plain"))

    return asgi


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket, to be shared by worker processes."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class HttpServer:
    """uvicorn serving one ASGI app from a background thread, with a graceful stop."""

    def __init__(
        self, asgi: AsgiApp, *, host: str = "0.0.0.0", port: int = 0, sock: socket.socket | None = None
    ) -> None:
        self._sock = sock if sock is not None else listening_socket(host, port)
        self.port: int = int(self._sock.getsockname()[1])
        config = uvicorn.Config(
            asgi,
            http="httptools",
            loop="uvloop",
            lifespan="off",
            access_log=False,
            log_config=None,  # our logging (JSON, redaction) handles uvicorn's loggers too
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="crewclock-http", daemon=True)

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # reported by start(); a thread has nowhere else to raise it
            self._failed = exc

    def start(self, timeout_s: float = 10.0) -> HttpServer:
        """Start serving; returns once the socket is being served."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the HTTP server did not start: {self._failed!r}")
            time.sleep(0.005)
        return self

    def stop(self, deadline_s: float = 10.0) -> None:
        """Stop accepting, give requests in flight up to ``deadline_s`` to finish, then close."""
        self._server.config.timeout_graceful_shutdown = max(deadline_s, 0.1)
        self._server.should_exit = True
        self._thread.join(timeout=deadline_s + 5)


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
            Over HTTP there is also one background process for syncing, DMs and the
            scheduler (``bot.offload``).
    """
    if settings.slack_app_token:
        return reporting_refused_tokens(_serve_socket_mode, settings)
    return _serve_processes(settings, workers)


def _serve_socket_mode(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    signals = ShutdownSignal().install()
    services = build_services(settings)
    services.start()
    probes: HttpServer | None = None
    try:
        # No requests come over HTTP in this mode, but orchestrators still need to probe and scrape it.
        probes = HttpServer(make_asgi_app(None, services), port=settings.port).start()
        log.info(
            "crewclock health and metrics on port %d (%s, %s, %s)", probes.port, HEALTH_PATH, READY_PATH, METRICS_PATH
        )
        handler = SocketModeHandler(build_app(settings, services), settings.slack_app_token)
        try:
            handler.connect()  # apps.connections.open, with the app-level token
        except SlackApiError as exc:
            return refused_token(exc, "SLACK_APP_TOKEN", "an app-level token (xapp-…) with connections:write")
        log.info("crewclock is answering Slack over Socket Mode")
        reason = signals.wait()
        log.info("%s: answering the envelopes already read, then closing the Socket Mode connection", reason)
        close_socket_mode(handler.client, deadline_s=settings.shutdown_deadline_s)
    finally:
        if probes is not None:
            probes.stop(deadline_s=1)
        services.stop()
    log.info("crewclock stopped")
    return 0


AUTH_ERRORS = frozenset({"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired"})


def refused_token(exc: Exception, setting: str, expected: str = "the bot token (xoxb-…)") -> int:
    """Slack turned a token down at start-up: say which setting, plainly, and exit 2 (a configuration error).

    Bolt wraps its own token check's ``SlackApiError`` in a ``BoltError``: either is looked at.
    Anything else is not a configuration problem: it is raised as it is.
    """
    api_error = next((e for e in (exc, exc.__cause__, exc.__context__) if isinstance(e, SlackApiError)), None)
    error = str(api_error.response.get("error", "")) if api_error is not None else ""
    if error not in AUTH_ERRORS:
        raise exc
    log.error("Slack refused %s (%s): set it to %s of this Slack app", setting, error, expected)
    return 2


def close_socket_mode(client: SocketModeClient, deadline_s: float) -> None:
    """Stop reading envelopes, let the ones already read be handled and acknowledged, then close.

    ``SocketModeClient.close()`` drops the socket first and only then waits for its handlers, so
    an envelope read just before was still handled (a quick entry recorded) while its
    acknowledgement had no socket left: Slack told the person it failed, for work that was done.
    Here the reader stops first (an envelope not read is not handled: Slack's failure is then
    true), the queue of read envelopes is handled, their acks go out, and the socket closes last.
    """
    client.auto_reconnect_enabled = False
    reader = client.current_session_runner
    reader.event.set()  # not started again after the current read...
    while reader.is_alive():  # ...which ends at the next frame or the socket's receive timeout
        client.current_session_state.terminated = True  # (again: the runner resets it when it starts a read)
        reader.thread.join(timeout=0.1)
    deadline = time.monotonic() + deadline_s
    while not client.message_queue.empty() and time.monotonic() < deadline:
        time.sleep(0.01)
    client.closed = True  # the dispatcher stops after the envelope in its hands
    client.message_processor.shutdown()
    client.message_workers.shutdown(wait=True)  # handlers still running send their acks on the open socket
    client.close()


def run_http_worker(
    settings: Settings,
    sock: socket.socket,
    queue: Queue[Message],
    metrics_dir: str | None = None,
    prepare: Callable[[Services], None] | None = None,
) -> int:
    """One HTTP worker: acknowledges Slack's requests; hands the rest to the background process.

    ``prepare``: a last change to the services before they start (the benchmark's hanging Zoho).
    """
    signals = ShutdownSignal().install()
    services = build_services(settings, metrics=Metrics(multiprocess_dir=metrics_dir))
    if prepare is not None:
        prepare(services)
    services.start(scheduler=False)
    try:
        app = build_app(settings, services)
        hand_off = send_from_here(queue, app.ctx, services)
        server = HttpServer(make_asgi_app(app, services, hand_off), sock=sock).start()
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
        services.stop()  # lazy listeners finish (their hand-offs go out before the queue is flushed)
        queue.close()
        queue.join_thread()  # everything handed over is in the pipe before this process ends
    log.info("crewclock HTTP worker stopped")
    return 0


def yield_to_acks() -> str:
    """Make this (background) process take only CPU the HTTP workers leave; returns how.

    The acks are what people wait for. At niceness alone, a worker woken by a request still
    queued behind background threads on its core (~0.3 ms per ack at 200/s); Linux's idle
    policy lets any normal task preempt these at once, and still gives them every idle cycle,
    so syncs and DMs keep up whenever the workers are not saturating the cores (and catch up
    after a burst: docs/benchmarks.md, issue 3). Threads started later inherit the policy.
    """
    os.nice(BACKGROUND_NICENESS)  # where the idle policy is missing (not Linux) or refused
    if not hasattr(os, "SCHED_IDLE"):
        return f"niceness {BACKGROUND_NICENESS}"
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except OSError as exc:
        log.warning("background process keeps niceness %d (idle scheduling refused: %s)", BACKGROUND_NICENESS, exc)
        return f"niceness {BACKGROUND_NICENESS}"
    return "idle"


def run_background(
    settings: Settings,
    queue: Queue[Message],
    metrics_dir: str | None = None,
    prepare: Callable[[Services], None] | None = None,
) -> int:
    """The background process: syncs, DMs, follow-ups and the scheduler, for every HTTP worker.

    ``prepare``: a last change to the services before they start (the benchmark's hanging Zoho).
    """
    priority = yield_to_acks()
    signals = ShutdownSignal().install()
    services = build_services(settings, metrics=Metrics(multiprocess_dir=metrics_dir))
    if prepare is not None:
        prepare(services)
    services.start()
    try:
        app = build_app(settings, services)
        receiver = Receiver(queue, app.ctx, services).start()
        log.info("crewclock background process is running (sync, DMs, scheduled jobs; CPU priority: %s)", priority)
        reason = signals.wait(keep_going=receiver.running)  # serve's STOP, or a signal
        if reason:
            # A signal to the whole group (systemd's default, Ctrl-C) reaches the HTTP workers at
            # the same time: keep taking their hand-offs until serve says they have all stopped.
            log.info("%s: waiting for the HTTP workers' last hand-offs", reason)
            receiver.join(timeout_s=settings.shutdown_deadline_s + 5)
        log.info("handling what the HTTP workers handed over, then draining")
        receiver.stop(timeout_s=settings.shutdown_deadline_s)
    finally:
        services.stop()
    log.info("crewclock background process stopped")
    return 0


def _join_or_kill(children: list[BaseProcess], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    for child in children:
        child.join(timeout=max(deadline - time.monotonic(), 0.1))
        if child.is_alive():  # past its deadline: entries wait in Redis; unsent DMs are lost
            log.error("%s did not stop in time; killing it", child.name)
            child.kill()
            child.join(timeout=5)


def reporting_refused_tokens(target: Callable[..., int], *args: Any) -> int:
    """``target(*args)``, in a process that builds the app: Bolt's check of the bot token (auth.test)
    failing is a configuration error, said in one line (exit 2)."""
    try:
        return target(*args)
    except BoltError as exc:
        return refused_token(exc, "SLACK_BOT_TOKEN")


def _exit_with(target: Callable[..., int], *args: Any) -> None:
    raise SystemExit(reporting_refused_tokens(target, *args))


def _serve_processes(settings: Settings, workers: int) -> int:
    """Bind once; fork the background process and ``workers`` HTTP workers; stop them in order."""
    sock = listening_socket("0.0.0.0", settings.port)
    signals = ShutdownSignal().install()
    metrics_dir = tempfile.mkdtemp(prefix="crewclock-metrics-")
    enable_multiprocess(metrics_dir)  # before the fork: every process's metrics go to files there
    forked = multiprocessing.get_context("fork")  # nothing but the socket exists yet: safe to fork
    queue: Queue[Message] = forked.Queue()
    background = forked.Process(
        target=_exit_with, args=(run_background, settings, queue, metrics_dir), name="crewclock-background"
    )
    http = [
        forked.Process(
            target=_exit_with, args=(run_http_worker, settings, sock, queue, metrics_dir), name=f"crewclock-http-{i}"
        )
        for i in range(max(workers, 1))
    ]
    background.start()
    for child in http:
        child.start()
    log.info("crewclock: %d HTTP worker(s) on port %d and a background process", len(http), settings.port)
    everyone = [background, *http]
    reason = signals.wait(keep_going=lambda: all(child.is_alive() for child in everyone))
    if not reason:
        log.error("a crewclock process exited on its own; stopping the others")
    # HTTP workers first: their last hand-offs must reach a background process still reading.
    for child in http:
        if child.is_alive():
            child.terminate()  # SIGTERM: each finishes its requests and flushes its hand-offs
    _join_or_kill(http, settings.shutdown_deadline_s + 10)
    queue.put(STOP)  # after every worker's last hand-off: the background process drains and ends
    _join_or_kill([background], 2 * settings.shutdown_deadline_s + 15)
    sock.close()
    shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0 if reason and all(child.exitcode == 0 for child in everyone) else 1
