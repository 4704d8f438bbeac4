"""Quick entry: the one-line grammar of ``/hours <text>``, parsed into plain data.

Pure: no IO, no Slack, no clock of its own (the caller passes ``today``).

Grammar (keywords are case-insensitive and may come in any order before ``--``):

Times (required, one range)
    ``7-3:30``, ``7a-3:30p``, ``7am-3:30pm``, ``7 am - 3:30 pm``, ``07:00-15:30``,
    ``0700-1530``, ``7:15 - 15:45``, ``7 to 3:30``, ``6p-2a`` (crosses midnight).
    Hours are 0-23, or 1-12 with am/pm; minutes are 00-59.
    Without am/pm the range is read as a working day: when the end is at or before the
    start, is under 12 and was not written with a leading zero, it is taken as pm if that
    puts it after the start (``7-3:30`` is 07:00-15:30, ``22-6`` stays 22:00-06:00 and
    ``07:00-03:00`` is read on the 24-hour clock). When only one side has am/pm the other
    side takes whichever reading gives the shorter shift (``7-3:30pm`` is 07:00-15:30,
    ``11-7am`` is 23:00-07:00). An end at or before the start means the next day.

Lunch (optional)
    ``lunch 30``, ``lunch 30m``, ``lunch 45min``, ``lunch 1h``, ``lunch 1.5h``,
    ``lunch 1h30`` (a length, placed by :func:`place_lunch`); ``lunch 12-12:30``,
    ``lunch 12:00-12:30``, ``lunch 11:45a-12:15p`` (a range: hours without am/pm are the
    clock times that fall inside the shift); ``no lunch`` or ``lunch 0``.
    A bare ``lunch 1`` to ``lunch 4`` is refused as ambiguous (hours or minutes?).

Date (optional, default today)
    ``today``, ``yesterday``, ``tomorrow``, a weekday ``mon``/``monday`` ... ``sun``/
    ``sunday`` (the most recent one, today included), ``2026-11-27``, ``11/27`` (the
    latest one not after tomorrow: this year's, or last year's when this year's is still
    ahead), ``11/27/2026``, ``11/27/26``.

Job (optional)
    ``job 1042``, ``job #1042``, ``job smith residence`` (words up to the next keyword),
    ``job "sun valley"`` (quotes keep keyword-like words), or bare words that are not
    keywords anywhere before ``--`` (``/hours 7-3:30 smith``). The parser only reports what
    was typed (``job_query``); finding the job is the caller's business.
    A weekday word directly followed by the bare job words (``sun valley``, ``mon smith``)
    may be the start of the job's name: the entry is read with the weekday as its date,
    and also carries the other reading (``alternative``: today, job ``sun valley``) for
    the caller to prefer when a job's name holds that phrase
    (:func:`core.domain.jobs.resolve_quick_entry`).

Change order (optional)
    ``co 17``, ``co #17``, ``co: 17``, ``c.o. 17``, ``change order 17``; the value must
    contain a digit (``co 17a`` and ``co CO-17`` are fine).

Notes (optional)
    Everything after ``--`` (or ``—``, which phones make of ``--``) standing at the start
    or after a space is kept verbatim, only the surrounding whitespace trimmed; a later
    ``--`` is part of the notes.

``help`` alone is not parsed: callers check :func:`is_help` first and show
:data:`QUICK_ENTRY_HELP`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from fractions import Fraction

__all__ = [
    "QUICK_ENTRY_HELP",
    "QuickEntry",
    "QuickEntryError",
    "is_help",
    "parse_quick_entry",
    "place_lunch",
]

MINUTES_PER_DAY = 24 * 60
NOON = 12 * 60

QUICK_ENTRY_HELP = """\
*Log hours in one line:* `/hours <times> [lunch] [date] [job] [co] [-- notes]`
• *Times* (required): `7-3:30` · `7a-3:30p` · `7am-3:30pm` · `07:00-15:30` · `0700-1530` · \
`7:15 - 15:45` · `6p-2a` (overnight). Without am/pm, `7-3:30` means 7:00 to 15:30.
• *Lunch*: `lunch 30` · `lunch 45min` · `lunch 1h` · `lunch 12-12:30` · `no lunch`
• *Date* (default today): `yesterday` · `tomorrow` · `mon` … `sunday` (the latest one) · \
`11/27` · `2026-11-27`
• *Job*: `job 1042` · `job smith residence` · `job "sun valley"`, or just a name: `smith` · `sun valley`
• *Change order*: `co 17` · `co #17` · `change order 17`
• *Notes*: anything after ` -- ` is kept as you typed it
*Examples*
`/hours 7-3:30 smith`
`/hours 7a-3:30p lunch 30 smith -- primed north wall`
`/hours yesterday 07:00-15:30 lunch 12-12:30 job 1042 co 17`
`/hours` alone opens the form."""

_EXAMPLES = (
    "For example `/hours 7-3:30 smith` or "
    "`/hours yesterday 7a-3:30p lunch 30 job 1042 -- primed north wall`. "
    "Type `/hours help` for everything I understand."
)


class QuickEntryError(ValueError):
    """The text could not be understood; ``message`` is meant for the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class QuickEntry:
    """What a quick entry says, before any job lookup or rule check.

    ``end_time`` at or before ``start_time`` means the shift ends the next day. When a
    lunch was given, ``lunch_start``/``lunch_end`` are always set; ``lunch_minutes``
    additionally records a lunch given as a length (placed by :func:`place_lunch`), and
    is 0 for ``no lunch``. ``job_query`` is what the user typed to name the job (a name
    fragment or a number), original case kept; ``None`` when nothing was said.

    ``alternative`` is the other way to read the same text, when a weekday word stands
    right before the bare job words: ``sun valley`` reads as Sunday and job ``valley``,
    with the alternative being today (no date given) and job ``sun valley``. It is
    ``None`` otherwise, and always ``None`` on an alternative.
    """

    work_date: date
    start_time: time
    end_time: time
    lunch_start: time | None = None
    lunch_end: time | None = None
    lunch_minutes: int | None = None
    job_query: str | None = None
    notes: str = ""
    change_order: str = ""
    alternative: QuickEntry | None = None

    @property
    def crosses_midnight(self) -> bool:
        """True when the shift ends on the day after ``work_date``."""
        return self.end_time <= self.start_time


