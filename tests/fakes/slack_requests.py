"""Requests as Slack sends them to the bot: signed headers and the documented payload shapes.

Bodies are returned as the exact ``str`` Slack would send, because the signature covers
the raw body: sign the same string you send.

    body = slash_command_body(text="7-3:30 smith")
    response = post_signed(f"{bot_url}/slack/events", SIGNING_SECRET, body)

Shapes follow Slack's reference for slash commands, interaction payloads
(``view_submission``, ``block_actions``, ``block_suggestion``) and the Events API
(``event_callback``); ids default to the same workspace and bot as :mod:`tests.fakes.slack_api`.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, dm_channel_id

USER_ID = "U0CREW001"
USER_NAME = "pat.painter"
CHANNEL_ID = "C0CREW001"
SIGNING_SECRET = "crewclock-test-signing-secret"  # a test value, not a credential

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_counter = itertools.count(1)


def signed_headers(
    secret: str,
    body: str,
    timestamp: int | str | None = None,
    *,
    content_type: str | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> dict[str, str]:
    """Headers Slack puts on a request: the v0 signature, its timestamp and the content type.

    Args:
        secret: The app's signing secret.
        body: The exact body that will be sent.
        timestamp: Epoch seconds to sign with (default now); pass an old one to test staleness.
        content_type: Default: JSON for a body starting with ``{``, else form-encoded.
        retry_num: When set, adds ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason`` as Slack does
            when it delivers the same request again.
        retry_reason: The retry reason Slack reports.

    Returns:
        Lower-case header names to values.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    if signature is None:  # only when the verifier has no secret
        raise ValueError("a signing secret is required")
    headers = {
        "x-slack-signature": signature,
        "x-slack-request-timestamp": ts,
        "content-type": content_type or (JSON if body.lstrip().startswith("{") else FORM),
    }
    if retry_num is not None:
        headers["x-slack-retry-num"] = str(retry_num)
        headers["x-slack-retry-reason"] = retry_reason
    return headers


def new_trigger_id() -> str:
    """A fresh trigger id in Slack's ``<digits>.<digits>.<hex>`` shape."""
    return f"{int(time.time())}{next(_counter):04d}.1234567890.{secrets.token_hex(16)}"


def slash_command_body(
    command: str = "/hours",
    text: str = "",
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    *,
    channel_id: str = CHANNEL_ID,
    channel_name: str = "crew",
    user_name: str = USER_NAME,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
    response_url: str | None = None,
) -> str:
    """A slash command invocation, form-encoded as Slack posts it."""
    fields = {
        "token": "verification-token-unused",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url or f"https://hooks.slack.com/commands/{team_id}/{next(_counter)}/x",
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return urlencode(fields)


def state_value(element_type: str, value: str | None, *, text: str | None = None) -> dict[str, Any]:
    """One element's entry in ``view.state.values[block_id][action_id]``.

    Args:
        element_type: ``plain_text_input``, ``datepicker``, ``timepicker``, ``static_select``,
            ``external_select``, ``number_input`` or another element type.
        value: What the user entered or picked (None: left empty).
        text: The shown label of a picked option (default: the value).

    Returns:
        The element state in the shape Slack sends.
    """
    if element_type == "datepicker":
        return {"type": element_type, "selected_date": value}
    if element_type == "timepicker":
        return {"type": element_type, "selected_time": value}
    if element_type in ("static_select", "external_select"):
        option = None if value is None else _option(text or value, value)
        return {"type": element_type, "selected_option": option}
    return {"type": element_type, "value": value}


def view_submission_body(
    view_id: str = "V0VIEW0001",
    callback_id: str = "hours_modal",
    state_values: dict[str, dict[str, dict[str, Any]]] | None = None,
    private_metadata: str = "",
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
    *,
    view_hash: str = "1700000000.abcdef12",
    external_id: str = "",
    blocks: list[dict[str, Any]] | None = None,
    title: str = "Log hours",
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
    response_urls: list[dict[str, str]] | None = None,
    api_app_id: str = APP_ID,
) -> str:
    """A modal submission: form-encoded ``payload=<JSON>`` with ``type: view_submission``."""
    view = _view(
        view_id,
        callback_id=callback_id,
        state_values=state_values or {},
        private_metadata=private_metadata,
        team_id=team_id,
        view_hash=view_hash,
        external_id=external_id,
        blocks=blocks,
        title=title,
        root_view_id=root_view_id,
        previous_view_id=previous_view_id,
        api_app_id=api_app_id,
    )
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "token": "verification-token-unused",
        "trigger_id": new_trigger_id(),
        "view": view,
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_form(payload)


def block_actions_body(
    action_id: str,
    value: str | None = None,
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
    *,
    block_id: str = "actions",
    action_type: str = "button",
    text: str | None = None,
    channel_id: str | None = None,
    message_ts: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    is_ephemeral: bool = False,
    state_values: dict[str, dict[str, dict[str, Any]]] | None = None,
    api_app_id: str = APP_ID,
) -> str:
    """A click or pick on an interactive element: form-encoded ``payload=`` ``block_actions``.

    The container is a message when ``message_ts`` is given (with ``channel_id``), a view
    (modal or App Home) when ``view`` is given: pass the view dict as Slack would send it,
    e.g. from :func:`view_for_payload`.

    Args:
        action_id: The element's action id.
        value: A button's value, or the picked option/date/time for selects and pickers.
        user_id: Who clicked.
        team_id: Their workspace.
        block_id: The block holding the element.
        action_type: ``button``, ``static_select``, ``external_select``, ``datepicker``, ...
        text: A button's label or a picked option's label (default: the value).
        channel_id: The message's channel (message container).
        message_ts: The message's ts (message container).
        message: The message itself (default: a minimal one from the bot).
        view: The view the element is in (view container).
        is_ephemeral: Whether the message container is an ephemeral message.
        state_values: ``state.values`` for the surface's stateful elements.
        api_app_id: The app id.

    Returns:
        The body as Slack posts it.
    """
    ts = f"{time.time():.6f}"
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": action_type, "action_ts": ts}
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": text or action_id, "emoji": True}
        if value is not None:
            action["value"] = value
    elif action_type == "datepicker":
        action["selected_date"] = value
    elif action_type == "timepicker":
        action["selected_time"] = value
    elif action_type.endswith("select"):
        action["selected_option"] = None if value is None else _option(text or value, value)
    elif value is not None:
        action["value"] = value

    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "token": "verification-token-unused",
        "trigger_id": new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
        "state": {"values": state_values or {}},
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = view
    elif message_ts is not None:
        channel = channel_id or CHANNEL_ID
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": is_ephemeral,
        }
        payload["channel"] = {"id": channel, "name": "directmessage" if channel.startswith("D") else "crew"}
        payload["message"] = message or {
            "type": "message",
            "ts": message_ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": "",
            "blocks": [],
        }
        payload["response_url"] = f"https://hooks.slack.com/actions/{team_id}/{next(_counter)}/x"
    else:
        raise ValueError("block_actions needs a container: give message_ts (and channel_id) or view")
    return _payload_form(payload)


def block_suggestion_body(
    action_id: str,
    value: str = "",
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
    *,
    block_id: str = "job",
    view: dict[str, Any] | None = None,
    api_app_id: str = APP_ID,
) -> str:
    """An external_select asking for options as the user types ``value``: ``block_suggestion``."""
    view = view or view_for_payload()
    payload = {
        "type": "block_suggestion",
        "user": _user(user_id, team_id),
        "container": {"type": "view", "view_id": view["id"]},
        "api_app_id": api_app_id,
        "token": "verification-token-unused",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
    }
    return _payload_form(payload)


def event_body(
    event: dict[str, Any],
    team_id: str = TEAM_ID,
    *,
    api_app_id: str = APP_ID,
    event_id: str | None = None,
    event_time: int | None = None,
) -> str:
    """An Events API delivery: JSON ``event_callback`` wrapping ``event``."""
    envelope = {
        "token": "verification-token-unused",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_counter):010d}",
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-eyJ0ZWFtIjoi{next(_counter)}",
    }
    return json.dumps(envelope)


