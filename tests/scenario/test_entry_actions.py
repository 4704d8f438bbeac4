"""Edit and Delete on a confirmation: own entries, someone else's as crew (refused), as a manager."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.domain.entry import TimeEntry
from tests.fakes.slack_requests import USER_ID, block_actions_body, slash_command_body
from tests.scenario.conftest import RunningBot, entries_of, submission, texts_in, wait_until

CREW_MATE = "U0CREW002"
MANAGER = "U0MANAGER"


def record(bot: RunningBot, text: str = "7-3:30 job 1042", user_id: str = USER_ID) -> tuple[TimeEntry, dict[str, Any]]:
    """A quick entry and its confirmation DM (as FakeSlack holds it)."""
    before = len(bot.slack.calls("chat.postMessage"))
    assert bot.post(slash_command_body(text=text, user_id=user_id)).status == 200
    post = bot.slack.wait_for("chat.postMessage", before + 1)[-1]
    channel, ts = post["response"]["channel"], post["response"]["ts"]
    message = bot.slack.message(channel, ts) | {"channel": channel}
    [entry_id] = [b["block_id"].removeprefix("entry:") for b in message["blocks"] if b["type"] == "actions"]
    [entry] = [e for e in entries_of(bot, user_id) if e.id == entry_id]
    return entry, message


def click(bot: RunningBot, action_id: str, entry: TimeEntry, message: dict[str, Any], user_id: str) -> None:
    body = block_actions_body(
        action_id, value=entry.id, user_id=user_id, channel_id=message["channel"], message_ts=message["ts"]
    )
    response = bot.post(body)
    assert response.status == 200
    assert response.body == b""


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {
        e["text"]["text"]: e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    }


def edit_via_modal(bot: RunningBot, entry: TimeEntry, message: dict[str, Any], user_id: str, **changes: Any) -> dict:
    before = len(bot.slack.calls("views.open"))
    click(bot, "entry_edit", entry, message, user_id)
    view = bot.slack.wait_for("views.open", before + 1)[-1]["response"]["view"]
    values = {
        b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"
    }  # what the modal was prefilled with, submitted back with the changes
    state = {
        "job": {"job_select": {"type": "static_select", "selected_option": values["job"]["initial_option"]}},
        "work_date": {"date": {"type": "datepicker", "selected_date": values["work_date"]["initial_date"]}},
        "start_time": {"time": {"type": "timepicker", "selected_time": values["start_time"]["initial_time"]}},
        "end_time": {"time": {"type": "timepicker", "selected_time": changes.get("end", "15:30")}},
        "lunch_start": {"time": {"type": "timepicker", "selected_time": None}},
        "lunch_end": {"time": {"type": "timepicker", "selected_time": None}},
        "notes": {"text": {"type": "plain_text_input", "value": changes.get("notes")}},
        "change_order": {"text": {"type": "plain_text_input", "value": None}},
    }
    response = bot.post(submission(view, state, user_id=user_id))
    assert response.status == 200
    return {"view": view, "answer": response.json()}


def test_the_confirmation_has_edit_and_delete_with_a_confirm_dialog(bot: RunningBot) -> None:
    _, message = record(bot)

    assert buttons(message) == {"Edit": "entry_edit", "Delete": "entry_delete"}
    delete = next(
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["text"]["text"] == "Delete"
    )
    assert delete["confirm"]["title"]["text"] == "Delete this entry?"


def test_editing_my_entry_bumps_its_version_everywhere_and_updates_the_dm(bot: RunningBot) -> None:
    entry, message = record(bot)
    bot.settle()

    result = edit_via_modal(bot, entry, message, USER_ID, end="16:30", notes="rain delay")

    assert result["answer"] is None  # closed
    view = result["view"]
    assert view["title"]["text"] == "Edit hours"
    [edited] = entries_of(bot)
    assert (edited.id, edited.version, f"{edited.end_time:%H:%M}", edited.notes) == (entry.id, 2, "16:30", "rain delay")
    bot.settle()
    saved = bot.services.sql.get(entry.id)
    assert saved is not None and (saved.version, f"{saved.end_time:%H:%M}") == (2, "16:30")
    wait_until(
        lambda: (
            bot.slack.message(message["channel"], message["ts"])["text"].startswith("Logged 9.5 h")
            and "✅ saved" in bot.slack.message(message["channel"], message["ts"])["text"]
        ),
        what="confirmation shows the edit, saved",
    )


def test_deleting_my_entry_leaves_a_tombstone_in_postgres_and_strikes_the_dm(bot: RunningBot) -> None:
    entry, message = record(bot)

    click(bot, "entry_delete", entry, message, USER_ID)

    wait_until(lambda: entries_of(bot) == [], what="entry gone from Redis reads")
    bot.settle()
    saved = bot.services.sql.get(entry.id)
    assert saved is not None and saved.deleted and saved.version == 2
    shown = wait_until(
        lambda: (m := bot.slack.message(message["channel"], message["ts"]))["text"].startswith("Deleted") and m,
        what="confirmation struck through",
    )
    assert buttons(shown) == {}
    assert texts_in(shown["blocks"]).startswith("~Deleted 8.5 h")


def test_a_crew_member_cannot_edit_or_delete_someone_elses_entry(bot: RunningBot) -> None:
    entry, message = record(bot)

    click(bot, "entry_delete", entry, message, CREW_MATE)
    click(bot, "entry_edit", entry, message, CREW_MATE)

    refusals = bot.slack.wait_for("chat.postEphemeral", 2)
    assert {(c["params"]["channel"], c["params"]["user"]) for c in refusals} == {(message["channel"], CREW_MATE)}
    assert all(c["params"]["text"].startswith("You can only change your own entries.") for c in refusals)
    assert bot.slack.calls("views.open") == []
    [still] = entries_of(bot)
    assert (still.version, still.deleted) == (1, False)


def test_a_manager_can_edit_and_delete_a_crew_members_entry(start_bot: Callable[..., RunningBot]) -> None:
    bot = start_bot(manager_user_ids=frozenset({MANAGER}))
    entry, message = record(bot)

    result = edit_via_modal(bot, entry, message, MANAGER, end="16:00")

    assert "Editing <@U0CREW001>'s entry." in texts_in(result["view"]["blocks"])
    [edited] = entries_of(bot)
    assert (edited.slack_user_id, edited.version, f"{edited.end_time:%H:%M}") == (USER_ID, 2, "16:00")

    click(bot, "entry_delete", edited, message, MANAGER)

    wait_until(lambda: entries_of(bot) == [], what="deleted by the manager")
    bot.settle()
    saved = bot.services.sql.get(entry.id)
    assert saved is not None and saved.deleted


def test_managers_from_the_slack_user_group_may_delete_too(
    start_bot: Callable[..., RunningBot],
) -> None:
    bot = start_bot(manager_usergroup_id="S0LEADS")
    bot.slack.set_usergroup("S0LEADS", ["U0LEAD"])
    entry, message = record(bot)

    click(bot, "entry_delete", entry, message, "U0LEAD")

    wait_until(lambda: entries_of(bot) == [], what="deleted by the group's member")
