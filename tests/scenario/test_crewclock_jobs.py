"""/crewclock through the real HTTP endpoint: help, the managers' job list, Add job, (de)activate, refusals.

Answers after the ack go to the request's response_url, pointed here into the fake Slack
(where each POST is recorded) instead of hooks.slack.com.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from bot.views.jobs_admin import (
    ACTIVATE_ACTION,
    ADD_ACTION,
    ADD_CALLBACK_ID,
    DEACTIVATE_ACTION,
    NEXT_ACTION,
)
from core.domain.jobs import Job
from tests.fakes.slack_requests import (
    USER_ID,
    block_actions_body,
    slash_command_body,
    state_value,
    view_submission_body,
)
from tests.scenario.conftest import RunningBot, texts_in

MANAGER = "U0MGR0001"
_tags = itertools.count(1)


def new_response_url(bot: RunningBot) -> tuple[str, str]:
    method = f"response_url.jobs{next(_tags)}"
    return bot.slack.base_url + method, method


def responses(bot: RunningBot, method: str, count: int = 1) -> list[dict[str, Any]]:
    return [call["params"] for call in bot.slack.wait_for(method, count)]


def crewclock(bot: RunningBot, text: str, user_id: str = MANAGER) -> tuple[Any, str]:
    url, method = new_response_url(bot)
    response = bot.post(slash_command_body("/crewclock", text=text, user_id=user_id, response_url=url))
    assert response.status == 200
    return response.json(), method


def job_list(bot: RunningBot, text: str = "jobs", user_id: str = MANAGER) -> dict[str, Any]:
    ack, method = crewclock(bot, text, user_id)
    assert ack is None
    [answer] = responses(bot, method)
    assert answer["response_type"] == "ephemeral"
    return answer


def click(bot: RunningBot, element: dict[str, Any], user_id: str = MANAGER) -> str:
    """Click a button of the ephemeral job list; returns its response_url's method."""
    url, method = new_response_url(bot)
    body = block_actions_body(
        element["action_id"],
        value=element.get("value"),
        user_id=user_id,
        channel_id="C0CREW001",
        message_ts="1700000000.000200",
        is_ephemeral=True,
    )
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["response_url"] = url
    assert bot.post(urlencode({"payload": json.dumps(payload)})).status == 200
    return method


