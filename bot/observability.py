"""The Slack edge's metrics and log fields: ack latency per request kind, Slack API errors and 429s.

* Ack latency is timed at the WSGI edge (``bot.server``): from the request reaching the app to
  Bolt's answer, signature check and body parsing included. With ``process_before_response``
  that answer is sent when the ack function returns, so this is the ack time Slack sees, less
  the network. The kind (command, view_submission, block_actions, event, options) is set by
  :func:`request_kind_middleware`, which runs only for signed requests; anything else is "other".
* Slack API errors and 429s are counted by :class:`SlackApiCounter`, a slack_sdk retry handler
  that never retries: it sees every response of the bot's Web API clients (Bolt copies the
  app client's retry handlers into each request's client), placed before the real retry handlers.
"""

from __future__ import annotations

import contextvars
import threading
import weakref
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Histogram
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.request.payload_utils import (
    is_block_actions,
    is_event,
    is_options,
    is_slash_command,
    is_view_submission,
)
from slack_sdk import WebClient
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from core.ops.logging import log_context
from core.ops.metrics import Metrics

# 0.1 ms to 1 s, finest where a healthy ack lands (about a millisecond), then up to Slack's 3 s.
ACK_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075,
    0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0,
)  # fmt: skip
KINDS = ("command", "view_submission", "block_actions", "event", "options", "other")


class SlackMetrics:
    """The edge's metrics, registered where the core's are (one registry per process)."""

    def __init__(self, metrics: Metrics) -> None:
        registry = metrics.metric_registry
        self.ack_seconds = Histogram(
            "crewclock_ack_seconds",
            "Time from a Slack request reaching crewclock to its answer, by request kind.",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self.slack_api_errors = Counter(
            "crewclock_slack_api_errors",
            "Slack Web API calls that failed (ok: false, HTTP errors, connection errors), by method and error.",
            ["method", "error"],
            registry=registry,
        )
        self.slack_rate_limited = Counter(
            "crewclock_slack_api_rate_limited",
            "Slack Web API answers with HTTP 429 (each is retried after Retry-After), by method.",
            ["method"],
            registry=registry,
        )
        for kind in KINDS:
            self.ack_seconds.labels(kind)


_by_metrics: weakref.WeakKeyDictionary[Metrics, SlackMetrics] = weakref.WeakKeyDictionary()
_by_metrics_lock = threading.Lock()


def slack_metrics(metrics: Metrics) -> SlackMetrics:
    """The edge's metrics for this registry, made once (the app and the HTTP server share them)."""
    with _by_metrics_lock:
        found = _by_metrics.get(metrics)
        if found is None:
            found = _by_metrics[metrics] = SlackMetrics(metrics)
        return found


# -- the kind of each request, from Bolt's parsed body to the WSGI timer ----------------------------

_request_kind: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("crewclock_kind", default=None)


def start_request() -> list[str]:
    """Called by the WSGI edge before Bolt: a slot the middleware fills with the request's kind."""
    slot = ["other"]
    _request_kind.set(slot)
    return slot


def note_request_kind(kind: str) -> None:
    """Fill this request's slot (see :func:`start_request`) with its kind, where Bolt's middleware does not run."""
    slot = _request_kind.get()
    if slot is not None:
        slot[0] = kind


def request_kind(body: dict[str, Any]) -> str:
    if is_slash_command(body):
        return "command"
    if is_view_submission(body):
        return "view_submission"
    if is_block_actions(body):
        return "block_actions"
    if is_options(body):
        return "options"
    if is_event(body):
        return "event"
    return "other"


def request_kind_middleware(req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Bolt middleware (after the signature check): note the kind and who is asking, for metrics and logs."""
    kind = request_kind(req.body)
    note_request_kind(kind)
    # Bound around the rest of the request only (the console dispatches on its own thread, no WSGI context).
    with log_context(request_kind=kind, slack_user_id=req.context.user_id or "", team_id=req.context.team_id or ""):
        return next()


# -- Slack Web API errors ------------------------------------------------------------------------


def _method(request: HttpRequest) -> str:
    return request.url.rstrip("/").rsplit("/", 1)[-1] or "unknown"


class SlackApiCounter(RetryHandler):
    """Counts failed Web API calls and 429s; never asks for a retry (the handlers after it decide)."""

    def __init__(self, metrics: SlackMetrics) -> None:
        super().__init__(max_retry_count=1_000_000)
        self.metrics = metrics

    def __deepcopy__(self, memo: dict[int, Any]) -> SlackApiCounter:
        return self  # Bolt deep-copies each request (and its client) for lazy listeners: count into the same metrics

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = _method(request)
        if response is None:
            if error is not None:
                self.metrics.slack_api_errors.labels(method, type(error).__name__).inc()
            return False
        if response.status_code == 429:
            self.metrics.slack_rate_limited.labels(method).inc()
        elif response.status_code >= 400:
            self.metrics.slack_api_errors.labels(method, f"http_{response.status_code}").inc()
        elif isinstance(response.body, dict) and response.body.get("ok") is False:
            self.metrics.slack_api_errors.labels(method, str(response.body.get("error") or "unknown")).inc()
        return False


def count_api_errors(client: WebClient, metrics: SlackMetrics) -> WebClient:
    """Put a :class:`SlackApiCounter` first among ``client``'s retry handlers (once)."""
    if not any(isinstance(h, SlackApiCounter) for h in client.retry_handlers):
        client.retry_handlers.insert(0, SlackApiCounter(metrics))
    return client
