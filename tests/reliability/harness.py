"""Real crewclock processes on private servers, driven only as Slack drives them.

A :class:`Stack` is one deployment: a private Redis and Postgres (free ports, ours to stop,
kill and restart), the fake Slack Web API and optionally the fake Zoho, all on 127.0.0.1.
:meth:`Stack.start_bot` runs ``crewclock serve`` as a child process in its own process
group (output captured to a file) and waits for ``GET /healthz``. The test then talks to
it with signed HTTP requests and reads the truth from Postgres, Zoho and Slack.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import redis
import sqlalchemy as sa

from core.domain.jobs import Job
from core.hot.store import HotStore
from core.sql.store import SqlStore, make_engine
from tests.fakes.slack_api import TEAM_ID, FakeSlack
from tests.fakes.slack_requests import SIGNING_SECRET, SignedResponse, signed_headers, slash_command_body
from tests.fakes.zoho_api import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, FakeZoho
from tests.support.servers import PrivatePostgres, PrivateRedis, free_port
from tests.support.waiting import wait_until

BOT_TOKEN = "xoxb-reliability-bot-token-7d3f"  # a test value, not a credential
JOBS = (Job("1042", "Smith Residence", True, "ZJ-1042"), Job("2001", "Sun Valley Clinic", True, "ZJ-2001"))
HEALTH_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 15.0

# Settings a developer's shell may carry; the bot gets only what the test gives it.
_SETTING_PREFIXES = ("SLACK_", "ZOHO_", "SYNC_", "WEEKLY_", "REDIS_", "DATABASE_", "MANAGER_", "ADMIN_")
_SETTING_NAMES = {"PORT", "TIMEZONE", "LOG_LEVEL", "AUTO_MIGRATE", "ENTRY_CACHE_DAYS", "MAX_BACKDATE_DAYS"}
_PROXY_NAMES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}  # all traffic stays on 127.0.0.1

# urllib without any proxy, whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def clean_environment() -> dict[str, str]:
    """os.environ without crewclock settings or proxies."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_SETTING_PREFIXES) and name not in _SETTING_NAMES and name.lower() not in _PROXY_NAMES
    }


