"""`crewclock serve --workers 2`: whichever worker answers /metrics reports every worker's requests."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from core.settings import Settings
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SIGNING_SECRET, signed_headers, slash_command_body
from tests.scenario.conftest import kill_serve, serve_env, stop_serve, wait_until
from tests.support.servers import free_port

REQUESTS = 8


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except OSError:
        return 0, b""


def command_acks(url: str) -> float:
    """Slash commands counted by one scrape (answered by whichever worker accepts the connection)."""
    _, body = _get(url + "/metrics")
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "crewclock_ack_seconds_count" and sample.labels.get("kind") == "command":
                return float(sample.value)
    return 0.0


def test_every_scrape_adds_up_both_workers(fake_slack: FakeSlack, base_settings: Settings, sql: object) -> None:
    port = free_port()
    env = serve_env(fake_slack, base_settings, port)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _get(url + "/healthz")[0] == 200, timeout=20, what="serve up")
        for _ in range(REQUESTS):  # a new connection each: the kernel spreads them over both workers
            body = slash_command_body(text="help")
            request = urllib.request.Request(
                url + "/slack/events", data=body.encode(), headers=signed_headers(SIGNING_SECRET, body), method="POST"
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200

        scrapes = [command_acks(url) for _ in range(6)]
        assert scrapes == [REQUESTS] * 6
        assert _get(url + "/readyz")[0] == 200

        code, output = stop_serve(process, timeout=30)
    finally:
        kill_serve(process)
    assert code == 0, output
    assert "Traceback" not in output
