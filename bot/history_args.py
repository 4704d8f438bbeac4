"""What `/history` was asked for: a period, and (for managers) a person or a job.

Parsing is pure and needs no "today", so the ack path can reject bad text at once; the
period becomes dates later with ``HistoryPeriod.resolve`` in the caller's time zone.

Grammar (words in any order; ``job`` takes the rest of the text except mentions and periods):

    /history                         the last 30 days
    /history 14                      the last 14 days (today included)
    /history 2026-11-01..2026-11-15  those days, both included
    /history 2026-11-03              one day
    /history this week | last week | this month | last month
    /history <@U123>                 someone else's hours (managers)
    /history job smith               one job's hours, everyone's (managers)
    /history <@U123> job smith       one person's hours on one job (managers)
    /history chart [any of the above] the same hours as a PNG chart (per day, stacked by job)

Slack sends a mention as ``<@U123|name>`` only when the command is created with
``should_escape: true`` (manifest.yml sets it); a plain ``@name`` cannot be turned
into a user id without a directory scan, so it is refused with that explanation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from core.domain.clock import week_range

DEFAULT_DAYS = 30
MAX_DAYS = 366

HISTORY_HELP = (
    "*How to use /history*\n"
    "• `/history` — your last 30 days\n"
    "• `/history 14` — your last 14 days\n"
    "• `/history 2026-11-01..2026-11-15` — a date range (both days included)\n"
    "• `/history this week`, `last week`, `this month`, `last month`\n"
    "• `/history chart last week` — a chart of hours per day by job, sent to your DMs\n"
    "Managers can also ask for a person or a job:\n"
    "• `/history @maria last week`\n"
    "• `/history 60 job smith residence` or `/history job 1042`"
)

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_PLAIN_MENTION = re.compile(r"(?<![<\w])@([\w.\-]+)")
_DATE = r"\d{4}-\d{2}-\d{2}"
_RANGE = re.compile(rf"^({_DATE})(?:\.\.|…|\.\.\.)({_DATE})$")
_ONE_DATE = re.compile(rf"^({_DATE})$")
_NAMED = {
    ("this", "week"): "this_week",
    ("last", "week"): "last_week",
    ("this", "month"): "this_month",
    ("last", "month"): "last_month",
}


class HistoryArgsError(ValueError):
    """The text is not a /history request; ``message`` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class HistoryPeriod:
    """A period as the user named it: ``kind`` is days, range, this_week, last_week, this_month or last_month."""

    kind: str = "days"
    days: int = DEFAULT_DAYS
    first: date | None = None
    last: date | None = None

    def resolve(self, today: date, week_start: int = 0) -> tuple[date, date]:
        """The first and last day (both included) of this period, seen from ``today``."""
        if self.kind == "range" and self.first is not None and self.last is not None:
            return self.first, self.last
        if self.kind == "this_week":
            return week_range(today, week_start)
        if self.kind == "last_week":
            return week_range(today - timedelta(days=7), week_start)
        if self.kind == "this_month":
            return today.replace(day=1), today
        if self.kind == "last_month":
            last = today.replace(day=1) - timedelta(days=1)
            return last.replace(day=1), last
        return today - timedelta(days=self.days - 1), today


@dataclass(frozen=True, slots=True)
class HistoryArgs:
    """A parsed /history request: whose hours, which job, which period."""

    period: HistoryPeriod = HistoryPeriod()
    user_id: str | None = None
    job_query: str | None = None
    chart: bool = False  # a PNG chart to the caller's DMs instead of the list

    def asks_for_others(self, caller_id: str) -> bool:
        """True when the answer would show hours that are not the caller's own."""
        return self.job_query is not None or (self.user_id is not None and self.user_id != caller_id)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HistoryArgsError(f"`{text}` is not a date I know; write dates like 2026-11-01.") from None


