"""`crewclock console` end to end: piped scripts through the real bot, what it prints, what the database holds.

Each test runs the console's ``main`` with a script as stdin (not a terminal, so it is a
piped session) on embedded storage: a fresh in-process Redis and a SQLite file of the
test's own, as a newcomer's ``make run`` would. One test runs it on the real Redis and
Postgres, one as a subprocess (the documented command).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis

from bot.confirmations import message_key
from bot.console import add_arguments
from bot.console import main as console_main
from bot.console.people import TEAM_ID
from bot.listeners.commands import hours
from core.bootstrap import Services
from core.domain.clock import today_in
from core.domain.entry import TimeEntry
from core.domain.jobs import Job
from core.settings import Settings
from core.sql.store import SqlStore, make_engine
from tests.support.builders import actor, draft

TZ = "America/Chicago"
MARIA, JAMES, SAM = "U0CCMARIA", "U0CCJAMES", "U0CCSAMRV"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    out: str

    def after(self, marker: str) -> str:
        """What was printed after ``marker`` (e.g. a command's echo) and before the next prompt."""
        start = self.out.index(marker) + len(marker)
        rest = self.out[start:]
        ends = [i for i in (rest.find("\nmaria> "), rest.find("\njames> "), rest.find("\nsam> ")) if i >= 0]
        return rest[: min(ends)] if ends else rest


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crewclock.db'}"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return replace(Settings.from_env({}), database_url=db_url, shutdown_deadline_s=5)


def console(settings: Settings, script: str, *options: str, export_dir: Path | None = None) -> Run:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--tz", TZ, *options])
    out = io.StringIO()
    code = console_main(settings, args, stdin=io.StringIO(script), stdout=out, export_dir=export_dir)
    return Run(code, out.getvalue())


def rows(url: str, user_id: str, *, deleted: bool = False) -> list[TimeEntry]:
    """The user's entries as the database holds them (the permanent record), newest first."""
    engine = make_engine(url)
    try:
        today = today_in(ZoneInfo(TZ))
        found = SqlStore(engine).user_entries(
            TEAM_ID, user_id, today - timedelta(days=40), today + timedelta(days=2), include_deleted=deleted
        )
    finally:
        engine.dispose()
    return found


def today() -> date:
    return today_in(ZoneInfo(TZ))


def test_a_piped_quick_entry_is_saved_and_history_shows_it(settings: Settings, db_url: str) -> None:
    run = console(settings, "/hours 7-15:30 smith -- primed north wall\n/history\n")

    assert run.code == 0
    assert run.out.startswith("crewclock console · you are @maria (crew member, America/Chicago)")
    answer = run.after("maria> /hours 7-15:30 smith -- primed north wall\n")
    assert "crewclock · #crew · only visible to you" in answer
    assert "Logged 8.5 h · Smith Residence" in answer and "⏳ pending" in answer
    assert "crewclock · DM" in answer and "[1] Edit   [2] Delete" in answer
    # The DM says where the entry stands when it is posted: pending then updated in place, or
    # already saved when the sync won the race; either way the last word is "✅ saved".
    last_state = answer[answer.rindex("Logged 8.5 h · Smith Residence") :].split("\n")[0]
    assert last_state.endswith("✅ saved"), answer
    history = run.after("maria> /history\n")
    assert "Your hours · 1 entry · 8.5 h total" in history
    assert "Smith Residence (1042) · 07:00–15:30 · no lunch · 8.5 h · ✅ SYNCED" in history
    assert "│ primed north wall" in history
    [entry] = rows(db_url, MARIA)
    assert (entry.job_id, entry.job_name, entry.work_date) == ("1042", "Smith Residence", today())
    assert (entry.start_time, entry.end_time, entry.lunch_start) == (time(7), time(15, 30), None)
    assert entry.notes == "primed north wall" and str(entry.total_hours) == "8.50"
    assert entry.user_email == "maria@example.com"


def test_the_first_run_seeds_demo_jobs_and_crew_hours_and_later_runs_do_not(settings: Settings, db_url: str) -> None:
    first = console(settings, "as sam\n/history @james\n")
    again = console(settings, "/history @james\n", "--manager")

    assert "@james's hours · 3 entries · 24.0 h total" in first.out
    assert "Harbor Office Fitout (2001) · 06:30–15:00 · lunch 12:00–12:30 · 8.0 h" in first.out
    assert "@james's hours · 3 entries" in again.out  # not six: the demo is not added twice
    assert len(rows(db_url, JAMES)) == 3

    empty = replace(settings, database_url=settings.database_url + "-empty")
    no_demo = console(empty, "/hours 7-3 smith\n", "--no-demo")
    assert "I couldn't find a job matching smith" in no_demo.out  # no jobs at all: the form asks
    assert "crewclock · form" in no_demo.out and "(form closed: nothing was sent)" in no_demo.out


def test_the_form_asks_each_input_and_a_validation_error_is_asked_again(settings: Settings, db_url: str) -> None:
    # Job by number, date kept, times typed loosely, lunch start without an end (the bot refuses), notes.
    script = "/hours\n6\n\n7\n3:30p\n12\n\nframed the porch\n17\n12:30\n"

    run = console(settings, script)

    form = run.after("maria> /hours\n")
    assert "crewclock · form" in form and "Log hours" in form
    assert "6) Smith Residence (1042)" in form
    assert f"  Date (YYYY-MM-DD) [{today().isoformat()}]: " in form
    assert "  Lunch start (HH:MM, optional): 12" in form
    assert "  ✗ Lunch end: Give both lunch start and lunch end, or neither." in form
    assert form.count("Lunch end (HH:MM, optional):") == 2  # asked again, and only that input
    assert form.count("Start (HH:MM):") == 1
    assert "→ Save: the form closed" in form
    assert "Logged 8.0 h · Smith Residence" in form
    [entry] = rows(db_url, MARIA)
    assert (entry.start_time, entry.end_time) == (time(7), time(15, 30))
    assert (entry.lunch_start, entry.lunch_end) == (time(12), time(12, 30))
    assert (entry.notes, entry.change_order, entry.job_id) == ("framed the porch", "17", "1042")


def test_the_form_checks_what_slacks_client_would_before_sending(settings: Settings, db_url: str) -> None:
    script = "/hours\nnowhere\noak\n2026-13-40\n\nlunchtime\n07:00\n07:00\n\n\n\n\n16:00\n"

    run = console(settings, script)

    assert "✗ Nothing matches 'nowhere'." in run.out
    assert "✗ Type a date like 2026-11-27." in run.out
    assert "✗ Type a time like 07:00 or 15:30." in run.out
    assert "✗ End: End must be after start." in run.out  # the bot's own rule, on the right input
    [entry] = rows(db_url, MARIA)
    assert (entry.job_id, entry.start_time, entry.end_time) == ("1043", time(7), time(16))


def test_with_many_jobs_the_job_input_searches_through_the_bots_options_listener(
    settings: Settings, db_url: str
) -> None:
    console(settings, "")  # the first run creates the database and the demo jobs
    engine = make_engine(db_url)
    SqlStore(engine).upsert_jobs([Job(f"9{i:03d}", f"Warehouse Bay {i}") for i in range(120)])
    engine.dispose()

    run = console(settings, "/hours\nnowhere\nbay 11\n1\n\n7\n15:30\n\n\n\n\n")

    form = run.after("maria> /hours\n")
    assert "Job (type to search): bay 11" in form
    assert "✗ Nothing matches 'nowhere'." in form
    assert "11 match — pick one by number:" in form and "1) Warehouse Bay 11 (9011)" in form
    [entry] = rows(db_url, MARIA)
    assert (entry.job_id, entry.job_name) == ("9011", "Warehouse Bay 11")


def test_an_unclear_quick_entry_opens_the_form_prefilled(settings: Settings, db_url: str) -> None:
    run = console(settings, "/hours 7-3:30 lunch 30 -- gutters\n5\n\n\n\n\n\n\n\n")

    form = run.after("maria> /hours 7-3:30 lunch 30 -- gutters\n")
    assert "Which job was that?" in form
    assert "  Start (HH:MM) [07:00]: " in form and "  Notes (optional) [gutters]: " in form
    [entry] = rows(db_url, MARIA)
    assert (entry.job_id, entry.notes, str(entry.total_hours)) == ("3005", "gutters", "8.00")


def test_the_session_waits_for_a_slow_follow_up_to_open_its_form(
    settings: Settings, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quick entry's follow-up (here the form for an unclear job) is counted like Bolt's lazy listeners."""
    open_form = hours._open_modal

    def slowly(*args: Any, **kwargs: Any) -> None:
        clock.sleep(0.5)  # users.info or views.open taking a while
        open_form(*args, **kwargs)

    monkeypatch.setattr(hours, "_open_modal", slowly)
    run = console(settings, "/hours 7-3:30 lunch 30 -- gutters\n5\n\n\n\n\n\n\n\n")

    assert "Which job was that?" in run.after("maria> /hours 7-3:30 lunch 30 -- gutters\n")
    [entry] = rows(db_url, MARIA)
    assert (entry.job_id, entry.notes) == ("3005", "gutters")


def test_edit_and_delete_by_clicking_the_confirmations_buttons(settings: Settings, db_url: str) -> None:
    script = "/hours 7-15:30 smith\nclick 1\n\n\n\n16:00\n\n\n\n\nclick 2\nn\nclick 2\ny\n"

    run = console(settings, script)

    edit = run.after("maria> click 1\n")
    assert "Edit hours" in edit and "  Job (number or name) [Smith Residence (1042)]: " in edit
    assert "(update) Logged 9.0 h · Smith Residence" in edit
    assert "(kept: nothing was sent)" in run.after("maria> click 2\n")
    assert "Delete this entry?" in run.out
    assert "Deleted 9.0 h · Smith Residence" in run.out
    [entry] = rows(db_url, MARIA, deleted=True)
    assert entry.deleted and entry.end_time == time(16) and entry.version == 3


def test_history_of_someone_else_is_refused_to_crew_and_shown_to_a_manager(settings: Settings) -> None:
    console(settings, "/hours 7-15:30 smith\n")

    crew = console(settings, "/history @maria\n", "--user", "james")
    manager = console(settings, "/history @maria\n", "--manager")

    assert crew.code == manager.code == 0
    refused = crew.after("james> /history @maria\n")
    assert "Sorry — /history shows only your own hours." in refused
    assert "Smith Residence" not in refused
    shown = manager.after("sam> /history @maria\n")
    assert "@maria's hours · 1 entry · 8.5 h total" in shown
    assert "Smith Residence (1042) · 07:00–15:30" in shown


def test_home_shows_the_week_and_the_log_hours_button_opens_the_form(settings: Settings, db_url: str) -> None:
    run = console(settings, "/hours 7-15:30 smith\nhome\nclick 3\ncancel\n")

    home = run.after("maria> home\n")
    assert "crewclock · Home" in home and "Your hours this week" in home
    assert "Week total: 8.5 h" in home and "← today" in home
    assert "[3] Log hours" in home and "[4] Edit" in home
    assert "(form closed: nothing was sent)" in run.after("maria> click 3\n")
    assert len(rows(db_url, MARIA)) == 1


def test_export_csv_writes_the_file_and_shows_it(settings: Settings, tmp_path: Path) -> None:
    run = console(settings, "/hours 7-15:30 smith -- trim, doors\n/history\nclick 3\n", export_dir=tmp_path / "out")

    shown = run.after("maria> click 3\n")
    [path] = list((tmp_path / "out").glob("*.csv"))
    assert f"saved to {path}" in shown
    content = path.read_text(encoding="utf-8-sig")
    assert "Maria Lopez,1042,Smith Residence,07:00,15:30" in content and '"trim, doors"' in content
    assert "CSV with 1 entry sent to your DMs with me." in shown


def test_the_end_of_input_inside_a_form_closes_it_and_exits_cleanly(settings: Settings, db_url: str) -> None:
    run = console(settings, "/hours\nsmith\n")

    assert run.code == 0
    assert "(form closed: nothing was sent)" in run.out
    assert rows(db_url, MARIA) == []


class TypedInput(io.StringIO):
    """Keystrokes from a terminal: the console treats this stdin as a person typing."""

    def isatty(self) -> bool:
        return True


def test_an_interactive_session_starts_with_a_banner_on_connecting_slack(settings: Settings) -> None:
    out = io.StringIO()
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--manager", "--tz", TZ])

    code = console_main(settings, args, stdin=TypedInput("people\n"), stdout=out)

    shown = out.getvalue()
    assert code == 0
    banner = shown[: shown.index("sam> ")]
    assert banner.startswith("crewclock console — the real bot, with a stand-in for Slack in this terminal")
    assert "You are @sam (Sam Rivera, manager) · time zone America/Chicago" in banner
    assert "Demo: 6 jobs, 6 entries for james and li" in banner
    for needed in ("manifest.yml", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "Socket Mode"):
        assert needed in banner
    assert len(banner.splitlines()) <= 24  # one screen
    assert "@maria    Maria Lopez    crew member" in shown and "← you" in shown


def test_piped_sessions_start_with_one_line_instead(settings: Settings) -> None:
    run = console(settings, "")

    [line] = run.out.splitlines()
    assert line.startswith("crewclock console · you are @maria (crew member, America/Chicago) · in-process Redis")
    assert "manifest.yml" in line and "SLACK_APP_TOKEN" in line


def test_an_unknown_time_zone_or_name_is_refused_before_anything_starts(settings: Settings, db_url: str) -> None:
    bad_zone = console(settings, "/hours 7-3 smith\n", "--tz", "Mars/Olympus")
    bad_name = console(settings, "/hours 7-3 smith\n", "--user", "mr smith!")

    assert bad_zone.code == bad_name.code == 2
    assert "unknown time zone 'Mars/Olympus'" in bad_zone.out
    assert "not a usable name" in bad_name.out
    assert not Path(db_url.removeprefix("sqlite:///")).exists()


def test_typos_get_a_pointer_not_a_crash(settings: Settings) -> None:
    run = console(settings, "/hourz 7-3\nclick 9\nhelp\n/hours 25-3 smith\nas\nquit\n/hours 7-3 smith\n")

    assert run.code == 0
    assert "/hourz is not a command of this app" in run.out
    assert "There is no button [9] on screen" in run.out
    assert "click N" in run.after("maria> help\n")
    assert "25 isn't a time" in run.out
    assert "maria> /hours 7-3 smith" not in run.out  # nothing runs after quit


@pytest.mark.integration
def test_with_redis_and_database_urls_it_uses_the_real_servers(
    base_settings: Settings, sql: SqlStore, real_redis: redis.Redis, make_services: Callable[..., Services]
) -> None:
    # A live install: one of its crew's entries is pending in Redis, its DM confirmation remembered.
    live = make_services()
    live.stop()  # its sync pool is closed: the entry stays pending for "the running bot" to sync
    crew_entry = live.entries.record_entry(draft("U0REALCREW"), actor=actor("U0REALCREW")).entry
    real_redis.set(message_key(crew_entry.id), json.dumps(["D0REALDM01", "1700000000.000100"]))

    run = console(base_settings, "/hours yesterday 6-14:30 lunch 30 harbor co 12\n", "--demo")

    assert "Logged 8.0 h · Harbor Office Fitout" in run.out
    assert f"Redis redis://{base_settings.redis_url.split('://', 1)[1]}" in run.out
    [entry] = sql.user_entries(TEAM_ID, MARIA, today() - timedelta(days=3), today())
    assert (entry.job_id, entry.work_date, entry.change_order) == ("2001", today() - timedelta(days=1), "12")
    assert (entry.start_time, entry.end_time) == (time(6), time(14, 30))
    # Syncing the live crew's entry along with its own is fine (any process may), but its Slack
    # message is the real bot's: the console's refused update never makes the bot forget it.
    assert sql.get(crew_entry.id) is not None
    assert real_redis.get(message_key(crew_entry.id)) is not None
    assert "not in the database yet" not in run.out  # only the console's own entries are reported


def test_crewclock_console_as_a_command_with_piped_input(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "SLACK_BOT_TOKEN")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'crewclock.db'}"

    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--tz", TZ],
        input="/hours 7-15:30 smith\n/history\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "Logged 8.5 h · Smith Residence" in done.stdout and "✅ saved" in done.stdout
    assert "Your hours · 1 entry · 8.5 h total" in done.stdout
    assert "maria> " not in done.stdout.replace("maria> /hours", "").replace("maria> /history", "")
    assert len(rows(env["DATABASE_URL"], MARIA)) == 1
