"""The bot as Slack sees it: the real ASGI app on uvicorn, on a free port, with FakeSlack as the Web API.

    def test_something(bot: RunningBot) -> None:
        response = bot.post(slash_command_body(text="7-3:30 job 1042"))
        assert response.status == 200
        bot.slack.wait_for("chat.postMessage")

``start_bot(**settings)`` starts another one with different settings (managers, Zoho...);
``bot`` is one with the defaults. Core services run on the real Redis and Postgres
(``make_services`` from tests/conftest.py); nothing is mocked between the HTTP request and
the stores.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_bolt import App

from bot.app import build_app
from bot.server import EVENTS_PATH, HttpServer, make_asgi_app
from core.bootstrap import Services
from core.domain.entry import TimeEntry
from core.domain.jobs import Job
from core.settings import Settings
from tests.fakes.slack_api import TEAM_ID, FakeSlack
from tests.fakes.slack_requests import (
    SIGNING_SECRET,
    USER_ID,
    SignedResponse,
    send,
    signed_headers,
    slash_command_body,
    state_value,
    view_for_payload,
    view_submission_body,
)
from tests.support.waiting import wait_until  # noqa: F401 - re-exported to the scenario tests

BOT_TOKEN = "xoxb-crewclock-test"  # a test value, not a credential
JOBS = (
    Job("1042", "Smith Residence"),
    Job("1043", "Smithson Garage"),
    Job("2001", "Sun Valley Clinic"),
    Job("3001", "Old Depot", active=False),
)


@dataclass
class RunningBot:
    """One bot process as far as Slack can tell: an HTTP endpoint, its Web API, its stores."""

    url: str
    slack: FakeSlack
    services: Services
    app: App
    settings: Settings
    _server: HttpServer = field(repr=False)

    @property
    def events_url(self) -> str:
        return self.url + EVENTS_PATH

    def post(
        self,
        body: str,
        headers: dict[str, str] | None = None,
        *,
        retry_num: int | None = None,
        timeout: float = 10.0,
    ) -> SignedResponse:
        """POST ``body`` to /slack/events, signed now with the app's secret unless ``headers`` are given."""
        sent = headers if headers is not None else signed_headers(SIGNING_SECRET, body, retry_num=retry_num)
        request = urllib.request.Request(self.events_url, data=body.encode(), headers=sent, method="POST")
        return send(request, timeout)

    def get(self, path: str, timeout: float = 10.0) -> SignedResponse:
        return send(urllib.request.Request(self.url + path, method="GET"), timeout)

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until nothing is pending in Redis (the sync pool, helped by sweeps)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending, _ = self.services.hot.counts()
            if pending == 0:
                return
            self.services.sync.sweep()
            time.sleep(0.02)
        raise TimeoutError(f"{self.services.hot.counts()[0]} entries still pending after {timeout}s")

    def stop(self) -> None:
        self._server.stop(deadline_s=5)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def start_bot(fake_slack: FakeSlack, make_services: Callable[..., Services]) -> Iterator[Callable[..., RunningBot]]:
    """Start a bot (settings overrides as keyword arguments); each is stopped after the test.

    FakeSlack is set up before the services, so it outlives them: lazy listeners still
    running when the services stop can finish their Web API calls.
    """
    running: list[RunningBot] = []

    def start(*, jobs: tuple[Job, ...] = JOBS, **overrides: Any) -> RunningBot:
        settings_overrides: dict[str, Any] = {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": fake_slack.base_url,
            "timezone": "UTC",
            **overrides,
        }
        services = make_services(**settings_overrides)
        if jobs:
            services.jobs.upsert(list(jobs))
        services.start()
        app = build_app(services.settings, services)
        server = HttpServer(make_asgi_app(app, services), host="127.0.0.1", port=0).start()
        bot = RunningBot(f"http://127.0.0.1:{server.port}", fake_slack, services, app, services.settings, server)
        running.append(bot)
        return bot

    yield start
    for bot in running:
        bot.stop()
        bot.services.stop()  # lazy listeners finish while FakeSlack still answers


@pytest.fixture
def bot(start_bot: Callable[..., RunningBot]) -> RunningBot:
    return start_bot()


