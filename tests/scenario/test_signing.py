"""Every request must be signed by Slack: missing, wrong or stale signatures get 401 and change nothing."""

from __future__ import annotations

import time

import pytest

from tests.fakes.slack_requests import SIGNING_SECRET, signed_headers, slash_command_body
from tests.scenario.conftest import RunningBot

QUICK_ENTRY = "7-3:30 job 1042"


def stored_entries(bot: RunningBot) -> int:
    return len(bot.services.redis.keys("e:*"))


@pytest.mark.parametrize(
    "make_headers",
    [
        pytest.param(lambda body: {"content-type": "application/x-www-form-urlencoded"}, id="missing"),
        pytest.param(lambda body: signed_headers("not-the-secret", body), id="wrong-secret"),
        pytest.param(lambda body: signed_headers(SIGNING_SECRET, body + "&text=tampered"), id="other-body"),
        pytest.param(lambda body: signed_headers(SIGNING_SECRET, body, int(time.time()) - 6 * 60), id="stale"),
    ],
)
def test_unsigned_or_badly_signed_requests_get_401_and_store_nothing(bot: RunningBot, make_headers) -> None:  # type: ignore[no-untyped-def]
    body = slash_command_body(text=QUICK_ENTRY)

    response = bot.post(body, make_headers(body))

    assert response.status == 401
    assert stored_entries(bot) == 0
    assert [c["method"] for c in bot.slack.calls() if c["method"] != "auth.test"] == []


def test_a_signature_four_minutes_old_is_still_accepted(bot: RunningBot) -> None:
    body = slash_command_body(text=QUICK_ENTRY)

    response = bot.post(body, signed_headers(SIGNING_SECRET, body, int(time.time()) - 4 * 60))

    assert response.status == 200
    assert stored_entries(bot) == 1
