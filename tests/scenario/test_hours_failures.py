"""When something fails, the user is told in plain words: Slack refusing, our own bugs, sinks failing."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.domain.clock import today_in
from tests.fakes.slack_requests import CHANNEL_ID, USER_ID, slash_command_body
from tests.scenario.conftest import RunningBot, entries_of, modal_values, open_modal, submission, wait_until
from tests.support.builders import ScriptedSink

TODAY_CHICAGO = today_in(ZoneInfo("America/Chicago")).isoformat()


def test_when_the_dm_fails_the_confirmation_is_posted_ephemeral_in_the_channel(bot: RunningBot) -> None:
    bot.slack.fail_next("conversations.open", "cannot_dm_bot")

    assert bot.post(slash_command_body(text="7-3:30 job 1042")).status == 200

    [ephemeral] = bot.slack.wait_for("chat.postEphemeral")
    assert ephemeral["params"]["channel"] == CHANNEL_ID
    assert ephemeral["params"]["user"] == USER_ID
    assert ephemeral["params"]["text"].startswith("Logged 8.5 h · Smith Residence")
    assert bot.slack.calls("chat.postMessage") == []


def test_a_rate_limited_dm_is_retried_after_retry_after(bot: RunningBot) -> None:
    bot.slack.rate_limit_next("chat.postMessage", retry_after=1)

    assert bot.post(slash_command_body(text="7-3:30 job 1042")).status == 200

    calls = bot.slack.wait_for("chat.postMessage", 2, timeout=8)
    assert [c["status"] for c in calls] == [429, 200]
    assert calls[1]["at"] - calls[0]["at"] >= 0.9
    assert len(bot.slack.messages(bot.slack.dm_channel(USER_ID))) == 1


def test_when_views_open_is_refused_the_user_hears_why_where_they_typed(bot: RunningBot) -> None:
    bot.slack.fail_next("views.open", "expired_trigger_id")

    assert bot.post(slash_command_body(text="")).status == 200

    [notice] = bot.slack.wait_for("chat.postEphemeral")
    assert (notice["params"]["channel"], notice["params"]["user"]) == (CHANNEL_ID, USER_ID)
    assert notice["params"]["text"] == (
        "Slack did not accept a request from crewclock (expired_trigger_id). Please try again."
    )


def test_when_the_ephemeral_cannot_be_shown_the_notice_goes_by_dm(bot: RunningBot) -> None:
    bot.slack.fail_next("views.open", "expired_trigger_id")
    bot.slack.fail_next("chat.postEphemeral", "channel_not_found")

    assert bot.post(slash_command_body(text="")).status == 200

    dm = bot.slack.dm_channel(USER_ID)
    [notice] = wait_until(lambda: bot.slack.messages(dm), what="a DM about the failure")
    assert notice["text"].startswith("Slack did not accept a request from crewclock (expired_trigger_id).")


def broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a bug in crewclock")


def test_an_unexpected_error_on_the_ack_path_gets_a_reference_not_a_trace(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    view = open_modal(bot)
    monkeypatch.setattr(bot.services.entries, "record_entry", broken)

    command = bot.post(slash_command_body(text="7-3:30 job 1042"))
    modal = bot.post(submission(view, modal_values(work_date=TODAY_CHICAGO)))

    assert command.status == 200
    text = command.json()["text"]
    assert command.json()["response_type"] == "ephemeral"
    reference = re.search(r"ref `([0-9a-f]{8})`", text)
    assert reference is not None
    assert "RuntimeError" not in text and "Traceback" not in text
    assert reference.group(1) in caplog.text and "a bug in crewclock" in caplog.text  # the admin can find it
    assert modal.status == 200
    assert modal.json()["response_action"] == "errors"
    assert "something went wrong on crewclock's side" in modal.json()["errors"]["job"]


def dm_text(bot: RunningBot) -> str:
    messages = bot.slack.messages(bot.slack.dm_channel(USER_ID))
    return str(messages[0]["text"]) if messages else ""


def test_the_confirmation_follows_a_failing_postgres_to_retrying_then_failed(bot: RunningBot) -> None:
    sink = ScriptedSink("postgres", outcome="retry", error="connection refused")
    bot.services.sync.sinks[0] = sink

    assert bot.post(slash_command_body(text="7-3:30 job 1042")).status == 200

    wait_until(lambda: "⚠️ not saved yet — retrying" in dm_text(bot), what="retrying shown")
    sink.outcome = "permanent"
    wait_until(lambda: bot.services.sync.sweep().claimed or "❌" in dm_text(bot), what="a sweep")
    wait_until(lambda: "❌ failed — an admin has been told" in dm_text(bot), what="failed shown")
    [entry] = entries_of(bot)
    assert entry.sync_label == "FAILED"


def test_with_zoho_on_the_confirmation_shows_its_state_too(bot: RunningBot) -> None:
    bot.services.entries.zoho_enabled = True  # as build_services does when ZOHO_MODE is set
    bot.services.sync.sinks.append(ScriptedSink("zoho", outcome="ok"))

    assert bot.post(slash_command_body(text="7-3:30 job 1042")).status == 200

    wait_until(lambda: dm_text(bot).endswith("✅ saved · Zoho ✅"), what="both sinks shown")
