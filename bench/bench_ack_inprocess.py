"""One ack-path change at a time, side by side in one process: the code as it is (A) against the
change undone (B), alternating batches of quick entries through the HTTP worker's ASGI app.

The full benchmark (``bench.bench_ack``) moves with the machine's speed by more than any one of
these changes is worth (docs/benchmarks.md, issue 3), so each is measured here instead: the
HTTP worker's app exactly as ``serve`` builds it (real Redis and Postgres, hand-offs to a
process that drains them, the Slack fake for start-up), called without HTTP, A and B taking
turns every ``--batch`` requests so both see the same machine.

    .venv/bin/python -m bench.bench_ack_inprocess --compare redis-call
    .venv/bin/python -m bench.bench_ack_inprocess --compare hold --rate 200

``--rate``: requests per second, paced as the open-loop benchmark sends them (the process idles
between requests, and the caches cool as they do in service); 0 (default) sends them back to back.
Each request gives two times: until its answer is sent (what Slack waits for) and until the app
returns (the whole of its CPU on the event loop).

``--compare``: ``redis-call`` (record.lua through redis-py's Script and command path instead of
``HotStore._run_record``'s direct write and read), ``decode`` (decode what a create stored
instead of returning the entry sent, ``codec.round_trips``), ``form`` (``urllib.parse.parse_qsl``
instead of ``bot.fast_lane.form_fields``), ``hold`` (hand-offs put on the queue during the ack
instead of once its answer is sent, ``bot.offload.holding``), ``profile-memory`` (every ack reads
the user's profile from Redis, as it did for a crew member back after more than five minutes,
instead of holding it while subscribed to other processes' changes, ``core.hot.changes``),
``job-memory`` (every ack reads the job list from Redis and decodes it, as it did after five
seconds, instead of holding it while subscribed).

``--jobs``: how many active jobs the company has (the quick entries name job 1042 of them).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from bench import bench_ack
from bench.common import machine
from bot import fast_lane
from bot.app import build_app
from bot.context import SlackUser
from bot.listeners.commands import hours
from bot.listeners.commands.hours import remember_profile
from bot.offload import send_from_here
from bot.server import AsgiApp, make_asgi_app
from core.bootstrap import build_services
from core.catalog import JOBS_TOPIC
from core.domain.jobs import Job
from core.hot import codec
from core.hot.changes import Stamp, Trust
from core.hot.store import HotStore
from tests.fakes.slack_api import FakeSlack

# The code as it is, put back after each turn with a change undone.
RUN_RECORD, ROUND_TRIPS, FORM_FIELDS = HotStore._run_record, codec.round_trips, fast_lane.form_fields
HOLDS = Trust.holds


def _through_redis_py(self: HotStore, args: list[Any]) -> Any:
    return self._record(args=args, client=self._writer())


def _with_parse_qsl(raw_body: str) -> dict[str, str]:
    return dict(parse_qsl(raw_body, keep_blank_values=True))


class Apps:
    """The worker's ASGI app as ``serve`` builds it (A), and one handing off during the ack (B)."""

    def __init__(self, holding: AsgiApp, handing_off_at_once: AsgiApp) -> None:
        self.holding, self.at_once = holding, handing_off_at_once
        self.current = holding


def undo_redis_call(undone: bool, apps: Apps) -> None:
    HotStore._run_record = _through_redis_py if undone else RUN_RECORD  # type: ignore[method-assign]


def undo_decode(undone: bool, apps: Apps) -> None:
    codec.round_trips = (lambda entry: False) if undone else ROUND_TRIPS


def undo_form(undone: bool, apps: Apps) -> None:
    fast_lane.form_fields = _with_parse_qsl if undone else FORM_FIELDS


def undo_hold(undone: bool, apps: Apps) -> None:
    apps.current = apps.at_once if undone else apps.holding


def _reading_every_time(topic: str) -> Callable[[Trust, Stamp | None], bool]:
    def holds(self: Trust, stamp: Stamp | None) -> bool:
        return False if self.topic == topic else HOLDS(self, stamp)

    return holds


def undo_profile_memory(undone: bool, apps: Apps) -> None:
    Trust.holds = _reading_every_time(hours.PROFILE_TOPIC) if undone else HOLDS  # type: ignore[method-assign]


def undo_job_memory(undone: bool, apps: Apps) -> None:
    Trust.holds = _reading_every_time(JOBS_TOPIC) if undone else HOLDS  # type: ignore[method-assign]


