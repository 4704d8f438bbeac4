"""`/history` arguments: every documented form, the refusals, and the button round trip."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.history_args import (
    HISTORY_HELP,
    HistoryArgs,
    HistoryArgsError,
    HistoryPeriod,
    HistoryQuery,
    is_history_help,
    parse_history_args,
)

TODAY = date(2026, 11, 27)  # a Friday


def period(text: str, today: date = TODAY, week_start: int = 0) -> tuple[date, date]:
    return parse_history_args(text).period.resolve(today, week_start)


def error_of(text: str) -> str:
    with pytest.raises(HistoryArgsError) as caught:
        parse_history_args(text)
    return caught.value.message


def test_no_text_is_the_last_30_days_including_today() -> None:
    assert parse_history_args("") == HistoryArgs()
    assert period("") == (date(2026, 10, 29), TODAY)
    assert period("   ") == (date(2026, 10, 29), TODAY)


def test_a_number_is_that_many_days() -> None:
    assert period("14") == (date(2026, 11, 14), TODAY)
    assert period("1") == (TODAY, TODAY)


@pytest.mark.parametrize("text", ["0", "367", "99999"])
def test_day_counts_out_of_range_are_refused(text: str) -> None:
    assert "between 1 and 366 days" in error_of(text)


def test_a_range_includes_both_ends() -> None:
    assert period("2026-11-01..2026-11-15") == (date(2026, 11, 1), date(2026, 11, 15))
    assert period("2026-11-01...2026-11-15") == (date(2026, 11, 1), date(2026, 11, 15))


def test_one_date_is_that_day() -> None:
    assert period("2026-11-03") == (date(2026, 11, 3), date(2026, 11, 3))


def test_a_backwards_or_impossible_range_is_explained() -> None:
    assert "ends before it starts" in error_of("2026-11-15..2026-11-01")
    assert "not a date" in error_of("2026-02-30..2026-03-02")
    assert "longer than 366 days" in error_of("2024-01-01..2026-01-01")


def test_named_weeks_follow_the_week_start() -> None:
    assert period("this week") == (date(2026, 11, 23), date(2026, 11, 29))
    assert period("last week") == (date(2026, 11, 16), date(2026, 11, 22))
    assert period("This Week") == (date(2026, 11, 23), date(2026, 11, 29))
    # Weeks starting on Sunday (6).
    assert period("this week", week_start=6) == (date(2026, 11, 22), date(2026, 11, 28))


def test_named_months() -> None:
    assert period("this month") == (date(2026, 11, 1), TODAY)
    assert period("last month") == (date(2026, 10, 1), date(2026, 10, 31))
    assert period("last month", today=date(2026, 1, 5)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert period("last month", today=date(2026, 3, 31)) == (date(2026, 2, 1), date(2026, 2, 28))


def test_an_escaped_mention_names_the_user() -> None:
    assert parse_history_args("<@U0ABC123|maria>").user_id == "U0ABC123"
    assert parse_history_args("<@W0ABC123>").user_id == "W0ABC123"
    args = parse_history_args("<@U0ABC123|maria> last week")
    assert args.user_id == "U0ABC123"
    assert args.period == HistoryPeriod("last_week")


def test_a_plain_at_name_asks_for_a_real_mention() -> None:
    message = error_of("@maria last week")
    assert "`@maria`" in message
    assert "@ list" in message


def test_two_people_at_once_is_refused() -> None:
    assert "one person" in error_of("<@U1> <@U2>")


def test_job_takes_the_rest_except_periods_and_mentions() -> None:
    assert parse_history_args("job smith residence").job_query == "smith residence"
    assert parse_history_args("job 1042").job_query == "1042"
    args = parse_history_args("14 job smith")
    assert (args.job_query, args.period.days) == ("smith", 14)
    args = parse_history_args("job route 66 diner last month")
    assert (args.job_query, args.period.kind) == ("route 66 diner", "last_month")
    args = parse_history_args("<@U1> job smith")
    assert (args.user_id, args.job_query) == ("U1", "smith")


def test_job_without_a_name_is_explained() -> None:
    assert "Say which job" in error_of("job")
    assert "Say which job" in error_of("last week job")


def test_unknown_words_and_two_periods_are_explained() -> None:
    assert "`yesterdayish`" in error_of("yesterdayish")
    assert "one period" in error_of("14 last week")


def test_help_words() -> None:
    assert is_history_help("help")
    assert is_history_help(" ? ")
    assert not is_history_help("14")
    assert "/history 14" in HISTORY_HELP


def test_asks_for_others() -> None:
    assert not parse_history_args("").asks_for_others("U1")
    assert not parse_history_args("<@U1>").asks_for_others("U1")
    assert parse_history_args("<@U2>").asks_for_others("U1")
    assert parse_history_args("job smith").asks_for_others("U1")


def test_query_round_trips_through_a_button_value() -> None:
    query = HistoryQuery(date(2026, 11, 1), date(2026, 11, 30), user_id="U1", job_id="1042", page=3)
    assert HistoryQuery.from_value(query.to_value()) == query
    team = HistoryQuery(date(2026, 11, 1), date(2026, 11, 30), job_id="1042")
    assert HistoryQuery.from_value(team.to_value()) == team
    assert len(query.to_value()) < 2000


@pytest.mark.parametrize("value", ["", "nonsense", "{}", '{"f": "2026-13-01", "l": "2026-11-30"}'])
def test_a_broken_button_value_is_explained(value: str) -> None:
    with pytest.raises(HistoryArgsError) as caught:
        HistoryQuery.from_value(value)
    assert "run /history again" in caught.value.message


@given(st.text(max_size=80))
def test_any_text_parses_or_explains(text: str) -> None:
    try:
        args = parse_history_args(text)
    except HistoryArgsError as exc:
        assert exc.message
    else:
        first, last = args.period.resolve(TODAY)
        assert first <= last


def test_unicode_digits_are_not_day_counts() -> None:
    assert "`²`" in error_of("²")