def is_help(text: str) -> bool:
    """Tell whether ``/hours`` text asks for the grammar rather than logging hours.

    Args:
        text: The slash command's text.

    Returns:
        True for ``help``, ``?``, ``-h`` or ``--help`` (any case, surrounding spaces ignored).
    """
    return text.strip().lower() in {"help", "?", "-h", "--help"}


def place_lunch(start: time, end: time, minutes: int) -> tuple[time, time]:
    """Place a lunch of ``minutes`` inside a shift.

    At 12:00 when the whole lunch fits inside the shift; otherwise centred on the shift's
    midpoint, its start rounded to 5 minutes (and kept inside the shift).

    Args:
        start: Shift start.
        end: Shift end; at or before ``start`` means the next day.
        minutes: Lunch length, more than 0 and less than the shift.

    Returns:
        ``(lunch_start, lunch_end)``.

    Raises:
        ValueError: ``minutes`` is not positive or does not leave any worked time.
    """
    s = _minute_of(start)
    duration = _forward(s, _minute_of(end))
    if minutes <= 0:
        raise ValueError("lunch minutes must be positive")
    if minutes >= duration:
        raise ValueError(f"a {minutes}-minute lunch does not fit in a {duration}-minute shift")
    noon_offset = _forward(s, NOON) % MINUTES_PER_DAY
    if noon_offset + minutes <= duration:
        lunch = s + noon_offset
    else:
        # The ideal start is s + (duration - minutes) / 2; doubling keeps odd lengths exact.
        doubled = 2 * s + duration - minutes
        lunch = (doubled + 5) // 10 * 5  # the clock time rounded half up to 5 minutes
        lunch = max(s, min(lunch, s + duration - minutes))  # rounding must not leave the shift
    return _clock(lunch), _clock(lunch + minutes)


