"""Pure views and parsing of the manager tools: approval rows, the audit list, /crewclock remind."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from bot.history_args import parse_history_args
from bot.listeners.commands.remind import RemindArgsError, RemindRequest, parse_clock, parse_remind
from bot.views.approvals import (
    APPROVE_ACTION,
    REOPEN_ACTION,
    StaleButton,
    people_in,
    person_row,
    read_approval_value,
    with_approvals,
)
from bot.views.audit import entry_history_message, step_text
from bot.views.weekly import DigestLine, team_digest_message
from core.service import EntryHistory
from core.sql.approvals import Approval
from core.sql.audit import AuditStep

MONDAY = date(2026, 11, 23)
APPROVED = Approval("T1", "U1", MONDAY, "approved", "U0MGR", datetime(2026, 11, 27, 17, tzinfo=UTC))


def test_a_row_turns_from_approve_to_reopen_and_keeps_its_line() -> None:
    row = person_row("U1", "Pat — 40.0 h", MONDAY, None)
    assert row["accessory"]["action_id"] == APPROVE_ACTION
    assert read_approval_value(row["accessory"]["value"]) == (MONDAY, "U1")

    [redrawn] = with_approvals([row], {"U1": APPROVED})

    assert redrawn["text"]["text"] == "Pat — 40.0 h\n✅ Approved by <@U0MGR> on Fri Nov 27"
    assert redrawn["accessory"]["action_id"] == REOPEN_ACTION
    assert people_in([redrawn, {"type": "divider"}]) == ["U1"]
    with pytest.raises(StaleButton):
        read_approval_value("not json")


def test_the_digest_has_a_row_per_person_and_approve_all_within_slacks_limits() -> None:
    lines = [DigestLine(f"U{i}", f"Person {i:02d}", Decimal(8)) for i in range(3)]
    message = team_digest_message(lines, first=MONDAY, last=date(2026, 11, 29), approvals={"U1": APPROVED})
    rows = [b for b in message["blocks"] if str(b.get("block_id", "")).startswith("approval:")]
    assert [r["accessory"]["action_id"] for r in rows] == [APPROVE_ACTION, REOPEN_ACTION, APPROVE_ACTION]
    assert message["blocks"][-1]["block_id"] == "approval_all"

    many = [DigestLine(f"U{i}", f"P{i:03d}", lines[0].total) for i in range(60)]
    big = team_digest_message(many, first=MONDAY, last=date(2026, 11, 29), approvals={})
    assert len(big["blocks"]) <= 50 and big["blocks"][-1]["block_id"] == "approval_all"


def test_the_audit_list_names_who_changed_what() -> None:
    at = datetime(2026, 11, 27, 15, 2, tzinfo=UTC)
    steps = [
        AuditStep("e1", 1, "T1", "U1", "create", "U1", at, {
            "job_id": [None, "1042"], "job_name": [None, "Smith"], "work_date": [None, "2026-11-27"],
            "start_time": [None, "07:00"], "end_time": [None, "15:30"], "total_hours": [None, "8.50"],
        }),
        AuditStep("e1", 2, "T1", "U1", "edit", "U0MGR", at, {"notes": ["", "<b>2nd</b> coat"]}),
        AuditStep("e1", 3, "T1", "U1", "delete", "U1", at, {"deleted": [False, True]}),
    ]  # fmt: skip
    assert step_text(steps[0]) == (
        "*v1 · Created* by <@U1> · Fri Nov 27 15:02 UTC\nSmith (1042) · 2026-11-27 · 07:00–15:30 · 8.50 h"
    )
    assert step_text(steps[1]).endswith("• Notes: — → &lt;b&gt;2nd&lt;/b&gt; coat")
    assert step_text(steps[2]) == "*v3 · Deleted* by <@U1> · Fri Nov 27 15:02 UTC"
    message = entry_history_message(EntryHistory("e1", steps))
    assert message["text"] == "Entry history: 3 step(s)."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("remind", RemindRequest("status")),
        ("remind on", RemindRequest("on")),
        ("remind on 16:30", RemindRequest("on", at=time(16, 30))),
        ("remind ON 4:30pm", RemindRequest("on", at=time(16, 30))),
        ("remind on 0700", RemindRequest("on", at=time(7))),
        ("remind off", RemindRequest("off")),
        ("remind team on 5pm", RemindRequest("on", team=True, at=time(17))),
        ("remind team off", RemindRequest("off", team=True)),
    ],
)
def test_remind_arguments(text: str, expected: RemindRequest) -> None:
    assert parse_remind(text) == expected


@pytest.mark.parametrize("text", ["remind maybe", "remind on 25:00", "remind on 13pm", "remind off now"])
def test_bad_remind_arguments_are_refused(text: str) -> None:
    with pytest.raises(RemindArgsError):
        parse_remind(text)


def test_clock_forms() -> None:
    assert parse_clock("12am") == time(0) and parse_clock("12pm") == time(12) and parse_clock("7a") == time(7)


def test_history_chart_is_a_keyword_before_the_usual_arguments() -> None:
    args = parse_history_args("chart last week")
    assert args.chart and args.period.kind == "last_week"
    assert not parse_history_args("last week").chart


def test_the_digest_flags_overtime_at_the_configured_threshold() -> None:
    lines = [DigestLine("U1", "Pat", Decimal(42))]
    week = {"first": MONDAY, "last": date(2026, 11, 29)}
    assert team_digest_message(lines, **week)["text"].endswith("1 person logged 42.0 h; 1 past 40 h.")
    assert team_digest_message(lines, **week, overtime_after=Decimal(45))["text"].endswith("logged 42.0 h.")
    lower = team_digest_message(lines, **week, overtime_after=Decimal("37.5"))
    assert lower["text"].endswith("1 person logged 42.0 h; 1 past 37.5 h.")