def _period_of(words: list[str], i: int) -> tuple[HistoryPeriod, int] | None:
    """The period starting at ``words[i]`` and how many words it takes, or None."""
    word = words[i].lower()
    if i + 1 < len(words) and (word, words[i + 1].lower()) in _NAMED:
        return HistoryPeriod(_NAMED[(word, words[i + 1].lower())]), 2
    if match := _RANGE.match(word):
        first, last = _date(match.group(1)), _date(match.group(2))
        if first > last:
            raise HistoryArgsError(f"The range `{word}` ends before it starts; put the earlier date first.")
        if (last - first).days + 1 > MAX_DAYS:
            raise HistoryArgsError(f"That range is longer than {MAX_DAYS} days; ask for a shorter one.")
        return HistoryPeriod("range", first=first, last=last), 1
    if match := _ONE_DATE.match(word):
        day = _date(match.group(1))
        return HistoryPeriod("range", first=day, last=day), 1
    return None


def _days_of(word: str) -> HistoryPeriod | None:
    if not (word.isascii() and word.isdigit()):
        return None
    days = int(word)
    if not 1 <= days <= MAX_DAYS:
        raise HistoryArgsError(f"Ask for between 1 and {MAX_DAYS} days.")
    return HistoryPeriod("days", days=days)


def is_history_help(text: str) -> bool:
    return text.strip().lower() in ("help", "?", "-h", "--help")


def parse_history_args(text: str) -> HistoryArgs:
    """Read the text after `/history`.

    Raises:
        HistoryArgsError: the text asks for something /history cannot show; the
            message explains, and ``HISTORY_HELP`` has examples.
    """
    users = _MENTION.findall(text)
    rest = _MENTION.sub(" ", text)
    if plain := _PLAIN_MENTION.search(rest):
        raise HistoryArgsError(
            f"I could not tell who `@{plain.group(1)}` is. Pick the person from Slack's @ list "
            "so the mention turns blue, then send the command again."
        )
    if len(set(users)) > 1:
        raise HistoryArgsError("Ask for one person at a time.")
    words = rest.split()
    chart = bool(words) and words[0].lower() == "chart"
    if chart:
        words = words[1:]
    period: HistoryPeriod | None = None
    job_words: list[str] | None = None
    i = 0
    while i < len(words):
        found = _period_of(words, i)
        if found is None and job_words is None:
            days = _days_of(words[i])
            found = (days, 1) if days is not None else None
        if found is not None:
            if period is not None:
                raise HistoryArgsError("Ask for one period at a time, e.g. `/history last week`.")
            period, i = found[0], i + found[1]
            continue
        if job_words is None and words[i].lower() == "job":
            job_words = []
        elif job_words is not None:
            job_words.append(words[i])
        else:
            raise HistoryArgsError(f"I don't know what `{words[i]}` means here.")
        i += 1
    if job_words is not None and not job_words:
        raise HistoryArgsError("Say which job, e.g. `/history job smith` or `/history job 1042`.")
    return HistoryArgs(
        period=period or HistoryPeriod(),
        user_id=users[0] if users else None,
        job_query=" ".join(job_words) if job_words else None,
        chart=chart,
    )


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """A resolved request, small enough to ride in a button's value (Next, Previous, Export CSV).

    ``user_id`` None means every crew member (a manager's job view); ``job_id`` None means every job.
    """

    first: date
    last: date
    user_id: str | None = None
    job_id: str | None = None
    page: int = 0

    def to_value(self) -> str:
        """Compact JSON for a Block Kit button value (Slack allows 2,000 characters)."""
        data: dict[str, str | int] = {"f": self.first.isoformat(), "l": self.last.isoformat(), "p": self.page}
        if self.user_id:
            data["u"] = self.user_id
        if self.job_id:
            data["j"] = self.job_id
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_value(cls, value: str) -> HistoryQuery:
        """Read a value made by ``to_value``; raises ``HistoryArgsError`` when it is not one."""
        try:
            data = json.loads(value)
            return cls(
                first=date.fromisoformat(data["f"]),
                last=date.fromisoformat(data["l"]),
                user_id=data.get("u"),
                job_id=data.get("j"),
                page=max(int(data.get("p", 0)), 0),
            )
        except (ValueError, KeyError, TypeError):
            raise HistoryArgsError("That button is out of date; run /history again.") from None

    def at_page(self, page: int) -> HistoryQuery:
        return replace(self, page=max(page, 0))