def parse_quick_entry(text: str, *, today: date) -> QuickEntry:
    """Parse the text of ``/hours`` into a :class:`QuickEntry`.

    Args:
        text: The slash command's text (already unescaped by the Slack edge).
        today: The user's date, for ``today``, weekdays and dates without a year.

    Returns:
        The parsed entry; the grammar is in this module's docstring.

    Raises:
        QuickEntryError: The text cannot be understood; the message says why, with examples.
    """
    head, notes = _split_notes(text)
    if not head.strip():
        if notes:
            raise QuickEntryError(f"I found notes but no hours. Put the times first. {_EXAMPLES}")
        raise QuickEntryError(f"Tell me your start and end time. {_EXAMPLES}")
    clauses = _Scanner(head).scan()

    if clauses.shift is None:
        raise QuickEntryError(f"I couldn't find your start and end time, like `7-3:30`. {_EXAMPLES}")
    start_m, end_m = _resolve_shift(*clauses.shift)
    if start_m == end_m:
        raise QuickEntryError(
            f"Your start and end are both {_clock(start_m):%H:%M}. Give a range like `7-3:30` or `6p-2a`."
        )
    duration = _forward(start_m, end_m)
    start_time, end_time = _clock(start_m), _clock(end_m)

    lunch_start: time | None = None
    lunch_end: time | None = None
    lunch_minutes: int | None = None
    if clauses.lunch_minutes is not None:
        lunch_minutes = clauses.lunch_minutes
        if lunch_minutes:
            if lunch_minutes >= duration:
                raise QuickEntryError(
                    f"A {lunch_minutes}-minute lunch doesn't fit in your {start_time:%H:%M}–{end_time:%H:%M} shift."
                )
            lunch_start, lunch_end = place_lunch(start_time, end_time, lunch_minutes)
    elif clauses.lunch_range is not None:
        lunch_start, lunch_end = _resolve_lunch(*clauses.lunch_range, shift_start=start_m, duration=duration)

    entry = QuickEntry(
        work_date=clauses.work_date(today),
        start_time=start_time,
        end_time=end_time,
        lunch_start=lunch_start,
        lunch_end=lunch_end,
        lunch_minutes=lunch_minutes,
        job_query=clauses.job_query(),
        notes=notes,
        change_order=clauses.change_order,
    )
    alternative_query = clauses.weekday_job_query(head)
    if alternative_query is None:
        return entry
    return replace(entry, alternative=replace(entry, work_date=today, job_query=alternative_query))


# ---------------------------------------------------------------------------------------
# Lexical pieces. Digits are spelled [0-9] so that other scripts' digits are not times,
# and counts are bounded so int() never sees a huge string.

_END = r"(?=$|[\s,])"
_MERIDIEM = r"(?:\s?[ap]\.?m\.?|[ap]\.?)"
_CLOCK = rf"(?:[0-9]{{1,2}}(?::[0-9]{{1,2}})?|[0-9]{{3,4}}){_MERIDIEM}?"
_RANGE = rf"(?P<a>{_CLOCK})\s*(?:[-–—]|\bto\b)\s*(?P<b>{_CLOCK}){_END}"
_CLOCK_PARTS = re.compile(
    r"(?P<h>[0-9]{1,2})(?::(?P<m>[0-9]{1,2}))?(?P<mer>\s?[ap]\.?m?\.?)?$"
    r"|(?P<hhmm>[0-9]{3,4})(?P<mer2>\s?[ap]\.?m?\.?)?$",
    re.IGNORECASE,
)
_LONE_CLOCK = re.compile(r"[0-9]{1,2}(?::[0-9]{2}(?:[ap]\.?m?\.?)?|[ap]\.?m?\.?)-?|[0-9]{1,4}-", re.IGNORECASE)

_WEEKDAYS: dict[str, int] = {
    name: index
    for index, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
_RELATIVE_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}

