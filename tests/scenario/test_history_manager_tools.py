"""/history's manager tools through the real HTTP endpoint: an entry's audit trail, approved weeks,
Export payroll on team views, and `/history chart` (a PNG to the caller's DM)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, time, timedelta

import pytest
from PIL import Image

from bot.charts import hours_chart
from bot.views.history import ENTRY_HISTORY_ACTION
from bot.views.payroll import PAYROLL_ACTION
from core.domain.clock import week_range
from core.domain.entry import Actor, EntryDraft
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_requests import USER_ID
from tests.scenario.conftest import RunningBot, texts_in
from tests.scenario.test_history import (
    MANAGER,
    answer_of,
    buttons,
    click,
    log_hours,
    responses,
    today,
)

BOSS = Actor(TEAM_ID, MANAGER, is_manager=True)


@pytest.fixture
def manager_bot(start_bot: Callable[..., RunningBot]) -> RunningBot:
    return start_bot(manager_user_ids=frozenset({MANAGER}))


def log_without_lunch(bot: RunningBot, day: date, start: int, end: int, job: tuple[str, str]) -> None:
    draft = EntryDraft(TEAM_ID, USER_ID, job[0], job[1], day, time(start), time(end))
    bot.services.entries.record_entry(draft, actor=Actor(TEAM_ID, USER_ID))


def history_button(answer: dict, entry_id: str) -> dict:
    [button] = [
        b["accessory"]
        for b in answer["blocks"]
        if b.get("accessory", {}).get("action_id") == ENTRY_HISTORY_ACTION and b["accessory"]["value"] == entry_id
    ]
    return button


def test_a_manager_opens_an_entrys_history_from_history(manager_bot: RunningBot) -> None:
    bot = manager_bot
    entry = log_hours(bot, day=today(), notes="primed")
    bot.settle()
    draft = EntryDraft(TEAM_ID, USER_ID, "2001", "Sun Valley Clinic", today(), time(7), time(16), notes="primed")
    bot.services.entries.edit_entry(entry.id, draft, actor=BOSS)
    bot.settle()

    crew_view = answer_of(bot, "this week")
    assert not any(b.get("accessory", {}).get("action_id") == ENTRY_HISTORY_ACTION for b in crew_view["blocks"])
    answer = answer_of(bot, f"<@{USER_ID}> this week", user_id=MANAGER)

    [shown] = responses(bot, click(bot, history_button(answer, entry.id), user_id=MANAGER))

    assert shown["replace_original"] is False  # a new message under the list
    text = texts_in(shown["blocks"])
    assert f"*v1 · Created* by <@{USER_ID}>" in text
    assert "Smith Residence (1042)" in text and "07:00–15:30 · 8.00 h" in text
    assert f"*v2 · Edited* by <@{MANAGER}>" in text
    assert "• Job: Smith Residence → Sun Valley Clinic" in text
    assert "• End: 15:30 → 16:00" in text
    assert "• Lunch start: 12:00 → —" in text
    assert "• Hours: 8.00 → 9.00" in text


def test_an_approved_week_says_who_approved_it_in_history(manager_bot: RunningBot) -> None:
    bot = manager_bot
    log_hours(bot, day=today())
    bot.services.approvals.approve_week(BOSS, TEAM_ID, USER_ID, today())

    answer = answer_of(bot, "this week")

    first = week_range(today())[0]
    assert f"✅ Week of {first:%b} {first.day}: Approved by <@{MANAGER}> on " in texts_in(answer["blocks"])


def test_export_payroll_from_a_job_view_sends_the_csv_with_the_weekly_split(manager_bot: RunningBot) -> None:
    bot = manager_bot
    bot.slack.set_user(USER_ID, tz="America/Chicago", real_name="Pat Painter")
    first = week_range(today())[0] - timedelta(days=7)  # last week: six 9-hour days on one job
    for day in range(6):
        log_hours(bot, day=first + timedelta(days=day), start=time(6), end=time(15, 30))
    log_hours(bot, day=today(), job=("2001", "Sun Valley Clinic"))  # another job: not in the job view
    answer = answer_of(bot, f"{first}..{first + timedelta(days=6)} job 1042", user_id=MANAGER)
    assert PAYROLL_ACTION not in buttons(answer_of(bot, "this week"))  # not on a crew member's own view

    [notice] = responses(bot, click(bot, buttons(answer)[PAYROLL_ACTION], user_id=MANAGER))

    assert notice["text"] == "Payroll CSV with 6 entries and 1 worker-weeks sent to your DMs."
    [upload] = bot.slack.uploads()
    assert upload.channel_id == bot.slack.dm_channel(MANAGER)
    rows = list(csv.reader(io.StringIO(upload.text)))
    gap = rows.index([])
    assert len(rows[1:gap]) == 6 and {r[6] for r in rows[1:gap]} == {"1042"}
    summary = dict(zip(rows[gap + 2], rows[gap + 3], strict=True))
    assert (summary["user"], summary["total_hours"], summary["regular_hours"], summary["overtime_hours"]) == (
        "Pat Painter",
        "54.00",
        "40.00",
        "14.00",
    )


def test_history_chart_uploads_the_png_of_the_range_with_a_bar_per_day(bot: RunningBot) -> None:
    first = week_range(today())[0]
    log_without_lunch(bot, first, 7, 15, ("1042", "Smith Residence"))
    log_without_lunch(bot, first + timedelta(days=1), 7, 11, ("1042", "Smith Residence"))
    log_without_lunch(bot, first + timedelta(days=1), 13, 17, ("2001", "Sun Valley Clinic"))

    [notice] = responses(bot, answer_of_method(bot, "chart this week"))

    assert notice["text"] == "Chart of 3 entries sent to your DMs with me."
    [upload] = bot.slack.uploads()
    assert upload.channel_id == bot.slack.dm_channel(USER_ID) and upload.filename.endswith(".png")
    assert upload.content is not None and upload.content.startswith(b"\x89PNG\r\n\x1a\n")
    Image.open(io.BytesIO(upload.content)).load()
    # The uploaded bytes are exactly the chart of those entries: 7 day-bars, 3 job segments.
    listed = bot.services.entries.list_user_entries(
        actor=Actor(TEAM_ID, USER_ID), team_id=TEAM_ID, user_id=USER_ID, first=first, last=first + timedelta(days=6)
    )
    period = f"{first:%b} {first.day} – {(first + timedelta(days=6)):%b} {(first + timedelta(days=6)).day}"
    chart = hours_chart(listed.entries, first, first + timedelta(days=6), title=f"Hours · {period}, {first.year}")
    assert (len(chart.bars), chart.segment_count) == (7, 3)
    assert [len(bar.segments) for bar in chart.bars][:2] == [1, 2]
    assert upload.content == chart.png


def answer_of_method(bot: RunningBot, text: str) -> str:
    from tests.scenario.test_history import history

    ack, method = history(bot, text)
    assert ack is None
    return method
