"""/history through the real HTTP endpoint: own hours across the 30-day seam, refusals, managers, pages, CSV.

The bot answers /history after the ack, by POSTing to the request's response_url. Slack's
response URLs live on hooks.slack.com; here each request's response_url points into the
fake Slack (an unknown method there answers ``ok`` and is recorded), so the test reads what
the user would see from the recorded POST.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import OperationalError

from bot.views.history import EXPORT_ACTION, NEXT_ACTION, PREVIOUS_ACTION
from core.domain.clock import today_in
from core.domain.entry import Actor, EntryDraft, SinkState, SyncStatus, TimeEntry
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_requests import USER_ID, block_actions_body, slash_command_body
from tests.scenario.conftest import RunningBot, texts_in

MANAGER = "U0MGR0001"
OTHER = "U0CREW777"
CHICAGO = ZoneInfo("America/Chicago")  # FakeSlack's users.info zone for users it was not told about
_tags = itertools.count(1)


# -- the response_url ------------------------------------------------------------------


def new_response_url(bot: RunningBot) -> tuple[str, str]:
    """A response_url inside the fake Slack, and the method name its POSTs are recorded under."""
    method = f"response_url.{next(_tags)}"
    return bot.slack.base_url + method, method


def responses(bot: RunningBot, method: str, count: int = 1) -> list[dict[str, Any]]:
    """The JSON bodies the bot POSTed to that response_url (waits for ``count`` of them)."""
    return [call["params"] for call in bot.slack.wait_for(method, count)]


def history(bot: RunningBot, text: str = "", user_id: str = USER_ID) -> tuple[Any, str]:
    """Send ``/history text``; returns the ack's JSON (None when empty) and the response_url's method."""
    url, method = new_response_url(bot)
    response = bot.post(slash_command_body("/history", text=text, user_id=user_id, response_url=url))
    assert response.status == 200
    return response.json(), method


def answer_of(bot: RunningBot, text: str = "", user_id: str = USER_ID) -> dict[str, Any]:
    """``/history text`` answered after the ack: the one message posted to the response_url."""
    ack, method = history(bot, text, user_id)
    assert ack is None  # acked at once, empty: the answer follows
    [answer] = responses(bot, method)
    assert answer["response_type"] == "ephemeral"
    return answer


def click(bot: RunningBot, button: dict[str, Any], user_id: str = USER_ID) -> str:
    """Click a button of an ephemeral /history message; returns the response_url's method."""
    url, method = new_response_url(bot)
    body = block_actions_body(
        button["action_id"],
        value=button["value"],
        user_id=user_id,
        block_id="history_nav",
        channel_id="C0CREW001",
        message_ts="1700000000.000100",
        is_ephemeral=True,
    )
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["response_url"] = url  # Slack's would be on hooks.slack.com
    assert bot.post(urlencode({"payload": json.dumps(payload)})).status == 200
    return method


def buttons(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]}


def entry_lines(answer: dict[str, Any]) -> list[str]:
    """The entry lines of a /history message (the sections that carry a sync state)."""
    return [
        b["text"]["text"]
        for b in answer["blocks"]
        if b["type"] == "section" and any(s in b["text"]["text"] for s in ("SYNCED", "PENDING", "FAILED"))
    ]


# -- entries -------------------------------------------------------------------------------


def today() -> date:
    return today_in(CHICAGO)


def log_hours(
    bot: RunningBot, user: str = USER_ID, *, day: date, job: tuple[str, str] = ("1042", "Smith Residence"), **kw: Any
) -> TimeEntry:
    """Record through the core (Redis first, then the sync pool), as /hours does."""
    draft = EntryDraft(
        slack_team_id=TEAM_ID,
        slack_user_id=user,
        job_id=job[0],
        job_name=job[1],
        work_date=day,
        start_time=kw.get("start", time(7)),
        end_time=kw.get("end", time(15, 30)),
        lunch_start=time(12),
        lunch_end=time(12, 30),
        notes=kw.get("notes", ""),
    )
    return bot.services.entries.record_entry(draft, actor=Actor(TEAM_ID, user), zone=CHICAGO).entry


