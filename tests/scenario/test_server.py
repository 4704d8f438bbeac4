"""The HTTP surface: health check, unknown paths, and the app answering on /slack/events."""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from bot.server import BACKGROUND_NICENESS
from core.domain.jobs import Job
from core.settings import Settings
from core.sql.store import SqlStore
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SIGNING_SECRET, signed_headers, slash_command_body
from tests.scenario.conftest import RunningBot, kill_serve, start_serve, stop_serve, wait_until
from tests.support.servers import PrivateRedis, free_port


def test_healthz_answers_200_json_with_redis_up(bot: RunningBot) -> None:
    response = bot.get("/healthz")

    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok", "redis": True}


def test_unknown_path_is_404(bot: RunningBot) -> None:
    assert bot.get("/nope").status == 404


def test_help_is_answered_on_the_events_path(bot: RunningBot) -> None:
    response = bot.post(slash_command_body(text="help"))

    assert response.status == 200
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert "/hours 7-3:30 smith" in answer["text"]


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_then_stops_gracefully_on_sigterm(
    fake_slack: FakeSlack, base_settings: Settings, sql: object, workers: int
) -> None:
    port = free_port()
    process = start_serve(fake_slack, base_settings, port, workers=workers)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _healthy(url), timeout=15, what="crewclock serve up")
        for _ in range(4):  # new connections: with two workers, both get some
            body = slash_command_body(text="help")
            request = urllib.request.Request(
                url + "/slack/events", data=body.encode(), headers=signed_headers(SIGNING_SECRET, body), method="POST"
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200
                assert b"Log hours in one line" in response.read()

        code, output = stop_serve(process, timeout=20)
    finally:
        kill_serve(process)
    assert code == 0, output
    assert "Traceback" not in output


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _post(url: str, text: str, user_id: str) -> str:
    body = slash_command_body(text=text, user_id=user_id)
    request = urllib.request.Request(
        url + "/slack/events", data=body.encode(), headers=signed_headers(SIGNING_SECRET, body), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
        return str(json.loads(response.read())["text"])


def test_serve_splits_acks_from_background_work_and_loses_nothing_on_sigterm(
    fake_slack: FakeSlack, base_settings: Settings, sql: SqlStore
) -> None:
    """HTTP workers only acknowledge; the background process syncs and DMs (bot.offload).

    Entries acknowledged by two workers reach Postgres, each user's DM says saved, and the
    entries acknowledged just before SIGTERM are in Postgres once serve has exited.
    """
    sql.upsert_jobs([Job("1042", "Smith Residence")])
    port = free_port()
    process = start_serve(fake_slack, base_settings, port, workers=2)
    day = (date.today() - timedelta(days=1)).isoformat()
    users = [f"U0SPLIT{i:02d}" for i in range(12)]
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _healthy(url), timeout=15, what="crewclock serve up")

        # The background process yields the cores to the acks when both want them: the workers
        # run at niceness 0 under the normal policy, the background under the idle one.
        def priorities() -> list[tuple[int, int]]:
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
            stats = [Path(f"/proc/{c}/stat").read_text().rsplit(")", 1)[1].split() for c in children]
            return sorted((int(fields[16]), int(fields[38])) for fields in stats)  # niceness, policy

        normal = (0, os.SCHED_OTHER)
        background = (BACKGROUND_NICENESS, os.SCHED_IDLE)
        wait_until(lambda: priorities() == [normal, normal, background], timeout=10, what="background yields")
        answers = [_post(url, f"{day} 7-3:30 job 1042", user) for user in users[:6]]
        assert all(a.startswith("Logged 8.5 h · Smith Residence") for a in answers), answers
        # The background process saved them and said so in each DM.
        wait_until(lambda: len(fake_slack.calls("chat.postMessage")) >= 6, timeout=10, what="six DMs")
        for user in users[:6]:
            [dm] = fake_slack.messages(fake_slack.dm_channel(user))
            assert "✅ saved" in dm["text"], dm["text"]
        # Six more, then stop at once: acknowledged means kept.
        for user in users[6:]:
            _post(url, f"{day} 6-2:30 job 1042", user)
        code, output = stop_serve(process, timeout=30)
    finally:
        kill_serve(process)
    assert code == 0, output
    assert "Traceback" not in output
    with sql.engine.connect() as conn:
        saved = conn.execute(sa.text("SELECT slack_user_id FROM time_entries")).scalars().all()
    assert sorted(saved) == users


def test_serve_on_redis_over_its_unix_socket_acknowledges_saves_and_confirms(
    fake_slack: FakeSlack, base_settings: Settings, sql: SqlStore
) -> None:
    """docs/deploy.md: a bot on Redis's own host may connect over its Unix socket (REDIS_URL=unix://…).

    The ack's fast path (``HotStore._run_record``), the background sync and the DM all work on it.
    """
    sql.upsert_jobs([Job("1042", "Smith Residence")])
    redis_server = PrivateRedis().start()
    port = free_port()
    process = start_serve(fake_slack, base_settings, port, workers=1, env={"REDIS_URL": redis_server.socket_url})
    day = (date.today() - timedelta(days=1)).isoformat()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _healthy(url), timeout=15, what="crewclock serve up")
        answers = [_post(url, f"{day} 7-3:30 job 1042", f"U0SOCK{i}") for i in range(3)]
        assert all(a.startswith("Logged 8.5 h · Smith Residence") for a in answers), answers
        wait_until(lambda: len(fake_slack.calls("chat.postMessage")) >= 3, timeout=10, what="three DMs")
        wait_until(
            lambda: all(
                "✅ saved" in fake_slack.messages(fake_slack.dm_channel(f"U0SOCK{i}"))[0]["text"] for i in range(3)
            ),
            timeout=10,
            what="each DM says saved",
        )
        held = redis.Redis.from_url(redis_server.socket_url).dbsize()
        code, output = stop_serve(process, timeout=30)
    finally:
        kill_serve(process)
        redis_server.close()
    assert code == 0, output
    assert "Traceback" not in output
    assert held > 0  # the entries went to the socket's server, not the shared one on the TCP port
    with sql.engine.connect() as conn:
        saved = conn.execute(sa.text("SELECT slack_user_id FROM time_entries")).scalars().all()
    assert sorted(saved) == ["U0SOCK0", "U0SOCK1", "U0SOCK2"]


