"""One ack-path change at a time, side by side in one process: the code as it is (A) against the
change undone (B), alternating batches of quick entries through the HTTP worker's ASGI app.

The full benchmark (``bench.bench_ack``) moves with the machine's speed by more than any one of
these changes is worth (docs/benchmarks.md, issue 3), so each is measured here instead: the
HTTP worker's app exactly as ``serve`` builds it (real Redis and Postgres, hand-offs to a
process that drains them, the Slack fake for start-up), called without HTTP, one request after
another, A and B taking turns every ``--batch`` requests so both see the same machine.

    .venv/bin/python -m bench.bench_ack_inprocess --compare redis-call

``--compare``: ``redis-call`` (record.lua through redis-py's Script and command path instead of
``HotStore._run_record``'s direct write and read), ``decode`` (decode what a create stored
instead of returning the entry sent, ``codec.round_trips``), ``form`` (``urllib.parse.parse_qsl``
instead of ``bot.fast_lane.form_fields``).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from bench import bench_ack
from bench.common import machine
from bot import fast_lane
from bot.app import build_app
from bot.context import SlackUser
from bot.listeners.commands.hours import remember_profile
from bot.offload import send_from_here
from bot.server import make_asgi_app
from core.bootstrap import build_services
from core.hot import codec
from core.hot.store import HotStore
from tests.fakes.slack_api import FakeSlack

# The code as it is, put back after each turn with a change undone.
RUN_RECORD, ROUND_TRIPS, FORM_FIELDS = HotStore._run_record, codec.round_trips, fast_lane.form_fields


def _through_redis_py(self: HotStore, args: list[Any]) -> Any:
    return self._record(args=args, client=self._writer())


def _with_parse_qsl(raw_body: str) -> dict[str, str]:
    return dict(parse_qsl(raw_body, keep_blank_values=True))


def undo_redis_call(undone: bool) -> None:
    HotStore._run_record = _through_redis_py if undone else RUN_RECORD  # type: ignore[method-assign]


def undo_decode(undone: bool) -> None:
    codec.round_trips = (lambda entry: False) if undone else ROUND_TRIPS


def undo_form(undone: bool) -> None:
    fast_lane.form_fields = _with_parse_qsl if undone else FORM_FIELDS


CHANGES: dict[str, Callable[[bool], None]] = {"redis-call": undo_redis_call, "decode": undo_decode, "form": undo_form}


def _drain(queue: Any) -> None:
    while queue.get() != ("stop",):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", choices=sorted(CHANGES), required=True)
    parser.add_argument("--requests", type=int, default=8000, help="measured requests (half A, half B)")
    parser.add_argument("--batch", type=int, default=250, help="requests per turn")
    args = parser.parse_args(argv)

    database_url = bench_ack.fresh_database()
    bench_ack.reset_redis(database_url)
    slack = FakeSlack(team_id=bench_ack.TEAM).start()
    settings = bench_ack.bench_settings(argparse.Namespace(database_url=database_url, slack_api_url=slack.base_url))
    services = build_services(settings)
    services.start(scheduler=False)
    app = build_app(settings, services)
    forked = multiprocessing.get_context("fork")
    queue = forked.Queue()
    drainer = forked.Process(target=_drain, args=(queue,))
    drainer.start()
    send_from_here(queue, app.ctx, services)
    asgi = make_asgi_app(app, services)

    users = 500
    for i in range(users):  # profiles known, as in steady use (the ack then reads no profile from Redis)
        user = SlackUser(f"UP{i:05d}", bench_ack.TEAM, "crew", f"crew{i}@example.com", "America/New_York")
        remember_profile(app.ctx, user)
    warm_up = bench_ack.quick_entries("P", users, users, first_day=1)
    measured = bench_ack.quick_entries("P", args.requests, users, first_day=2)

    async def send_all(requests: Sequence[bench_ack.Request]) -> None:
        for body, headers in requests:
            scope = {
                "type": "http",
                "method": "POST",
                "path": "/slack/events",
                "query_string": b"",
                "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            }
            answer: list[Any] = []

            async def receive(body: bytes = body) -> dict[str, Any]:
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: Any, answer: list[Any] = answer) -> None:
                answer.append(message)

            await asgi(scope, receive, send)
            if answer[0]["status"] != 200 or b"Logged" not in answer[1]["body"]:
                raise RuntimeError(f"not logged: {answer}")

    loop = asyncio.new_event_loop()
    loop.run_until_complete(send_all(warm_up))
    seconds = {False: 0.0, True: 0.0}
    counts = {False: 0, True: 0}
    undo = CHANGES[args.compare]
    for turn, start in enumerate(range(0, len(measured), args.batch)):
        undone = turn % 2 == 1
        undo(undone)
        batch = measured[start : start + args.batch]
        started = time.perf_counter()
        loop.run_until_complete(send_all(batch))
        seconds[undone] += time.perf_counter() - started
        counts[undone] += len(batch)
    undo(False)

    a, b = (seconds[u] / counts[u] * 1e6 for u in (False, True))
    print(f"{machine()}; {counts[False]} + {counts[True]} requests in turns of {args.batch}")
    print(f"| --compare {args.compare} | as it is (A) | undone (B) | B/A |")
    print("|---|---|---|---|")
    print(f"| µs per ack in process | {a:.1f} | {b:.1f} | {b / a:.3f} |")
    queue.put(("stop",))
    drainer.join(10)
    services.stop()
    slack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