def old_row(
    user: str = USER_ID, *, day: date, n: int, job: tuple[str, str] = ("2001", "Sun Valley Clinic")
) -> TimeEntry:
    """An entry older than the hot window, as only Postgres holds it."""
    stamp = datetime.combine(day, time(18), UTC)
    return TimeEntry(
        id=f"00000000-0000-4000-8000-{n:012d}",
        slack_team_id=TEAM_ID,
        slack_user_id=user,
        user_email="",
        job_id=job[0],
        job_name=job[1],
        work_date=day,
        start_time=time(6),
        end_time=time(14),
        lunch_start=None,
        lunch_end=None,
        total_hours=Decimal("8.00"),
        notes=f"old row {n}",
        change_order="",
        created_at=stamp,
        updated_at=stamp,
        postgres=SinkState(SyncStatus.SYNCED, synced_version=1),
    )


@pytest.fixture
def manager_bot(start_bot: Callable[..., RunningBot]) -> RunningBot:
    return start_bot(manager_user_ids=frozenset({MANAGER}))


# -- crew ------------------------------------------------------------------------------------


def test_own_history_merges_redis_and_postgres_across_the_seam(bot: RunningBot) -> None:
    recent = log_hours(bot, day=today() - timedelta(days=1), notes="<!channel> & primed")
    bot.settle()  # now in Redis and Postgres: it must show once
    bot.services.sql.upsert_entries([old_row(day=today() - timedelta(days=45), n=1)])
    bot.services.sql.upsert_entries([old_row(OTHER, day=today() - timedelta(days=44), n=2)])  # not theirs

    answer = answer_of(bot, "60")

    lines = entry_lines(answer)
    assert len(lines) == 2
    assert "Smith Residence (1042) · 07:00–15:30 · lunch 12:00–12:30 · *8.0 h* · ✅ SYNCED" in lines[0]
    assert "&lt;!channel&gt; &amp; primed" in lines[0]  # notes show as typed, never ping
    assert "Sun Valley Clinic (2001) · 06:00–14:00 · no lunch · *8.0 h* · ✅ SYNCED" in lines[1]
    shown = texts_in(answer["blocks"])
    assert "*Total: 16.0 h* over 2 entries" in shown
    assert f"*{recent.work_date:%a %b} {recent.work_date.day}* — 8.0 h" in shown
    assert "could not be loaded" not in shown


def test_default_is_the_last_30_days(bot: RunningBot) -> None:
    log_hours(bot, day=today() - timedelta(days=2))
    bot.services.sql.upsert_entries([old_row(day=today() - timedelta(days=40), n=3)])
    lines = entry_lines(answer_of(bot))
    assert len(lines) == 1
    assert "Smith Residence" in lines[0]


def test_a_pending_entry_shows_as_pending(bot: RunningBot) -> None:
    bot.services.sync.shutdown(5)  # the sync pool is gone: the entry stays in Redis only
    log_hours(bot, day=today())
    [line] = entry_lines(answer_of(bot, "this week"))
    assert "⏳ PENDING" in line


def test_crew_asking_for_someone_else_or_a_job_is_politely_refused(bot: RunningBot) -> None:
    bot.services.sql.upsert_entries([old_row(OTHER, day=today() - timedelta(days=3), n=4)])
    for text in (f"<@{OTHER}|sam>", "job smith", f"<@{OTHER}> last week"):
        answer = answer_of(bot, text)
        assert answer["text"].startswith("Sorry — /history shows only your own hours.")
        assert entry_lines(answer) == []
        assert "old row" not in json.dumps(answer)
    assert bot.slack.calls("users.info") == []  # refused before anything was looked up