def app_home_opened_event(
    user_id: str = USER_ID, *, tab: str = "home", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ``app_home_opened`` event (``view`` is absent the first time a user opens the Home)."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": dm_channel_id(user_id),
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    if view is not None:
        event["view"] = view
    return event


def view_for_payload(
    view_id: str = "V0VIEW0001",
    *,
    view_type: str = "modal",
    callback_id: str = "hours_modal",
    private_metadata: str = "",
    state_values: dict[str, dict[str, dict[str, Any]]] | None = None,
    team_id: str = TEAM_ID,
    blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A view as interaction payloads carry it (for block_actions/block_suggestion containers)."""
    return _view(
        view_id,
        callback_id=callback_id,
        state_values=state_values or {},
        private_metadata=private_metadata,
        team_id=team_id,
        view_type=view_type,
        blocks=blocks,
    )


@dataclass(frozen=True)
class SignedResponse:
    """What the bot answered to a signed request."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def post_signed(
    url: str,
    secret: str,
    body: str,
    *,
    timestamp: int | str | None = None,
    extra_headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> SignedResponse:
    """POST ``body`` to the bot signed with ``secret``; HTTP errors are returned, not raised."""
    headers = signed_headers(secret, body, timestamp)
    headers.update(extra_headers or {})
    request = urllib.request.Request(url, data=body.encode("utf-8"), headers=headers, method="POST")
    return send(request, timeout)


def send(request: urllib.request.Request | str, timeout: float = 10.0) -> SignedResponse:
    """Send ``request`` (a URL: a GET) to the bot; HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return SignedResponse(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return SignedResponse(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


# -- shapes -------------------------------------------------------------------------------


def _payload_form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def _user(user_id: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": USER_NAME, "name": USER_NAME, "team_id": team_id}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": value}


def _view(
    view_id: str,
    *,
    callback_id: str,
    state_values: dict[str, dict[str, dict[str, Any]]],
    private_metadata: str,
    team_id: str,
    view_type: str = "modal",
    view_hash: str = "1700000000.abcdef12",
    external_id: str = "",
    blocks: list[dict[str, Any]] | None = None,
    title: str = "Log hours",
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
    api_app_id: str = APP_ID,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": view_id,
        "team_id": team_id,
        "type": view_type,
        "blocks": blocks or [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": state_values},
        "hash": view_hash,
        "clear_on_close": False,
        "notify_on_close": False,
        "root_view_id": root_view_id or view_id,
        "previous_view_id": previous_view_id,
        "app_id": api_app_id,
        "external_id": external_id,
        "app_installed_team_id": team_id,
        "bot_id": BOT_ID,
    }
    if view_type == "modal":
        view["title"] = {"type": "plain_text", "text": title, "emoji": True}
        view["submit"] = {"type": "plain_text", "text": "Save", "emoji": True}
        view["close"] = {"type": "plain_text", "text": "Cancel", "emoji": True}
    return view
