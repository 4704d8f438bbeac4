"""Scenario 8: only Slack gets in, crew members reach only their own entries, and no secret reaches the logs.

One bot process at ``LOG_LEVEL=DEBUG`` with Zoho People on (fake Zoho), so the run mints
OAuth tokens, pushes time logs and calls the Slack Web API. Then:

* requests that are unsigned, signed with another secret, signed more than five minutes
  ago (a replay), dated six minutes ahead, or altered after signing are refused with 401
  and store nothing;
* a crew member who crafts what Slack would send for someone else's entry (Edit and
  Delete buttons with its id, a modal submission naming it, /history of that person or of
  a whole job, history buttons carrying that person) sees and changes nothing of it. A
  manager asking the same question does see it: the check can tell;
* the bot token, the signing secret, and Zoho's client secret, refresh token and every
  access token it issued appear nowhere in the process's output.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable

from sqlalchemy import text as sql

from bot.errors import NOT_YOURS
from tests.fakes.slack_requests import (
    FORM,
    SIGNING_SECRET,
    SignedResponse,
    block_actions_body,
    signed_headers,
    slash_command_body,
    view_submission_body,
)
from tests.fakes.zoho_api import CLIENT_SECRET, REFRESH_TOKEN
from tests.reliability.harness import (
    BOT_TOKEN,
    BotProcess,
    Stack,
    introduce_users,
    local_response_urls,
    logged,
    marker_of,
    pg_truth,
    send,
    send_quick_entry,
    told,
    wait_until,
    zoho_logs_per_entry,
)
from tests.reliability.results import ScenarioResult
from tests.scenario.conftest import modal_values, texts_in

ALICE, BOB, EVE, BOSS = "U0S8ALICE", "U0S8BOB01", "U0S8EVE01", "U0S8BOSS1"
TAG = "s8"
_answers = itertools.count(1)


def command(deployment: Stack, bot: BotProcess, name: str, text: str, user: str) -> tuple[SignedResponse, str]:
    """A slash command whose response_url is in the fake Slack; returns the ack and that URL's method."""
    method = f"response_url.s8.{next(_answers)}"
    body = slash_command_body(name, text=text, user_id=user, response_url=deployment.slack.base_url + method)
    return bot.post(body), method


def answers_to(deployment: Stack, method: str) -> str:
    """Everything the bot POSTed to one response_url, as text a user reads."""
    calls = deployment.slack.wait_for(method, 1, timeout=10)
    return "\n".join(texts_in(c["params"]) for c in calls)


def click(deployment: Stack, bot: BotProcess, action_id: str, value: str, user: str) -> SignedResponse:
    body = block_actions_body(action_id, value=value, user_id=user, message_ts="1700000000.000200")
    return bot.post(local_response_urls(body, deployment.slack))


