"""Zoho sink: Zoho People time logs (``people`` mode) or a signed webhook (``webhook`` mode).

``build_sink`` is the one place that turns a ``ZohoConfig`` into a sink;
``core.zoho.factory.build_zoho_sink`` adapts the app's ``Settings`` and SQL store to it.
"""

from __future__ import annotations

import httpx

from core.zoho.client import ZohoPeopleClient, build_http_client
from core.zoho.config import DATA_CENTRES, ZohoConfig, ZohoConfigError
from core.zoho.errors import ZohoError, ZohoPermanentError, ZohoTransientError
from core.zoho.oauth import TokenProvider
from core.zoho.people_sink import JobZohoId, LoadZohoIds, SaveZohoId, ZohoPeopleSink
from core.zoho.ratelimit import RateLimiter
from core.zoho.webhook_sink import ZohoWebhookSink

__all__ = [
    "DATA_CENTRES",
    "RateLimiter",
    "TokenProvider",
    "ZohoConfig",
    "ZohoConfigError",
    "ZohoError",
    "ZohoPeopleClient",
    "ZohoPeopleSink",
    "ZohoPermanentError",
    "ZohoTransientError",
    "ZohoWebhookSink",
    "build_sink",
]


def build_sink(
    config: ZohoConfig,
    *,
    load_zoho_ids: LoadZohoIds,
    save_zoho_id: SaveZohoId,
    job_zoho_id: JobZohoId,
    transport: httpx.BaseTransport | None = None,
) -> ZohoPeopleSink | ZohoWebhookSink | None:
    """Build the sink the config asks for, or None when Zoho is off.

    Args:
        config: the Zoho settings (validated here).
        load_zoho_ids: SQL store: entry ids -> stored Zoho time-log ids.
        save_zoho_id: SQL store: record an entry's Zoho time-log id (None after delete).
        job_zoho_id: SQL store: our job id -> Zoho job id or None.
        transport: optional httpx transport (tests only).

    Raises:
        ZohoConfigError: when the config cannot work in its mode.
    """
    config.validate()
    if config.mode == "off":
        return None
    http = build_http_client(config, transport=transport)
    limiter = RateLimiter(per_minute=config.requests_per_minute, per_day=config.requests_per_day)
    if config.mode == "webhook":
        return ZohoWebhookSink(
            http=http,
            url=config.webhook_url,
            secret=config.webhook_secret,
            limiter=limiter,
            max_rate_wait_s=config.max_rate_wait_s,
        )
    tokens = TokenProvider(
        http=http,
        accounts_url=config.accounts_url,
        client_id=config.client_id,
        client_secret=config.client_secret,
        refresh_token=config.refresh_token,
        refresh_margin_s=config.token_refresh_margin_s,
        max_grants=config.max_token_grants,
        grant_window_s=config.token_grant_window_s,
    )
    client = ZohoPeopleClient(
        http=http,
        tokens=tokens,
        api_url=config.api_url,
        limiter=limiter,
        max_rate_wait_s=config.max_rate_wait_s,
        rate_limit_lock_s=config.rate_limit_lock_s,
    )
    return ZohoPeopleSink(
        client=client,
        load_zoho_ids=load_zoho_ids,
        save_zoho_id=save_zoho_id,
        job_zoho_id=job_zoho_id,
        user_map=config.user_map,
    )
