import json
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal

from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.hot import codec

ENTRY = TimeEntry(
    id="0b7f9a3e-8c51-4a51-9d43-2a4a9f7b1c11",
    slack_team_id="T0CREW",
    slack_user_id="U1",
    user_email="maria@example.com",
    job_id="1042",
    job_name="Smith Residence",
    work_date=date(2026, 11, 27),
    start_time=time(7, 0),
    end_time=time(15, 30),
    lunch_start=time(12, 0),
    lunch_end=time(12, 30),
    total_hours=Decimal("8.00"),
    notes='primed north wall <b>"quoted"</b> ; DROP TABLE time_entries; — ünïcode ✅',
    change_order="17",
    created_at=datetime(2026, 11, 27, 15, 31, 2, tzinfo=UTC),
    updated_at=datetime(2026, 11, 27, 15, 31, 2, tzinfo=UTC),
    version=3,
    postgres=SinkState(SyncStatus.PENDING, 2, 2, 3, "Postgres unavailable", 1764258000.5),
    zoho=SinkState(SyncStatus.OFF),
)


def test_round_trip_keeps_every_field_and_notes_verbatim() -> None:
    assert codec.decode(ENTRY.id, codec.encode(ENTRY), ENTRY.user_email) == ENTRY


def test_round_trip_without_lunch_and_deleted() -> None:
    entry = replace(ENTRY, lunch_start=None, lunch_end=None, deleted=True, total_hours=Decimal("8.50"))
    assert codec.decode(ENTRY.id, codec.encode(entry), ENTRY.user_email) == entry


def test_clean_sink_states_are_stored_as_one_number() -> None:
    synced = replace(ENTRY, postgres=SinkState(SyncStatus.SYNCED, synced_version=3))
    text = codec.encode(synced)
    assert text.endswith(",3,0]")
    assert codec.decode(ENTRY.id, text, ENTRY.user_email) == synced


def test_a_typical_entry_encodes_in_under_150_bytes() -> None:
    plain = replace(ENTRY, notes="primed north wall", postgres=SinkState(SyncStatus.SYNCED, synced_version=3))
    assert len(codec.encode(plain).encode()) < 150


def test_who_changed_it_is_kept_only_when_not_the_owner() -> None:
    owner_made = replace(ENTRY, updated_by="U1")
    assert codec.encode(owner_made) == codec.encode(ENTRY)  # no extra position: no extra bytes
    assert codec.decode(ENTRY.id, codec.encode(owner_made), ENTRY.user_email).changed_by == "U1"
    manager_made = replace(ENTRY, updated_by="U0MGR")
    decoded = codec.decode(ENTRY.id, codec.encode(manager_made), ENTRY.user_email)
    assert decoded == manager_made
    assert decoded.changed_by == "U0MGR"


def test_an_entry_stored_before_the_audit_trail_decodes() -> None:
    text = codec.encode(ENTRY)
    assert len(json.loads(text)) == codec.F.UPDATED_BY  # the old 18-position form
    assert codec.decode(ENTRY.id, text, ENTRY.user_email).updated_by == ""
