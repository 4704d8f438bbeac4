"""The HTTP surface: health check, unknown paths, and the app answering on /slack/events."""

from __future__ import annotations

from tests.fakes.slack_requests import slash_command_body
from tests.scenario.conftest import RunningBot


def test_healthz_answers_200_json_with_redis_up(bot: RunningBot) -> None:
    response = bot.get("/healthz")

    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok", "redis": True}


def test_unknown_path_is_404(bot: RunningBot) -> None:
    assert bot.get("/nope").status == 404


def test_help_is_answered_on_the_events_path(bot: RunningBot) -> None:
    response = bot.post(slash_command_body(text="help"))

    assert response.status == 200
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert "/hours 7-3:30 smith" in answer["text"]
