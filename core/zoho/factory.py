"""Adapter from the app's ``Settings`` and SQL store to the Zoho sink (called by bootstrap)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.zoho import build_sink
from core.zoho.config import ZohoConfig

if TYPE_CHECKING:
    from core.settings import Settings
    from core.sql.store import SqlStore
    from core.sync.ports import Sink


def config_from_settings(settings: Settings) -> ZohoConfig:
    """Map the ``ZOHO_*`` settings onto a ``ZohoConfig``.

    ``ZOHO_TIMEOUT_S`` is the read timeout; connecting gets at most 5 s of it, since a
    host that takes longer to accept a connection is better retried later.
    """
    timeout = settings.zoho_timeout_s
    return ZohoConfig(
        mode=settings.zoho_mode,  # type: ignore[arg-type]  # Settings validated it
        accounts_url=settings.zoho_accounts_url,
        api_url=settings.zoho_api_url,
        client_id=settings.zoho_client_id,
        client_secret=settings.zoho_client_secret,
        refresh_token=settings.zoho_refresh_token,
        webhook_url=settings.zoho_webhook_url,
        webhook_secret=settings.zoho_webhook_secret,
        user_map=dict(settings.zoho_user_map),
        connect_timeout_s=min(5.0, timeout),
        read_timeout_s=timeout,
        requests_per_minute=settings.zoho_rate_per_minute,
        requests_per_day=settings.zoho_rate_per_day,
    )


def build_zoho_sink(settings: Settings, sql: SqlStore) -> Sink:
    """The Zoho sink for ``settings.zoho_mode`` ("webhook" or "people"), wired to the SQL store.

    Raises:
        ZohoConfigError: when the settings cannot work in that mode (missing secret, bad URL).
    """
    sink = build_sink(
        config_from_settings(settings),
        load_zoho_ids=sql.load_zoho_ids,
        save_zoho_id=sql.save_zoho_id,
        job_zoho_id=sql.job_zoho_id,
    )
    if sink is None:
        raise ValueError("build_zoho_sink called with ZOHO_MODE=off")
    return sink
