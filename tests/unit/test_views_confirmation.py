"""The confirmation message in every state it can show."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from bot.views.common import format_day, format_hours, sync_badge
from bot.views.confirmation import confirmation_message, summary_line
from core.domain.entry import SinkState, SyncStatus, TimeEntry

NOW = datetime(2026, 11, 27, 15, tzinfo=UTC)
ENTRY = TimeEntry(
    id="e1",
    slack_team_id="T1",
    slack_user_id="U1",
    user_email="pat@example.com",
    job_id="1042",
    job_name="Smith Residence",
    work_date=date(2026, 11, 27),
    start_time=time(7),
    end_time=time(15, 30),
    lunch_start=time(12),
    lunch_end=time(12, 30),
    total_hours=Decimal("8.00"),
    notes="",
    change_order="",
    created_at=NOW,
    updated_at=NOW,
    postgres=SinkState(SyncStatus.PENDING),
    zoho=SinkState(SyncStatus.OFF),
)
SAVED = SinkState(SyncStatus.SYNCED, synced_version=1)


def test_pending_reads_like_the_issue_says() -> None:
    assert summary_line(ENTRY) == "Logged 8.0 h · Smith Residence · Fri Nov 27 · ⏳ pending"


@pytest.mark.parametrize(
    ("postgres", "zoho", "badge"),
    [
        (SAVED, SinkState(SyncStatus.OFF), "✅ saved"),
        (
            SinkState(SyncStatus.PENDING, attempts=2, last_error="down"),
            SinkState(SyncStatus.OFF),
            "⚠️ not saved yet — retrying",
        ),
        (SinkState(SyncStatus.DEAD, attempts=8), SinkState(SyncStatus.OFF), "❌ failed — an admin has been told"),
        (SAVED, SinkState(SyncStatus.PENDING), "✅ saved · Zoho ⏳"),
        (SAVED, SinkState(SyncStatus.SYNCED, synced_version=1), "✅ saved · Zoho ✅"),
        (SAVED, SinkState(SyncStatus.PENDING, attempts=1), "✅ saved · Zoho ⚠️ retrying"),
        (SAVED, SinkState(SyncStatus.DEAD, attempts=8), "✅ saved · Zoho ❌ failed"),
    ],
)
def test_every_sync_state_has_its_badge(postgres: SinkState, zoho: SinkState, badge: str) -> None:
    assert sync_badge(replace(ENTRY, postgres=postgres, zoho=zoho)) == badge


def test_an_older_version_saved_is_not_this_version_saved() -> None:
    edited = replace(ENTRY, version=2, postgres=SAVED)

    assert sync_badge(edited) == "⏳ pending"


def test_the_message_has_details_notes_and_the_two_buttons() -> None:
    entry = replace(ENTRY, notes="primed <north> & south", change_order="17")

    message = confirmation_message(entry)

    assert message.text == summary_line(entry)
    assert message.blocks[1]["elements"][0]["text"] == "07:00–15:30 · lunch 12:00–12:30 · CO 17"
    assert message.blocks[2]["elements"][0]["text"] == "_primed &lt;north&gt; &amp; south_"
    actions = message.blocks[-1]
    assert actions["block_id"] == "entry:e1"
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [("entry_edit", "e1"), ("entry_delete", "e1")]
    assert actions["elements"][1]["confirm"]["confirm"]["text"] == "Delete"


def test_job_names_are_escaped_in_blocks_but_not_in_the_plain_fallback() -> None:
    entry = replace(ENTRY, job_name="A&B <Remodel>")

    message = confirmation_message(entry)

    assert "A&amp;B &lt;Remodel&gt;" in message.blocks[0]["text"]["text"]
    assert "A&B <Remodel>" in message.text


def test_a_deleted_entry_is_struck_through_without_buttons() -> None:
    message = confirmation_message(replace(ENTRY, deleted=True, version=2))

    assert message.text.startswith("Deleted 8.0 h · Smith Residence")
    assert message.blocks[0]["text"]["text"].startswith("~Deleted")
    assert all(b["type"] != "actions" for b in message.blocks)


def test_format_hours_keeps_quarters_and_drops_noise() -> None:
    assert [format_hours(Decimal(v)) for v in ("8", "7.5", "7.75", "0.25", "10.00")] == [
        "8.0",
        "7.5",
        "7.75",
        "0.25",
        "10.0",
    ]


def test_days_read_as_english_short_names_all_year() -> None:
    assert format_day(date(2026, 11, 27)) == "Fri Nov 27"
    assert format_day(date(2027, 1, 3)) == "Sun Jan 3"
    first = date(2026, 1, 1)
    for day in (first + timedelta(days=n) for n in range(366)):
        assert format_day(day) == f"{day:%a %b} {day.day}"  # as strftime writes them in the C locale