CHANGES: dict[str, Callable[[bool, Apps], None]] = {
    "redis-call": undo_redis_call,
    "decode": undo_decode,
    "form": undo_form,
    "hold": undo_hold,
    "profile-memory": undo_profile_memory,
    "job-memory": undo_job_memory,
}


def _drain(queue: Any) -> None:
    while queue.get() != ("stop",):
        pass


async def send_all(apps: Apps, requests: Sequence[bench_ack.Request], rate: float) -> list[tuple[float, float]]:
    """(seconds until the answer was sent, seconds until the app returned) for each request."""
    times = []
    start = time.perf_counter()
    for index, (body, headers) in enumerate(requests):
        if rate:
            await asyncio.sleep(max(0.0, start + index / rate - time.perf_counter()))
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/slack/events",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }
        answer: list[Any] = []
        sent = [0.0]

        async def receive(body: bytes = body) -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Any, answer: list[Any] = answer, sent: list[float] = sent) -> None:
            answer.append(message)
            if message["type"] == "http.response.body":
                sent[0] = time.perf_counter()

        began = time.perf_counter()
        await apps.current(scope, receive, send)
        times.append((sent[0] - began, time.perf_counter() - began))
        if answer[0]["status"] != 200 or b"Logged" not in answer[1]["body"]:
            raise RuntimeError(f"not logged: {answer}")
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", choices=sorted(CHANGES), required=True)
    parser.add_argument("--requests", type=int, default=8000, help="measured requests (half A, half B)")
    parser.add_argument("--batch", type=int, default=250, help="requests per turn")
    parser.add_argument("--rate", type=float, default=0.0, help="requests per second (0: back to back)")
    parser.add_argument("--jobs", type=int, default=len(bench_ack.JOBS), help="active jobs in the catalogue")
    args = parser.parse_args(argv)

    extra = [Job(str(5000 + i), f"{i} Harbor View Lane Repaint", True) for i in range(args.jobs - len(bench_ack.JOBS))]
    database_url = bench_ack.fresh_database([*bench_ack.JOBS, *extra])
    bench_ack.reset_redis(database_url)
    slack = FakeSlack(team_id=bench_ack.TEAM).start()
    settings = bench_ack.bench_settings(argparse.Namespace(database_url=database_url, slack_api_url=slack.base_url))
    services = build_services(settings)
    services.start(scheduler=False)
    app = build_app(settings, services)
    forked = multiprocessing.get_context("fork")
    queue = forked.Queue()
    drainer = forked.Process(target=_drain, args=(queue,), daemon=True)
    drainer.start()
    try:
        put = send_from_here(queue, app.ctx, services)
        apps = Apps(make_asgi_app(app, services, put), make_asgi_app(app, services))

        users = 500
        for i in range(users):  # profiles known, as in steady use (the ack then reads no profile from Redis)
            user = SlackUser(f"UP{i:05d}", bench_ack.TEAM, "crew", f"crew{i}@example.com", "America/New_York")
            remember_profile(app.ctx, user)
        time.sleep(0.5)  # word of those saves reaches the app before its acks read them
        warm_up = bench_ack.quick_entries("P", users, users, first_day=1)
        # One entry per (user, day), within the hot window: 500 users × 28 days at most.
        measured = bench_ack.quick_entries("P", min(args.requests, users * 28), users, first_day=2)

        loop = asyncio.new_event_loop()
        loop.run_until_complete(send_all(apps, warm_up, 0.0))
        times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        undo = CHANGES[args.compare]
        try:
            for turn, start in enumerate(range(0, len(measured), args.batch)):
                undone = turn % 2 == 1
                undo(undone, apps)
                batch = measured[start : start + args.batch]
                times[undone] += loop.run_until_complete(send_all(apps, batch, args.rate))
        finally:
            undo(False, apps)  # the code as it is, even after a failed request
    finally:
        queue.put(("stop",))
        drainer.join(10)
        services.stop()
        slack.stop()

    pace = f"paced at {args.rate:.0f}/s" if args.rate else "back to back"
    print(f"{machine()}; {len(times[False])} + {len(times[True])} requests {pace}, in turns of {args.batch};")
    print(f"{args.jobs} active jobs")
    print(f"| --compare {args.compare} | as it is (A) | undone (B) | B/A |")
    print("|---|---|---|---|")
    for label, pick, stat in (
        ("answer sent, p50 µs", 0, statistics.median),
        ("answer sent, mean µs", 0, statistics.fmean),
        ("app returned, mean µs", 1, statistics.fmean),
    ):
        a, b = (stat([t[pick] for t in times[u]]) * 1e6 for u in (False, True))
        print(f"| {label} | {a:.1f} | {b:.1f} | {b / a:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
