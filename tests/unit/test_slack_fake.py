"""The fake Slack Web API and the signed-request builders, exercised through the real clients.

slack_sdk's WebClient talks to the fake over HTTP, and a bolt App receives the built
requests, so a shape the fake or the builders got wrong shows up here first.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack, slack_fake
from tests.fakes.slack_requests import (
    SIGNING_SECRET,
    USER_ID,
    app_home_opened_event,
    block_actions_body,
    block_suggestion_body,
    event_body,
    post_signed,
    signed_headers,
    slash_command_body,
    state_value,
    view_for_payload,
    view_submission_body,
)

TOKEN = "xoxb-crewclock-test"
MODAL = {
    "type": "modal",
    "callback_id": "hours_modal",
    "title": {"type": "plain_text", "text": "Log hours"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    "private_metadata": '{"entry": 1}',
}
HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "This week"}}]}


slack = pytest.fixture(name="slack")(slack_fake)  # the helper conftests can reuse


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.base_url, timeout=5)


def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


# ---------------------------------------------------------------------------------------
# Shapes


def test_auth_test(client: WebClient, slack: FakeSlack) -> None:
    response = client.auth_test()
    assert response["team_id"] == TEAM_ID
    assert response["user_id"] == BOT_USER_ID
    assert response["bot_id"] == BOT_ID
    [call] = slack.calls("auth.test")
    assert call["token"] == TOKEN
    assert call["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert call["status"] == 200 and call["response"]["ok"] is True


def test_views_open_answers_with_the_stored_view(client: WebClient, slack: FakeSlack) -> None:
    response = client.views_open(trigger_id="123.456.abc", view=MODAL)
    view = response["view"]
    assert view["id"].startswith("V")
    assert view["type"] == "modal"
    assert view["callback_id"] == "hours_modal"
    assert view["private_metadata"] == '{"entry": 1}'
    assert view["blocks"] == MODAL["blocks"]
    assert view["root_view_id"] == view["id"] and view["hash"]
    assert view["state"] == {"values": {}}
    [call] = slack.calls("views.open")
    assert call["params"]["trigger_id"] == "123.456.abc"
    assert call["params"]["view"]["title"]["text"] == "Log hours"  # a JSON body, parsed
    assert slack.view(view["id"])["callback_id"] == "hours_modal"


@pytest.mark.parametrize(
    ("view", "fragment"),
    [
        ({**MODAL, "title": {"type": "plain_text", "text": "Log your hours for today, please"}}, "/view/title/text"),
        ({**MODAL, "title": None}, "title"),
        ({**MODAL, "type": "home"}, "type must be modal"),
        ({**MODAL, "blocks": [MODAL["blocks"][0]] * 101}, "/view/blocks"),
        ({**MODAL, "private_metadata": "x" * 3001}, "private_metadata"),
    ],
)
def test_views_open_refuses_what_slack_refuses(client: WebClient, view: dict[str, Any], fragment: str) -> None:
    error = api_error(lambda: client.views_open(trigger_id="1.2.3", view=view))
    assert error.response["error"] == "invalid_arguments"
    assert fragment in error.response["response_metadata"]["messages"][0]


def test_views_open_needs_a_trigger(client: WebClient) -> None:
    error = api_error(lambda: client.views_open(trigger_id="", view=MODAL))
    assert error.response["error"] == "invalid_arguments"


def test_views_update_keeps_the_id_and_checks_the_hash(client: WebClient, slack: FakeSlack) -> None:
    opened = client.views_open(trigger_id="1.2.3", view={**MODAL, "external_id": "entry-1"})["view"]
    changed = {**MODAL, "blocks": []}
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert slack.view(opened["id"])["blocks"] == []
    stale = api_error(lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=changed))
    assert stale.response["error"] == "hash_conflict"
    by_external = client.views_update(external_id="entry-1", view=MODAL)["view"]
    assert by_external["id"] == opened["id"]
    assert api_error(lambda: client.views_update(external_id="nope", view=MODAL)).response["error"] == "not_found"


def test_views_push_stacks_on_the_open_view(client: WebClient) -> None:
    opened = client.views_open(trigger_id="1.2.3", view=MODAL)["view"]
    pushed = client.views_push(trigger_id="1.2.4", view=MODAL)["view"]
    assert pushed["id"] != opened["id"]
    assert pushed["previous_view_id"] == opened["id"]
    assert pushed["root_view_id"] == opened["id"]


def test_views_publish_keeps_one_home_per_user(client: WebClient, slack: FakeSlack) -> None:
    first = client.views_publish(user_id="U1", view=HOME)["view"]
    again = client.views_publish(user_id="U1", view=HOME)["view"]
    other = client.views_publish(user_id="U2", view=HOME)["view"]
    assert first["type"] == "home"
    assert again["id"] == first["id"] and other["id"] != first["id"]
    assert [c["params"]["user_id"] for c in slack.calls("views.publish")] == ["U1", "U1", "U2"]
    assert api_error(lambda: client.views_publish(user_id="U1", view=MODAL)).response["error"] == "invalid_arguments"


def test_chat_post_message_and_update_in_place(client: WebClient, slack: FakeSlack) -> None:
    posted = client.chat_postMessage(channel="C1", text="Logged 8.0 h · ⏳ pending")
    assert posted["channel"] == "C1"
    assert posted["ts"] and posted["message"]["text"] == "Logged 8.0 h · ⏳ pending"
    assert posted["message"]["bot_id"] == BOT_ID
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="Logged 8.0 h · ✅ saved")
    assert updated["ts"] == posted["ts"] and updated["text"] == "Logged 8.0 h · ✅ saved"
    assert slack.message("C1", posted["ts"])["text"] == "Logged 8.0 h · ✅ saved"
    second = client.chat_postMessage(channel="C1", text="again")
    assert second["ts"] != posted["ts"]
    assert [m["text"] for m in slack.messages("C1")] == ["Logged 8.0 h · ✅ saved", "again"]


def test_chat_post_message_to_a_user_lands_in_their_dm(client: WebClient, slack: FakeSlack) -> None:
    posted = client.chat_postMessage(channel="U0PAT", text="hi", blocks=[{"type": "divider"}])
    assert posted["channel"] == slack.dm_channel("U0PAT")
    assert posted["channel"].startswith("D")
    assert slack.message(posted["channel"], posted["ts"])["blocks"] == [{"type": "divider"}]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_chat_errors(client: WebClient) -> None:
    assert api_error(lambda: client.chat_postMessage(channel="C1")).response["error"] == "no_text"
    assert api_error(lambda: client.chat_update(channel="C1", ts="1.2", text="x")).response["error"] == (
        "message_not_found"
    )
    too_many = [{"type": "divider"}] * 51
    assert api_error(lambda: client.chat_postMessage(channel="C1", blocks=too_many)).response["error"] == (
        "invalid_blocks"
    )


def test_chat_post_ephemeral(client: WebClient, slack: FakeSlack) -> None:
    response = client.chat_postEphemeral(channel="C1", user="U1", text="Only you can see this")
    assert response["message_ts"]
    [call] = slack.calls("chat.postEphemeral")
    assert call["params"]["user"] == "U1"


def test_conversations_open_returns_a_stable_dm(client: WebClient, slack: FakeSlack) -> None:
    first = client.conversations_open(users="U1")["channel"]["id"]
    again = client.conversations_open(users=["U1"])["channel"]["id"]
    other = client.conversations_open(users="U2")["channel"]["id"]
    assert first == again == slack.dm_channel("U1") and first.startswith("D")
    assert other != first


def test_users_info_default_and_configured(client: WebClient, slack: FakeSlack) -> None:
    default = client.users_info(user="U9")["user"]
    assert default["id"] == "U9" and default["tz"] == "America/Chicago"
    assert default["tz_offset"] in (-6 * 3600, -5 * 3600)
    assert default["profile"]["email"]

    slack.set_user("U1", tz="Asia/Kolkata", email="pat@crew.example", real_name="Pat Painter")
    user = client.users_info(user="U1")["user"]
    assert user["tz"] == "Asia/Kolkata" and user["tz_offset"] == 5 * 3600 + 1800
    assert user["real_name"] == "Pat Painter" and user["profile"]["real_name"] == "Pat Painter"
    assert user["profile"]["email"] == "pat@crew.example"
    [_, call] = slack.calls("users.info")
    assert call["params"]["user"] == "U1"


def test_get_requests_are_read_from_the_query_string(slack: FakeSlack) -> None:
    with urllib.request.urlopen(f"{slack.base_url}users.info?user=U5&include_locale=true", timeout=5) as response:
        assert json.loads(response.read())["user"]["id"] == "U5"
    [call] = slack.calls("users.info")
    assert call["http_method"] == "GET"
    assert call["params"] == {"user": "U5", "include_locale": "true"}


def test_usergroups_users_list(client: WebClient, slack: FakeSlack) -> None:
    slack.set_usergroup("S0MANAGERS", ["U1", "U2"])
    assert client.usergroups_users_list(usergroup="S0MANAGERS")["users"] == ["U1", "U2"]
    error = api_error(lambda: client.usergroups_users_list(usergroup="S0NOPE"))
    assert error.response["error"] == "no_such_subteam"


def test_unknown_methods_answer_ok(client: WebClient, slack: FakeSlack) -> None:
    assert client.api_call("reactions.add", json={"name": "thumbsup"})["ok"] is True
    assert slack.calls("reactions.add")[0]["params"] == {"name": "thumbsup"}


# ---------------------------------------------------------------------------------------
# files_upload_v2


def test_files_upload_v2_keeps_the_csv_bytes(client: WebClient, slack: FakeSlack) -> None:
    csv_text = "date,job,hours\n2026-11-27,Smith Residence,8.00\n2026-11-26,Jones — Kitchen,7.50\n"
    response = client.files_upload_v2(
        channel="D0PAT",
        content=csv_text,
        filename="hours.csv",
        title="Hours, Nov 2026",
        initial_comment="Your export",
    )
    assert response["file"]["name"] == "hours.csv"
    assert response["file"]["mimetype"] == "text/csv"
    [upload] = slack.uploads()
    assert upload.text == csv_text
    assert upload.length == len(csv_text.encode())
    assert (upload.channel_id, upload.title, upload.initial_comment) == ("D0PAT", "Hours, Nov 2026", "Your export")
    assert slack.methods() == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    completion = slack.calls("files.completeUploadExternal")[0]["params"]
    assert json.loads(completion["files"]) == [{"id": upload.file_id, "title": "Hours, Nov 2026"}]


def test_files_upload_v2_keeps_binary_bytes(client: WebClient, slack: FakeSlack) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    client.files_upload_v2(channel="C1", file=png, filename="week.png")
    [upload] = slack.uploads()
    assert upload.content == png
    assert client.files_info(file=upload.file_id)["file"]["mimetype"] == "image/png"


def test_completing_an_upload_that_never_arrived_fails(client: WebClient, slack: FakeSlack) -> None:
    file_id = client.files_getUploadURLExternal(filename="x.csv", length=3)["file_id"]
    error = api_error(lambda: client.files_completeUploadExternal(files=[{"id": file_id, "title": "x"}]))
    assert error.response["error"] == "file_not_found"
    assert slack.uploads() == [] and len(slack.uploads(completed_only=False)) == 1


# ---------------------------------------------------------------------------------------
# Faults


def test_fail_next_fails_once(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")
    error = api_error(lambda: client.chat_postMessage(channel="C1", text="x"))
    assert error.response["error"] == "channel_not_found"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert client.auth_test()["ok"] is True  # other methods were never affected
    assert [c["response"]["ok"] for c in slack.calls("chat.postMessage")] == [False, True]


def test_rate_limit_without_a_retry_handler_raises_429(client: WebClient, slack: FakeSlack) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=7)
    error = api_error(lambda: client.chat_postMessage(channel="C1", text="x"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert slack.calls("chat.postMessage")[0]["status"] == 429


def test_rate_limit_with_the_retry_handler_waits_and_retries(slack: FakeSlack) -> None:
    client = WebClient(
        token=TOKEN,
        base_url=slack.base_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    slack.rate_limit_next("chat.postMessage", retry_after=0, times=2)
    started = time.monotonic()
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert [c["status"] for c in slack.calls("chat.postMessage")] == [429, 429, 200]
    assert time.monotonic() - started < 5  # Retry-After 0: the handler only adds < 1 s jitter per try


def test_latency_delays_the_answer_not_the_record(client: WebClient, slack: FakeSlack) -> None:
    slack.set_latency(0.4, "views.open")
    done = threading.Event()
    worker = threading.Thread(target=lambda: (client.views_open(trigger_id="1.2.3", view=MODAL), done.set()))
    started = time.monotonic()
    worker.start()
    slack.wait_for("views.open", timeout=2)
    assert not done.is_set()  # recorded while the client still waits
    worker.join(timeout=5)
    assert done.is_set() and time.monotonic() - started >= 0.4
    fast = time.monotonic()
    client.auth_test()  # latency was for views.open only
    assert time.monotonic() - fast < 0.3


def test_wait_for_times_out_with_what_it_saw(client: WebClient, slack: FakeSlack) -> None:
    client.auth_test()
    with pytest.raises(TimeoutError, match=r"views\.open.*got 0.*auth\.test"):
        slack.wait_for("views.open", timeout=0.2)


def test_wait_for_sees_calls_from_other_threads(client: WebClient, slack: FakeSlack) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="later"))
    timer.start()
    [call] = slack.wait_for("chat.postMessage", timeout=5)
    assert call["params"]["text"] == "later"
    timer.join()


def test_concurrent_calls_are_all_recorded(slack: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=slack.base_url)
    threads = [threading.Thread(target=lambda: client.chat_postMessage(channel="C1", text="x")) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    calls = slack.wait_for("chat.postMessage", count=40)
    assert len(calls) == 40
    assert len({c["response"]["ts"] for c in calls}) == 40


def test_reset_forgets_calls_and_faults_but_keeps_users(client: WebClient, slack: FakeSlack) -> None:
    slack.set_user("U1", tz="Europe/Berlin")
    slack.fail_next("auth.test")
    client.chat_postMessage(channel="C1", text="x")
    slack.reset()
    assert slack.calls() == [] and slack.messages() == []
    assert client.auth_test()["ok"] is True
    assert client.users_info(user="U1")["user"]["tz"] == "Europe/Berlin"


def test_a_required_token_is_checked() -> None:
    with FakeSlack(token=TOKEN) as slack:
        assert WebClient(token=TOKEN, base_url=slack.base_url).auth_test()["ok"] is True
        wrong = WebClient(token="xoxb-wrong", base_url=slack.base_url)
        assert api_error(wrong.auth_test).response["error"] == "invalid_auth"
        anonymous = WebClient(base_url=slack.base_url)
        assert api_error(anonymous.auth_test).response["error"] == "not_authed"


def test_stop_frees_the_port() -> None:
    fake = FakeSlack().start()
    base_url = fake.base_url
    fake.stop()
    with pytest.raises(Exception):  # noqa: B017 - any connection error will do
        WebClient(base_url=base_url, timeout=1, retry_handlers=[]).auth_test()


# ---------------------------------------------------------------------------------------
# Signed requests


def test_signed_headers_verify_with_slacks_verifier() -> None:
    body = slash_command_body(text="7-3:30 smith")
    headers = signed_headers(SIGNING_SECRET, body)
    verifier = SignatureVerifier(SIGNING_SECRET)
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert verifier.is_valid(
        body=body, timestamp=headers["x-slack-request-timestamp"], signature=headers["x-slack-signature"]
    )
    assert not verifier.is_valid(
        body=body + "x", timestamp=headers["x-slack-request-timestamp"], signature=headers["x-slack-signature"]
    )
    stale = signed_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - 6 * 60)
    assert not verifier.is_valid(
        body=body, timestamp=stale["x-slack-request-timestamp"], signature=stale["x-slack-signature"]
    )
    retried = signed_headers(SIGNING_SECRET, event_body({"type": "x"}), retry_num=1)
    assert retried["content-type"] == "application/json"
    assert (retried["x-slack-retry-num"], retried["x-slack-retry-reason"]) == ("1", "http_timeout")


def test_slash_command_body_is_slacks_form() -> None:
    fields = {k: v[0] for k, v in parse_qs(slash_command_body("/hours", "7-3:30 smith -- a&b=c", "U1", "T1")).items()}
    assert fields["command"] == "/hours"
    assert fields["text"] == "7-3:30 smith -- a&b=c"
    assert (fields["user_id"], fields["team_id"]) == ("U1", "T1")
    assert fields["trigger_id"] and fields["response_url"].startswith("https://hooks.slack.com/commands/")


@pytest.fixture
def bolt(slack: FakeSlack) -> tuple[App, dict[str, Any]]:
    """A bolt App on the fake, with listeners that record what they were given."""
    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(token=TOKEN, base_url=slack.base_url),
        process_before_response=True,
    )
    seen: dict[str, Any] = {}

    @app.command("/hours")
    def hours(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        seen["command"] = body
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.view("hours_modal")
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        seen["view"] = view
        seen["user"] = body["user"]["id"]
        ack(response_action="errors", errors={"end": "End must be after start."})

    @app.action("entry_delete")
    def delete(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        seen["action"] = action
        seen["container"] = body["container"]

    @app.action("pick_date")
    def picked(ack: Ack, action: dict[str, Any]) -> None:
        ack()
        seen["picked"] = action

    @app.options("job")
    def job_options(ack: Ack, payload: dict[str, Any]) -> None:
        seen["typed"] = payload["value"]
        ack(options=[{"text": {"type": "plain_text", "text": "Smith Residence"}, "value": "J1"}])

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view=HOME)

    return app, seen


def dispatch(app: App, body: str, **header_options: Any) -> Any:
    return app.dispatch(BoltRequest(body=body, headers=signed_headers(SIGNING_SECRET, body, **header_options)))


def test_bolt_accepts_a_slash_command(bolt: tuple[App, dict[str, Any]], slack: FakeSlack) -> None:
    app, seen = bolt
    response = dispatch(app, slash_command_body(text="7-3:30 smith", trigger_id="9.9.abc"))
    assert response.status == 200
    assert seen["command"]["text"] == "7-3:30 smith"
    [call] = slack.wait_for("views.open")
    assert call["params"]["trigger_id"] == "9.9.abc"


def test_bolt_refuses_a_bad_or_stale_signature(bolt: tuple[App, dict[str, Any]], slack: FakeSlack) -> None:
    app, seen = bolt
    body = slash_command_body(text="7-3:30")
    forged = app.dispatch(BoltRequest(body=body, headers=signed_headers("not-the-secret", body)))
    stale = dispatch(app, body, timestamp=int(time.time()) - 6 * 60)
    assert (forged.status, stale.status) == (401, 401)
    assert "command" not in seen and slack.calls("views.open") == []


def test_bolt_reads_a_view_submission(bolt: tuple[App, dict[str, Any]]) -> None:
    app, seen = bolt
    values = {
        "job": {"job": state_value("external_select", "J1", text="Smith Residence")},
        "date": {"date": state_value("datepicker", "2026-11-27")},
        "start": {"start": state_value("timepicker", "07:00")},
        "notes": {"notes": state_value("plain_text_input", None)},
    }
    response = dispatch(app, view_submission_body("V1", "hours_modal", values, '{"e": 1}', user_id="U7"))
    assert response.status == 200
    assert json.loads(response.body) == {"response_action": "errors", "errors": {"end": "End must be after start."}}
    assert seen["user"] == "U7"
    assert seen["view"]["private_metadata"] == '{"e": 1}'
    state = seen["view"]["state"]["values"]
    assert state["job"]["job"]["selected_option"]["value"] == "J1"
    assert state["date"]["date"]["selected_date"] == "2026-11-27"
    assert state["start"]["start"]["selected_time"] == "07:00"
    assert state["notes"]["notes"]["value"] is None


def test_bolt_reads_block_actions_from_a_message_and_a_view(bolt: tuple[App, dict[str, Any]]) -> None:
    app, seen = bolt
    assert dispatch(app, block_actions_body("entry_delete", "entry-42", channel_id="D1", message_ts="1.000100")).status
    assert seen["action"]["value"] == "entry-42"
    assert seen["container"] == {"type": "message", "message_ts": "1.000100", "channel_id": "D1", "is_ephemeral": False}

    home = view_for_payload("V0HOME", view_type="home")
    response = dispatch(app, block_actions_body("pick_date", "2026-11-27", action_type="datepicker", view=home))
    assert response.status == 200
    assert seen["picked"]["selected_date"] == "2026-11-27"


def test_block_actions_need_a_container() -> None:
    with pytest.raises(ValueError, match="container"):
        block_actions_body("entry_delete", "x")


def test_bolt_answers_a_block_suggestion(bolt: tuple[App, dict[str, Any]]) -> None:
    app, seen = bolt
    response = dispatch(app, block_suggestion_body("job", "smi"))
    assert response.status == 200
    assert seen["typed"] == "smi"
    assert json.loads(response.body)["options"][0]["value"] == "J1"


def test_bolt_handles_app_home_opened(bolt: tuple[App, dict[str, Any]], slack: FakeSlack) -> None:
    app, _ = bolt
    response = dispatch(app, event_body(app_home_opened_event(USER_ID)))
    assert response.status == 200
    [call] = slack.wait_for("views.publish")
    assert call["params"]["user_id"] == USER_ID


def test_post_signed_reaches_a_real_endpoint(slack: FakeSlack) -> None:
    # The fake itself is an HTTP endpoint: the body and headers arrive as sent.
    body = slash_command_body(text="7-3:30")
    response = post_signed(f"{slack.base_url}scenario.echo", SIGNING_SECRET, body)
    assert response.status == 200 and response.json() == {"ok": True}
    [call] = slack.calls("scenario.echo")
    assert call["body"] == body.encode()
    assert call["params"]["text"] == "7-3:30"
    assert SignatureVerifier(SIGNING_SECRET).is_valid(
        body=body,
        timestamp=call["headers"]["x-slack-request-timestamp"],
        signature=call["headers"]["x-slack-signature"],
    )
    missing = post_signed(f"{slack.url}/nowhere", SIGNING_SECRET, body)
    assert missing.status == 404
