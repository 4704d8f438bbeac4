"""The Zoho webhook sink: POST each entry version as JSON to a Zoho Flow / Creator webhook.

Each request carries:

* ``X-Crewclock-Signature: sha256=<hex>``: HMAC-SHA256 of the exact body bytes, keyed
  with the webhook secret, so the receiver can prove the body came from us unchanged.
* ``Idempotency-Key: <entry id>:<version>``: the receiver keeps the first delivery of a
  key and ignores repeats, which is what makes retries after a lost reply safe. That is
  why this sink has no reconcile step: a repeat of a version is harmless by design.

The body is canonical JSON (sorted keys, no spaces), so a retry of the same version
sends the same bytes and the same signature. A 2xx or 409 (the receiver already has
that key) is success; 429, 408 and 5xx are retried; any other 4xx is permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

import httpx

from core.domain.entry import TimeEntry
from core.sync.ports import PushRequest, PushResult
from core.zoho.client import network_error, retry_after_seconds
from core.zoho.errors import (
    ZohoPermanentError,
    ZohoRateLimited,
    ZohoTransientError,
    ZohoUnavailable,
)
from core.zoho.ratelimit import RateLimiter

SIGNATURE_HEADER = "X-Crewclock-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def entry_document(entry: TimeEntry) -> dict[str, Any]:
    """The JSON document a webhook receives for one entry version."""
    return {
        "id": entry.id,
        "version": entry.version,
        "deleted": entry.deleted,
        "slack_team_id": entry.slack_team_id,
        "slack_user_id": entry.slack_user_id,
        "user_email": entry.user_email,
        "job_id": entry.job_id,
        "job_name": entry.job_name,
        "work_date": entry.work_date.isoformat(),
        "start_time": entry.start_time.strftime("%H:%M"),
        "end_time": entry.end_time.strftime("%H:%M"),
        "lunch_start": entry.lunch_start.strftime("%H:%M") if entry.lunch_start else None,
        "lunch_end": entry.lunch_end.strftime("%H:%M") if entry.lunch_end else None,
        "total_hours": str(entry.total_hours),
        "notes": entry.notes,
        "change_order": entry.change_order,
        "created_at": entry.created_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
    }


def encode_body(entry: TimeEntry) -> bytes:
    """Canonical JSON bytes: identical for every retry of one version."""
    return json.dumps(entry_document(entry), sort_keys=True, separators=(",", ":")).encode()


def sign(body: bytes, secret: str) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class ZohoWebhookSink:
    """Pushes entries to a webhook (implements ``core.sync.ports.Sink``).

    Args:
        http: shared httpx client with explicit timeouts.
        url: the webhook URL.
        secret: HMAC key for the signature header.
        limiter: optional rate limiter (Zoho Flow webhooks have quotas too).
        max_rate_wait_s: how long to wait for a permit before handing back a RETRY.
    """

    name = "zoho"
    max_batch = 25
    # Repeats are harmless only if the receiver honours Idempotency-Key, which we cannot
    # check from here; so let the core keep its in-flight marks.
    idempotent = False

    def __init__(
        self,
        *,
        http: httpx.Client,
        url: str,
        secret: str,
        limiter: RateLimiter | None = None,
        max_rate_wait_s: float = 5.0,
    ) -> None:
        self._http = http
        self._url = url
        self._secret = secret
        self._limiter = limiter
        self._max_rate_wait_s = max_rate_wait_s

    def __repr__(self) -> str:  # keep the secret out of logs
        return f"ZohoWebhookSink(url={self._url!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def push(self, requests: Sequence[PushRequest]) -> list[PushResult]:
        """POST each entry version; one result per request, in order."""
        results: list[PushResult] = []
        halt: ZohoTransientError | None = None
        for request in requests:
            entry_id = request.entry.id
            if halt is not None:
                # The receiver is rate limiting or unwell: leave the rest to the core's backoff.
                results.append(PushResult.retry(entry_id, str(halt), halt.retry_after_s))
                continue
            try:
                self._post(request.entry)
            except ZohoTransientError as exc:
                halt = exc
                results.append(PushResult.retry(entry_id, str(exc), exc.retry_after_s))
            except ZohoPermanentError as exc:
                results.append(PushResult.permanent(entry_id, str(exc)))
            else:
                results.append(PushResult.ok(entry_id))
        return results

    def _post(self, entry: TimeEntry) -> None:
        if self._limiter is not None:
            self._limiter.acquire(self._max_rate_wait_s)
        body = encode_body(entry)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self._secret),
            IDEMPOTENCY_HEADER: f"{entry.id}:{entry.version}",
        }
        try:
            reply = self._http.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise network_error("webhook", exc) from None
        status = reply.status_code
        if 200 <= status < 300 or status == 409:
            return
        if status == 429:
            raise ZohoRateLimited("Zoho webhook: rate limited (429)", retry_after_s=retry_after_seconds(reply))
        if status >= 500 or status == 408:
            raise ZohoUnavailable(f"Zoho webhook: HTTP {status}", retry_after_s=retry_after_seconds(reply))
        raise ZohoPermanentError(f"Zoho webhook: HTTP {status}: {reply.text[:200]}")
