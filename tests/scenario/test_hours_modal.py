"""/hours with no text: the modal, its submission, the confirmation that updates itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.clock import today_in
from core.sync.ports import PushRequest, PushResult
from tests.fakes.slack_requests import USER_ID, slash_command_body
from tests.scenario.conftest import (
    RunningBot,
    entries_of,
    modal_values,
    open_modal,
    submission,
    texts_in,
    wait_until,
    zone_off_utc_date,
)

LABELS = ["Job", "Date", "Start", "End", "Lunch start", "Lunch end", "Notes", "Change order"]


class GatedSink:
    """Holds the Postgres sink's pushes until the test opens the gate (to see ⏳ pending first)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.max_batch = inner.max_batch
        self.idempotent = inner.idempotent
        self.gate = threading.Event()

    def push(self, requests: Sequence[PushRequest]) -> list[PushResult]:
        self.gate.wait(10)
        return list(self.inner.push(requests))


def test_hours_opens_the_modal_once_with_the_eight_labels_and_today_in_the_users_zone(bot: RunningBot) -> None:
    zone = zone_off_utc_date()
    bot.slack.set_user(USER_ID, tz=zone)

    response = bot.post(slash_command_body(text=""))

    assert response.status == 200
    assert response.body == b""
    [call] = bot.slack.wait_for("views.open")
    view = call["response"]["view"]
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["label"]["text"] for b in inputs] == LABELS
    assert [b["optional"] for b in inputs] == [False, False, False, False, True, True, True, True]
    date_block = next(b for b in inputs if b["label"]["text"] == "Date")
    assert date_block["element"]["initial_date"] == today_in(ZoneInfo(zone)).isoformat()
    job = inputs[0]["element"]
    assert job["type"] == "static_select"  # three active jobs: a plain select
    assert [o["value"] for o in job["options"]] == ["1042", "1043", "2001"]  # the inactive one is not offered
    assert call["params"]["trigger_id"]
    assert len(bot.slack.calls("views.open")) == 1


def test_many_jobs_make_the_job_input_a_type_ahead(start_bot: Any) -> None:
    from core.domain.jobs import Job

    bot = start_bot(jobs=tuple(Job(str(1000 + i), f"Job number {i}") for i in range(150)))

    view = open_modal(bot)

    job = view["blocks"][0]["element"]
    assert job["type"] == "external_select"
    assert job["min_query_length"] == 0


def test_a_valid_submission_closes_the_modal_then_the_dm_goes_from_pending_to_saved(bot: RunningBot) -> None:
    gated = GatedSink(bot.services.sync.sinks[0])
    bot.services.sync.sinks[0] = gated
    view = open_modal(bot)
    day = today_in(ZoneInfo("America/Chicago"))  # FakeSlack's default user zone

    response = bot.post(
        submission(
            view,
            modal_values(
                work_date=day.isoformat(), lunch_start="12:00", lunch_end="12:30", notes="primed", change_order="17"
            ),
        )
    )

    assert response.status == 200
    assert response.body == b""  # an empty 200 closes the modal
    [entry] = entries_of(bot)
    assert (entry.job_id, entry.job_name, entry.work_date) == ("1042", "Smith Residence", day)
    assert (f"{entry.start_time:%H:%M}", f"{entry.end_time:%H:%M}") == ("07:00", "15:30")
    assert (entry.notes, entry.change_order, str(entry.total_hours)) == ("primed", "17", "8.00")
    [post] = bot.slack.wait_for("chat.postMessage")
    dm = bot.slack.dm_channel(USER_ID)
    assert post["params"]["channel"] == dm
    expected = f"Logged 8.0 h · Smith Residence · {day:%a %b} {day.day} · ⏳ pending"
    assert post["params"]["text"] == expected
    posted = bot.slack.messages(dm)[0]
    assert "Edit" in texts_in(posted["blocks"]) and "Delete" in texts_in(posted["blocks"])

    gated.gate.set()  # Postgres takes it now
    bot.settle()

    assert bot.services.sql.get(entry.id) is not None
    wait_until(lambda: "✅ saved" in bot.slack.messages(dm)[0]["text"], what="confirmation updated to saved")
    update = bot.slack.calls("chat.update")[-1]
    assert update["params"]["ts"] == posted["ts"]
    assert bot.slack.messages(dm)[0]["text"] == expected.replace("⏳ pending", "✅ saved")


def test_the_same_modal_submitted_twice_records_one_entry_and_one_dm(bot: RunningBot) -> None:
    view = open_modal(bot)
    body = submission(view, modal_values(work_date=today_in(ZoneInfo("America/Chicago")).isoformat()))

    first, second = bot.post(body), bot.post(body)

    assert (first.status, second.status) == (200, 200)
    assert second.body == b""
    assert len(entries_of(bot)) == 1
    bot.slack.wait_for("chat.postMessage")
    time.sleep(0.3)  # the second submission's lazy listener had time to post, if it would
    assert len(bot.slack.calls("chat.postMessage")) == 1


def errors_for(bot: RunningBot, view: dict[str, Any], **values: Any) -> dict[str, str]:
    values.setdefault("work_date", today_in(ZoneInfo("America/Chicago")).isoformat())
    response = bot.post(submission(view, modal_values(**values)))
    assert response.status == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    return dict(answer["errors"])


def test_invalid_submissions_keep_the_modal_open_with_errors_on_the_right_inputs(bot: RunningBot) -> None:
    view = open_modal(bot)

    assert errors_for(bot, view, start="08:00", end="08:00") == {"end_time": "End must be after start."}
    assert set(errors_for(bot, view, lunch_start="16:00", lunch_end="16:30")) == {"lunch_start"}
    assert set(errors_for(bot, view, start="22:00", end="06:00", lunch_start="07:00", lunch_end="07:30")) == {
        "lunch_start"
    }
    assert set(errors_for(bot, view, lunch_start="12:00")) == {"lunch_end"}
    future = (today_in(ZoneInfo("America/Chicago")) + timedelta(days=5)).isoformat()
    assert set(errors_for(bot, view, work_date=future)) == {"work_date"}
    assert entries_of(bot) == []
    assert bot.slack.calls("chat.postMessage") == []


def test_an_overlapping_submission_names_the_other_entry_on_start(bot: RunningBot) -> None:
    day = today_in(ZoneInfo("America/Chicago")).isoformat()
    first = open_modal(bot)
    assert bot.post(submission(first, modal_values(work_date=day))).body == b""
    second = open_modal(bot)

    errors = errors_for(bot, second, work_date=day, job="2001", start="15:00", end="18:00")

    assert errors == {"start_time": "Overlaps your 07:00–15:30 entry on Smith Residence."}
    assert len(entries_of(bot)) == 1


def test_a_job_deactivated_while_the_modal_was_open_is_refused_on_job(bot: RunningBot) -> None:
    view = open_modal(bot)
    bot.services.jobs.set_active("1042", False)

    assert errors_for(bot, view) == {"job": "That job is no longer active. Pick another one."}
