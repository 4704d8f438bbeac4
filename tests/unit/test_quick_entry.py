"""The `/hours` quick-entry grammar: every documented form, the errors, and fuzzing."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.domain.jobs import Job, resolve_quick_entry
from core.domain.quick_entry import (
    QUICK_ENTRY_HELP,
    QuickEntry,
    QuickEntryError,
    is_help,
    parse_quick_entry,
    place_lunch,
)

FRIDAY = date(2026, 11, 27)  # a Friday; "today" in most tests


def parse(text: str, today: date = FRIDAY) -> QuickEntry:
    return parse_quick_entry(text, today=today)


def error_of(text: str, today: date = FRIDAY) -> str:
    with pytest.raises(QuickEntryError) as caught:
        parse_quick_entry(text, today=today)
    assert caught.value.message == str(caught.value)
    return caught.value.message


def t(hh: int, mm: int = 0) -> time:
    return time(hh, mm)


# ---------------------------------------------------------------------------------------
# Times


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("7-3:30", t(7), t(15, 30)),
        ("7a-3:30p", t(7), t(15, 30)),
        ("7am-3:30pm", t(7), t(15, 30)),
        ("7 am - 3:30 pm", t(7), t(15, 30)),
        ("7a.m.-3:30p.m.", t(7), t(15, 30)),
        ("07:00-15:30", t(7), t(15, 30)),
        ("0700-1530", t(7), t(15, 30)),
        ("730-330", t(7, 30), t(15, 30)),
        ("7:15 - 15:45", t(7, 15), t(15, 45)),
        ("7 to 3:30", t(7), t(15, 30)),
        ("7–3:30", t(7), t(15, 30)),  # an en dash, as some keyboards type it
        ("6p-2a", t(18), t(2)),
        ("6pm-2am", t(18), t(2)),
        ("12a-8a", t(0), t(8)),
        ("12p-8p", t(12), t(20)),
        ("0:00-8:00", t(0), t(8)),
        ("23:59-0:00", t(23, 59), t(0)),
    ],
)
def test_time_forms(text: str, start: time, end: time) -> None:
    entry = parse(text)
    assert (entry.start_time, entry.end_time) == (start, end)
    assert entry.work_date == FRIDAY


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("7-3:30", t(7), t(15, 30)),  # end <= start, under 12: the afternoon
        ("8-7", t(8), t(19)),
        ("12-4", t(12), t(16)),  # end after start: taken as written
        ("7-11", t(7), t(11)),
        ("22-6", t(22), t(6)),  # 18:00 would still be before 22:00: overnight
        ("23-7", t(23), t(7)),
        ("13-3", t(13), t(15)),
        ("7-12", t(7), t(12)),
        ("7-0", t(7), t(0)),  # 0 is midnight, never "0 pm"
        ("07:00-03:00", t(7), t(3)),  # a leading zero is the 24-hour clock
        ("0700-0330", t(7), t(3, 30)),
    ],
)
def test_unitless_hours_read_as_a_working_day(text: str, start: time, end: time) -> None:
    entry = parse(text)
    assert (entry.start_time, entry.end_time) == (start, end)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("7-3:30pm", t(7), t(15, 30)),
        ("12-4p", t(12), t(16)),
        ("1-5pm", t(13), t(17)),
        ("11-7am", t(23), t(7)),
        ("7a-3:30", t(7), t(15, 30)),
        ("6p-2", t(18), t(2)),
        ("07:00-3pm", t(7), t(15)),
    ],
)
def test_one_side_with_am_pm_gives_the_shorter_shift(text: str, start: time, end: time) -> None:
    entry = parse(text)
    assert (entry.start_time, entry.end_time) == (start, end)


def test_overnight_shift_is_flagged() -> None:
    assert parse("6p-2a").crosses_midnight
    assert not parse("7-3:30").crosses_midnight


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:60-3", "minutes go from 00 to 59"),
        ("7-3:75", "minutes go from 00 to 59"),
        ("7-24", "hours go from 0 to 23"),
        ("25:00-3", "hours go from 0 to 23"),
        ("13pm-5pm", "with am/pm the hour goes from 1 to 12"),
        ("0am-5am", "with am/pm the hour goes from 1 to 12"),
        ("7:5-3", "two digits"),
    ],
)
def test_impossible_times_are_explained(text: str, expected: str) -> None:
    message = error_of(text)
    assert expected in message
    assert text.split("-")[0] in message or text.split("-")[1] in message


def test_same_start_and_end_is_refused() -> None:
    assert "both 07:00" in error_of("7a-7a")


def test_missing_times() -> None:
    message = error_of("smith")
    assert "start and end time" in message
    assert "/hours 7-3:30 smith" in message  # the examples come with it


def test_a_lone_time_asks_for_the_range() -> None:
    message = error_of("7am smith")
    assert "`7am`" in message and "start and an end" in message
    assert "start and an end" in error_of("7:00 smith")
    assert "start and an end" in error_of("smith 7-")


def test_two_ranges_are_refused() -> None:
    message = error_of("7-11 12-3:30")
    assert "two time ranges" in message and "`7-11`" in message and "`12-3:30`" in message


def test_empty_text_explains_with_examples() -> None:
    message = error_of("   ")
    assert "start and end time" in message and "/hours" in message


# ---------------------------------------------------------------------------------------
# Lunch


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("lunch 30", 30),
        ("lunch 30m", 30),
        ("lunch 30 m", 30),
        ("lunch 45min", 45),
        ("lunch 45 mins", 45),
        ("lunch 1h", 60),
        ("lunch 1hr", 60),
        ("lunch 1.5h", 90),
        ("lunch 1h30", 90),
        ("lunch 1h 15m", 75),
        ("lunch: 30", 30),
        ("LUNCH 30", 30),
    ],
)
def test_lunch_as_minutes_is_placed_at_noon(text: str, minutes: int) -> None:
    entry = parse(f"7-3:30 {text}")
    assert entry.lunch_minutes == minutes
    assert entry.lunch_start == t(12)
    assert entry.lunch_end == time(12 + minutes // 60, minutes % 60)


def test_lunch_as_minutes_outside_noon_is_centred() -> None:
    entry = parse("1p-9p lunch 30")
    # Midpoint 17:00, so 16:45-17:15.
    assert (entry.lunch_start, entry.lunch_end, entry.lunch_minutes) == (t(16, 45), t(17, 15), 30)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("7-3:30 lunch 12-12:30", t(12), t(12, 30)),
        ("7-3:30 lunch 12:00-12:30", t(12), t(12, 30)),
        ("7-3:30 lunch 1-1:30", t(13), t(13, 30)),  # unit-less: the 1 inside the shift
        ("7-3:30 lunch 11:45-12:15", t(11, 45), t(12, 15)),
        ("7-3:30 lunch 11:45a-12:15p", t(11, 45), t(12, 15)),
        ("6p-2a lunch 12-12:30", t(0), t(0, 30)),  # midnight lunch on a night shift
        ("6p-2a lunch 10-10:30", t(22), t(22, 30)),
    ],
)
def test_lunch_as_a_range(text: str, start: time, end: time) -> None:
    entry = parse(text)
    assert (entry.lunch_start, entry.lunch_end) == (start, end)
    assert entry.lunch_minutes is None


@pytest.mark.parametrize("text", ["7-3:30 no lunch", "7-3:30 No Lunch", "7-3:30 lunch 0", "7-3:30 lunch none"])
def test_no_lunch(text: str) -> None:
    entry = parse(text)
    assert entry.lunch_minutes == 0
    assert entry.lunch_start is None and entry.lunch_end is None


def test_lunch_not_mentioned() -> None:
    entry = parse("7-3:30")
    assert (entry.lunch_start, entry.lunch_end, entry.lunch_minutes) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7-3:30 lunch", "I couldn't read `lunch` on its own"),
        ("7-3:30 lunch soon", "I couldn't read `lunch soon`"),
        ("7-3:30 lunch 1", "hours or minutes? Write `lunch 1h` or `lunch 1m`"),
        ("7-3:30 lunch 1.33h", "whole number of minutes"),
        ("7-11 lunch 4h", "240-minute lunch doesn't fit in your 07:00–11:00 shift"),
        ("7-3:30 lunch 4-4:30", "isn't inside your 07:00–15:30 shift"),
        ("7-3:30 lunch 7-3:30", "isn't inside"),
        ("7-3:30 lunch 30 no lunch", "two lunches"),
        ("7-3:30 lunch 30 lunch 12-12:30", "two lunches"),
        ("7-3:30 lunch 12-12:75", "minutes go from 00 to 59"),
    ],
)
def test_lunch_errors(text: str, expected: str) -> None:
    assert expected in error_of(text)


# ---------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("today", FRIDAY),
        ("yesterday", date(2026, 11, 26)),
        ("tomorrow", date(2026, 11, 28)),
        ("fri", FRIDAY),  # today included
        ("friday", FRIDAY),
        ("thu", date(2026, 11, 26)),
        ("thurs", date(2026, 11, 26)),
        ("wed", date(2026, 11, 25)),
        ("tue", date(2026, 11, 24)),
        ("tues", date(2026, 11, 24)),
        ("mon", date(2026, 11, 23)),
        ("Monday", date(2026, 11, 23)),
        ("sun", date(2026, 11, 22)),
        ("sunday", date(2026, 11, 22)),
        ("sat", date(2026, 11, 21)),
        ("SATURDAY", date(2026, 11, 21)),
        ("2026-11-27", FRIDAY),
        ("2025-01-02", date(2025, 1, 2)),
        ("11/27", FRIDAY),
        ("11/28", date(2026, 11, 28)),  # tomorrow is still this year
        ("11/29", date(2025, 11, 29)),  # after tomorrow: last year
        ("12/25", date(2025, 12, 25)),
        ("1/5", date(2026, 1, 5)),
        ("11/27/2025", date(2025, 11, 27)),
        ("11/27/25", date(2025, 11, 27)),
    ],
)
def test_dates(word: str, expected: date) -> None:
    assert parse(f"{word} 7-3:30").work_date == expected
    assert parse(f"7-3:30 {word}").work_date == expected


def test_every_weekday_is_the_most_recent_one() -> None:
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    for offset in range(7):
        today = FRIDAY + timedelta(days=offset)
        for index, name in enumerate(names):
            got = parse(f"{name[:3]} 7-3", today=today).work_date
            assert got.weekday() == index
            assert timedelta(0) <= today - got < timedelta(days=7)


def test_month_day_across_new_year() -> None:
    assert parse("12/31 7-3", today=date(2027, 1, 2)).work_date == date(2026, 12, 31)
    assert parse("1/1 7-3", today=date(2026, 12, 31)).work_date == date(2027, 1, 1)  # tomorrow
    assert parse("2/29 7-3", today=date(2029, 1, 5)).work_date == date(2028, 2, 29)


@pytest.mark.parametrize("text", ["2/30 7-3", "13/1 7-3", "2026-02-30 7-3", "0000-01-01 7-3"])
def test_impossible_dates(text: str) -> None:
    message = error_of(text)
    assert text.split()[0] in message and "isn't a date" in message


def test_two_dates_are_refused() -> None:
    assert "two dates: `mon` and `11/27`" in error_of("mon 7-3 11/27")


# ---------------------------------------------------------------------------------------
# Job, change order, notes


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("7-3:30 job 1042", "1042"),
        ("7-3:30 job #1042", "1042"),
        ("7-3:30 job: 1042", "1042"),
        ("7-3:30 job smith residence", "smith residence"),
        ("job smith residence 7-3:30 lunch 30", "smith residence"),
        ("7-3:30 job Smith Residence co 17", "Smith Residence"),  # case kept for display
        ("7-3:30 job smith residence yesterday", "smith residence"),
        ("7-3:30 job sun valley", "sun valley"),  # the first word is always the job's
        ('7-3:30 job "sun valley" mon', "sun valley"),
        ('7-3:30 "sun valley"', "sun valley"),
        ("7-3:30 “sun valley”", "sun valley"),
        ("7-3:30 smith", "smith"),
        ("smith 7-3:30", "smith"),
        ("smith residence 7-3:30 lunch 30", "smith residence"),
        ("7-3:30 lunch 30 smith residence", "smith residence"),
        ("7-3:30 smith, jones", "smith jones"),
        ("7-3:30 1042", "1042"),
        ("7-3:30 smith & co", "smith & co"),  # `co` with no number is not a change order
    ],
)
def test_job_query(text: str, query: str) -> None:
    assert parse(text).job_query == query


def test_no_job() -> None:
    assert parse("yesterday 7-3:30 lunch 30 co 17").job_query is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7-3:30 job", "`job` needs a name or number"),
        ('7-3:30 job ""', "`job` needs a name or number"),
        ("7-3:30 job smith jones job 1042", "two jobs"),
        ("7-3:30 job 1042 smith lunch 30 jones", "two jobs: `job 1042 smith` and `jones`"),
    ],
)
def test_job_errors(text: str, expected: str) -> None:
    assert expected in error_of(text)


@pytest.mark.parametrize(
    ("text", "co"),
    [
        ("co 17", "17"),
        ("co #17", "17"),
        ("co: 17", "17"),
        ("co:17", "17"),
        ("co#17", "17"),
        ("CO 17", "17"),
        ("c.o. 17", "17"),
        ("change order 17", "17"),
        ("Change Order #17", "17"),
        ("co 17a", "17a"),
        ("co CO-17", "CO-17"),
    ],
)
def test_change_order(text: str, co: str) -> None:
    entry = parse(f"7-3:30 smith {text}")
    assert entry.change_order == co
    assert entry.job_query == "smith"


def test_change_order_default_and_duplicates() -> None:
    assert parse("7-3:30").change_order == ""
    assert "two change orders: `17` and `18`" in error_of("7-3:30 co 17 co 18")


@pytest.mark.parametrize(
    ("text", "notes"),
    [
        ("7-3:30 smith -- primed north wall", "primed north wall"),
        ("7-3:30 -- lunch 30 job 99 co 1 7-3", "lunch 30 job 99 co 1 7-3"),  # not parsed
        ("7-3:30 -- a -- b", "a -- b"),
        ("7-3:30 -- ✅ *bold* <@U123> '; DROP TABLE entries; --", "✅ *bold* <@U123> '; DROP TABLE entries; --"),
        ("7-3:30 -- line one\nline two", "line one\nline two"),
        ("7-3:30 --   spaced   out   ", "spaced   out"),
        ("7-3:30 --", ""),
        ("7-3:30 smith — primed", "primed"),  # a phone's em dash for --
        ("7-3:30 smith --primed", "primed"),
    ],
)
def test_notes_are_verbatim(text: str, notes: str) -> None:
    assert parse(text).notes == notes


def test_notes_without_times() -> None:
    assert "notes but no hours" in error_of("-- primed the wall")


# ---------------------------------------------------------------------------------------
# A weekday word that may start the job's name: `sun valley`

SMITH = Job("1042", "Smith Residence")
SUN_VALLEY = Job("2001", "Sun Valley Clinic")
HARBOR = Job("3001", "Harbor Office")
JOBS = [SMITH, SUN_VALLEY, HARBOR]
SUNDAY = date(2026, 11, 22)  # the Sunday before FRIDAY
MONDAY = date(2026, 11, 23)


def reading(text: str, jobs: list[Job] = JOBS, today: date = FRIDAY) -> tuple[QuickEntry, Job | None]:
    return resolve_quick_entry(jobs, parse(text, today=today))


def _alternative_query(text: str) -> str | None:
    alternative = parse(text).alternative
    assert alternative is not None and alternative.alternative is None
    assert alternative.work_date == FRIDAY
    return alternative.job_query


def test_a_weekday_before_the_job_words_also_reads_as_part_of_the_job() -> None:
    entry = parse("7-3:30 sun valley -- primed")
    assert (entry.work_date, entry.job_query) == (SUNDAY, "valley")
    assert entry.alternative == replace(entry, work_date=FRIDAY, job_query="sun valley", alternative=None)
    assert parse("Sun  Valley 7-3:30").alternative == replace(
        parse("Sun  Valley 7-3:30"), work_date=FRIDAY, job_query="Sun Valley", alternative=None
    )
    assert _alternative_query("sun valley 7-3 clinic") == "sun valley clinic"
    assert _alternative_query("7-3 sunday valley") == "sunday valley"
    assert _alternative_query("7-3 mon smith") == "mon smith"


@pytest.mark.parametrize(
    "text",
    [
        "7-3:30 job sun valley",  # the keyword says it all
        "7-3:30 sun job valley",
        "sun 7-3:30 valley",  # not adjacent
        "sun, valley 7-3:30",
        "sun lunch 30 valley 7-3:30",
        '7-3:30 sun "valley"',  # quoted apart from the weekday
        "valley sun 7-3:30",  # after the job words, not before
        "yesterday valley 7-3:30",  # not a weekday
        "11/27 valley 7-3:30",
        "sun 7-3:30",  # no job
        "7-3:30 smith",  # no date
    ],
)
def test_no_alternative_without_a_weekday_right_before_the_bare_job_words(text: str) -> None:
    assert parse(text).alternative is None


def test_sun_valley_is_todays_entry_on_the_sun_valley_job_whatever_the_day() -> None:
    for offset in range(7):
        today = FRIDAY + timedelta(days=offset)
        entry, job = reading("7a-3:30p lunch 30 sun valley -- primed north wall", today=today)
        assert (entry.work_date, entry.job_query, job) == (today, "sun valley", SUN_VALLEY), today
        assert (entry.start_time, entry.end_time, entry.lunch_start, entry.notes) == (
            t(7),
            t(15, 30),
            t(12),
            "primed north wall",
        )


@pytest.mark.parametrize(
    ("text", "work_date", "query", "job"),
    [
        ("7-3:30 mon smith", MONDAY, "smith", SMITH),  # no job is "mon smith": Monday
        ("7-3:30 sun smith", SUNDAY, "smith", SMITH),
        ("7-3:30 job sun valley", FRIDAY, "sun valley", SUN_VALLEY),
        ("7-3:30 SUN VALLEY", FRIDAY, "SUN VALLEY", SUN_VALLEY),
        ("sun val 7-3:30", FRIDAY, "sun val", SUN_VALLEY),  # a fragment, as anywhere
        ("7-3:30 sunday valley", SUNDAY, "valley", SUN_VALLEY),  # no job holds "sunday valley"
        ("sun 7-3:30 valley", SUNDAY, "valley", SUN_VALLEY),  # not adjacent: a date
        ("7-3:30 sun harbor", SUNDAY, "harbor", HARBOR),
        ("7-3:30 mon nowhere", MONDAY, "nowhere", None),
        ("7-3:30 mon", MONDAY, None, None),
    ],
)
def test_the_job_list_decides_between_the_readings(
    text: str, work_date: date, query: str | None, job: Job | None
) -> None:
    entry, found = reading(text)
    assert (entry.work_date, entry.job_query, found) == (work_date, query, job)


def test_the_phrase_must_start_a_word_and_keep_its_order() -> None:
    lemon = Job("4001", "Lemon Smith Co")
    assert reading("7-3:30 mon smith", [lemon])[0].work_date == MONDAY
    road = Job("4002", "Valley Sun Road")
    entry, job = reading("7-3:30 sun valley", [road])
    assert (entry.work_date, entry.job_query, job) == (SUNDAY, "valley", road)
    hyphen = Job("4003", "Sun-Valley Dental")
    assert reading("7-3:30 sun valley", [hyphen, road]) == (parse("7-3:30 sun valley").alternative, hyphen)


def test_several_jobs_holding_the_phrase_still_mean_today_and_ask_which() -> None:
    school = Job("2002", "Sun Valley School")
    entry, job = reading("7-3:30 sun valley", [*JOBS, school])
    assert (entry.work_date, entry.job_query, job) == (FRIDAY, "sun valley", None)
    exact = Job("2003", "Sun Valley")
    assert reading("7-3:30 sun valley", [*JOBS, school, exact])[1] == exact
    valley_road = Job("5001", "Valley Road")
    entry, job = reading("7-3:30 sunday valley", [*JOBS, valley_road])
    assert (entry.work_date, entry.job_query, job) == (SUNDAY, "valley", None)  # "valley" names two


# ---------------------------------------------------------------------------------------
# The issue's own examples, and order freedom


def test_issue_examples() -> None:
    assert parse("7-3:30 smith") == QuickEntry(FRIDAY, t(7), t(15, 30), job_query="smith")
    assert parse("7a-3:30p lunch 30 smith -- primed north wall") == QuickEntry(
        FRIDAY,
        t(7),
        t(15, 30),
        lunch_start=t(12),
        lunch_end=t(12, 30),
        lunch_minutes=30,
        job_query="smith",
        notes="primed north wall",
    )
    assert parse("yesterday 07:00-15:30 lunch 12-12:30 job 1042 co 17") == QuickEntry(
        date(2026, 11, 26),
        t(7),
        t(15, 30),
        lunch_start=t(12),
        lunch_end=t(12, 30),
        job_query="1042",
        change_order="17",
    )


def test_keywords_in_any_order_and_case() -> None:
    clauses = ["YESTERDAY", "7A-3:30P", "Lunch 30", "JOB 1042", "Co #17"]
    expected = QuickEntry(
        date(2026, 11, 26),
        t(7),
        t(15, 30),
        lunch_start=t(12),
        lunch_end=t(12, 30),
        lunch_minutes=30,
        job_query="1042",
        change_order="17",
        notes="x",
    )
    rng = random.Random(7)
    for _ in range(30):
        rng.shuffle(clauses)
        assert parse(" ".join(clauses) + " -- x") == expected, clauses


# ---------------------------------------------------------------------------------------
# help and place_lunch


@pytest.mark.parametrize("text", ["help", " HELP ", "?", "--help", "-h"])
def test_is_help(text: str) -> None:
    assert is_help(text)


@pytest.mark.parametrize("text", ["", "7-3 help", "helpers 7-3"])
def test_is_not_help(text: str) -> None:
    assert not is_help(text)


def test_help_text_documents_the_grammar() -> None:
    pieces = ["7-3:30", "7a-3:30p", "0700-1530", "6p-2a", "lunch 30", "lunch 12-12:30"]
    pieces += ["no lunch", "yesterday", "11/27", "2026-11-27", "job 1042", "co 17", " -- "]
    for piece in pieces:
        assert piece in QUICK_ENTRY_HELP, piece
    # Every example line in the help must itself parse.
    for line in QUICK_ENTRY_HELP.splitlines():
        if line.startswith("`/hours ") and line != "`/hours` alone opens the form.":
            parse(line.strip("`").removeprefix("/hours "))


@pytest.mark.parametrize(
    ("start", "end", "minutes", "expected"),
    [
        (t(7), t(15, 30), 30, (t(12), t(12, 30))),
        (t(12), t(16), 30, (t(12), t(12, 30))),  # starts at noon: still fits
        (t(7), t(12, 30), 30, (t(12), t(12, 30))),  # ends exactly at shift end
        (t(7), t(12, 20), 30, (t(9, 25), t(9, 55))),  # noon does not fit: midpoint 9:40
        (t(13), t(21), 45, (t(16, 40), t(17, 25))),  # ideal 16:37:30 rounds to 16:40
        (t(13, 3), t(21), 30, (t(16, 45), t(17, 15))),  # rounded on the clock, not the offset
        (t(18), t(2), 30, (t(21, 45), t(22, 15))),  # overnight
        (t(22), t(6), 60, (t(1, 30), t(2, 30))),  # a midpoint past midnight
        (t(11, 58), t(12, 31), 30, (t(12), t(12, 30))),
        (t(12, 1), t(12, 33), 30, (t(12, 1), t(12, 31))),  # 12:00 would leave the shift
    ],
)
def test_place_lunch(start: time, end: time, minutes: int, expected: tuple[time, time]) -> None:
    assert place_lunch(start, end, minutes) == expected


@pytest.mark.parametrize(("minutes"), [0, -5, 480, 600])
def test_place_lunch_refuses_impossible_lengths(minutes: int) -> None:
    with pytest.raises(ValueError):
        place_lunch(t(7), t(15), minutes)


def _on_line(start: time, t_: time) -> int:
    s = start.hour * 60 + start.minute
    m = t_.hour * 60 + t_.minute
    return m if m >= s else m + 1440


@given(
    start=st.integers(0, 1439),
    length=st.integers(2, 1440),
    data=st.data(),
)
def test_place_lunch_always_inside_the_shift(start: int, length: int, data: st.DataObject) -> None:
    minutes = data.draw(st.integers(1, length - 1))
    s = time(start // 60, start % 60)
    e_min = (start + length) % 1440
    e = time(e_min // 60, e_min % 60)
    lunch_start, lunch_end = place_lunch(s, e, minutes)
    ls = _on_line(s, lunch_start)
    le = ls + minutes
    assert (lunch_end.hour * 60 + lunch_end.minute) == le % 1440
    assert start <= ls and le <= start + length
    # At noon, or on a 5-minute mark unless the shift is too tight to allow one.
    assert lunch_start == t(12) or ls % 5 == 0 or length - minutes < 5


# ---------------------------------------------------------------------------------------
# Fuzzing: any text parses or explains itself; notes are never touched

# Pieces of the grammar, near misses and awkward characters, for the fuzzer to combine.
_PIECES = (
    "7-3:30 7a-3:30p 6p-2a 0700-1530 7 - -- — lunch no 30 1h 12-12:30 job co #17 change order "
    'mon sun 11/27 2026-02-30 today : # " “ smith am pm to , 13pm 99:99 0 ٣ ７'
)
_WORDS = st.sampled_from([*_PIECES.split(), "\n", "\t", "\u00a0"])
_TEXT = st.one_of(
    st.text(max_size=80),
    st.lists(_WORDS, max_size=14).map(" ".join),
    st.lists(st.one_of(_WORDS, st.text(max_size=6)), max_size=10).map("".join),
)


@settings(max_examples=600)
@given(text=_TEXT, today=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
@example(text="job " * 2000 + "x", today=FRIDAY)
@example(text="lunch " + "9" * 5000, today=FRIDAY)
@example(text="yesterday 7-3", today=date(1, 1, 1))
@example(text="tomorrow 7-3", today=date(9999, 12, 31))
@example(text="2/29 7-3", today=date(1, 1, 1))
def test_any_text_parses_or_raises_quick_entry_error(text: str, today: date) -> None:
    try:
        entry = parse_quick_entry(text, today=today)
    except QuickEntryError as error:
        assert error.message.strip()
        return
    assert isinstance(entry, QuickEntry)
    assert entry.start_time != entry.end_time
    if entry.lunch_start is not None:
        assert entry.lunch_end is not None
    if entry.alternative is not None:  # the same entry but for its date and job
        other = entry.alternative
        assert (other.work_date, other.alternative) == (today, None)
        assert replace(other, work_date=entry.work_date, job_query=entry.job_query) == replace(entry, alternative=None)


_CLAUSES = st.lists(
    st.sampled_from(["7-3:30", "yesterday", "lunch 30", "job 1042", "co 17", "smith", "6p-2a"]),
    min_size=1,
    max_size=4,
    unique=True,
).filter(lambda cs: "7-3:30" in cs or "6p-2a" in cs)


@given(head=_CLAUSES, notes=st.text(max_size=200), separator=st.sampled_from([" -- ", " —  ", " --"]))
def test_notes_after_the_separator_survive_verbatim(head: list[str], notes: str, separator: str) -> None:
    text = " ".join(head) + separator + notes
    try:
        entry = parse(text)
    except QuickEntryError as error:
        # Only the head can be at fault (two ranges, two jobs); never the notes.
        assert "two" in error.message
        return
    assert entry.notes == notes.strip()
