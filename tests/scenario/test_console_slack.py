"""The console's stand-in Slack, called the way the bot calls Slack: slack_sdk's WebClient and webhook over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.console import slack as standin_module
from bot.console.people import CHANNEL_ID, TEAM_ID, Workspace
from bot.console.server import LocalSlackServer
from bot.console.slack import CONSOLE_TOKEN, Message, SharedFile, SlackStandIn, dm_channel_id

MARIA = "U0CCMARIA"


class Recorder:
    """A Screen that remembers what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def message_posted(self, message: Message) -> None:
        self.events.append(("posted", message))

    def message_updated(self, message: Message) -> None:
        self.events.append(("updated", message))

    def modal_opened(self, view: dict[str, Any], user_id: str) -> None:
        self.events.append(("modal", (view, user_id)))

    def view_updated(self, view: dict[str, Any]) -> None:
        self.events.append(("view", view))

    def home_published(self, view: dict[str, Any], user_id: str) -> None:
        self.events.append(("home", (view, user_id)))

    def file_shared(self, shared: SharedFile) -> None:
        self.events.append(("file", shared))


@pytest.fixture
def screen() -> Recorder:
    return Recorder()


@pytest.fixture
def standin(screen: Recorder, tmp_path: Path) -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn(Workspace("America/Chicago"), screen, tmp_path / "files")
    server = LocalSlackServer(stand_in).start()
    yield stand_in
    server.stop()


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=CONSOLE_TOKEN, base_url=standin.base_url + "/api/")


def test_users_info_and_dms_answer_in_slacks_shapes(client: WebClient, screen: Recorder) -> None:
    user = client.users_info(user=MARIA)["user"]
    dm = client.conversations_open(users=MARIA)["channel"]["id"]
    posted = client.chat_postMessage(channel=dm, text="Logged 8.0 h", blocks=[{"type": "divider"}])

    assert (user["tz"], user["profile"]["email"], user["real_name"]) == (
        "America/Chicago",
        "maria@example.com",
        "Maria Lopez",
    )
    assert dm == dm_channel_id(MARIA) and dm.startswith("D")
    assert posted["channel"] == dm and posted["message"]["blocks"] == [{"type": "divider"}]
    [(kind, message)] = screen.events
    assert kind == "posted" and message.audience == MARIA and message.text == "Logged 8.0 h"


def test_refusals_raise_slack_api_error_with_slacks_error_names(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as unknown:
        client.chat_update(channel=CHANNEL_ID, ts="1.000001", text="x")
    with pytest.raises(SlackApiError) as nobody:
        client.users_info(user="U0NOBODY")
    with pytest.raises(SlackApiError) as empty, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel=CHANNEL_ID, text="")
    with pytest.raises(SlackApiError) as bad_token:
        WebClient(token="xoxb-other", base_url=client.base_url).auth_test()

    assert unknown.value.response["error"] == "message_not_found"
    assert nobody.value.response["error"] == "user_not_found"
    assert empty.value.response["error"] == "no_text"
    assert bad_token.value.response["error"] == "invalid_auth"


def test_messages_of_a_real_workspace_are_never_reported_gone(client: WebClient) -> None:
    # message_not_found would make the bot drop slack:msg:{id}, a live install's record of the real message.
    with pytest.raises(SlackApiError) as refused:
        client.chat_update(channel="D0REALDM01", ts="1700000000.000100", text="✅ saved")
    with pytest.raises(SlackApiError) as stranger:
        client.chat_postMessage(channel="U0REALCREW", text="weekly summary")

    assert refused.value.response["error"] == "not_in_channel"
    assert stranger.value.response["error"] == "channel_not_found"


def test_an_update_reaches_the_screen_with_the_new_text(client: WebClient, screen: Recorder) -> None:
    posted = client.chat_postMessage(channel=MARIA, text="⏳ pending")

    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="✅ saved")

    kind, message = screen.events[-1]
    assert kind == "updated" and message.text == "✅ saved" and message.ts == posted["ts"]


def test_views_open_needs_a_fresh_trigger_and_tells_the_screen_whose_modal_it_is(
    client: WebClient, standin: SlackStandIn, screen: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = {"type": "modal", "callback_id": "entry_modal", "title": {"type": "plain_text", "text": "Log hours"}}

    opened = client.views_open(trigger_id=standin.new_trigger(MARIA), view=view)["view"]
    with pytest.raises(SlackApiError) as unknown:
        client.views_open(trigger_id="123.456.abc", view=view)
    monkeypatch.setattr(standin_module, "TRIGGER_TTL_S", 0.0)
    stale = standin.new_trigger(MARIA)
    time.sleep(0.01)
    with pytest.raises(SlackApiError) as expired:
        client.views_open(trigger_id=stale, view=view)

    assert opened["id"].startswith("V") and opened["callback_id"] == "entry_modal"
    assert screen.events == [("modal", (opened, MARIA))]
    assert unknown.value.response["error"] == "invalid_trigger_id"
    assert expired.value.response["error"] == "expired_trigger_id"


def test_files_upload_v2_is_saved_where_the_user_can_open_it(
    client: WebClient, screen: Recorder, tmp_path: Path
) -> None:
    dm = client.conversations_open(users=MARIA)["channel"]["id"]

    done = client.files_upload_v2(
        channel=dm, content="date,hours\n2026-11-27,8.00\n", filename="hours.csv", title="Hours"
    )

    [(kind, shared)] = screen.events
    assert kind == "file" and shared.audience == MARIA and shared.title == "Hours"
    assert shared.path == tmp_path / "files" / "hours.csv"
    assert shared.path.read_text() == "date,hours\n2026-11-27,8.00\n"
    assert done["file"]["name"] == "hours.csv"


def test_response_urls_post_new_ephemerals_and_replace_the_message_they_answer(
    standin: SlackStandIn, screen: Recorder
) -> None:
    original = standin.post_ephemeral(user_id=MARIA, channel=CHANNEL_ID, text="page 1", blocks=[])
    fresh = WebhookClient(standin.new_response_url(MARIA, CHANNEL_ID))
    replacing = WebhookClient(standin.new_response_url(MARIA, CHANNEL_ID, original.key))

    assert fresh.send(text="history", response_type="ephemeral").status_code == 200
    assert replacing.send(text="page 2", replace_original=True).status_code == 200
    assert WebhookClient(standin.base_url + "/respond/unknown").send(text="x").status_code == 404

    kinds = [(kind, message.text) for kind, message in screen.events]
    assert kinds == [("posted", "page 1"), ("posted", "history"), ("updated", "page 2")]
    assert standin.message(original.key) is not None and standin.message(original.key).text == "page 2"  # type: ignore[union-attr]


def test_the_managers_group_holds_the_workspaces_managers(client: WebClient) -> None:
    assert client.usergroups_users_list(usergroup="S0MANAGERS")["users"] == ["U0CCSAMRV"]
    assert client.auth_test()["team_id"] == TEAM_ID
