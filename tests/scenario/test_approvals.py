"""Weekly approval through the real HTTP endpoint: the digest's Approve button locks the week on the
Redis write path (for the manager too), the Home's Reopen unlocks it; the digest and DM carry a chart."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

from bot.views.approvals import APPROVE_ACTION, REOPEN_ACTION
from bot.views.payroll import PAYROLL_ACTION
from core.domain.clock import week_range
from core.domain.entry import Actor, EntryDraft
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_requests import (
    USER_ID,
    app_home_opened_event,
    block_actions_body,
    event_body,
    slash_command_body,
    view_for_payload,
)
from tests.scenario.conftest import RunningBot, entries_of, json_param, texts_in, wait_until
from tests.scenario.test_entry_actions import edit_via_modal, record

MANAGER = "U0MGR0001"
LOCKED = f"That week was approved by <@{MANAGER}> and is locked; ask a manager to reopen it."


def crew_bot(start_bot: Callable[..., RunningBot]) -> RunningBot:
    bot = start_bot(
        timezone="America/Chicago",
        weekly_summary_day=0,  # due from Monday 00:00: always due when the test runs
        weekly_summary_time=time(0, 0),
        manager_user_ids=frozenset({MANAGER}),
    )
    bot.slack.set_user(USER_ID, tz="America/Chicago", real_name="Pat Painter")
    bot.slack.set_user(MANAGER, tz="America/Chicago", real_name="Morgan Manager")
    return bot


def digest_of(bot: RunningBot) -> dict[str, Any]:
    channel = bot.slack.dm_channel(MANAGER)
    found = [m for m in bot.slack.messages(channel) if m["text"].startswith("Crew hours")]
    return found[-1] if found else {}


def run_weekly(bot: RunningBot) -> Any:
    job = bot.services.scheduler.get_job("weekly-summary")
    job.modify(next_run_time=datetime(2100, 1, 1, tzinfo=UTC))  # only this run, here and now
    return job.func()


def click_in_message(bot: RunningBot, message: dict[str, Any], action_id: str, user_id: str) -> None:
    [button] = [b["accessory"] for b in message["blocks"] if b.get("accessory", {}).get("action_id") == action_id]
    body = block_actions_body(
        action_id, value=button["value"], user_id=user_id, channel_id=message["channel"], message_ts=message["ts"],
        message=message,
    )  # fmt: skip
    assert bot.post(body).status == 200


def quick(bot: RunningBot, text: str) -> str:
    return str(bot.post(slash_command_body("/hours", text=text)).json()["text"])


def test_approve_from_the_digest_locks_the_week_until_a_manager_reopens_it(
    start_bot: Callable[..., RunningBot],
) -> None:
    bot = crew_bot(start_bot)
    entry, confirmation = record(bot, "7-3:30 lunch 30 job 1042")

    report = run_weekly(bot)
    assert len(report.sent) == 2 and len(report.charts) == 2  # Pat's week and the managers' digest, each with a chart
    digest = digest_of(bot)
    assert "Pat Painter — 8.0 h\n_Not approved yet_" in texts_in(digest["blocks"])

    click_in_message(bot, digest, APPROVE_ACTION, MANAGER)

    approved = wait_until(lambda: "✅ Approved by" in texts_in(digest_of(bot)["blocks"]) and digest_of(bot))
    assert f"✅ Approved by <@{MANAGER}>" in texts_in(approved["blocks"])
    [row] = [b for b in approved["blocks"] if b.get("block_id") == f"approval:{USER_ID}"]
    assert row["accessory"]["action_id"] == REOPEN_ACTION

    # Locked on the Redis write path: a new entry, and an edit even by the manager.
    answer = quick(bot, "4p-6p job 2001")
    assert answer.startswith("*Not saved:*") and LOCKED in answer
    result = edit_via_modal(bot, entry, confirmation, MANAGER, end="16:00")
    assert result["answer"] == {"response_action": "errors", "errors": {"work_date": LOCKED}}
    [still] = entries_of(bot)
    assert (still.version, f"{still.end_time:%H:%M}") == (1, "15:30")

    # The manager opens the Home: the crew's week with Reopen; a click reopens it.
    assert bot.post(event_body(app_home_opened_event(MANAGER))).status == 200
    home = wait_until(lambda: bot.slack.calls("views.publish"))[-1]
    view = json_param(home, "view")
    [button] = [b["accessory"] for b in view["blocks"] if b.get("block_id") == f"approval:{USER_ID}"]
    assert button["action_id"] == REOPEN_ACTION
    before = len(bot.slack.calls("views.publish"))
    home_view = view_for_payload("V0HOME0001", view_type="home", callback_id="", blocks=view["blocks"])
    reopen = block_actions_body(REOPEN_ACTION, value=button["value"], user_id=MANAGER, view=home_view)
    assert bot.post(reopen).status == 200
    republished = json_param(bot.slack.wait_for("views.publish", before + 1)[-1], "view")
    assert "↩️ Reopened by" in texts_in(republished["blocks"])

    result = edit_via_modal(bot, entry, confirmation, MANAGER, end="16:00")
    assert result["answer"] is None  # saved: the modal closes
    wait_until(lambda: entries_of(bot)[0].version == 2, what="the edit after reopening")


def test_the_weekly_dm_and_the_digest_each_carry_a_png_chart_of_the_week(start_bot: Callable[..., RunningBot]) -> None:
    bot = crew_bot(start_bot)
    record(bot, "7-3:30 lunch 30 job 1042")
    record(bot, "4p-6p job 2001")

    report = run_weekly(bot)

    uploads = bot.slack.uploads()
    assert len(uploads) == 2 and sorted(report.charts) == sorted(report.sent)
    by_channel = {u.channel_id: u for u in uploads}
    for user in (USER_ID, MANAGER):
        upload = by_channel[bot.slack.dm_channel(user)]  # files_upload_v2 to the DM channel
        assert upload.filename.endswith(".png") and upload.content is not None
        assert upload.content.startswith(b"\x89PNG\r\n\x1a\n")
        image = Image.open(io.BytesIO(upload.content))
        image.load()
        assert image.size == (960, 480)
        # Seven day-bars; today's is stacked from two jobs, and its colours are in the picture.
        rgb = image.convert("RGB")
        colours = {rgb.getpixel((x, y)) for x in range(56, 740, 4) for y in range(48, 424, 4)}
        assert {(0, 114, 178), (230, 159, 0)} <= colours


def test_export_payroll_from_a_managers_home_sends_last_weeks_csv(start_bot: Callable[..., RunningBot]) -> None:
    bot = crew_bot(start_bot)
    today = datetime.now(ZoneInfo("America/Chicago")).date()
    last_monday = week_range(today)[0] - timedelta(days=7)
    for day in range(5):  # 5 x 9 h last week: 5 h of overtime
        day_worked = last_monday + timedelta(days=day)
        draft = EntryDraft(TEAM_ID, USER_ID, "1042", "Smith Residence", day_worked, time(6), time(15))
        bot.services.entries.record_entry(draft, actor=Actor(TEAM_ID, USER_ID))
    bot.settle()
    assert bot.post(event_body(app_home_opened_event(MANAGER))).status == 200
    view = json_param(wait_until(lambda: bot.slack.calls("views.publish"))[-1], "view")
    [button] = [
        e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == PAYROLL_ACTION
    ]
    assert button["text"]["text"] == "Export payroll (last week)"

    home_view = view_for_payload("V0HOME0001", view_type="home", callback_id="", blocks=view["blocks"])
    click = block_actions_body(PAYROLL_ACTION, value=button["value"], user_id=MANAGER, view=home_view)
    assert bot.post(click).status == 200

    upload = wait_until(lambda: bot.slack.uploads(), what="the payroll CSV")[0]
    assert upload.channel_id == bot.slack.dm_channel(MANAGER) and upload.filename.endswith(".csv")
    assert "5 entries, 1 worker-weeks, overtime past 40 h a week" in upload.initial_comment
    rows = list(csv.reader(io.StringIO(upload.text)))
    gap = rows.index([])
    summary = dict(zip(rows[gap + 2], rows[gap + 3], strict=True))
    assert (summary["user"], summary["regular_hours"], summary["overtime_hours"]) == ("Pat Painter", "40.00", "5.00")
