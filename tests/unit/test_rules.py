from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from core.domain.rules import EntryValidationError, total_hours, validate_draft
from tests.support.builders import draft

TODAY = date(2026, 11, 27)


def errors_of(**kwargs: object) -> dict[str, str]:
    with pytest.raises(EntryValidationError) as info:
        validate_draft(draft(day=kwargs.pop("day", TODAY), **kwargs), today=TODAY, max_backdate_days=60)  # type: ignore[arg-type]
    return info.value.errors


def test_total_hours_subtracts_lunch_and_rounds_to_two_decimals() -> None:
    assert total_hours(time(7), time(15, 30), time(12), time(12, 30)) == Decimal("8.00")
    assert total_hours(time(7), time(15, 20)) == Decimal("8.33")


def test_a_shift_crossing_midnight_is_counted_right() -> None:
    assert total_hours(time(22), time(6), time(2), time(2, 30)) == Decimal("7.50")
    validate_draft(
        draft(day=TODAY, start=time(22), end=time(6), lunch=(time(2), time(2, 30))), today=TODAY, max_backdate_days=60
    )


def test_end_equal_to_start_names_the_end_field() -> None:
    assert errors_of(start=time(8), end=time(8), lunch=None) == {"end_time": "End must be after start."}


def test_lunch_outside_the_shift_is_refused_on_the_lunch_field() -> None:
    assert "lunch_start" in errors_of(lunch=(time(6), time(6, 30)))
    assert "lunch_end" in errors_of(lunch=(time(15), time(16)))
    assert errors_of(lunch=(time(12, 30), time(12)))["lunch_end"] == "Lunch end must be after lunch start."


def test_half_a_lunch_asks_for_both() -> None:
    errors = errors_of(lunch=(time(12), None))  # type: ignore[arg-type]
    assert errors == {"lunch_end": "Give both lunch start and lunch end, or neither."}


def test_dates_after_tomorrow_or_past_the_window_are_refused() -> None:
    validate_draft(draft(day=TODAY + timedelta(days=1)), today=TODAY, max_backdate_days=60)
    assert "tomorrow" in errors_of(day=TODAY + timedelta(days=2))["work_date"]
    assert "60 days" in errors_of(day=TODAY - timedelta(days=61))["work_date"]


def test_notes_longer_than_3000_characters_are_refused_and_counted() -> None:
    assert errors_of(notes="x" * 3001)["notes"] == "Notes can be at most 3,000 characters (these are 3,001)."


def test_every_broken_rule_is_reported_at_once() -> None:
    errors = errors_of(job_id="", day=TODAY + timedelta(days=5), notes="x" * 4000)
    assert set(errors) == {"job", "work_date", "notes"}


def test_a_nul_character_postgres_cannot_store_is_refused_up_front() -> None:
    assert "U+0000" in errors_of(notes="primed\x00wall")["notes"]
    assert "U+0000" in errors_of(change_order="1\x007")["change_order"]