def test_a_sigterm_to_the_whole_group_still_syncs_and_confirms_every_acknowledged_entry(
    fake_slack: FakeSlack, base_settings: Settings, sql: SqlStore
) -> None:
    """systemd's default stop (and Ctrl-C) signals every process at once, while requests are still
    arriving; the background process keeps taking the HTTP workers' hand-offs until they have all
    stopped, so every entry that was acknowledged is in Postgres and was confirmed by DM."""
    sql.upsert_jobs([Job("1042", "Smith Residence")])
    port = free_port()
    process = start_serve(fake_slack, base_settings, port, workers=2, own_group=True)
    day = (date.today() - timedelta(days=1)).isoformat()
    acknowledged: list[str] = []

    def keep_logging() -> None:
        for i in range(10_000):
            user = f"U0GROUP{i:04d}"
            try:
                if _post(url, f"{day} 7-3:30 job 1042", user).startswith("Logged"):
                    acknowledged.append(user)
            except OSError:
                return  # the server has stopped accepting

    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _healthy(url), timeout=15, what="crewclock serve up")
        poster = threading.Thread(target=keep_logging)
        poster.start()
        wait_until(lambda: len(acknowledged) >= 20, timeout=15, what="20 acknowledged entries")
        code, output = stop_serve(process, timeout=40, whole_group=True)  # mid-stream
        poster.join(timeout=10)
    finally:
        kill_serve(process)
    assert code == 0, output
    with sql.engine.connect() as conn:
        saved = set(conn.execute(sa.text("SELECT slack_user_id FROM time_entries")).scalars().all())
    assert set(acknowledged) <= saved
    confirmed = {call["params"]["channel"] for call in fake_slack.calls("chat.postMessage")}
    assert {fake_slack.dm_channel(u) for u in acknowledged} <= confirmed


def test_a_bot_token_slack_refuses_stops_every_process_with_a_plain_reason(
    base_settings: Settings, sql: SqlStore
) -> None:
    with FakeSlack(token="xoxb-the-one-slack-issued") as strict:
        process = start_serve(strict, base_settings, free_port(), workers=2)
        try:
            output, _ = process.communicate(timeout=60)
        finally:
            kill_serve(process)

    text = output.decode()
    assert process.returncode == 1, text  # serve stops when its processes cannot start
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in text, text
    assert "Traceback" not in text, text
