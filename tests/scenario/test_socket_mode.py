"""`crewclock serve` in Socket Mode (SLACK_APP_TOKEN set): the real process, Slack's protocol on local fakes.

The process asks the Web API fake for a WebSocket URL (``apps.connections.open``, with the
app-level token), connects to the Socket Mode fake, and from then on gets Slack's envelopes
over that connection instead of HTTP POSTs; its answers are acknowledgements on the socket.
Its Web API calls (DMs, the Home) still go to the Web API fake; its entries to Redis and Postgres.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import redis
import sqlalchemy as sa

from core.domain.jobs import Job
from core.settings import Settings
from core.sql.store import SqlStore
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import (
    SIGNING_SECRET,
    USER_ID,
    app_home_opened_event,
    event_body,
    post_signed,
    send,
    slash_command_body,
)
from tests.fakes.slack_socket_mode import FakeSocketMode, app_token
from tests.scenario.conftest import kill_serve, start_serve, stop_serve, texts_in, wait_until
from tests.support.servers import free_port

APP_TOKEN = app_token()
START_S = 30  # the process imports, builds its services and connects


@pytest.fixture
def socket_mode() -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as fake:
        yield fake


@pytest.fixture
def serving(
    fake_slack: FakeSlack, socket_mode: FakeSocketMode, base_settings: Settings, sql: SqlStore, real_redis: redis.Redis
) -> Iterator[subprocess.Popen[bytes]]:
    """`crewclock serve` with SLACK_APP_TOKEN, one job on the books, a user whose Slack zone is UTC."""
    sql.upsert_jobs([Job("1042", "Smith Residence")])
    fake_slack.set_user(USER_ID, tz="UTC")
    fake_slack.enable_socket_mode(socket_mode.issue_url, app_token=APP_TOKEN)
    process = start_serve(
        fake_slack, base_settings, free_port(), workers=1, env={"SLACK_APP_TOKEN": APP_TOKEN, "TIMEZONE": "UTC"}
    )
    try:
        yield process
    finally:
        kill_serve(process)


def slash_command(text: str, user_id: str = USER_ID) -> dict[str, Any]:
    """The fields of a ``/hours`` form POST, as a Socket Mode envelope carries them."""
    return dict(parse_qsl(slash_command_body(text=text, user_id=user_id), keep_blank_values=True))


def saved_entries(sql: SqlStore) -> list[Any]:
    with sql.engine.connect() as conn:
        query = "SELECT slack_user_id, job_name, work_date, start_time, end_time, total_hours, notes FROM time_entries"
        return list(conn.execute(sa.text(query)).all())


def test_socket_mode_serve_logs_hours_publishes_the_home_and_stops_on_sigterm(
    serving: subprocess.Popen[bytes], fake_slack: FakeSlack, socket_mode: FakeSocketMode, sql: SqlStore
) -> None:
    # Connected with a URL asked for with the app-level token, in the Authorization header.
    connection = socket_mode.wait_for_connection(timeout=START_S)
    [opened] = fake_slack.calls("apps.connections.open")
    assert opened["headers"]["authorization"] == f"Bearer {APP_TOKEN}"
    assert opened["response"]["ok"] is True
    assert parse_qs(urlsplit(opened["response"]["url"]).query)["ticket"] == [connection.ticket]
    days = {datetime.now(UTC).date()}

    # /hours over the socket: the acknowledgement carries the answer the user sees.
    envelope_id = socket_mode.push_slash_command(slash_command("7-3:30 lunch 30 smith -- primed"))
    ack = socket_mode.wait_for_ack(envelope_id, timeout=10)
    days.add(datetime.now(UTC).date())  # the test may straddle midnight

    assert set(ack) == {"envelope_id", "payload"}
    answer = ack["payload"]
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Logged 8.0 h · Smith Residence · ")
    assert "⏳ pending" in answer["text"] or "✅ saved" in answer["text"]

    # In Postgres, as typed.
    [row] = wait_until(lambda: saved_entries(sql), timeout=15, what="the entry in Postgres")
    assert (row.slack_user_id, row.job_name, row.notes) == (USER_ID, "Smith Residence", "primed")
    assert row.work_date in days
    assert (f"{row.start_time:%H:%M}", f"{row.end_time:%H:%M}", row.total_hours) == ("07:00", "15:30", Decimal("8.00"))

    # The DM confirmation says saved (posted pending and updated, or posted once the save was done).
    dm_channel = fake_slack.dm_channel(USER_ID)

    def saved_dm() -> dict[str, Any] | None:
        messages = fake_slack.messages(dm_channel)
        return messages[0] if len(messages) == 1 and "✅ saved" in messages[0]["text"] else None

    dm = wait_until(saved_dm, timeout=15, what="the DM updated to ✅ saved")
    assert dm["text"].startswith("Logged 8.0 h · Smith Residence · ")

    # app_home_opened over the socket: acknowledged without a payload, then the Home is published.
    event_id = socket_mode.push_event(json.loads(event_body(app_home_opened_event(USER_ID))))
    assert socket_mode.wait_for_ack(event_id, timeout=10) == {"envelope_id": event_id}
    [publish] = fake_slack.wait_for("views.publish", timeout=10)
    assert publish["params"]["user_id"] == USER_ID
    home = texts_in(publish["response"]["view"]["blocks"])
    assert "Smith Residence · 07:00–15:30 · *8.0 h*" in home

    # SIGTERM: the connection is closed by the app and the process exits 0, without connecting again.
    code, output = stop_serve(serving, timeout=30)
    assert code == 0, output
    assert "Traceback" not in output, output
    closed = socket_mode.wait_closed(connection, timeout=5)
    assert not closed.closed_by_fake
    assert len(socket_mode.connections()) == 1
    assert len(fake_slack.calls("apps.connections.open")) == 1


def test_slacks_refresh_request_moves_the_bot_to_a_new_connection_that_answers(
    serving: subprocess.Popen[bytes], fake_slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    """Slack refreshes Socket Mode connections every few hours with a ``disconnect`` message: the bot
    must fetch a new URL and connect again, or it goes deaf."""
    first = socket_mode.wait_for_connection(timeout=START_S)

    socket_mode.request_refresh(first)

    second = socket_mode.wait_for_connection(2, timeout=15)
    assert second.ticket != first.ticket
    assert [c["response"]["ok"] for c in fake_slack.calls("apps.connections.open")] == [True, True]
    socket_mode.wait_closed(first, timeout=10)  # the bot let go of the old one
    envelope_id = socket_mode.push_slash_command(slash_command("help"), second)
    ack = socket_mode.wait_for_ack(envelope_id, timeout=10)
    assert ack in second.received
    assert ack["payload"]["text"].startswith("*Log hours in one line:*")

    code, output = stop_serve(serving, timeout=30)
    assert code == 0, output
    assert "Traceback" not in output, output
    assert len(socket_mode.connections()) == 2


def test_a_sigterm_while_commands_arrive_answers_every_one_it_took_and_records_no_other(
    serving: subprocess.Popen[bytes], fake_slack: FakeSlack, socket_mode: FakeSocketMode, sql: SqlStore
) -> None:
    """Envelopes the bot has read when the signal comes are handled and acknowledged before it lets go
    of the connection; the ones it has not read are left alone (Slack tells those people it failed).
    So whoever was told "Logged" has the entry, and nobody else has one."""
    connection = socket_mode.wait_for_connection(timeout=START_S)
    day = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    users = [f"U0SOCK{i:03d}" for i in range(40)]
    sent = {socket_mode.push_slash_command(slash_command(f"{day} 7-3:30 job 1042", user)): user for user in users}
    socket_mode.wait_for_ack(next(iter(sent)), timeout=10)  # taking commands: now stop it mid-stream

    code, output = stop_serve(serving, timeout=30)

    assert code == 0, output
    socket_mode.wait_closed(connection, timeout=5)  # every frame the bot sent has been read
    acks = [m for m in connection.received if m.get("envelope_id") in sent]
    assert all(a["payload"]["text"].startswith("Logged 8.5 h · Smith Residence · ") for a in acks), acks
    told_logged = {sent[a["envelope_id"]] for a in acks}
    with sql.engine.connect() as conn:
        recorded = set(conn.execute(sa.text("SELECT slack_user_id FROM time_entries")).scalars().all())
    assert sorted(recorded - told_logged) == [], "recorded, but the ack never reached Slack"
    assert recorded == told_logged
    assert "Traceback" not in output, output


def test_socket_mode_answers_health_readiness_and_metrics_on_port(
    fake_slack: FakeSlack, socket_mode: FakeSocketMode, base_settings: Settings, sql: SqlStore
) -> None:
    """No Slack request comes over HTTP in Socket Mode, but orchestrators still probe and scrape PORT."""
    fake_slack.enable_socket_mode(socket_mode.issue_url, app_token=APP_TOKEN)
    port = free_port()
    process = start_serve(fake_slack, base_settings, port, workers=1, env={"SLACK_APP_TOKEN": APP_TOKEN})
    try:
        connection = socket_mode.wait_for_connection(timeout=START_S)
        envelope_id = socket_mode.push_slash_command(slash_command("help"), connection)
        assert socket_mode.wait_for_ack(envelope_id, timeout=10)["payload"]["response_type"] == "ephemeral"

        url = f"http://127.0.0.1:{port}"
        health, ready, metrics = (send(url + path) for path in ("/healthz", "/readyz", "/metrics"))
        events = post_signed(url + "/slack/events", SIGNING_SECRET, slash_command_body(text="help"))

        code, output = stop_serve(process, timeout=30)
    finally:
        kill_serve(process)

    assert (health.status, health.body) == (200, b'{"status": "ok", "redis": true}')
    assert ready.status == 200 and ready.json()["status"] == "ready"
    assert metrics.status == 200 and b"crewclock_entries_recorded_total" in metrics.body
    assert events.status == 404  # even signed: Slack's requests come over the socket in this mode
    assert code == 0 and "Traceback" not in output, output


def test_a_wrong_app_token_is_refused_and_serve_exits_with_slacks_error(
    fake_slack: FakeSlack, socket_mode: FakeSocketMode, base_settings: Settings, sql: SqlStore
) -> None:
    """An app-level token Slack does not know: no connection, and serve stops saying why (not a silent wait)."""
    fake_slack.enable_socket_mode(socket_mode.issue_url, app_token=APP_TOKEN)
    process = start_serve(fake_slack, base_settings, free_port(), workers=1, env={"SLACK_APP_TOKEN": app_token()})
    try:
        output, _ = process.communicate(timeout=START_S)
    finally:
        kill_serve(process)

    assert process.returncode == 2  # a configuration error, said in one line
    text = output.decode()
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in text, text
    assert "Traceback" not in text, text
    [refused] = fake_slack.calls("apps.connections.open")
    assert refused["response"] == {"ok": False, "error": "invalid_auth"}
    assert socket_mode.connections() == []


def test_a_bot_token_slack_refuses_stops_serve_with_a_plain_reason(
    socket_mode: FakeSocketMode, base_settings: Settings, sql: SqlStore
) -> None:
    with FakeSlack(token="xoxb-the-one-slack-issued") as strict:
        strict.enable_socket_mode(socket_mode.issue_url, app_token=APP_TOKEN)
        process = start_serve(strict, base_settings, free_port(), workers=1, env={"SLACK_APP_TOKEN": APP_TOKEN})
        try:
            output, _ = process.communicate(timeout=START_S)
        finally:
            kill_serve(process)

    text = output.decode()
    assert process.returncode == 2, text
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in text, text
    assert "Traceback" not in text, text
    assert socket_mode.connections() == []