def serve_env(
    fake_slack: FakeSlack, settings: Settings, port: int, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a `crewclock serve` process on the test servers and the Slack fake (``extra`` last)."""
    env = {
        **os.environ,
        "REDIS_URL": settings.redis_url,
        "DATABASE_URL": settings.database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
        "SLACK_APP_TOKEN": "",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # serve sets up its own
    return {**env, **(extra or {})}


def start_serve(
    fake_slack: FakeSlack,
    settings: Settings,
    port: int,
    *,
    workers: int,
    own_group: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``serve()`` itself in a new process, as `crewclock serve` calls it (the CLI is tested with the CLI).

    ``own_group``: in a process group of its own, so a test can signal every process at once.
    ``env``: variables set on top of :func:`serve_env`'s (``SLACK_APP_TOKEN`` for Socket Mode).
    """
    launch = (
        "import sys; from bot.server import serve; from core.settings import Settings; "
        f"sys.exit(serve(Settings.from_env(), workers={workers}))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", launch],
        env=serve_env(fake_slack, settings, port, env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=own_group,
    )


def stop_serve(process: subprocess.Popen[bytes], *, timeout: float, whole_group: bool = False) -> tuple[int, str]:
    """SIGTERM a serve process (``whole_group``: every process of its group at once, as systemd does);
    its exit code and everything it printed."""
    if whole_group:
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=timeout)  # read as it goes: a full pipe would block the process
    return process.returncode, output.decode() if output else ""


def kill_serve(process: subprocess.Popen[bytes]) -> None:
    """After a test, a serve process still running (the test failed on the way) is ended, children too."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(process.pid) == process.pid:  # started with own_group: its children are in it
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    process.wait(timeout=10)


def texts_in(node: Any) -> str:
    """Every ``text`` string in some Block Kit (blocks, a view, a message), one per line: what a user reads."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node)
    return "\n".join(found)


def json_param(call: dict[str, Any], name: str) -> Any:
    """A Web API call's parameter that slack_sdk sent JSON-encoded (view, blocks)."""
    value = call["params"][name]
    return json.loads(value) if isinstance(value, str) else value


def open_modal(bot: RunningBot, user_id: str = USER_ID) -> dict[str, Any]:
    """``/hours`` with no text; returns the modal as views.open got it (with Slack's view id)."""
    before = len(bot.slack.calls("views.open"))
    assert bot.post(slash_command_body(text="", user_id=user_id)).status == 200
    call = bot.slack.wait_for("views.open", before + 1)[-1]
    return dict(call["response"]["view"])


def modal_values(
    *,
    work_date: str,
    job: str | None = "1042",
    start: str | None = "07:00",
    end: str | None = "15:30",
    lunch_start: str | None = None,
    lunch_end: str | None = None,
    notes: str = "",
    change_order: str = "",
    job_element: str = "static_select",
) -> dict[str, dict[str, dict[str, Any]]]:
    """``view.state.values`` of the entry modal as Slack sends them on submit."""
    return {
        "job": {"job_select": state_value(job_element, job)},
        "work_date": {"date": state_value("datepicker", work_date)},
        "start_time": {"time": state_value("timepicker", start)},
        "end_time": {"time": state_value("timepicker", end)},
        "lunch_start": {"time": state_value("timepicker", lunch_start)},
        "lunch_end": {"time": state_value("timepicker", lunch_end)},
        "notes": {"text": state_value("plain_text_input", notes or None)},
        "change_order": {"text": state_value("plain_text_input", change_order or None)},
    }


def submission(view: dict[str, Any], values: dict[str, Any], user_id: str = USER_ID) -> str:
    """The view_submission of an opened ``view`` with ``values`` typed in."""
    return view_submission_body(
        view_id=view["id"],
        callback_id=view["callback_id"],
        state_values=values,
        private_metadata=view["private_metadata"],
        blocks=view["blocks"],
        user_id=user_id,
    )


def entries_of(bot: RunningBot, user_id: str = USER_ID) -> list[TimeEntry]:
    """The user's live entries as Redis holds them (the acknowledged truth), newest first."""
    return [e for e in bot.services.hot.user_entries(TEAM_ID, user_id, 0, 10**6) if not e.deleted]


def zone_off_utc_date() -> str:
    """A time zone whose date differs from UTC's right now, so a UTC default would be caught."""
    return "Pacific/Kiritimati" if datetime.now(UTC).hour >= 10 else "Pacific/Pago_Pago"


def view_for_payload_home() -> dict[str, Any]:
    """The Home tab as a block_actions payload carries it (for clicks on the Home)."""
    return view_for_payload("V0HOME0001", view_type="home", callback_id="")
