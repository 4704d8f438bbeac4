"""Slash-command acks answered at the HTTP edge, without Bolt's generic dispatch.

A quick entry is the request crews send most, and its ack is a plain function of the
form body (``ctx.fast_commands``: ``/hours``). Bolt's dispatch around that function
(request parsing twice, its middleware chain, matching every listener, building keyword
arguments by introspection, a WebClient per request) cost this machine's CPU about three
times what the ack itself does, and the ack's latency is what Slack's 3-second window and
the crews feel (bench/bench_ack.py compares). So for a validly signed ``/hours`` the HTTP
edge calls the same function Bolt's listener calls, with the same error handling, and
answers as Bolt would. Anything else — a bad or stale signature (Bolt answers 401), an
``ssl_check``, every other request kind — goes to Bolt unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote_plus

from slack_bolt import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.errors import failure_response
from bot.observability import note_request_kind
from core.ops.logging import log_context

CommandAck = Callable[[dict[str, Any]], "dict[str, str] | None"]


def form_fields(raw_body: str) -> dict[str, str]:
    """A form body's fields, as ``dict(parse_qsl(raw_body, keep_blank_values=True))`` gives them.

    Most of a slash command's fields need no unquoting; skipping it for those made this a third
    of parse_qsl's time (tests/unit/test_fast_lane_parts.py holds the two to the same answers).
    """
    fields = {}
    for pair in raw_body.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        fields[name] = unquote_plus(value) if "%" in value or "+" in value else value
    return fields


class FastLane:
    """Answers the slash commands in ``commands`` directly; ``None`` means "ask Bolt"."""

    def __init__(self, signing_secret: str, commands: Mapping[str, CommandAck]) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._commands = commands

    def answer(self, raw_body: str, headers: Mapping[str, str]) -> BoltResponse | None:
        """The response to a request, if it is one of ``commands`` and validly signed.

        ``headers``: lower-case names, as an ASGI server gives them.
        """
        if "command=" not in raw_body or "form-urlencoded" not in headers.get("content-type", ""):
            return None
        body = form_fields(raw_body)
        command = self._commands.get(body.get("command", ""))
        if command is None or "ssl_check" in body:
            return None
        timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        if not self._verifier.is_valid(raw_body, timestamp, signature):
            return None  # Bolt answers it (401) and logs it as it always does
        note_request_kind("command")
        with log_context(request_kind="command", slack_user_id=body.get("user_id"), team_id=body.get("team_id")):
            try:
                payload = command(body)
            except Exception as error:  # the same answer Bolt's error handler would give
                return failure_response(error, body)
        if payload is None:
            return BoltResponse(status=200, body="")
        return BoltResponse(
            status=200, body=json.dumps(payload), headers={"content-type": "application/json;charset=utf-8"}
        )
