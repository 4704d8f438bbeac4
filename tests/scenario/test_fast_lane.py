"""The HTTP edge answers a signed `/hours` itself (bot.fast_lane) exactly as Bolt's listener would.

Each request is answered twice from the same signed body — once by the fast lane, once by
``app.dispatch`` (Bolt, the path Socket Mode and the console take) — and the two answers must
be the same; the trigger id makes the second a redelivery, so both describe one entry.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_bolt import BoltResponse
from slack_bolt.request import BoltRequest

from bot.fast_lane import FastLane
from core.domain.clock import today_in
from tests.fakes.slack_requests import SIGNING_SECRET, USER_ID, signed_headers, slash_command_body
from tests.scenario.conftest import RunningBot, entries_of


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def lane_of(bot: RunningBot) -> FastLane:
    lane = getattr(bot.app, "fast_lane", None)
    assert isinstance(lane, FastLane)
    return lane


def as_seen(response: BoltResponse) -> tuple[int, object]:
    return response.status, json.loads(response.body) if response.body else None


YESTERDAY = (today_in(ZoneInfo("UTC")) - timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    "text",
    [
        f"{YESTERDAY} 7-3:30 lunch 30 job 1042 -- primed north wall",  # logged
        "help",
        "7-3:30 job 1042 lunch 30 lunch 45",  # two lunches: a parse error
        "25:00-3 job 1042",  # not a time
    ],
)
def test_the_fast_lane_answers_as_bolt_does(bot: RunningBot, text: str) -> None:
    body = slash_command_body(text=text, trigger_id="13345224609.738474920.8088930838d88f008e0")
    headers = lower(signed_headers(SIGNING_SECRET, body))

    fast = lane_of(bot).answer(body, headers)
    bolt = bot.app.dispatch(BoltRequest(body=body, headers=headers))

    assert fast is not None
    assert as_seen(fast) == as_seen(bolt)
    assert fast.status == 200
    # One intent, one entry: Bolt's answer to the redelivery recorded nothing more.
    assert len(entries_of(bot)) == (1 if text.startswith(YESTERDAY) else 0)


def test_a_refusal_reads_the_same_and_records_nothing(bot: RunningBot) -> None:
    lane = lane_of(bot)
    first = slash_command_body(text=f"{YESTERDAY} 7-3:30 job 1042")
    assert lane.answer(first, lower(signed_headers(SIGNING_SECRET, first))) is not None
    overlap = slash_command_body(text=f"{YESTERDAY} 3-6p job 2001")
    headers = lower(signed_headers(SIGNING_SECRET, overlap))

    fast = lane.answer(overlap, headers)
    bolt = bot.app.dispatch(BoltRequest(body=overlap, headers=headers))

    assert fast is not None
    assert as_seen(fast) == as_seen(bolt)
    assert json.loads(fast.body)["text"].startswith("*Not saved:*")
    assert len(entries_of(bot)) == 1


def test_an_empty_hours_acks_with_nothing_and_opens_the_modal(bot: RunningBot) -> None:
    body = slash_command_body(text="")

    answer = lane_of(bot).answer(body, lower(signed_headers(SIGNING_SECRET, body)))

    assert answer is not None and (answer.status, answer.body) == (200, "")
    [opened] = bot.slack.wait_for("views.open")
    assert opened["params"]["trigger_id"]


def test_requests_it_does_not_own_go_to_bolt(bot: RunningBot) -> None:
    lane = lane_of(bot)
    body = slash_command_body(text="7-3:30 job 1042")
    stale = lower(signed_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - 600))
    wrong = lower(signed_headers("not-the-secret", body))
    history = slash_command_body(command="/history")
    ssl_check = body + "&ssl_check=1"

    assert lane.answer(body, stale) is None
    assert lane.answer(body, wrong) is None
    assert lane.answer(history, lower(signed_headers(SIGNING_SECRET, history))) is None
    assert lane.answer(ssl_check, lower(signed_headers(SIGNING_SECRET, ssl_check))) is None
    assert entries_of(bot) == []
    # Over HTTP, Bolt then answers the bad signature with 401 and records nothing.
    assert bot.post(body, stale).status == 401
    assert entries_of(bot) == []


def test_a_failure_on_the_fast_lane_gets_bolts_answer_and_a_reference(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the jobs cache is broken")

    monkeypatch.setattr(bot.services.jobs, "active_jobs", broken)
    body = slash_command_body(text="7-3:30 job 1042")

    response = bot.post(body)

    assert response.status == 200
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert "something went wrong on crewclock's side (ref `" in answer["text"]
    assert "RuntimeError" not in answer["text"]


def test_quick_entries_through_the_fast_lane_are_counted_as_commands(bot: RunningBot) -> None:
    body = slash_command_body(text=f"{YESTERDAY} 7-3:30 job 1042", user_id=USER_ID)
    assert bot.post(body).status == 200

    metrics = bot.get("/metrics").body.decode()

    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith("crewclock_ack_seconds_count") and 'kind="command"' in line
    ]
    assert counted and float(counted[0].rsplit(" ", 1)[1]) >= 1