def test_only_slack_gets_in_crew_see_only_their_own_and_no_secret_is_logged(
    make_stack: Callable[..., Stack], record_result: Callable[[ScenarioResult], None]
) -> None:
    deployment = make_stack(zoho=True)
    zoho = deployment.zoho
    assert zoho is not None
    bot = deployment.start_bot(LOG_LEVEL="DEBUG", MANAGER_USER_IDS=BOSS)
    introduce_users(deployment, [ALICE, BOB, EVE, BOSS])
    first_entries = [
        send_quick_entry(bot, deployment.slack, marker_of(TAG, 0), ALICE),
        send_quick_entry(bot, deployment.slack, marker_of(TAG, 1), ALICE, job="2001", times="4p-8p"),
        send_quick_entry(bot, deployment.slack, marker_of(TAG, 2), BOB),
    ]
    assert [a.text for a in first_entries if not a.acknowledged] == []
    wait_until(
        lambda: pg_truth(deployment.engine, TAG).rows == 3 and deployment.pending() == 0, timeout=20, what="sync"
    )
    truth = pg_truth(deployment.engine, TAG)
    alice_ids = [truth.ids_by_marker[marker_of(TAG, i)][0] for i in (0, 1)]
    refused: list[str] = []

    # -- 1. only Slack gets in ------------------------------------------------------------
    eve_entry = slash_command_body("/hours", text=f"7-3:30 job 1042 -- {marker_of(TAG, 3)}", user_id=EVE)
    eve_delete = block_actions_body("entry_delete", value=alice_ids[0], user_id=EVE, message_ts="1700000000.0003")
    eve_edit = view_submission_body(
        view_id="V0S8FORGED",
        callback_id="entry_modal",
        state_values=modal_values(work_date=time.strftime("%Y-%m-%d"), notes="forged"),
        private_metadata=json.dumps({"mode": "edit", "entry_id": alice_ids[0]}),
        user_id=EVE,
    )
    for name, body in (("command", eve_entry), ("delete click", eve_delete), ("modal submission", eve_edit)):
        now = int(time.time())
        attempts = {
            "unsigned": {"content-type": FORM},
            "signed with another secret": signed_headers("not-the-signing-secret", body),
            "replayed after 5 minutes": signed_headers(SIGNING_SECRET, body, timestamp=now - 301),
            # Slack's window is 5 minutes either way; a minute more, so a slow machine's clock
            # advancing between signing and checking cannot bring it back inside.
            "from the future": signed_headers(SIGNING_SECRET, body, timestamp=now + 360),
            "altered after signing": signed_headers(SIGNING_SECRET, body.replace("EVE01", "EVE02")),
        }
        for how, headers in attempts.items():
            response = send(bot.events_url, body.encode(), headers)
            assert response.status == 401, (name, how, response.status)
            refused.append(f"{name}, {how}")

    # -- 2. a crew member crafts requests about someone else's entries ---------------------
    assert click(deployment, bot, "entry_edit", alice_ids[0], BOB).status == 200
    assert click(deployment, bot, "entry_delete", alice_ids[1], BOB).status == 200
    wait_until(lambda: sum(NOT_YOURS in t for t in told(deployment.slack, BOB)) >= 2, timeout=10, what="Bob told twice")
    refused += ["Edit button with Alice's entry", "Delete button with Alice's entry"]
    day = time.strftime("%Y-%m-%d")
    for metadata in (
        {"mode": "edit", "entry_id": alice_ids[0]},
        {"mode": "edit", "entry_id": alice_ids[0], "owner": ALICE},
        {"mode": "create", "owner": ALICE},
    ):
        forged = view_submission_body(
            view_id=f"V0S8{len(refused):04d}",
            callback_id="entry_modal",
            state_values=modal_values(work_date=day, start="01:00", end="02:00", notes="by Bob"),
            private_metadata=json.dumps(metadata),
            user_id=BOB,
        )
        answer = bot.post(forged).json()
        assert answer and answer.get("response_action") == "errors", (metadata, answer)
        refused.append(f"modal submission as {metadata}")
    alice_text = [marker_of(TAG, 0), marker_of(TAG, 1)]
    for text in (f"<@{ALICE}|alice>", f"<@{ALICE}|alice> job 1042", "job 1042", "job 2001 last month", f"<@{ALICE}>"):
        ack, method = command(deployment, bot, "/history", text, BOB)
        assert ack.status == 200
        shown = (ack.text if ack.body else "") + answers_to(deployment, method)
        assert not any(m in shown for m in alice_text), (text, shown[:300])
        refused.append(f"/history {text}")
    for action_id, value in (
        ("history_next", {"f": "2020-01-01", "l": "2030-01-01", "p": 0, "u": ALICE}),
        ("history_export_csv", {"f": "2020-01-01", "l": "2030-01-01", "p": 0, "u": ALICE}),
        ("history_export_csv", {"f": "2020-01-01", "l": "2030-01-01", "p": 0, "j": "1042"}),
    ):
        assert click(deployment, bot, action_id, json.dumps(value), BOB).status == 200
        refused.append(f"{action_id} carrying {value}")
    # A manager asking the same sees Alice's hours: the check above can tell.
    ack, method = command(deployment, bot, "/history", f"<@{ALICE}|alice>", BOSS)
    assert marker_of(TAG, 0) in answers_to(deployment, method)

    time.sleep(1)  # the lazy refusals and any (wrong) upload have happened by now
    uploads = [u.text for u in deployment.slack.uploads()]
    assert not any(m in text for text in uploads for m in alice_text), "Alice's hours exported for Bob"
    wait_until(lambda: deployment.pending() == 0, timeout=10, what="nothing pending")
    after = pg_truth(deployment.engine, TAG)
    per_entry, stray = zoho_logs_per_entry(deployment.engine, zoho)
    assert after.ids_by_marker == truth.ids_by_marker, "Alice's entries changed"
    assert [per_entry[i] for i in alice_ids] == [1, 1] and stray == 0
    assert pg_truth(deployment.engine, TAG).missing([marker_of(TAG, 3)]) == [marker_of(TAG, 3)], "Eve got in"
    with deployment.engine.connect() as conn:
        versions = conn.execute(sql("SELECT version, deleted FROM time_entries WHERE slack_user_id = :u"), {"u": ALICE})
        assert sorted(tuple(r) for r in versions) == [(1, False), (1, False)]
        bobs_rows = conn.execute(sql("SELECT count(*) FROM time_entries WHERE slack_user_id = :u"), {"u": BOB})
        assert bobs_rows.scalar() == 1

    # -- 3. no secret in the output of a DEBUG run ----------------------------------------
    assert bot.stop() == 0
    output = bot.log_text()
    secrets = {
        "bot token": BOT_TOKEN,
        "signing secret": SIGNING_SECRET,
        "Zoho client secret": CLIENT_SECRET,
        "Zoho refresh token": REFRESH_TOKEN,
    } | {f"Zoho access token {i + 1}": token for i, token in enumerate(zoho.issued_tokens)}
    leaked = [name for name, value in secrets.items() if value in output]
    debug_lines = len(logged(output, "DEBUG"))
    record_result(
        ScenarioResult(
            row="8",
            scenario="unsigned/forged/replayed requests; crafted access to another's entries; secrets in DEBUG logs",
            submitted=len(refused),
            acknowledged=0,
            refused=len(refused),
            in_postgres=0,  # of the hostile requests (asserted below and above)
            notes=(
                f"{len(refused)} hostile requests refused (401 or a refusal), nothing changed; "
                f"{len(secrets)} secrets (incl. {len(zoho.issued_tokens)} Zoho access tokens) searched in "
                f"{len(output.splitlines())} log lines ({debug_lines} DEBUG): {len(leaked)} found "
                f"({output.count('[redacted]')} values masked by the log redactor)"
            ),
            extra={"refused": refused, "leaked": leaked, "log_lines": len(output.splitlines())},
        )
    )
    assert zoho.issued_tokens, "the run never minted a Zoho token: the check proves nothing"
    debug_loggers = {line.logger.split(".")[0] for line in logged(output, "DEBUG")}
    assert {"slack_sdk", "slack_bolt"} <= debug_loggers, f"DEBUG logging was not on: {debug_loggers}"
    assert leaked == []
