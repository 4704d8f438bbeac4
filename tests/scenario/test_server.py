"""The HTTP surface: health check, unknown paths, and the app answering on /slack/events."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request

import pytest

from core.settings import Settings
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SIGNING_SECRET, signed_headers, slash_command_body
from tests.scenario.conftest import RunningBot, serve_env, wait_until
from tests.support.servers import free_port


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
    env = serve_env(fake_slack, base_settings, port)
    # serve() itself, as `crewclock serve` calls it (the CLI around it is tested with the CLI).
    launch = (
        "import sys; from bot.server import serve; from core.settings import Settings; "
        f"sys.exit(serve(Settings.from_env(), workers={workers}))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", launch],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
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

        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    output = process.stdout.read().decode() if process.stdout else ""
    assert code == 0, output
    assert "Traceback" not in output


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False