def row_buttons(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each job row's button, by the job id in the row's text."""
    found = {}
    for block in answer["blocks"]:
        accessory = block.get("accessory")
        if accessory:
            job_id = json.loads(accessory["value"])["id"]
            found[job_id] = accessory
    return found


def nav(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]}


@pytest.fixture
def manager_bot(start_bot: Callable[..., RunningBot]) -> RunningBot:
    return start_bot(manager_user_ids=frozenset({MANAGER}))


def test_crewclock_without_arguments_is_short_help(manager_bot: RunningBot) -> None:
    for text in ("", "help", "frobnicate"):
        ack, method = crewclock(manager_bot, text, USER_ID)
        assert ack["response_type"] == "ephemeral"
        assert "`/crewclock jobs`" in ack["text"]
        assert manager_bot.slack.calls(method) == []


def test_a_manager_sees_every_job_with_its_button(manager_bot: RunningBot) -> None:
    answer = job_list(manager_bot)
    shown = texts_in(answer["blocks"])
    assert "3 active, 1 inactive" in shown
    buttons = row_buttons(answer)
    assert {k: v["action_id"] for k, v in buttons.items()} == {
        "1042": DEACTIVATE_ACTION,
        "1043": DEACTIVATE_ACTION,
        "2001": DEACTIVATE_ACTION,
        "3001": ACTIVATE_ACTION,
    }
    assert buttons["1042"]["confirm"]["title"]["text"] == "Deactivate this job?"
    assert ADD_ACTION in nav(answer)


def test_a_crew_member_is_politely_refused(manager_bot: RunningBot) -> None:
    answer = job_list(manager_bot, user_id=USER_ID)
    assert answer["text"].startswith("Sorry — only managers can change the job list.")
    assert row_buttons(answer) == {}


def test_the_list_can_be_filtered(manager_bot: RunningBot) -> None:
    answer = job_list(manager_bot, "jobs smith")
    assert set(row_buttons(answer)) == {"1042", "1043"}
    assert "matching “smith”" in texts_in(answer["blocks"])


def test_deactivate_then_activate(manager_bot: RunningBot) -> None:
    answer = job_list(manager_bot)

    [after] = responses(manager_bot, click(manager_bot, row_buttons(answer)["1042"]))

    assert after["replace_original"] is True
    assert "*Smith Residence* (1042) deactivated" in texts_in(after["blocks"])
    assert row_buttons(after)["1042"]["action_id"] == ACTIVATE_ACTION
    assert Job("1042", "Smith Residence", False) in manager_bot.services.sql.list_jobs(include_inactive=True)
    assert "1042" not in [j.id for j in manager_bot.services.jobs.search("smith")]  # /hours no longer offers it

    [again] = responses(manager_bot, click(manager_bot, row_buttons(after)["1042"]))
    assert "activated: crews can pick it again" in texts_in(again["blocks"])
    assert "1042" in [j.id for j in manager_bot.services.jobs.search("smith")]


def test_a_crew_member_clicking_a_job_button_changes_nothing(manager_bot: RunningBot) -> None:
    button = row_buttons(job_list(manager_bot))["1042"]
    [answer] = responses(manager_bot, click(manager_bot, button, user_id=USER_ID))
    assert answer["text"].startswith("Sorry — only managers")
    assert [j.id for j in manager_bot.services.sql.list_jobs()] == ["1042", "1043", "2001"]


def add_job_values(job_id: str, name: str, zoho: str = "") -> dict[str, dict[str, dict[str, Any]]]:
    return {
        "job_id": {"value": state_value("plain_text_input", job_id or None)},
        "job_name": {"value": state_value("plain_text_input", name or None)},
        "zoho_job_id": {"value": state_value("plain_text_input", zoho or None)},
    }


def open_add_job(bot: RunningBot) -> tuple[dict[str, Any], str]:
    """Click Add job on a fresh list; returns the opened modal and the list's response_url method."""
    answer = job_list(bot)
    before = len(bot.slack.calls("views.open"))
    method = click(bot, nav(answer)[ADD_ACTION])
    call = bot.slack.wait_for("views.open", before + 1)[-1]
    return dict(call["response"]["view"]), method


def submit(bot: RunningBot, view: dict[str, Any], values: dict[str, Any], user_id: str = MANAGER) -> Any:
    body = view_submission_body(
        view_id=view["id"],
        callback_id=view["callback_id"],
        state_values=values,
        private_metadata=view["private_metadata"],
        blocks=view["blocks"],
        title="Add job",
        user_id=user_id,
    )
    response = bot.post(body)
    assert response.status == 200
    return response.json()


def test_add_job_from_the_modal(manager_bot: RunningBot) -> None:
    view, list_method = open_add_job(manager_bot)
    assert view["callback_id"] == ADD_CALLBACK_ID
    assert [b["label"]["text"] for b in view["blocks"]] == ["Job number", "Name", "Zoho job id"]

    assert submit(manager_bot, view, add_job_values("5001", "  Pier   4 Warehouse ", "Z-9")) is None  # closes

    [refreshed] = responses(manager_bot, list_method)
    assert refreshed["replace_original"] is True
    assert "*Pier 4 Warehouse* (5001) added." in texts_in(refreshed["blocks"])
    assert "5001" in row_buttons(refreshed)
    assert Job("5001", "Pier 4 Warehouse", True, "Z-9") in manager_bot.services.sql.list_jobs()
    assert manager_bot.services.jobs.get("5001") == Job("5001", "Pier 4 Warehouse", True, "Z-9")


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (("1042", "Duplicate"), {"job_id": "Job 1042 already exists: Smith Residence."}),
        (
            ("3001", "Old again"),
            {"job_id": "Job 3001 already exists: Old Depot (inactive: activate it from the list instead)."},
        ),
        (("", ""), {"job_id": "Give the job a number.", "job_name": "Give the job a name."}),
        (("50 01", "Spaces"), {"job_id": "A job number has no spaces."}),
    ],
)
def test_add_job_problems_stay_in_the_modal(
    manager_bot: RunningBot, values: tuple[str, str], errors: dict[str, str]
) -> None:
    view, list_method = open_add_job(manager_bot)
    answer = submit(manager_bot, view, add_job_values(*values))
    assert answer == {"response_action": "errors", "errors": errors}
    assert len(manager_bot.services.sql.list_jobs(include_inactive=True)) == 4
    assert manager_bot.slack.calls(list_method) == []


def test_a_crew_member_cannot_submit_the_add_job_modal(manager_bot: RunningBot) -> None:
    view, _ = open_add_job(manager_bot)
    answer = submit(manager_bot, view, add_job_values("6001", "Sneaky"), user_id=USER_ID)
    assert answer["response_action"] == "errors"
    assert answer["errors"]["job_id"].startswith("Sorry — only managers")
    assert manager_bot.services.jobs.get("6001") is None


def test_long_job_lists_page(start_bot: Callable[..., RunningBot]) -> None:
    jobs = tuple(Job(f"{7000 + i}", f"Job {i:02d}") for i in range(25))
    bot = start_bot(manager_user_ids=frozenset({MANAGER}), jobs=jobs)
    first = job_list(bot)
    assert len(row_buttons(first)) == 20
    assert "page 1 of 2" in texts_in(first["blocks"])
    [second] = responses(bot, click(bot, nav(first)[NEXT_ACTION]))
    assert len(row_buttons(second)) == 5
    assert second["replace_original"] is True