def send(url: str, body: bytes | None, headers: dict[str, str], timeout: float = REQUEST_TIMEOUT_S) -> SignedResponse:
    """One HTTP request; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return SignedResponse(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return SignedResponse(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# -- a bot process -----------------------------------------------------------------------


class BotProcess:
    """``crewclock serve`` in its own process group, its output in ``log_path``."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path, argv: Sequence[str]) -> None:
        self.name = name
        self.env = env
        self.log_path = log_path
        self.argv = list(argv)
        self.port = int(env["PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def events_url(self) -> str:
        return self.url + "/slack/events"

    def start(self) -> BotProcess:
        """Start the process and wait until it answers /healthz."""
        return self.launch().wait_healthy()

    def launch(self) -> BotProcess:
        """Start the process, its own process group, output appended to the log file."""
        with self.log_path.open("ab") as log:
            log.write(f"\n===== {self.name} starting: {' '.join(self.argv)} =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def wait_healthy(self) -> BotProcess:
        wait_until(self._healthy, timeout=HEALTH_TIMEOUT_S, what=f"{self.name} /healthz")
        return self

    def _healthy(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
        try:
            return send(self.url + "/healthz", None, {}, timeout=1).status == 200
        except OSError:
            return False

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hooks, no drain."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (graceful drain); SIGKILL if it outlives ``timeout``. Returns the exit code."""
        if self.proc is None:
            return None
        self._signal_group(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            code = self.proc.wait(timeout=10)
        self.proc = None
        return code

    def post(
        self,
        body: str,
        *,
        retry_num: int | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = REQUEST_TIMEOUT_S,
    ) -> SignedResponse:
        """POST to /slack/events, signed now with the app's secret unless ``headers`` are given."""
        sent = headers if headers is not None else signed_headers(SIGNING_SECRET, body, retry_num=retry_num)
        return send(self.events_url, body.encode(), sent, timeout)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def told(slack: FakeSlack, user_id: str) -> list[str]:
    """What the bot told one user outside a request's answer: DMs and ephemeral messages, in order."""
    dm = slack.dm_channel(user_id)
    said = []
    for call in slack.calls():
        params = call["params"]
        to_user = (call["method"] == "chat.postMessage" and params.get("channel") in (dm, user_id)) or (
            call["method"] == "chat.postEphemeral" and params.get("user") == user_id
        )
        if to_user:
            said.append(str(params.get("text") or ""))
    return said


# -- what a process logged ------------------------------------------------------------------

_PLAIN_LINE = re.compile(r"^\S+ \S+ (?P<level>[A-Z]+) (?P<logger>[\w.]+): (?P<msg>.*)$")


@dataclass(frozen=True, slots=True)
class LogLine:
    level: str
    logger: str
    msg: str


def log_lines(output: str) -> list[LogLine]:
    """The log records in a process's output, whether JSON lines or ``time LEVEL logger: msg`` text."""
    found = []
    for line in output.splitlines():
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            found.append(LogLine(str(record.get("level")), str(record.get("logger")), str(record.get("msg"))))
        elif match := _PLAIN_LINE.match(line):
            found.append(LogLine(match["level"], match["logger"], match["msg"]))
    return found


def logged(output: str, level: str, phrase: str = "") -> list[LogLine]:
    """Records at ``level`` whose message contains ``phrase``."""
    return [line for line in log_lines(output) if line.level == level and phrase in line.msg]


# -- what the users typed and what they were told -----------------------------------------


@dataclass(frozen=True, slots=True)
class Ack:
    """One quick entry as sent, and the bot's answer."""

    marker: str  # the notes, unique per entry: how Postgres and Zoho rows are matched back
    user_id: str
    status: int  # 0: no HTTP answer (connection refused, timeout)
    text: str
    elapsed_s: float

    @property
    def acknowledged(self) -> bool:
        """Told it was logged (saved or pending): the promise the suite checks."""
        return self.status == 200 and self.text.startswith("Logged ")

    @property
    def refused_not_saved(self) -> bool:
        """Told plainly that it was not saved."""
        return self.status == 200 and "Not saved" in self.text and not self.text.startswith("Logged ")


def quick_entry_body(slack: FakeSlack, text: str, user_id: str, trigger_id: str | None = None) -> str:
    """``/hours <text>`` as Slack posts it (text HTML-escaped as Slack does; response_url in the fake)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return slash_command_body(
        "/hours",
        text=escaped,
        user_id=user_id,
        trigger_id=trigger_id,
        response_url=slack.base_url + "response_url.hours",
    )


def local_response_urls(body: str, slack: FakeSlack) -> str:
    """Point an interaction payload's response_url(s) at the fake Slack (traffic stays local)."""
    form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
    payload = json.loads(form["payload"])
    if "response_url" in payload:
        payload["response_url"] = slack.base_url + "response_url.action"
    return urlencode({"payload": json.dumps(payload)})


def send_quick_entry(
    bot: BotProcess, slack: FakeSlack, marker: str, user_id: str, job: str = "1042", times: str = "7-3:30"
) -> Ack:
    """``/hours <times> job <job> -- <marker>``; the answer as an :class:`Ack`."""
    body = quick_entry_body(slack, f"{times} job {job} -- {marker}", user_id)
    started = time.perf_counter()
    try:
        response = bot.post(body)
    except OSError as exc:
        return Ack(marker, user_id, 0, f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
    elapsed = time.perf_counter() - started
    text = ""
    if response.body:
        try:
            text = str(response.json().get("text") or "")
        except (ValueError, AttributeError):
            text = response.text[:500]
    return Ack(marker, user_id, response.status, text, elapsed)


def introduce_users(deployment: Stack, user_ids: Sequence[str], threads: int = 8) -> None:
    """Each user has used /hours before (``/hours help``), so the bot knows their time zone and email."""
    bot = deployment.bots[0]

    def hello(user_id: str) -> int:
        return bot.post(quick_entry_body(deployment.slack, "help", user_id)).status

    with ThreadPoolExecutor(max_workers=threads) as pool:
        assert set(pool.map(hello, user_ids)) == {200}
    client = deployment.redis()
    try:
        wanted = [f"slack:known:{TEAM_ID}:{u}" for u in user_ids]
        wait_until(lambda: client.exists(*wanted) == len(wanted), timeout=30, what="every user's profile remembered")
    finally:
        client.close()


def warm_up(deployment: Stack, bot: BotProcess, tag: str) -> None:
    """One entry through the whole path first, as in any crew already at work (job cache, pools)."""
    ack = send_quick_entry(bot, deployment.slack, marker_of(tag, 0), user_of(tag, 0))
    assert ack.acknowledged, ack
    wait_until(lambda: pg_truth(deployment.engine, tag).rows == 1, timeout=20, what=f"warm-up entry {tag} in Postgres")


def submit_entries(
    bots: Sequence[BotProcess],
    slack: FakeSlack,
    *,
    tag: str,
    count: int,
    start: int = 0,
    threads: int = 8,
    job: str = "1042",
    pace: Callable[[int], None] | None = None,
) -> list[Ack]:
    """Send ``count`` quick entries, one per distinct user (so none overlap), spread over ``bots``.

    Markers are ``rel-<tag>-n<i>``; users ``U<TAG>NNNNN``. ``pace(i)`` runs before entry ``i``
    is sent (to restart a server mid-load, say).
    """

    def one(i: int) -> Ack:
        if pace is not None:
            pace(i)
        return send_quick_entry(bots[i % len(bots)], slack, marker_of(tag, i), user_of(tag, i), job)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"submit-{tag}") as pool:
        return list(pool.map(one, range(start, start + count)))


def marker_of(tag: str, i: int) -> str:
    return f"rel-{tag}-n{i}"


def user_of(tag: str, i: int) -> str:
    return f"U{tag.upper()}{i:05d}"


# -- the truth in Postgres -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PgTruth:
    """What Postgres holds for one tag's markers."""

    rows: int
    distinct_ids: int
    ids_by_marker: dict[str, list[str]]

    def duplicates(self) -> int:
        """Rows beyond the first for any marker (an intent recorded twice)."""
        return sum(len(ids) - 1 for ids in self.ids_by_marker.values() if len(ids) > 1)

    def missing(self, markers: Iterable[str]) -> list[str]:
        return [m for m in markers if m not in self.ids_by_marker]


def pg_truth(engine: sa.Engine, tag: str) -> PgTruth:
    """Live rows whose notes carry ``rel-<tag>-``: total, distinct ids, ids per marker."""
    pattern = f"rel-{tag}-n%"
    with engine.connect() as conn:
        rows, distinct = conn.execute(
            sa.text("SELECT count(*), count(DISTINCT id) FROM time_entries WHERE notes LIKE :p AND NOT deleted"),
            {"p": pattern},
        ).one()
        found = conn.execute(
            sa.text("SELECT notes, id FROM time_entries WHERE notes LIKE :p AND NOT deleted"), {"p": pattern}
        ).all()
    by_marker: dict[str, list[str]] = {}
    for notes, entry_id in found:
        by_marker.setdefault(str(notes), []).append(str(entry_id))
    return PgTruth(int(rows), int(distinct), by_marker)


def zoho_logs_per_entry(engine: sa.Engine, zoho: FakeZoho) -> tuple[dict[str, int], int]:
    """Zoho logs per live Postgres entry id, and logs that belong to no such entry (strays)."""
    with engine.connect() as conn:
        ids = [str(i) for (i,) in conn.execute(sa.text("SELECT id FROM time_entries WHERE NOT deleted"))]
    per_entry = {entry_id: len(zoho.logs_of(entry_id)) for entry_id in ids}
    return per_entry, len(zoho.logs) - sum(per_entry.values())


# -- one deployment ------------------------------------------------------------------------


@dataclass
class Stack:
    """Private Redis + Postgres, the fake Slack (and Zoho), and the bot processes started on them."""

    workdir: Path
    redis_server: PrivateRedis
    pg: PrivatePostgres
    slack: FakeSlack
    zoho: FakeZoho | None = None
    bots: list[BotProcess] = field(default_factory=list)
    _engine: sa.Engine | None = None

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = make_engine(self.pg.url)
        return self._engine

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_server.url, socket_timeout=5, socket_connect_timeout=2)

    def migrate(self, jobs: Sequence[Job] = JOBS) -> None:
        """Schema at head and the jobs the entries name (what `crewclock migrate` + `jobs import` do)."""
        sql = SqlStore(self.engine)
        sql.migrate()
        if jobs:
            sql.upsert_jobs(list(jobs))

    def dispose_engine(self) -> None:
        """Drop pooled connections (after Postgres restarts, before reading again)."""
        if self._engine is not None:
            self._engine.dispose()

    def bot_env(self, **overrides: str) -> dict[str, str]:
        env = clean_environment()
        env.update(
            {
                "REDIS_URL": self.redis_server.url,
                "DATABASE_URL": self.pg.url,
                "PORT": str(free_port()),
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": self.slack.base_url,
                "TIMEZONE": "UTC",
                "LOG_LEVEL": "INFO",
                # Retries sized for a test: quick sweeps and backoff, never dead-letter during an outage.
                "SYNC_RETRY_INTERVAL_S": "0.5",
                "SYNC_BACKOFF_BASE_S": "0.1",
                "SYNC_BACKOFF_CAP_S": "1",
                "SYNC_MAX_ATTEMPTS": "1000",
                "SYNC_LEASE_S": "5",
                "SHUTDOWN_DEADLINE_S": "3",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.zoho is not None:
            env.update(zoho_env(self.zoho))
        env.update(overrides)
        return env

    def start_bot(
        self, name: str | None = None, *, weekly_first_check_s: float | None = None, **env: str
    ) -> BotProcess:
        """Start one ``crewclock serve`` (env overrides as keyword arguments) and wait for /healthz."""
        return self.start_bots(1, weekly_first_check_s=weekly_first_check_s, **env)[0]

    def start_bots(self, count: int, *, weekly_first_check_s: float | None = None, **env: str) -> list[BotProcess]:
        """Start ``count`` bot processes at once (same settings, own ports); wait until all answer."""
        argv = [sys.executable, "-m", "tests.reliability.launch"]
        if weekly_first_check_s is not None:
            argv += ["--weekly-first-check-s", str(weekly_first_check_s)]
        argv.append("serve")
        started = []
        for _ in range(count):
            name = f"bot{len(self.bots) + 1}"
            bot = BotProcess(name, self.bot_env(**env), self.workdir / f"{name}.log", argv)
            self.bots.append(bot)
            started.append(bot.launch())
        return [bot.wait_healthy() for bot in started]

    def restart_bot(self, bot: BotProcess) -> BotProcess:
        """The same process again (same port, same settings), as a supervisor would."""
        return bot.start()

    def run_cli(self, *args: str, timeout: float = 60.0, **env: str) -> subprocess.CompletedProcess[str]:
        """``crewclock <args>`` against this stack (doctor, migrate, jobs import...)."""
        environment = self.bot_env(**env)
        return subprocess.run(
            [sys.executable, "-m", "tests.reliability.launch", *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def pending(self) -> int:
        client = self.redis()
        try:
            return int(client.zcard("q:pending"))
        finally:
            client.close()

    def dead(self) -> int:
        client = self.redis()
        try:
            return int(client.zcard("q:dead"))
        finally:
            client.close()

    def dead_letters(self) -> list[str]:
        """Why each dead-lettered entry died (for assertion messages)."""
        client = self.redis()
        try:
            hot = HotStore(client)
            return [
                f"{e.id} {e.notes!r}: postgres={e.postgres.last_error!r} zoho={e.zoho.last_error!r}"
                for e in hot.get_many([i for i, _ in hot.dead_ids()])
            ]
        finally:
            client.close()

    def close(self) -> None:
        for bot in self.bots:
            with contextlib.suppress(Exception):
                bot.kill()
        self.dispose_engine()
        if self.zoho is not None:
            self.zoho.stop()
        self.slack.stop()
        self.redis_server.close()
        self.pg.close()


def zoho_env(zoho: FakeZoho) -> dict[str, str]:
    return {
        "ZOHO_MODE": "people",
        "ZOHO_ACCOUNTS_URL": zoho.url,
        "ZOHO_API_URL": zoho.url,
        "ZOHO_CLIENT_ID": CLIENT_ID,
        "ZOHO_CLIENT_SECRET": CLIENT_SECRET,
        "ZOHO_REFRESH_TOKEN": REFRESH_TOKEN,
        "ZOHO_TIMEOUT_S": "1",
        "ZOHO_RATE_PER_MINUTE": "1000",
    }


@contextlib.contextmanager
def stack(workdir: Path, *redis_args: str, zoho: bool = False) -> Iterator[Stack]:
    """A fresh deployment, torn down (processes killed, servers removed) whatever happens."""
    parts: list[Any] = []
    try:
        redis_server = PrivateRedis(*redis_args)
        parts.append(redis_server)
        redis_server.start()
        pg = PrivatePostgres()
        parts.append(pg)
        pg.start()
        slack = FakeSlack().start()
        parts.append(slack)
        fake_zoho = FakeZoho().start() if zoho else None
        if fake_zoho is not None:
            parts.append(fake_zoho)
        built = Stack(workdir, redis_server, pg, slack, fake_zoho)
    except BaseException:
        for part in reversed(parts):
            with contextlib.suppress(Exception):
                part.close() if hasattr(part, "close") else part.stop()
        raise
    try:
        built.migrate()
        yield built
    finally:
        built.close()
