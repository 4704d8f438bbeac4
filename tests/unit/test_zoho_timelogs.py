"""Mapping entries to Zoho time logs: pure functions, no IO."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from core.zoho.timelogs import (
    TimeLogRecord,
    chunk_for_bulk,
    describe,
    entry_id_in,
    hours_hhmm,
    idempotency_key,
    payload_for,
)
from tests.fakes.zoho_api import make_entry


def test_hours_are_formatted_as_zoho_hh_mm_rounded_to_the_minute() -> None:
    assert hours_hhmm(Decimal("8")) == "08:00"
    assert hours_hhmm(Decimal("8.25")) == "08:15"
    assert hours_hhmm(Decimal("0.5")) == "00:30"
    assert hours_hhmm(Decimal("7.9999")) == "08:00"
    assert hours_hhmm(Decimal("10.33")) == "10:20"


def test_description_starts_with_our_key_and_keeps_what_zoho_has_no_field_for() -> None:
    entry = make_entry("01J9ABC", notes="poured footings", change_order="CO-7")
    text = describe(entry)
    assert text.startswith("crewclock:01J9ABC ")
    assert "07:00-15:30" in text
    assert "lunch 12:00-12:30" in text
    assert "CO CO-7" in text
    assert text.endswith("poured footings")


def test_entry_id_is_read_only_from_the_first_token() -> None:
    assert entry_id_in("crewclock:abc | 07:00-15:30") == "abc"
    assert entry_id_in("  crewclock:abc") == "abc"
    assert entry_id_in("crewclock:abcd | x") != "abc"
    assert entry_id_in("note about crewclock:abc") is None
    assert entry_id_in("crewclock:") is None
    assert entry_id_in("") is None
    assert idempotency_key("abc") == "crewclock:abc"


def test_payload_uses_hours_not_start_end_so_lunch_is_not_counted() -> None:
    entry = make_entry(total_hours="8.0")  # 07:00-15:30 with a 30 minute lunch
    body = payload_for(entry, user="ana@crew.test", job_id="Z1").as_json()
    assert body == {
        "user": "ana@crew.test",
        "jobId": "Z1",
        "date": "2026-11-02",
        "hours": "08:00",
        "description": describe(entry),
    }
    assert "startTime" not in body and "timelogId" not in body


def test_edit_payload_carries_the_zoho_log_id() -> None:
    payload = payload_for(make_entry(), user="u", job_id="Z1").as_edit("4915")
    assert payload.as_json()["timelogId"] == "4915"


def test_matches_compares_content_not_formatting() -> None:
    payload = payload_for(make_entry(), user="u", job_id="Z1")
    record = TimeLogRecord("1", "u", "Z1", date(2026, 11, 2), "8:00", payload.description + " ")
    assert payload.matches(record)
    assert not payload.matches(TimeLogRecord("1", "u", "Z1", date(2026, 11, 2), "08:30", payload.description))
    assert not payload.matches(TimeLogRecord("1", "u", "Z2", date(2026, 11, 2), "08:00", payload.description))


def test_chunks_hold_at_most_100_logs() -> None:
    days = [date(2026, 11, 2)] * 250
    chunks = chunk_for_bulk(days, lambda day: day)
    assert [len(chunk) for chunk in chunks] == [100, 100, 50]


def test_chunks_span_at_most_31_consecutive_days() -> None:
    start = date(2026, 1, 1)
    days = [start + timedelta(days=n) for n in (40, 0, 30, 31, 10)]  # unsorted on purpose
    chunks = chunk_for_bulk(days, lambda day: day)
    for chunk in chunks:
        assert (max(chunk) - min(chunk)).days <= 30
    assert sorted(day for chunk in chunks for day in chunk) == sorted(days)
    assert len(chunks) == 2
