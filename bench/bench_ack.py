"""Ack latency of the Slack edge over HTTP (issue 3): signed quick entries to the real server.

Run:  .venv/bin/python -m bench.bench_ack [--seconds 20] [--rate 200] [--closed-seconds 15] [--closed-clients 50]

Separate processes, as in production the bot does not share its CPU with Slack or its clients:
the bot (``build_app`` + ``make_asgi_app`` on uvicorn, real Redis and Postgres),
FakeSlack as the Web API (answering after ``--slack-latency`` seconds, like a remote API),
this coordinator, and for each run a load generator process (``bench/loadgen.py``): one thread
on one event loop (uvloop), keep-alive HTTP/1.1 connections, each request pre-built as its full
bytes so sending it is one write, so it costs the 2 cores the bot needs as little as possible
(its CPU per request is in the table) and adds no thread hand-offs to the figures. Requests are
signed ahead of time; each is a quick entry ``/hours <date> 7-3:30 lunch 30 job 1042 -- bench``
for its own (user, date), so none overlaps.

* Open loop: request k is due at ``start + k / --rate`` and written on a free pooled
  connection (up to 64); latency counts from its *scheduled* send time to the arrival of the
  last byte of the answer (before the generator parses it), so any wait in the generator before
  the send (its wake-up, the pool) is in the figure.
* Closed loop: ``--closed-clients`` (50) clients, one connection each, send back to back for
  ``--closed-seconds``: submissions per second; then how long after the burst Postgres holds
  every acknowledged entry and every DM is posted (the write-behind half of "sustains").
* Scenarios: healthy; Bolt's default ``process_before_response=False``; Postgres unreachable
  (DATABASE_URL on a closed port, after migrating); Zoho hanging (a sink whose push blocks);
  and both at once. Redis is emptied (jobs re-cached) before each, so no backlog carries over.
  Last, the machine's floor: the same ``HttpServer`` (uvicorn) answering every request with a
  constant ephemeral reply, no Slack app behind it; what the ack's p50 has above this row's is the
  part of the figure that is crewclock's, which varies far less between machines than either figure.
  And a shift's end as it comes in service: every request from a different crew member, known
  only from Redis (an earlier day's profile and DM channel), so each ack also reads the profile.

Uses Redis db 13 and the Postgres database crewclock_bench_ack (both wiped). ``BENCH_LOG_LEVEL``
sets the bot's log level (default WARNING).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa

from bench.common import machine, pct
from bench.loadgen import LOOP_NAME, Run, closed_loop, in_child, open_loop
from core.catalog import JobCatalog
from core.domain.jobs import Job
from core.settings import Settings
from core.sql.store import SqlStore, make_engine
from core.sync.ports import PushRequest, PushResult

REDIS_URL = os.environ.get("BENCH_ACK_REDIS_URL", "redis://127.0.0.1:6379/13")
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_DB = "crewclock_bench_ack"
UNREACHABLE_DB = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
SECRET = "bench-signing-secret"  # a benchmark value, not a credential
TEAM = "T0BENCH01"
JOBS = [Job("1042", "Smith Residence"), Job("1043", "Oak St Repaint"), Job("2001", "Harbor Office Fitout")]
DAYS = 60  # dates per user: MAX_BACKDATE_DAYS allows 60 days back
CREW = 500  # crew members in the open-loop runs; each logs one shift a day
SETTLE_S = 5.0
CATCH_UP_LIMIT_S = 300.0  # after the closed-loop burst, how long to wait for Postgres to hold every entry


# -- the processes under test ----------------------------------------------------------------


class HangingSink:
    """A Zoho that never answers: each push blocks until the process stops."""

    name = "zoho"
    max_batch = 100
    idempotent = False

    def __init__(self, released: threading.Event) -> None:
        self.released = released

    def push(self, requests: Sequence[PushRequest]) -> list[PushResult]:
        self.released.wait(3600)
        return [PushResult.retry(r.entry.id, "zoho timed out") for r in requests]


def bench_settings(args: argparse.Namespace) -> Settings:
    return replace(
        Settings(),
        redis_url=REDIS_URL,
        database_url=args.database_url,
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SECRET,
        slack_api_url=args.slack_api_url,
        log_level=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        shutdown_deadline_s=2,
    )


def run_bot(args: argparse.Namespace) -> int:
    """The bot: prints its port, serves until SIGTERM.

    Default: ``crewclock serve``'s processes (``--workers`` HTTP workers that only acknowledge,
    one background process; ``bot.offload``). ``--single``: every part in each worker process
    (how ``serve`` ran before, and the only way Bolt's default mode can be measured).
    """
    from bot.server import ShutdownSignal, listening_socket

    sock = listening_socket("127.0.0.1", 0)
    signals = ShutdownSignal().install()
    if args.floor:
        print(sock.getsockname()[1], flush=True)
        _floor_server(sock, signals)
        return 0
    if args.single and args.workers <= 1:
        print(sock.getsockname()[1], flush=True)
        _single_process_bot(args, sock, signals)
        return 0
    forked = multiprocessing.get_context("fork")
    if args.single:
        children = [forked.Process(target=_single_process_bot, args=(args, sock)) for _ in range(args.workers)]
    else:
        from bot.offload import STOP
        from bot.server import _exit_with, run_background, run_http_worker
        from core.ops.metrics import enable_multiprocess

        settings = bench_settings(args)
        metrics_dir = tempfile.mkdtemp(prefix="bench-ack-metrics-")
        enable_multiprocess(metrics_dir)
        queue = forked.Queue()
        prepare = _zoho_that_hangs if args.zoho_hangs else None
        children = [forked.Process(target=_exit_with, args=(run_background, settings, queue, metrics_dir, prepare))]
        children += [
            forked.Process(target=_exit_with, args=(run_http_worker, settings, sock, queue, metrics_dir, prepare))
            for _ in range(args.workers)
        ]
    for child in children:
        child.start()
    print(sock.getsockname()[1], flush=True)
    signals.wait()
    for child in reversed(children):  # HTTP workers first, then the background process
        if child is children[0] and not args.single:
            queue.put(STOP)  # as serve does: the background process ends after the workers' hand-offs
        else:
            child.terminate()
        child.join(timeout=20)
        if child.is_alive():  # a backlog of DMs from a saturating run: nothing left to measure
            child.kill()
    return 0


def _zoho_that_hangs(services: Any) -> None:
    """As build_services wires a Zoho sink, with one that never answers (never released: the run ends)."""
    services.sync.sinks.append(HangingSink(threading.Event()))
    services.entries.zoho_enabled = True


def _single_process_bot(args: argparse.Namespace, sock: Any, signals: Any = None) -> None:
    """One process doing everything: ``build_app`` + ``make_asgi_app`` + uvicorn + sync + DMs + scheduler."""
    from bot.app import build_app
    from bot.server import HttpServer, ShutdownSignal, make_asgi_app
    from core.bootstrap import build_services

    signals = signals or ShutdownSignal().install()
    settings = bench_settings(args)
    services = build_services(settings)
    if args.zoho_hangs:
        _zoho_that_hangs(services)
    services.start()
    app = build_app(settings, services, process_before_response=args.process_before_response)
    server = HttpServer(make_asgi_app(app, services), sock=sock).start()
    signals.wait()
    server.stop(deadline_s=2)
    services.stop()
    os._exit(0)  # lazy listeners of a hung run may still wait on FakeSlack; nothing left to keep


FLOOR_ANSWER = b'{"response_type":"ephemeral","text":"Logged 8.0 h"}'


def _floor_server(sock: Any, signals: Any) -> None:
    """The floor: the bot's HTTP server with an app that reads the body and answers a constant."""
    from bot.server import HttpServer

    async def constant(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(FLOOR_ANSWER)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": FLOOR_ANSWER})

    server = HttpServer(constant, sock=sock).start()
    signals.wait()
    server.stop(deadline_s=2)


def run_fake_slack(args: argparse.Namespace) -> int:
    """The Web API process: FakeSlack answering after ``--slack-latency`` seconds."""
    from tests.fakes.slack_api import FakeSlack

    slack = FakeSlack(team_id=TEAM).start()
    if args.slack_latency > 0:
        slack.set_latency(args.slack_latency)
    print(slack.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):
        if len(slack.calls()) > 50_000:
            # Keep memory flat on long runs; nothing here reads old calls. (Not reset(): it would
            # also forget the posted DMs, whose later updates would then fail as deleted.)
            slack.forget_calls()
    slack.stop()
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (the worker processes), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for proc in [str(pid), *children]:
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _spawn(*args: str) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_ack", *args],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        start_new_session=True,  # its own process group: _stop can end the bot's children too
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.isdigit():
        process.kill()
        raise RuntimeError(f"bench_ack {args[0]} did not start (said {line!r})")
    return process, int(line)


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    with contextlib.suppress(ProcessLookupError):  # a hung run's leftovers must not load the next rows
        os.killpg(process.pid, signal.SIGKILL)


# -- the load -----------------------------------------------------------------------------------


def fresh_database(jobs: Sequence[Job] = JOBS) -> str:
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    url = f"{PG_SERVER}/{PG_DB}"
    engine = make_engine(url)
    SqlStore(engine).migrate()
    JobCatalog(SqlStore(engine), redis.Redis.from_url(REDIS_URL)).upsert(jobs)
    engine.dispose()
    return url


def saved_entries(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM time_entries")).scalar_one())


def dms_posted(client: redis.Redis) -> int:
    """Confirmation DMs posted since Redis was emptied: each leaves its message key."""
    return sum(1 for _ in client.scan_iter(match="slack:msg:*", count=10_000))


def seconds_until(reached: Callable[[], bool]) -> float | None:
    """Seconds until ``reached()`` (None: not within CATCH_UP_LIMIT_S)."""
    started = time.monotonic()
    while time.monotonic() - started < CATCH_UP_LIMIT_S:
        if reached():
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def reset_redis(database_url: str) -> None:
    """Empty the bot's Redis, then cache the jobs again (from the healthy database)."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    engine = make_engine(database_url)
    JobCatalog(SqlStore(engine), client).refresh_cache()
    engine.dispose()


def known_from_an_earlier_day(users: Sequence[str]) -> None:
    """What an earlier day's ``/hours`` left in Redis for each user: their profile and DM channel."""
    from bot.confirmations import DM_CHANNEL_TTL_S, dm_key
    from bot.context import SlackUser
    from bot.listeners.commands.hours import save_profile
    from tests.fakes.slack_api import DEFAULT_TZ, dm_channel_id

    client = redis.Redis.from_url(REDIS_URL)
    for user in users:
        save_profile(client, SlackUser(user, TEAM, user.lower(), f"{user.lower()}@example.com", DEFAULT_TZ))
        client.set(dm_key(user), dm_channel_id(user), ex=DM_CHANNEL_TTL_S)
    client.close()


Request = tuple[bytes, dict[str, str]]


def crew_member(tag: str, i: int) -> str:
    """The Slack user id of crew member ``i`` of a run tagged ``tag``."""
    return f"U{tag}{i:05d}"


def quick_entries(tag: str, n: int, users: int, *, first_day: int = 0) -> list[Request]:
    """``n`` signed quick entries by ``users`` crew members, one per (user, date), dates from
    ``first_day`` days ago backwards (users cycle first, so dates stay recent)."""
    from tests.fakes.slack_requests import signed_headers, slash_command_body

    today = date.today()
    requests = []
    for i in range(n):
        user, day = crew_member(tag, i % users), today - timedelta(days=(first_day + i // users) % DAYS)
        body = slash_command_body(
            text=f"{day.isoformat()} 7-3:30 lunch 30 job 1042 -- bench", user_id=user, team_id=TEAM
        )
        requests.append((body.encode(), signed_headers(SECRET, body)))
    return requests


@dataclass(frozen=True)
class Scenario:
    name: str
    database: str  # "healthy" or "unreachable"
    zoho_hangs: bool = False
    process_before_response: bool = True
    single: bool = False  # every part in one process (no bot.offload), as serve ran before
    first_of_day: bool = False  # every request a different crew member, known only from Redis
    floor: bool = False  # uvicorn answering a constant: what the machine costs any Python HTTP endpoint


def with_bot(
    scenario: Scenario, database_url: str, slack_url: str, workers: int = 1
) -> tuple[subprocess.Popen[str], int]:
    reset_redis(database_url)
    args = ["bot", "--workers", str(workers)]
    args += ["--database-url", database_url if scenario.database == "healthy" else UNREACHABLE_DB]
    args += ["--slack-api-url", slack_url]
    if scenario.zoho_hangs:
        args.append("--zoho-hangs")
    if not scenario.process_before_response:
        args.append("--bolt-default")
    if scenario.single:
        args.append("--single")
    if scenario.floor:
        args.append("--floor")
    return _spawn(*args)


def main_run(args: argparse.Namespace) -> int:
    load_before = os.getloadavg()[0]
    database_url = fresh_database()
    fake, slack_port = _spawn("fake-slack", "--slack-latency", str(args.slack_latency))
    slack_url = f"http://127.0.0.1:{slack_port}/api/"
    scenarios = [
        Scenario("healthy (HTTP workers ack; background process syncs and DMs)", "healthy"),
        Scenario(
            "healthy, one process, Bolt default process_before_response=False",
            "healthy",
            process_before_response=False,
            single=True,
        ),
        Scenario("Postgres unreachable", "unreachable"),
        Scenario("Zoho hangs (Postgres healthy)", "healthy", zoho_hangs=True),
        Scenario("Postgres unreachable and Zoho hangs", "unreachable", zoho_hangs=True),
        Scenario("healthy, one process doing everything (before bot.offload)", "healthy", single=True),
        Scenario("the machine's floor: uvicorn answering a constant, no app", "healthy", floor=True),
        Scenario(
            "healthy, each request a crew member's first of the day (profile in Redis, not in memory)",
            "healthy",
            first_of_day=True,
        ),
    ]
    if args.only:
        scenarios = [scenarios[int(i)] for i in args.only.split(",")]
    n = int(args.seconds * args.rate)
    rows = []
    try:
        for index, scenario in enumerate(scenarios):
            bot, port = with_bot(scenario, database_url, slack_url, args.workers)
            try:
                if scenario.first_of_day:
                    # A shift's end: each crew member logs once, known from an earlier day (profile and
                    # DM channel in Redis), so the worker holds none of them in memory.
                    requests = quick_entries(f"F{index}", n, n)
                    known_from_an_earlier_day([crew_member(f"F{index}", i) for i in range(n)])
                else:
                    # Warm-up, not counted: every crew member logs once (their profile and DM get cached).
                    in_child(open_loop, port, quick_entries(f"S{index}", CREW, CREW, first_day=DAYS - 1), args.rate)
                    requests = quick_entries(f"S{index}", n, CREW)
                time.sleep(SETTLE_S)  # the warm-up's DMs and syncs finish before the measured run
                cpu_before = cpu_seconds(bot.pid)
                run = in_child(open_loop, port, requests, args.rate)
                time.sleep(SETTLE_S)  # the run's background work (DMs, syncs, retries) counts too
                run.cpu_seconds = cpu_seconds(bot.pid) - cpu_before
            finally:
                _stop(bot)
            rows.append((scenario, run))
            print(f"  {scenario.name}: {len(run.latencies)} ok, {len(run.errors)} errors", file=sys.stderr)
        compared = []
        if args.compare_rate > 0:  # Bolt's ack polling, at a rate the machine is far from saturated by
            bolt_settings = [
                Scenario("one process, process_before_response=True (+ fast lane)", "healthy", single=True),
                Scenario("one process, Bolt default process_before_response=False", "healthy", False, False, True),
            ]
            for index, scenario in enumerate(bolt_settings):
                bot, port = with_bot(scenario, database_url, slack_url, args.workers)
                try:
                    warm_up = quick_entries(f"K{index}", CREW, CREW, first_day=DAYS - 1)
                    in_child(open_loop, port, warm_up, args.compare_rate)
                    time.sleep(SETTLE_S)
                    requests = quick_entries(f"K{index}", int(args.seconds * args.compare_rate), CREW)
                    compared.append((scenario, in_child(open_loop, port, requests, args.compare_rate)))
                finally:
                    _stop(bot)
        closed, saved_s, dms_s = Run(), None, None
        if args.closed_seconds > 0:
            bot, port = with_bot(scenarios[0], database_url, slack_url, args.workers)
            engine, bot_redis = make_engine(database_url), redis.Redis.from_url(REDIS_URL)  # polled below
            try:
                warm_up = quick_entries("C", 2000, 2000, first_day=DAYS - 1)  # every user once, as above
                saved_before = saved_entries(engine)  # from the rows above
                warmed = in_child(closed_loop, port, warm_up, 30.0, args.closed_clients)
                time.sleep(SETTLE_S)
                requests = quick_entries("C", int(args.closed_seconds * 5000), 2000)  # two workers passed 3,000/s
                closed = in_child(closed_loop, port, requests, args.closed_seconds, args.closed_clients)
                # Acks are half of "sustains": how long until Postgres holds every acknowledged entry,
                # and until every one of them has its DM.
                acked = len(warmed.latencies) + len(closed.latencies)
                saved_s = seconds_until(lambda: saved_entries(engine) >= saved_before + acked)
                dms_s = seconds_until(lambda: dms_posted(bot_redis) >= acked)
            finally:
                _stop(bot)
                engine.dispose()
                bot_redis.close()
    finally:
        _stop(fake)

    print(f"\n### Slack ack latency over HTTP: signed `/hours` quick entries, open loop at {args.rate:.0f}/s\n")
    lags = rows[0][1].send_lags
    print(f"Machine: {machine()}. Bot, FakeSlack (answering in {args.slack_latency * 1000:.0f} ms) and the")
    print(f"load generator are separate processes on this machine; {args.seconds:.0f} s per row, after a warm-up in")
    print(f"which each of the {CREW} crew members logs once (profiles and DM channels cached, as in steady use).")
    lag50, lag99 = pct(lags, 50) * 1e3, pct(lags, 99) * 1e3
    print(f"Bot: {args.workers} worker process(es) on uvicorn. Load generator: one process, one thread on an")
    print(f"{LOOP_NAME} event loop, keep-alive connections (up to 64), each request one pre-built write.")
    print("Latency runs from each request's *scheduled* send time to the arrival of its answer's last byte, so the")
    print(f"generator's own delay is in it: in the first row its writes left {lag50:.2f} ms (p50) / {lag99:.2f} ms")
    print(f"(p99) after the scheduled time. Load average (1 min) before the run: {load_before:.2f},")
    print(f"after: {os.getloadavg()[0]:.2f} (other work on the machine shows here).\n")
    print("| scenario | answered | not logged | p50 | p99 | max | bot CPU per request | loadgen CPU per request |")
    print("|---|---|---|---|---|---|---|---|")
    for scenario, run in rows:
        lat = run.latencies
        print(
            f"| {scenario.name} | {len(lat):,} | {len(run.errors)} | {pct(lat, 50) * 1e3:.2f} ms "
            f"| {pct(lat, 99) * 1e3:.2f} ms | {max(lat, default=float('nan')) * 1e3:.1f} ms "
            f"| {run.cpu_seconds / max(len(lat), 1) * 1e3:.2f} ms "
            f"| {run.loadgen_cpu_seconds / max(run.sent, 1) * 1e3:.3f} ms |"
        )
    healthy = pct(rows[0][1].latencies, 50)
    for scenario, run in rows[1:]:
        print(f"\np50 {scenario.name} / first row: {pct(run.latencies, 50) / healthy:.2f}", end="")
    floors = [pct(run.latencies, 50) for scenario, run in rows if scenario.floor]
    if floors and not rows[0][0].floor:
        print(f"\np50 of the first row above the machine's floor: {(healthy - floors[0]) * 1e3:.2f} ms", end="")
    if compared:
        print(f"\n\n### process_before_response at {args.compare_rate:.0f}/s (far from saturation)\n")
        print("| Bolt setting | answered | not logged | p50 | p99 |\n|---|---|---|---|---|")
        for scenario, run in compared:
            lat = run.latencies
            print(
                f"| {scenario.name} | {len(lat):,} | {len(run.errors)} | {pct(lat, 50) * 1e3:.2f} ms "
                f"| {pct(lat, 99) * 1e3:.2f} ms |"
            )
    errors_compared = [e for _, run in compared for e in run.errors]
    print(
        f"\n\n### Most submissions per second: {args.closed_clients} concurrent clients, closed loop, "
        f"{args.closed_seconds:.0f} s\n"
        f"\n| submissions/s | requests | errors | p50 | p99 |\n|---|---|---|---|---|\n"
        f"| {closed.throughput:,.0f} | {len(closed.latencies):,} | {len(closed.errors)} "
        f"| {pct(closed.latencies, 50) * 1e3:.2f} ms | {pct(closed.latencies, 99) * 1e3:.2f} ms |"
    )
    if closed.seconds:
        print(
            f"\nLoad generator: {closed.loadgen_cpu_seconds / max(closed.sent, 1) * 1e3:.3f} ms CPU per request, "
            f"{closed.loadgen_cpu_seconds / closed.seconds:.0%} of one core."
        )
        print("\n| after the burst, every acknowledged entry... | caught up | entries/s over burst + catch-up |")
        print("|---|---|---|")
        for what, caught_up_s in (("in Postgres", saved_s), ("confirmed by DM", dms_s)):
            if caught_up_s is None:
                print(f"| {what} | not within {CATCH_UP_LIMIT_S:.0f} s | — |")
            else:
                rate = len(closed.latencies) / (closed.seconds + caught_up_s)
                print(f"| {what} | {caught_up_s:.1f} s after it | {rate:,.0f} |")
    errors = [e for _, run in rows for e in run.errors] + errors_compared + closed.errors
    if errors:
        print(f"\nerrors seen: {sorted(set(errors))[:5]}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="role")
    bot = sub.add_parser("bot", help="(internal) the bot process")
    bot.add_argument("--database-url", required=True)
    bot.add_argument("--slack-api-url", required=True)
    bot.add_argument("--zoho-hangs", action="store_true")
    bot.add_argument("--bolt-default", dest="process_before_response", action="store_false")
    bot.add_argument("--workers", type=int, default=1)
    bot.add_argument("--single", action="store_true", help="every part in each worker process")
    bot.add_argument("--floor", action="store_true", help="uvicorn answering a constant (no Slack app)")
    fake = sub.add_parser("fake-slack", help="(internal) the Web API process")
    fake.add_argument("--slack-latency", type=float, default=0.05)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per open-loop row")
    parser.add_argument("--rate", type=float, default=200.0, help="offered requests per second")
    parser.add_argument("--closed-seconds", type=float, default=15.0)
    parser.add_argument("--closed-clients", type=int, default=50, help="concurrent clients in the closed loop")
    parser.add_argument("--slack-latency", type=float, default=0.05, help="FakeSlack's answer delay (s)")
    parser.add_argument("--workers", type=int, default=1, help="bot processes sharing the port (serve(workers=))")
    parser.add_argument("--compare-rate", type=float, default=50.0, help="rate of the Bolt setting comparison")
    parser.add_argument("--only", default="", help="scenario numbers to run, e.g. 0,2 (default: all)")
    args = parser.parse_args(argv)
    if args.role == "bot":
        return run_bot(args)
    if args.role == "fake-slack":
        return run_fake_slack(args)
    return main_run(args)


if __name__ == "__main__":
    sys.exit(main())