def test_asking_for_yourself_by_mention_is_fine(bot: RunningBot) -> None:
    log_hours(bot, day=today())
    assert len(entry_lines(answer_of(bot, f"<@{USER_ID}|pat> this week"))) == 1


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("yesterdayish", "I don't know what `yesterdayish` means here."),
        ("2026-11-15..2026-11-01", "ends before it starts"),
        ("@sam", "I could not tell who `@sam` is."),
    ],
)
def test_unknown_arguments_are_explained_in_the_ack_with_examples(bot: RunningBot, text: str, said: str) -> None:
    ack, method = history(bot, text)
    assert ack["response_type"] == "ephemeral"
    assert said in ack["text"]
    assert "/history 2026-11-01..2026-11-15" in ack["text"]
    assert bot.slack.calls(method) == []  # nothing follows the explanation


def test_help(bot: RunningBot) -> None:
    ack, _ = history(bot, "help")
    assert ack["text"].startswith("*How to use /history*")


# -- managers ----------------------------------------------------------------------------------


def test_a_manager_sees_someone_elses_hours(manager_bot: RunningBot) -> None:
    log_hours(manager_bot, USER_ID, day=today())
    manager_bot.services.sql.upsert_entries([old_row(USER_ID, day=today() - timedelta(days=50), n=5)])
    log_hours(manager_bot, OTHER, day=today())

    answer = answer_of(manager_bot, f"<@{USER_ID}|pat> 60", user_id=MANAGER)

    shown = texts_in(answer["blocks"])
    assert f"<@{USER_ID}>'s hours" in shown
    lines = entry_lines(answer)
    assert len(lines) == 2
    assert "old row 5" in lines[1]


def test_a_manager_sees_a_jobs_hours_for_everyone(manager_bot: RunningBot) -> None:
    log_hours(manager_bot, USER_ID, day=today())
    log_hours(manager_bot, OTHER, day=today() - timedelta(days=1), start=time(6), end=time(14))
    log_hours(manager_bot, OTHER, day=today(), job=("2001", "Sun Valley Clinic"))  # another job
    manager_bot.settle()
    manager_bot.services.sql.upsert_entries(
        [old_row(OTHER, day=today() - timedelta(days=40), n=6, job=("1042", "Smith Residence"))]
    )

    answer = answer_of(manager_bot, "60 job smith residence", user_id=MANAGER)

    shown = texts_in(answer["blocks"])
    assert "Everyone's hours on Smith Residence (1042)" in shown
    lines = entry_lines(answer)
    assert len(lines) == 3
    assert all("Smith Residence (1042)" in line for line in lines)
    assert lines[0].startswith(f"<@{USER_ID}> · ") or lines[0].startswith(f"<@{OTHER}> · ")
    assert sum(line.startswith(f"<@{OTHER}> · ") for line in lines) == 2


def test_an_unclear_job_is_explained(manager_bot: RunningBot) -> None:
    answer = answer_of(manager_bot, "job smith", user_id=MANAGER)  # Smith Residence, Smithson Garage
    assert "matches several jobs" in answer["text"]
    assert "Smith Residence (1042)" in answer["text"]
    answer = answer_of(manager_bot, "job nowhere", user_id=MANAGER)
    assert answer["text"].startswith("No job matches `nowhere`.")


def test_a_manager_usergroup_member_counts_as_manager(start_bot: Callable[..., RunningBot]) -> None:
    bot = start_bot(manager_usergroup_id="S0MANAGERS")
    bot.slack.set_usergroup("S0MANAGERS", [MANAGER])
    log_hours(bot, USER_ID, day=today())
    assert len(entry_lines(answer_of(bot, f"<@{USER_ID}>", user_id=MANAGER))) == 1


# -- pages and the CSV ---------------------------------------------------------------------------