_I = re.IGNORECASE
_RE_NOTES = re.compile(r"(?:^|(?<=\s))(?:--|—)")
_RE_SEP = re.compile(r"[\s,]+")
_RE_NO_LUNCH = re.compile(rf"no\s+lunch{_END}", _I)
_RE_LUNCH = re.compile(r"lunch(?=$|[\s,:])\s*:?\s*", _I)
_RE_LUNCH_NONE = re.compile(rf"(?:none|no|0+){_END}", _I)
_RE_DURATION = re.compile(
    r"(?:(?P<h>[0-9]{1,2}(?:\.[0-9]{1,2})?)\s*(?:hours?|hrs?|h)"
    r"(?:\s*(?P<hm>[0-9]{1,2})\s*(?:minutes?|mins?|m)|(?P<hm2>[0-9]{1,2}))?"
    rf"|(?P<m>[0-9]{{1,4}})\s*(?P<unit>minutes?|mins?|m)?){_END}",
    _I,
)
_RE_RANGE = re.compile(_RANGE, _I)
_RE_JOB = re.compile(r"job(?=$|[\s,:#])\s*[:#]?", _I)
_RE_CHANGE_ORDER = re.compile(
    r"(?:change[\s-]+order|c\.?o\.?)(?:\s*:\s*|\s+|(?=#|[0-9]))#?\s*"
    rf"(?P<co>(?=[\w./-]*[0-9])[\w][\w./-]*){_END}",
    _I,
)
_RE_ISO_DATE = re.compile(rf"(?P<y>[0-9]{{4}})-(?P<m>[0-9]{{1,2}})-(?P<d>[0-9]{{1,2}}){_END}")
_RE_SLASH_DATE = re.compile(rf"(?P<m>[0-9]{{1,2}})/(?P<d>[0-9]{{1,2}})(?:/(?P<y>[0-9]{{4}}|[0-9]{{2}}))?{_END}")
_RE_DAY_WORD = re.compile(
    rf"(?P<w>{'|'.join(sorted([*_WEEKDAYS, *_RELATIVE_DAYS], key=len, reverse=True))}){_END}",
    _I,
)
_RE_QUOTED = re.compile(r"[\"“”](?P<q>[^\"“”]*)[\"“”]" + _END)
_RE_WORD = re.compile(r"[^\s,]+")


def _split_notes(text: str) -> tuple[str, str]:
    match = _RE_NOTES.search(text)
    if match is None:
        return text, ""
    return text[: match.start()], text[match.end() :].strip()


@dataclass(frozen=True, slots=True)
class _Clock:
    """One written time: hour and minute as typed, am/pm if given."""

    text: str
    hour: int
    minute: int
    meridiem: str | None  # "a", "p" or None
    twenty_four: bool  # written as 24-hour (leading zero or hour over 12): no pm guessing

    @property
    def fixed(self) -> int | None:
        """Minute of the day when the text leaves no doubt, else None."""
        if self.meridiem is not None:
            return (self.hour % 12 + (12 if self.meridiem == "p" else 0)) * 60 + self.minute
        if self.twenty_four or self.hour == 0 or self.hour > 12:
            return self.hour * 60 + self.minute
        return None

    def candidates(self) -> tuple[int, ...]:
        """Every minute of the day this time may stand for (one or two)."""
        fixed = self.fixed
        if fixed is not None:
            return (fixed,)
        base = (self.hour % 12) * 60 + self.minute
        return (base, base + NOON)


def _parse_clock(raw: str) -> _Clock:
    text = raw.strip()
    match = _CLOCK_PARTS.match(text)
    if match is None:  # the range regex and this one agree, so this is a bug guard
        raise QuickEntryError(f"I couldn't read the time `{text}`. {_EXAMPLES}")
    mer_raw = match.group("mer") or match.group("mer2")
    meridiem = mer_raw.strip()[0].lower() if mer_raw else None
    if match.group("hhmm") is not None:
        digits = match.group("hhmm")
        hour_text, minute_text = digits[:-2], digits[-2:]
    else:
        hour_text, minute_text = match.group("h"), match.group("m") or "00"
        if len(minute_text) != 2:
            raise QuickEntryError(f"`{text}` isn't a time: write minutes with two digits, like `7:05`.")
    hour, minute = int(hour_text), int(minute_text)
    if minute > 59:
        raise QuickEntryError(f"`{text}` isn't a time: minutes go from 00 to 59.")
    if meridiem is not None and not 1 <= hour <= 12:
        raise QuickEntryError(f"`{text}` isn't a time: with am/pm the hour goes from 1 to 12.")
    if meridiem is None and hour > 23:
        raise QuickEntryError(f"`{text}` isn't a time: hours go from 0 to 23 (or 1 to 12 with am/pm).")
    twenty_four = meridiem is None and len(hour_text) == 2 and (hour_text[0] == "0" or hour > 12)
    return _Clock(text, hour, minute, meridiem, twenty_four)


def _forward(start: int, end: int) -> int:
    """Minutes from ``start`` to ``end`` going forward, in 1..1440 (equal means a full day)."""
    return (end - start - 1) % MINUTES_PER_DAY + 1


def _minute_of(t: time) -> int:
    return t.hour * 60 + t.minute


