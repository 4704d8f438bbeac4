"""The Socket Mode fakes: ``apps.connections.open`` on FakeSlack, and FakeSocketMode's WebSocket side."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.fakes.slack_api import APP_ID, FakeSlack
from tests.fakes.slack_socket_mode import FakeSocketMode, app_token

APP_TOKEN = app_token()


@pytest.fixture
def socket_mode() -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as fake:
        yield fake


@pytest.fixture
def slack(socket_mode: FakeSocketMode) -> Iterator[FakeSlack]:
    with FakeSlack(token="xoxb-crewclock-test") as fake:
        fake.enable_socket_mode(socket_mode.issue_url, app_token=APP_TOKEN)
        yield fake


def open_url(slack: FakeSlack, token: str) -> str:
    client = WebClient(token="xoxb-crewclock-test", base_url=slack.base_url, timeout=5)
    return str(client.apps_connections_open(app_token=token)["url"])


def test_apps_connections_open_wants_the_app_level_token_as_bearer(slack: FakeSlack) -> None:
    url = open_url(slack, APP_TOKEN)

    assert url.startswith("ws://127.0.0.1:") and f"app_id={APP_ID}" in url
    [call] = slack.calls("apps.connections.open")
    assert call["headers"]["authorization"] == f"Bearer {APP_TOKEN}"
    for wrong in ("xoxb-crewclock-test", app_token()):  # the bot token, or another app's
        with pytest.raises(SlackApiError) as refused:
            open_url(slack, wrong)
        assert refused.value.response["error"] == "invalid_auth"


def test_a_form_token_alone_is_not_authed(slack: FakeSlack) -> None:
    body = urlencode({"token": APP_TOKEN}).encode()  # in the form, not in the Authorization header
    request = urllib.request.Request(slack.base_url + "apps.connections.open", data=body, method="POST")

    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read()) == {"ok": False, "error": "not_authed"}


def test_a_connection_gets_hello_then_envelopes_and_its_acks_are_recorded(
    slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    with connect(open_url(slack, APP_TOKEN)) as app:
        hello = json.loads(app.recv(timeout=5))
        connection = socket_mode.wait_for_connection()
        envelope_id = socket_mode.push_slash_command({"command": "/hours", "text": "help"})
        envelope = json.loads(app.recv(timeout=5))
        app.send(json.dumps({"envelope_id": envelope["envelope_id"], "payload": {"text": "ok"}}))

        assert socket_mode.wait_for_ack(envelope_id) == {"envelope_id": envelope_id, "payload": {"text": "ok"}}
    assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": APP_ID}
    assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"] is True
    assert envelope["payload"] == {"command": "/hours", "text": "help"}
    assert socket_mode.wait_closed(connection).close_code == 1000


def test_a_url_works_once_and_an_unknown_one_never(slack: FakeSlack, socket_mode: FakeSocketMode) -> None:
    url = open_url(slack, APP_TOKEN)
    with connect(url):
        socket_mode.wait_for_connection()

    for refused in (url, f"ws://127.0.0.1:{socket_mode.port}/link/?ticket=made-up"):
        with pytest.raises(InvalidStatus) as caught:
            connect(refused)
        assert caught.value.response.status_code == 401
    assert len(socket_mode.connections()) == 1
