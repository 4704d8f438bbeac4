"""The job type-ahead: options requests answered from the cached catalogue."""

from __future__ import annotations

from tests.fakes.slack_requests import block_suggestion_body
from tests.scenario.conftest import RunningBot


def options_for(bot: RunningBot, typed: str) -> list[tuple[str, str]]:
    response = bot.post(block_suggestion_body("job_select", value=typed))
    assert response.status == 200
    return [(o["value"], o["text"]["text"]) for o in response.json()["options"]]


def test_typing_part_of_a_name_offers_the_matching_active_jobs(bot: RunningBot) -> None:
    assert options_for(bot, "smi") == [("1042", "Smith Residence (1042)"), ("1043", "Smithson Garage (1043)")]


def test_a_job_number_finds_its_job_and_nothing_typed_offers_every_active_one(bot: RunningBot) -> None:
    assert options_for(bot, "2001") == [("2001", "Sun Valley Clinic (2001)")]
    assert [value for value, _ in options_for(bot, "")] == ["1042", "1043", "2001"]


def test_inactive_jobs_are_never_offered(bot: RunningBot) -> None:
    assert options_for(bot, "depot") == []
