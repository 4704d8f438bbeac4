"""Redis refusing writes: the user is told plainly that nothing was saved, and the modal keeps what was typed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest

from core.domain.clock import today_in
from tests.fakes.slack_requests import slash_command_body
from tests.scenario.conftest import RunningBot, modal_values, open_modal, submission
from tests.support.servers import PrivateRedis

NOT_SAVED = "Not saved"


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    yield server
    server.close()


def test_with_redis_gone_nothing_is_acknowledged_as_saved(
    start_bot: Callable[..., RunningBot], private_redis: PrivateRedis
) -> None:
    bot = start_bot(redis_url=private_redis.url)
    view = open_modal(bot)
    private_redis.stop()

    started = time.monotonic()
    command = bot.post(slash_command_body(text="7-3:30 job 1042"))
    modal = bot.post(submission(view, modal_values(work_date=today_in(ZoneInfo("America/Chicago")).isoformat())))
    elapsed = time.monotonic() - started

    assert command.status == 200
    assert command.json()["response_type"] == "ephemeral"
    assert NOT_SAVED in command.json()["text"]
    assert modal.status == 200
    answer = modal.json()
    assert answer["response_action"] == "errors"
    assert NOT_SAVED in answer["errors"]["job"]
    assert "Traceback" not in command.text + modal.text
    assert elapsed < 3.0  # inside Slack's window even with Redis refusing connections


def test_once_redis_is_back_the_next_quick_entry_is_logged(
    start_bot: Callable[..., RunningBot], private_redis: PrivateRedis
) -> None:
    # Each thread writes on a connection of its own (HotStore._writer): it must survive a restart.
    bot = start_bot(redis_url=private_redis.url)
    first = bot.post(slash_command_body(text="7-11 job 1042", trigger_id="trigger-before"))
    assert first.json()["text"].startswith("Logged 4.0 h")

    private_redis.stop()
    refused = bot.post(slash_command_body(text="12-3 job 1042", trigger_id="trigger-down"))
    assert NOT_SAVED in refused.json()["text"]

    private_redis.start()  # same port, empty: as after a crash without persistence
    again = bot.post(slash_command_body(text="12-3 job 1042", trigger_id="trigger-after"))
    assert again.status == 200
    assert again.json()["text"].startswith("Logged 3.0 h"), again.json()["text"]
