"""What Slack sends the bot when the console user types or clicks: the same payloads, signed, dispatched.

Each request is the exact body Slack would POST (form-encoded slash commands and
``payload=`` interactions, JSON event callbacks), signed with the console's signing
secret and handed to ``app.dispatch`` — Bolt verifies the signature and runs the
listeners as it does behind ``/slack/events``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.console.people import APP_ID, BOT_USER_ID, CHANNEL_ID, CHANNEL_NAME, TEAM_DOMAIN, TEAM_ID, Person, Workspace
from bot.console.slack import SlackStandIn, dm_channel_id

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ESCAPED_COMMANDS = frozenset({"/history"})  # manifest.yml: should_escape true
_MENTION = re.compile(r"(?<![\w<])@([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Answer:
    """The bot's HTTP answer to one request, and how long the ack took."""

    status: int
    body: str
    ack_ms: float

    def json(self) -> dict[str, Any] | None:
        """The body as JSON, or None when it is empty or not JSON (a bare 200)."""
        if not self.body.strip():
            return None
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None


def escape_command_text(command: str, typed: str, workspace: Workspace) -> str:
    """The text as Slack delivers it: ``& < >`` as entities, ``@name`` as ``<@U…|name>`` where escaping is on."""
    text = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if command not in ESCAPED_COMMANDS:
        return text

    def mention(match: re.Match[str]) -> str:
        person = workspace.by_handle(match.group(1))
        return f"<@{person.user_id}|{person.handle}>" if person else match.group(0)

    return _MENTION.sub(mention, text)


def _user(person: Person) -> dict[str, str]:
    return {"id": person.user_id, "username": person.handle, "name": person.handle, "team_id": TEAM_ID}


def _team() -> dict[str, str]:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


class SlackRequests:
    """Builds, signs and dispatches the requests of one console session."""

    def __init__(self, app: App, standin: SlackStandIn, signing_secret: str) -> None:
        self.app = app
        self.standin = standin
        self._verifier = SignatureVerifier(signing_secret)

    def send(self, body: str, content_type: str) -> Answer:
        """Sign ``body`` now and dispatch it through the app, as Slack's POST to /slack/events would."""
        timestamp = str(int(time.time()))
        headers: dict[str, str | Sequence[str]] = {
            "content-type": content_type,
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": self._verifier.generate_signature(timestamp=timestamp, body=body) or "",
        }
        started = time.perf_counter()
        response = self.app.dispatch(BoltRequest(body=body, headers=headers))
        ack_ms = (time.perf_counter() - started) * 1000
        text = response.body if isinstance(response.body, str) else bytes(response.body or b"").decode()
        return Answer(response.status, text, ack_ms)

    def _interaction(self, payload: Mapping[str, Any]) -> Answer:
        return self.send(urlencode({"payload": json.dumps(payload)}), FORM)

    def slash_command(self, person: Person, command: str, text: str) -> Answer:
        """``/hours 7-3:30 smith`` typed in #crew."""
        fields = {
            "token": "console",
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": CHANNEL_ID,
            "channel_name": CHANNEL_NAME,
            "user_id": person.user_id,
            "user_name": person.handle,
            "command": command,
            "text": escape_command_text(command, text, self.standin.workspace),
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.standin.new_response_url(person.user_id, CHANNEL_ID),
            "trigger_id": self.standin.new_trigger(person.user_id),
        }
        return self.send(urlencode(fields), FORM)

    def view_submission(self, person: Person, view: Mapping[str, Any], values: Mapping[str, Any]) -> Answer:
        """The modal ``view`` submitted with ``values`` as ``state.values``."""
        submitted = {**view, "state": {"values": values}}
        return self._interaction(
            {
                "type": "view_submission",
                "team": _team(),
                "user": _user(person),
                "api_app_id": APP_ID,
                "token": "console",
                "trigger_id": self.standin.new_trigger(person.user_id),
                "view": submitted,
                "response_urls": [],
                "is_enterprise_install": False,
                "enterprise": None,
            }
        )

    def block_suggestion(
        self, person: Person, view: Mapping[str, Any], *, block_id: str, action_id: str, value: str
    ) -> Answer:
        """An external_select asking for options as ``value`` is typed."""
        return self._interaction(
            {
                "type": "block_suggestion",
                "user": _user(person),
                "container": {"type": "view", "view_id": view["id"]},
                "api_app_id": APP_ID,
                "token": "console",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "team": _team(),
                "enterprise": None,
                "is_enterprise_install": False,
                "view": dict(view),
            }
        )

    def button_click(
        self,
        person: Person,
        *,
        block_id: str,
        element: Mapping[str, Any],
        message: Mapping[str, Any] | None = None,
        view: Mapping[str, Any] | None = None,
    ) -> Answer:
        """A click on a button in a message (``message``: channel, ts, ephemeral, text, blocks) or a view."""
        action: dict[str, Any] = {
            "action_id": element.get("action_id", ""),
            "block_id": block_id,
            "type": "button",
            "text": element.get("text") or {"type": "plain_text", "text": ""},
            "action_ts": f"{time.time():.6f}",
        }
        for key in ("value", "style", "url"):
            if key in element:
                action[key] = element[key]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": _user(person),
            "api_app_id": APP_ID,
            "token": "console",
            "trigger_id": self.standin.new_trigger(person.user_id),
            "team": _team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [action],
            "state": {"values": {}},
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = dict(view)
        elif message is not None:
            channel, ts = str(message["channel"]), str(message["ts"])
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": bool(message.get("ephemeral")),
            }
            payload["channel"] = {"id": channel, "name": "directmessage" if channel.startswith("D") else CHANNEL_NAME}
            if not message.get("ephemeral"):  # Slack sends the message itself only when it is not ephemeral
                payload["message"] = {
                    "type": "message",
                    "ts": ts,
                    "user": BOT_USER_ID,
                    "text": message.get("text", ""),
                    "blocks": message.get("blocks", []),
                }
            payload["response_url"] = self.standin.new_response_url(person.user_id, channel, (channel, ts))
        else:
            raise ValueError("a click needs the message or the view it happened in")
        return self._interaction(payload)

    def app_home_opened(self, person: Person) -> Answer:
        """The user opens the app's Home tab."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": person.user_id,
            "channel": dm_channel_id(person.user_id),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        home = self.standin.home_of(person.user_id)
        if home is not None:
            event["view"] = home
        envelope = {
            "token": "console",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{int(time.time() * 1000)}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        return self.send(json.dumps(envelope), JSON)
