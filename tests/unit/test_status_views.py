"""The admins' status message and alert DMs, as pure Block Kit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from datetime import time as clock
from decimal import Decimal

import pytest

from bot.views.status import (
    CONFIRM_TEXT_MAX,
    DISCARD_ACTION,
    alert_message,
    discard_confirm_text,
    format_age,
    format_bytes,
    status_message,
)
from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.ops.alerts import DEAD_LETTERS, PENDING_AGE, Alert
from core.ops.backlog import Backlog
from core.ops.sink_health import SinkHealth
from core.ops.status import OpsStatus, dead_letter_of
from tests.scenario.conftest import texts_in

NOW = 1_800_000_000.0


def entry(version: int = 2, error: str = "value too long") -> TimeEntry:
    return TimeEntry(
        "3f1c0f4e-0000-4000-8000-000000000001", "T1", "U123", "", "1042", "Smith <Residence>", date(2026, 11, 27),
        clock(7), clock(15, 30), None, None, Decimal("8.5"), "", "", datetime.now(UTC), datetime.now(UTC), version,
        postgres=SinkState(SyncStatus.DEAD, 8, 0, 0, error, 0.0), zoho=SinkState(SyncStatus.OFF),
    )  # fmt: skip


def status(**overrides: object) -> OpsStatus:
    fields: dict[str, object] = {
        "backlog": Backlog(3, 1, 125.0, False),
        "dead_letters": [dead_letter_of(entry(), 1)],
        "sinks": [SinkHealth("postgres", NOW - 7200, NOW - 30, "connection refused")],
        "zoho_mode": "off",
        "redis_used_bytes": 900 * 1024 * 1024,
        "redis_max_bytes": 1024 * 1024 * 1024,
    }
    fields.update(overrides)
    return OpsStatus(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(42, "42 s"), (180, "3 min"), (7500, "2 h 5 min"), (7200, "2 h"), (3 * 86400 + 3600, "3 d 1 h")],
)
def test_ages_read_as_a_person_says_them(seconds: float, text: str) -> None:
    assert format_age(seconds) == text


def test_bytes() -> None:
    assert (format_bytes(512), format_bytes(2048), format_bytes(5 * 1024**3)) == ("512 B", "2.0 KB", "5.0 GB")


def test_the_status_says_where_things_stand_and_escapes_user_text() -> None:
    shown = texts_in(status_message(status(), now=NOW, changed="🔁 retried")["blocks"])

    assert "🔁 retried" in shown
    assert "*Backlog:* 3 pending, oldest at least 2 min · 1 failed (dead-lettered)" in shown
    assert "*Postgres*: last success 2 h ago\n⚠️ last error 30 s ago: `connection refused`" in shown
    assert "*Zoho*: off" in shown
    assert "*Redis memory:* ⚠️ 900.0 MB of 1.0 GB (88%)" in shown
    assert "Smith &lt;Residence&gt;" in shown
    assert "❌ Postgres gave up after 8 attempts: `value too long`" in shown


def test_redis_without_info_and_without_limit() -> None:
    assert "not reported" in texts_in(status_message(status(redis_used_bytes=None), now=NOW)["blocks"])
    assert "no `maxmemory` limit" in texts_in(status_message(status(redis_max_bytes=0), now=NOW)["blocks"])


@pytest.mark.parametrize(
    ("saved_version", "says"),
    [
        (2, "Postgres holds this entry (version 2)"),
        (1, "Postgres does NOT hold this entry (it has only version 1"),
        (0, "Postgres does NOT hold this entry (it has no copy"),
        (None, "Postgres could not be asked"),
    ],
)
def test_discard_confirmation_says_whether_postgres_has_the_entry(saved_version: int | None, says: str) -> None:
    letter = dead_letter_of(entry(version=2), saved_version)
    text = discard_confirm_text(letter)
    assert says in text
    assert len(text) <= CONFIRM_TEXT_MAX
    blocks = status_message(status(dead_letters=[letter]), now=NOW)["blocks"]
    [discard] = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == DISCARD_ACTION]
    assert discard["confirm"]["text"]["text"] == text


def test_alert_texts() -> None:
    backlog = Backlog(40, 2, 1000.0, True)
    assert "2 time entries failed to sync" in alert_message(Alert(DEAD_LETTERS, False, backlog, 900))["text"]
    assert "no failed syncs any more" in alert_message(Alert(DEAD_LETTERS, True, backlog, 900))["text"]
    raised = alert_message(Alert(PENDING_AGE, False, backlog, 900))["text"]
    assert "40 pending, the oldest for 16 min (alert at 15 min)" in raised
    assert "moving again" in alert_message(Alert(PENDING_AGE, True, backlog, 900))["text"]