def _clock(minute_of_day: int) -> time:
    m = minute_of_day % MINUTES_PER_DAY
    return time(m // 60, m % 60)


def _resolve_shift(a: _Clock, b: _Clock) -> tuple[int, int]:
    """Turn the written start and end into minutes of the day."""
    if a.meridiem is None and b.meridiem is None:
        # The house rule: unit-less hours describe a working day.
        start = a.hour * 60 + a.minute
        end = b.hour * 60 + b.minute
        if end <= start and not b.twenty_four and 1 <= b.hour < 12 and end + NOON > start:
            end += NOON
        return start, end
    if a.meridiem is None:
        end = b.candidates()[0]
        return min(a.candidates(), key=lambda s: _forward(s, end)), end
    start = a.candidates()[0]
    return start, min(b.candidates(), key=lambda e: _forward(start, e))


def _resolve_lunch(a: _Clock, b: _Clock, *, shift_start: int, duration: int) -> tuple[time, time]:
    """Place a written lunch range on the shift: unit-less hours are those inside it."""

    def distance_outside(minute: int) -> int:
        offset = (minute - shift_start) % MINUTES_PER_DAY
        if offset <= duration:
            return 0
        return min(offset - duration, MINUTES_PER_DAY - offset)

    start = min(a.candidates(), key=distance_outside)
    end = min(b.candidates(), key=lambda e: _forward(start, e))
    offset = (start - shift_start) % MINUTES_PER_DAY
    length = _forward(start, end)
    if offset + length > duration or length >= duration:
        shift_end = shift_start + duration
        raise QuickEntryError(
            f"Lunch {_clock(start):%H:%M}–{_clock(end):%H:%M} isn't inside your "
            f"{_clock(shift_start):%H:%M}–{_clock(shift_end):%H:%M} shift. "
            "Try `lunch 30` and I'll place it for you."
        )
    return _clock(start), _clock(end)


# ---------------------------------------------------------------------------------------
# The scanner: walks the text once, each position either a keyword clause, a date, a time
# range or a plain word (which belongs to the job).


@dataclass(slots=True)
class _Clauses:
    shift: tuple[_Clock, _Clock] | None = None
    shift_text: str = ""
    lunch_minutes: int | None = None
    lunch_range: tuple[_Clock, _Clock] | None = None
    lunch_text: str = ""
    date_text: str = ""
    date_kind: str = ""  # "relative", "weekday", "iso", "slash"
    date_parts: tuple[int, ...] = ()
    date_end: int = -1  # where the date's text ends
    job_words: list[str] | None = None
    job_text: str = ""
    bare_words: list[str] | None = None
    bare_start: int = -1  # where the first bare job word starts
    change_order: str = ""

    def work_date(self, today: date) -> date:
        try:
            if self.date_kind == "":
                return today
            if self.date_kind == "relative":
                return today + timedelta(days=self.date_parts[0])
            if self.date_kind == "weekday":
                return today - timedelta(days=(today.weekday() - self.date_parts[0]) % 7)
            if self.date_kind == "iso":
                y, m, d = self.date_parts
                return date(y, m, d)
            return self._slash_date(today)
        except (ValueError, OverflowError):
            raise QuickEntryError(
                f"`{self.date_text}` isn't a date I can use. Try `yesterday`, `fri`, `11/27` or `2026-11-27`."
            ) from None

    def _slash_date(self, today: date) -> date:
        m, d, y = self.date_parts
        if y >= 0:
            return date(y + 2000 if y < 100 else y, m, d)
        # The latest such date that is not after tomorrow: this year's, or last year's when
        # this year's is still ahead; on Dec 31, "1/1" is tomorrow.
        tomorrow = today + timedelta(days=1)
        for year in (tomorrow.year, tomorrow.year - 1):
            try:
                candidate = date(year, m, d)
            except ValueError:
                continue  # Feb 29 in a common year, or a year out of range
            if candidate <= tomorrow:
                return candidate
        raise ValueError(f"no recent {m}/{d}")

    def job_query(self) -> str | None:
        if self.job_words is not None and self.bare_words:
            raise QuickEntryError(
                f"I see two jobs: `{self.job_text}` and `{' '.join(self.bare_words)}`. "
                'Name one, like `job smith residence` or `job "sun valley"`.'
            )
        words = self.job_words if self.job_words is not None else self.bare_words
        if not words:
            return None
        query = " ".join(words)
        # "#1042" is how a job number is often written; the number is what is looked up.
        return query[1:] if re.fullmatch(r"#[0-9]+", query) else query

    def weekday_job_query(self, text: str) -> str | None:
        """The job query read with the weekday word as its first word, when that reading exists.

        It does when the date is a weekday word followed, with only whitespace between, by
        the first bare job word (not a quoted one), and no ``job`` keyword was used: ``sun valley``.
        """
        if self.date_kind != "weekday" or self.job_words is not None or not self.bare_words:
            return None
        if not text[self.date_end : self.bare_start].isspace() or text[self.bare_start] in '"“”':
            return None  # not adjacent, or the job was quoted apart from the weekday: `sun "valley"`
        return " ".join([self.date_text, *self.bare_words])


_Matcher = Callable[["_Scanner", int], "int | None"]


class _Scanner:
    def __init__(self, head: str) -> None:
        self.text = head
        self.clauses = _Clauses()

    def scan(self) -> _Clauses:
        pos = self._skip(0)
        while pos < len(self.text):
            new_pos = self._structured(pos)
            if new_pos is None:
                word, new_pos = self._word(pos)
                self._bare_word(word, pos)
            pos = self._skip(new_pos)
        return self.clauses

    # -- helpers

    def _skip(self, pos: int) -> int:
        match = _RE_SEP.match(self.text, pos)
        return match.end() if match else pos

    def _word(self, pos: int) -> tuple[str, int]:
        quoted = _RE_QUOTED.match(self.text, pos)
        if quoted is not None:
            return quoted.group("q").strip(), quoted.end()
        match = _RE_WORD.match(self.text, pos)
        assert match is not None  # callers stand on a non-separator
        return match.group(), match.end()

    def _structured(self, pos: int) -> int | None:
        for matcher in _MATCHERS:
            new_pos = matcher(self, pos)
            if new_pos is not None:
                return new_pos
        return None

    def _starts_clause(self, pos: int) -> bool:
        """True when a clause (or a broken one) begins here: a job name stops before it."""
        if _RE_JOB.match(self.text, pos):
            return True  # decided without parsing it, so `job job job ...` cannot recurse
        saved = self.clauses
        self.clauses = _Clauses()  # probe without touching what was already found
        try:
            return self._structured(pos) is not None
        except QuickEntryError:
            return True
        finally:
            self.clauses = saved

    def _bare_word(self, word: str, pos: int) -> None:
        if _LONE_CLOCK.fullmatch(word):
            raise QuickEntryError(f"I see `{word}` but need both a start and an end, like `7-3:30` or `7a-3:30p`.")
        if word:
            if self.clauses.bare_words is None:
                self.clauses.bare_words = []
            if not self.clauses.bare_words:
                self.clauses.bare_start = pos
            self.clauses.bare_words.append(word)

    # -- clauses

    def _no_lunch(self, pos: int) -> int | None:
        match = _RE_NO_LUNCH.match(self.text, pos)
        if match is None:
            return None
        self._set_lunch(match.group(), minutes=0)
        return match.end()

    def _lunch(self, pos: int) -> int | None:
        keyword = _RE_LUNCH.match(self.text, pos)
        if keyword is None:
            return None
        at = keyword.end()
        none = _RE_LUNCH_NONE.match(self.text, at)
        if none is not None:
            self._set_lunch(self.text[pos : none.end()], minutes=0)
            return none.end()
        rng = _RE_RANGE.match(self.text, at)
        if rng is not None:
            self._set_lunch(
                self.text[pos : rng.end()],
                span=(_parse_clock(rng.group("a")), _parse_clock(rng.group("b"))),
            )
            return rng.end()
        dur = _RE_DURATION.match(self.text, at)
        if dur is None:
            value = _RE_WORD.match(self.text, at)
            raise QuickEntryError(_lunch_help(value.group() if value else ""))
        written = self.text[pos : dur.end()]
        if dur.group("h") is not None:
            extra = dur.group("hm") or dur.group("hm2") or "0"
            total = Fraction(dur.group("h")) * 60 + int(extra)
            if total.denominator != 1:
                raise QuickEntryError(f"`{written}` isn't a whole number of minutes. Try `lunch 45`.")
            minutes = int(total)
        else:
            minutes = int(dur.group("m"))
            if dur.group("unit") is None and 1 <= minutes <= 4:
                raise QuickEntryError(f"`{written}`: hours or minutes? Write `lunch {minutes}h` or `lunch {minutes}m`.")
        self._set_lunch(written, minutes=minutes)
        return dur.end()

    def _set_lunch(
        self, written: str, *, minutes: int | None = None, span: tuple[_Clock, _Clock] | None = None
    ) -> None:
        c = self.clauses
        if c.lunch_minutes is not None or c.lunch_range is not None:
            raise QuickEntryError(f"I see two lunches: `{c.lunch_text}` and `{written}`. Give one.")
        c.lunch_minutes, c.lunch_range, c.lunch_text = minutes, span, written.strip()

    def _job(self, pos: int) -> int | None:
        keyword = _RE_JOB.match(self.text, pos)
        if keyword is None:
            return None
        at = self._skip(keyword.end())
        if at >= len(self.text):
            raise QuickEntryError("`job` needs a name or number, like `job 1042` or `job smith`.")
        # The first word always belongs to the job, so `job sun valley` is not a Sunday.
        first, at = self._word(at)
        words = [first]
        while True:
            nxt = self._skip(at)
            if nxt >= len(self.text) or self._starts_clause(nxt):
                break
            word, at = self._word(nxt)
            words.append(word)
        words = [w for w in words if w]
        if not words:
            raise QuickEntryError("`job` needs a name or number, like `job 1042` or `job smith`.")
        written = self.text[pos:at].strip()
        c = self.clauses
        if c.job_words is not None:
            raise QuickEntryError(f"I see two jobs: `{c.job_text}` and `{written}`. Give one.")
        c.job_words, c.job_text = words, written
        return at

    def _change_order(self, pos: int) -> int | None:
        match = _RE_CHANGE_ORDER.match(self.text, pos)
        if match is None:
            return None
        c = self.clauses
        if c.change_order:
            raise QuickEntryError(f"I see two change orders: `{c.change_order}` and `{match.group('co')}`. Give one.")
        c.change_order = match.group("co")
        return match.end()

    def _date(self, pos: int) -> int | None:
        kind: str
        parts: tuple[int, ...]
        iso = _RE_ISO_DATE.match(self.text, pos)
        slash = _RE_SLASH_DATE.match(self.text, pos)
        word = _RE_DAY_WORD.match(self.text, pos)
        if iso is not None:
            match, kind = iso, "iso"
            parts = (int(iso.group("y")), int(iso.group("m")), int(iso.group("d")))
        elif slash is not None:
            match, kind = slash, "slash"
            parts = (int(slash.group("m")), int(slash.group("d")), int(slash.group("y") or -1))
        elif word is not None:
            match = word
            name = word.group("w").lower()
            if name in _RELATIVE_DAYS:
                kind, parts = "relative", (_RELATIVE_DAYS[name],)
            else:
                kind, parts = "weekday", (_WEEKDAYS[name],)
        else:
            return None
        c = self.clauses
        if c.date_kind:
            raise QuickEntryError(f"I see two dates: `{c.date_text}` and `{match.group()}`. Give one.")
        c.date_kind, c.date_parts, c.date_text, c.date_end = kind, parts, match.group(), match.end()
        return match.end()

    def _range(self, pos: int) -> int | None:
        match = _RE_RANGE.match(self.text, pos)
        if match is None:
            return None
        c = self.clauses
        if c.shift is not None:
            raise QuickEntryError(
                f"I see two time ranges: `{c.shift_text}` and `{match.group()}`. "
                "Log one shift at a time (use `lunch 12-12:30` for a lunch)."
            )
        c.shift = (_parse_clock(match.group("a")), _parse_clock(match.group("b")))
        c.shift_text = match.group()
        return match.end()


def _lunch_help(value: str) -> str:
    what = f"`lunch {value}`" if value else "`lunch` on its own"
    return f"I couldn't read {what}. Try `lunch 30`, `lunch 45min`, `lunch 1h`, `lunch 12-12:30` or `no lunch`."


# Order matters: `no lunch` before the job words, dates before ranges (2026-11-27 is not a
# range), and change orders before anything that could read `co` as a word.
_MATCHERS: tuple[_Matcher, ...] = (
    _Scanner._no_lunch,
    _Scanner._lunch,
    _Scanner._job,
    _Scanner._change_order,
    _Scanner._date,
    _Scanner._range,
)