def test_long_history_pages_with_next_and_previous(bot: RunningBot) -> None:
    rows = [old_row(day=today() - timedelta(days=31 + i), n=100 + i) for i in range(20)]
    bot.services.sql.upsert_entries(rows)

    first = answer_of(bot, "60")
    assert len(entry_lines(first)) == 15
    assert len(first["blocks"]) <= 50
    assert "page 1 of 2" in texts_in(first["blocks"])
    assert set(buttons(first)) == {NEXT_ACTION, EXPORT_ACTION}

    method = click(bot, buttons(first)[NEXT_ACTION])
    [second] = responses(bot, method)
    assert second["replace_original"] is True
    assert second["response_type"] == "ephemeral"
    assert len(entry_lines(second)) == 5
    assert "page 2 of 2" in texts_in(second["blocks"])
    assert "*Total: 160.0 h* over 20 entries" in texts_in(second["blocks"])
    shown_ids = "".join(entry_lines(first) + entry_lines(second))
    assert all(f"old row {r.notes.split()[-1]}" in shown_ids for r in rows)

    method = click(bot, buttons(second)[PREVIOUS_ACTION])
    [back] = responses(bot, method)
    assert entry_lines(back) == entry_lines(first)


def test_export_csv_uploads_every_entry_to_the_callers_dm(bot: RunningBot) -> None:
    bot.slack.set_user(USER_ID, tz="America/Chicago", real_name="Pat Painter")
    recent = log_hours(bot, day=today(), notes='=cmd|" /C calc"!A0')
    rows = [old_row(day=today() - timedelta(days=31 + i), n=200 + i) for i in range(17)]
    bot.services.sql.upsert_entries(rows)
    bot.settle()
    answer = answer_of(bot, "60")

    method = click(bot, buttons(answer)[EXPORT_ACTION])

    [notice] = responses(bot, method)
    assert notice["text"] == "CSV with 18 entries sent to your DMs with me."
    assert notice.get("replace_original") is False
    [upload] = bot.slack.uploads()
    assert upload.channel_id == bot.slack.dm_channel(USER_ID)
    assert upload.filename.startswith("crewclock-hours-") and upload.filename.endswith(".csv")
    table = list(csv.reader(io.StringIO(upload.text)))
    assert table[0] == [
        "date", "user", "job_id", "job_name", "start", "end", "lunch_start", "lunch_end",
        "hours", "notes", "change_order", "state",
    ]  # fmt: skip
    assert len(table) == 19  # every entry, not just the first page
    assert [r[0] for r in table[1:]] == sorted(r[0] for r in table[1:])  # oldest first
    assert table[-1] == [
        recent.work_date.isoformat(), "Pat Painter", "1042", "Smith Residence", "07:00", "15:30", "12:00",
        "12:30", "8.00", "'=cmd|\" /C calc\"!A0", "", "SYNCED",
    ]  # fmt: skip
    assert table[1][:6] == [
        rows[-1].work_date.isoformat(),
        "Pat Painter",
        "2001",
        "Sun Valley Clinic",
        "06:00",
        "14:00",
    ]
    opened = bot.slack.calls("conversations.open")
    assert opened[-1]["params"]["users"] == USER_ID


def test_a_crew_member_cannot_page_into_someone_elses_hours(bot: RunningBot) -> None:
    """Button values come back from Slack signed, but the clicker is re-checked anyway."""
    bot.services.sql.upsert_entries([old_row(OTHER, day=today() - timedelta(days=35), n=300)])
    forged = {
        "action_id": EXPORT_ACTION,
        "value": json.dumps({"f": (today() - timedelta(days=60)).isoformat(), "l": today().isoformat(), "u": OTHER}),
    }
    method = click(bot, forged)
    [answer] = responses(bot, method)
    assert answer["text"].startswith("Sorry — /history shows only your own hours.")
    assert bot.slack.uploads() == []


def test_postgres_down_shows_what_redis_has_and_says_older_entries_are_missing(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_hours(bot, day=today())
    bot.services.sql.upsert_entries([old_row(day=today() - timedelta(days=45), n=400)])

    def postgres_is_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("SELECT ...", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(bot.services.sql, "user_entries", postgres_is_down)

    answer = answer_of(bot, "60")

    assert "Older entries could not be loaded right now" in texts_in(answer["blocks"])
    [line] = entry_lines(answer)
    assert "Smith Residence" in line
