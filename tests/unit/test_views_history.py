"""The /history message: escaping, totals per day and overall, paging, states, incompleteness."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from bot.history_args import HistoryQuery
from bot.views.common import escape_mrkdwn, format_hours
from bot.views.history import (
    EXPORT_ACTION,
    MAX_BLOCKS,
    NEXT_ACTION,
    PAGE_SIZE,
    PREVIOUS_ACTION,
    HistoryView,
    history_message,
    period_label,
)
from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.domain.jobs import Job

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)


def entry(
    n: int = 0,
    *,
    day: date = date(2026, 11, 27),
    start: time = time(7, 0),
    end: time = time(15, 30),
    hours: str = "8.00",
    notes: str = "",
    user: str = "U1",
    synced: bool = True,
    dead: bool = False,
    lunch: bool = True,
) -> TimeEntry:
    stamp = datetime(2026, 11, 27, tzinfo=UTC)
    status = SyncStatus.DEAD if dead else (SyncStatus.SYNCED if synced else SyncStatus.PENDING)
    return TimeEntry(
        id=f"00000000-0000-0000-0000-{n:012d}",
        slack_team_id="T1",
        slack_user_id=user,
        user_email="",
        job_id="1042",
        job_name="Smith Residence",
        work_date=day,
        start_time=start,
        end_time=end,
        lunch_start=time(12, 0) if lunch else None,
        lunch_end=time(12, 30) if lunch else None,
        total_hours=Decimal(hours),
        notes=notes,
        change_order="",
        created_at=stamp,
        updated_at=stamp,
        postgres=SinkState(status, synced_version=1 if synced else 0),
    )


def render(
    entries: list[TimeEntry],
    *,
    page: int = 0,
    complete: bool = True,
    user_id: str | None = "U1",
    job_id: str | None = None,
    job: Job | None = None,
) -> dict[str, Any]:
    query = HistoryQuery(FIRST, LAST, user_id=user_id, job_id=job_id, page=page)
    return history_message(HistoryView(query, entries, complete, viewer_id="U1", job=job))


def texts(payload: dict[str, Any]) -> str:
    """Every mrkdwn/plain text the user sees, in order."""
    out: list[str] = []
    for block in payload["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            if "text" in element:
                text = element["text"]
                out.append(text["text"] if isinstance(text, dict) else text)
    return "\n".join(out)


def buttons(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in payload["blocks"]:
        if block["type"] == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = element
    return found


def test_escape_mrkdwn_makes_markup_show_as_text() -> None:
    assert escape_mrkdwn("<!channel> & <@U1> <https://x|y>") == (
        "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://x|y&gt;"
    )


def test_format_hours() -> None:
    assert format_hours(Decimal("8")) == "8.0"
    assert format_hours(Decimal("7.5")) == "7.5"
    assert format_hours(Decimal("7.75")) == "7.75"
    assert format_hours(Decimal("0.25")) == "0.25"


def test_period_label() -> None:
    assert period_label(FIRST, LAST) == "Nov 1 – Nov 30, 2026"
    assert period_label(date(2025, 12, 20), date(2026, 1, 5)) == "Dec 20, 2025 – Jan 5, 2026"
    assert period_label(date(2026, 11, 27), date(2026, 11, 27)) == "Fri Nov 27, 2026"


def test_one_entry_shows_every_field_and_its_state() -> None:
    payload = render([entry(notes="primed north wall")])
    shown = texts(payload)
    assert "*Fri Nov 27* — 8.0 h" in shown
    assert "Smith Residence (1042) · 07:00–15:30 · lunch 12:00–12:30 · *8.0 h* · ✅ SYNCED" in shown
    assert "> primed north wall" in shown
    assert "*Total: 8.0 h* over 1 entry" in shown
    assert "Your hours" in shown
    assert payload["text"] == "Your hours, Nov 1 – Nov 30, 2026: 1 entry, 8.0 h."


def test_pending_failed_and_no_lunch() -> None:
    shown = texts(render([entry(1, synced=False), entry(2, dead=True, synced=False, lunch=False, start=time(16))]))
    assert "⏳ PENDING" in shown
    assert "⚠️ FAILED" in shown
    assert "no lunch" in shown


def test_notes_with_markup_are_escaped_and_long_notes_cut() -> None:
    evil = "<!channel> ping <@U999> & <https://evil.example|click>"
    shown = texts(render([entry(notes=evil)]))
    assert "<!channel>" not in shown
    assert "<@U999>" not in shown
    assert "&lt;!channel&gt; ping &lt;@U999&gt; &amp; &lt;https://evil.example|click&gt;" in shown
    long = texts(render([entry(notes="x" * 3000)]))
    assert "x" * 300 + "…" in long
    assert "x" * 301 not in long


def test_multiline_notes_stay_quoted() -> None:
    shown = texts(render([entry(notes="line one\nline two")]))
    assert "> line one\n> line two" in shown


def test_totals_per_day_and_overall() -> None:
    entries = [
        entry(1, day=date(2026, 11, 27), start=time(12), end=time(16), hours="4.00", lunch=False),
        entry(2, day=date(2026, 11, 27), start=time(7), end=time(11, 30), hours="4.50", lunch=False),
        entry(3, day=date(2026, 11, 26), hours="8.25"),
    ]
    shown = texts(render(entries))
    assert "*Fri Nov 27* — 8.5 h" in shown
    assert "*Thu Nov 26* — 8.25 h" in shown
    assert "*Total: 16.75 h* over 3 entries" in shown
    assert shown.index("Fri Nov 27") < shown.index("Thu Nov 26")


def test_no_entries() -> None:
    payload = render([])
    assert "No hours logged for Nov 1 – Nov 30, 2026." in texts(payload)
    assert buttons(payload) == {}


def test_incomplete_history_says_older_entries_could_not_be_loaded() -> None:
    assert "Older entries could not be loaded right now" in texts(render([entry()], complete=False))
    assert "could not be loaded" not in texts(render([entry()]))


def many(count: int) -> list[TimeEntry]:
    """``count`` entries on distinct days, newest first (worst case for blocks: one heading each)."""
    made = [entry(i, day=LAST - timedelta(days=i % 30), start=time(6 + i // 30)) for i in range(count)]
    return sorted(made, key=lambda e: (e.work_date, e.start_time), reverse=True)


def test_long_results_are_paged_within_the_block_limit() -> None:
    entries = many(40)
    first = render(entries)
    assert len(first["blocks"]) <= MAX_BLOCKS
    assert "page 1 of 3" in texts(first)
    assert set(buttons(first)) == {NEXT_ACTION, EXPORT_ACTION}
    next_query = HistoryQuery.from_value(buttons(first)[NEXT_ACTION]["value"])
    assert next_query == HistoryQuery(FIRST, LAST, user_id="U1", page=1)

    middle = render(entries, page=1)
    assert set(buttons(middle)) == {PREVIOUS_ACTION, NEXT_ACTION, EXPORT_ACTION}
    assert HistoryQuery.from_value(buttons(middle)[PREVIOUS_ACTION]["value"]).page == 0

    last = render(entries, page=2)
    assert set(buttons(last)) == {PREVIOUS_ACTION, EXPORT_ACTION}
    shown_entries = sum(1 for b in last["blocks"] if "SYNCED" in b.get("text", {}).get("text", ""))
    assert shown_entries == 40 - 2 * PAGE_SIZE
    # Totals cover the whole result, not just the page.
    assert "*Total: 320.0 h* over 40 entries" in texts(last)


def test_a_page_past_the_end_shows_the_last_page() -> None:
    assert "page 3 of 3" in texts(render(many(40), page=9))


def test_every_page_fits_even_at_the_worst_case() -> None:
    entries = [entry(i, day=LAST - timedelta(days=i), notes="n" * 3000) for i in range(30)]
    for page in range(2):
        payload = render(entries, page=page)
        assert len(payload["blocks"]) <= MAX_BLOCKS
        for block in payload["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
        assert len(json.dumps(payload)) < 40_000


def test_export_button_carries_the_query_from_page_zero() -> None:
    value = buttons(render(many(20), page=1))[EXPORT_ACTION]["value"]
    assert HistoryQuery.from_value(value) == HistoryQuery(FIRST, LAST, user_id="U1", page=0)


def test_team_views_name_each_person_and_the_job() -> None:
    job = Job("1042", "Smith <& Sons>")
    payload = render([entry(1, user="U7"), entry(2, user="U8", start=time(16))], user_id=None, job_id="1042", job=job)
    shown = texts(payload)
    assert "<@U7> · " in shown
    assert "<@U8> · " in shown
    assert "Everyone's hours on Smith &lt;&amp; Sons&gt; (1042)" in shown


def test_a_manager_viewing_someone_names_them() -> None:
    payload = render([entry(user="U7")], user_id="U7")
    assert "<@U7>'s hours" in texts(payload)
