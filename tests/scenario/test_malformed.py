"""Payloads Bolt itself cannot handle still get a 2xx (Slack retries a 5xx) and change nothing."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode

from tests.fakes.slack_requests import block_actions_body
from tests.scenario.conftest import RunningBot


def test_a_block_action_with_no_action_is_answered_200(bot: RunningBot) -> None:
    body = block_actions_body(
        "entry_edit", value="0b7f9a3e-8c51-4a51-9d43-2a4a9f7b1c11", user_id="U1", message_ts="1700000000.000100"
    )
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["actions"] = []

    response = bot.post(urlencode({"payload": json.dumps(payload)}))

    assert response.status == 200
    assert bot.services.redis.keys("e:*") == []
