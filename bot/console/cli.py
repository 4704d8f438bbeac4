"""``crewclock console``: its options, its start-up (storage, demo data, who you are), and its banner."""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import fakeredis
from sqlalchemy.engine import make_url

from bot.console.demo import DEMO_JOBS, seed_demo, should_seed
from bot.console.people import TEAM_ID, Person, Workspace, default_zone_name
from bot.console.screen import ConsoleScreen
from bot.console.server import LocalSlackServer
from bot.console.session import ConsoleSession, console_backlog, first_person
from bot.console.slack import CONSOLE_TOKEN, SlackStandIn
from bot.console.terminal import Terminal
from core.bootstrap import Services, build_services
from core.domain.rules import day_number
from core.settings import Settings

SYNC_WAIT_S = 5.0
EXPORT_DIR = Path(tempfile.gettempdir()) / "crewclock-console"
# A fresh in-process Redis holds nothing written before it started; entries can be dated up
# to "tomorrow" in the easternmost zone (UTC+14), so only days from here on are complete in it.
QUIET_LOGGERS = ("slack_bolt", "slack_sdk", "apscheduler")


def console_settings(settings: Settings, workspace: Workspace, api_url: str) -> Settings:
    """The settings the console runs the bot with: the stand-in as Slack, its own secret, its managers, no Zoho.

    Zoho stays off: console users are made up, and their hours must not reach a real payroll.
    """
    return replace(
        settings,
        slack_api_url=api_url,
        slack_bot_token=CONSOLE_TOKEN,
        slack_app_token="",
        slack_signing_secret=secrets.token_hex(16),  # requests are signed by the console, for the console
        manager_user_ids=settings.manager_user_ids | workspace.managers,
        timezone=workspace.zone_name,
        zoho_mode="off",
    )


def build_console_services(settings: Settings) -> Services:
    """Core services; with no REDIS_URL, on a fresh in-process Redis of this session's own."""
    if not settings.embedded_redis:
        return build_services(settings)
    services = build_services(settings, redis_override=fakeredis.FakeRedis(server=fakeredis.FakeServer()))
    # The console starts no scheduler: mark the fresh Redis here, so earlier runs' hours come from the database.
    services.hot.mark_fresh(day_number(datetime.now(UTC).date()))
    return services


