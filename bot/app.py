"""The composition root of the Slack side: settings and core services in, a Bolt ``App`` out.

Design of the ack path (issue 3): ``process_before_response=True``, so Bolt answers
Slack as soon as the ack function returns (no 10 ms ack polling), and every listener
keeps Web API calls in lazy listeners, which Bolt starts in a thread right after the ack
(``views.open`` therefore runs well inside the trigger's 3 seconds). The busiest paths hand
their follow-up to the same pool directly (``ctx.follow_ups``), and over HTTP a signed
``/hours`` is answered by the same function without Bolt's generic dispatch (``bot.fast_lane``). Every listener uses the
app's keep-alive client (``bot.web_transport``), not the plain one Bolt builds per request.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.context import BotContext, UserDirectory
from bot.errors import register_error_handler
from bot.fast_lane import FastLane
from bot.listeners import register_listeners
from bot.observability import count_api_errors, request_kind_middleware, slack_metrics
from bot.web_transport import KeepAliveWebClient
from core.bootstrap import Services
from core.settings import Settings

LAZY_WORKERS = 32  # lazy listeners mostly wait on Slack; Bolt's default of 5 would queue them
WEB_API_TIMEOUT_S = 10


def build_web_client(settings: Settings) -> WebClient:
    """A Web API client that retries 429s (after Retry-After) and dropped connections."""
    base_url = settings.slack_api_url or WebClient.BASE_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return KeepAliveWebClient(
        token=settings.slack_bot_token or None,
        base_url=base_url,
        timeout=WEB_API_TIMEOUT_S,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


class CrewclockApp(App):
    """Bolt's ``App`` and, for the HTTP edge, the slash commands it may answer without Bolt's dispatch."""

    fast_lane: FastLane | None = None
    ctx: BotContext


def build_app(
    settings: Settings,
    services: Services,
    client: WebClient | None = None,
    *,
    process_before_response: bool = True,
) -> CrewclockApp:
    """Build the Bolt app with every listener, the error handler and the confirmation updater.

    Args:
        settings: the bot token and signing secret come from here.
        services: the core, built by ``core.bootstrap.build_services``.
        client: a Web API client (default: :func:`build_web_client`).
        process_before_response: keep True; False exists only to measure Bolt's default.
    """
    client = count_api_errors(client or build_web_client(settings), slack_metrics(services.metrics))
    executor = ThreadPoolExecutor(max_workers=LAZY_WORKERS, thread_name_prefix="crewclock-lazy")
    app = CrewclockApp(  # the bot token travels with the client
        signing_secret=settings.slack_signing_secret,
        client=client,
        process_before_response=process_before_response,
        listener_executor=executor,
    )
    app.use(request_kind_middleware)  # metrics and log fields: runs after Bolt's signature check
    app.use(_shared_client(client))
    ctx = BotContext(settings, services, client, UserDirectory(client, services), follow_up_pool=executor)
    app.ctx = ctx
    register_error_handler(app)
    register_listeners(app, ctx)
    if process_before_response:  # Bolt's default mode is kept whole, for the comparison it exists for
        app.fast_lane = FastLane(settings.slack_signing_secret, ctx.fast_commands)

    services.sync.add_listener(ctx.confirmations.on_sync)
    # Services.stop() drains the sync pool first, then runs these: lazy work, then queued updates.
    services.extra_closers.append(lambda: executor.shutdown(wait=True))
    services.extra_closers.append(ctx.confirmations.close)
    return app


def _shared_client(client: WebClient) -> Callable[..., BoltResponse]:
    """Bolt middleware: listeners get the app's client, not the one Bolt builds per request.

    Bolt gives each request its own ``WebClient`` so that a listener may swap its token; ours
    never do, and the app's client keeps its connections to Slack open between calls.
    """

    def use_shared_client(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        context["client"] = client
        return next()

    return use_shared_client