def redacted_redis(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def storage_line(settings: Settings) -> str:
    redis = "in-process Redis (fakeredis)" if settings.embedded_redis else f"Redis {redacted_redis(settings.redis_url)}"
    database = make_url(settings.sqlalchemy_url)
    if database.get_backend_name() == "sqlite":
        where = f"SQLite {database.database}"
    else:
        where = database.render_as_string(hide_password=True)
    return f"{redis} + {where}"


CONNECT = (
    "Connect a real workspace: create the Slack app from manifest.yml (api.slack.com/apps → From a manifest),",
    "install it, then set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET and run `crewclock serve` (HTTP on PORT);",
    "add SLACK_APP_TOKEN to use Socket Mode instead. `make run` then serves Slack rather than this console.",
)


LIVE_NOTE = (
    "Live Redis: the console's people are a team of their own ({team}); "
    "retries and weekly DMs are left to the running bot."
)


def banner(person: Person, settings: Settings, seeded: str) -> list[str]:
    """One screen: who you are, what to type, where the data is, and how to connect Slack for real."""
    return [
        "crewclock console — the real bot, with a stand-in for Slack in this terminal",
        "",
        f"You are @{person.handle} ({person.real_name}, {person.role}) · time zone {person.tz}",
        f"Storage: {storage_line(settings)}",
        *([] if settings.embedded_redis else [LIVE_NOTE.format(team=TEAM_ID)]),
        *([seeded] if seeded else []),
        "",
        "Try:  /hours 7-3:30 smith     a quick entry",
        "      /hours                  the Log hours form, one question at a time",
        "      /history                your last 30 days",
        "      home                    your App Home",
        "      click 2                 press button [2]",
        "      as sam                  be sam, the manager (then /history @maria)",
        "      help · quit",
        "",
        *CONNECT,
        "",
    ]


def header(person: Person, settings: Settings) -> str:
    """The one line a piped session starts with."""
    return (
        f"crewclock console · you are @{person.handle} ({person.role}, {person.tz}) · {storage_line(settings)} · "
        "real Slack: manifest.yml + SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (SLACK_APP_TOKEN for Socket Mode)"
    )


def _wait_for_sync(services: Services, workspace: Workspace, timeout: float) -> None:
    """Give the console's entries still pending a few seconds to reach the database."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending, _ = console_backlog(services, workspace)
        if pending == 0:
            return
        if services.settings.embedded_redis:  # on a live Redis the install's own sweeps do this
            services.sync.sweep()
        time.sleep(0.05)


def _left_behind(services: Services, workspace: Workspace) -> list[str]:
    pending, dead = console_backlog(services, workspace)
    lines = []
    if pending:
        where = (
            "the in-process Redis ends with this console, so they are lost: set REDIS_URL for real use"
            if services.settings.embedded_redis
            else "they stay in Redis; any crewclock process (or `crewclock sync --drain`) saves them"
        )
        lines.append(f"⚠️  {pending} entr{'y' if pending == 1 else 'ies'} not in the database yet: {where}.")
    if dead:
        lines.append(
            f"⚠️  {dead} entr{'y' if dead == 1 else 'ies'} could not be saved (dead-lettered): `crewclock sync`."
        )
    return lines


def main(
    settings: Settings,
    args: argparse.Namespace,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    export_dir: Path | None = None,
) -> int:
    """Run the console until ``quit`` or the end of input; returns the exit code.

    Args:
        settings: from the environment (REDIS_URL and DATABASE_URL pick real servers).
        args: ``--user``, ``--manager``, ``--demo/--no-demo``, ``--tz`` (see :func:`add_arguments`).
        stdin: where commands come from (default: the process's); piped input is a script.
        stdout: where everything is shown.
        export_dir: where CSV exports are written (default: a crewclock-console temp folder).
    """
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    terminal = Terminal(stdin, stdout)
    tz = getattr(args, "tz", None)
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            terminal.say(f"crewclock console: unknown time zone {tz!r}; use a name like America/Chicago")
            return 2
    workspace = Workspace(tz or default_zone_name(settings.timezone))
    try:
        person = first_person(
            workspace, user=getattr(args, "user", None), manager=bool(getattr(args, "manager", False)), tz=tz
        )
    except ValueError as bad:
        terminal.say(f"crewclock console: {bad}")
        return 2
    screen = ConsoleScreen(terminal, workspace, person, batch=not terminal.interactive)
    standin = SlackStandIn(workspace, screen, export_dir or EXPORT_DIR)
    slack = LocalSlackServer(standin).start()
    settings = console_settings(settings, workspace, slack.api_url)
    root = logging.getLogger()
    previous_levels = {name: logging.getLogger(name).level for name in ("", *QUIET_LOGGERS)}
    if settings.log_level != "DEBUG":  # warnings and errors still reach stderr; chatter does not
        root.setLevel(max(root.level, logging.WARNING))
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
    services = build_console_services(settings)
    try:
        if settings.embedded_redis:
            # Its own Redis: retry sweeps and the weekly DMs run here, as in a bot process.
            # On a live install's Redis they are the running bot's: this console must not sweep
            # the crew's entries or claim (and "send" to the stand-in) their weekly DMs.
            services.start()
        seeded = ""
        if should_seed(services, getattr(args, "demo", None)):
            report = seed_demo(services, workspace)
            seeded = f"Demo: {len(DEMO_JOBS)} jobs" + (
                f", {report.entries} entries for james and li" if report.entries else ""
            )
        session = ConsoleSession(
            settings=settings, services=services, standin=standin, screen=screen, terminal=terminal
        )
        terminal.write(banner(person, settings, seeded) if terminal.interactive else [header(person, settings)])
        code = session.run()
        session.close()
        _wait_for_sync(services, workspace, SYNC_WAIT_S)
    finally:
        services.stop()  # drains the sync pool and the queued "✅ saved" updates
        screen.flush()
        slack.stop()
        services.sql.engine.dispose()
        for name, level in previous_levels.items():
            logging.getLogger(name).setLevel(level)
    terminal.write(_left_behind(services, workspace))
    return code
