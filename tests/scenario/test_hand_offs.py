"""An HTTP worker hands a request's follow-up work to the background process only once the
request's answer is sent (bot.offload.holding/release), and never loses it on the way.

The worker's ASGI app is called as uvicorn calls it; its queue is a recorder that notes each
hand-off in the same timeline as the answer's messages.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from collections.abc import Callable
from datetime import timedelta
from multiprocessing.queues import Queue
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.offload import BATCH, Message, Receiver, send_from_here
from bot.server import EVENTS_PATH, make_asgi_app
from core.domain.clock import today_in
from tests.fakes.slack_requests import SIGNING_SECRET, signed_headers, slash_command_body
from tests.scenario.conftest import RunningBot, entries_of, wait_until

YESTERDAY = (today_in(ZoneInfo("UTC")) - timedelta(days=1)).isoformat()


class Timeline:
    """What happened, in order: the answer's ASGI messages and the hand-offs to the queue."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def put(self, message: tuple[Any, ...]) -> None:
        self.events.append(("hand-off", message))

    def kinds(self) -> list[str]:
        return [kind if kind != "hand-off" else f"hand-off {value[0]}" for kind, value in self.events]


def worker_app(bot: RunningBot, timeline: Timeline) -> Callable[..., Any]:
    """The app as an HTTP worker runs it, its hand-offs going to ``timeline``."""
    put = send_from_here(timeline, bot.app.ctx, bot.services)  # type: ignore[arg-type]
    return make_asgi_app(bot.app, bot.services, put)


def call(asgi: Callable[..., Any], body: str, timeline: Timeline, *, client_gone: bool = False) -> None:
    headers = signed_headers(SIGNING_SECRET, body)
    scope = {
        "type": "http",
        "method": "POST",
        "path": EVENTS_PATH,
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body.encode(), "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if client_gone:
            raise OSError("the client closed the connection")
        timeline.events.append((message["type"], message))

    async def run() -> None:
        await asgi(scope, receive, send)

    if client_gone:
        with pytest.raises(OSError):
            asyncio.run(run())
    else:
        asyncio.run(run())


def test_a_quick_entrys_hand_offs_go_after_its_answer(bot: RunningBot) -> None:
    timeline = Timeline()
    asgi = worker_app(bot, timeline)

    call(asgi, slash_command_body(text=f"{YESTERDAY} 7-3:30 job 1042 -- primed"), timeline)

    (entry,) = entries_of(bot)
    assert timeline.kinds()[:2] == ["http.response.start", "http.response.body"]
    assert json.loads(timeline.events[1][1]["body"])["text"].startswith("Logged 8.5 h")
    # One message for the lot: the feeder thread pickles and writes it once, the background reads it once.
    [(kind, (batch, handed))] = timeline.events[2:]
    assert (kind, batch) == ("hand-off", "batch")
    assert [message[0] for message in handed] == ["sync", "expect", "follow_up"]
    assert handed[0][1] == handed[1][1] == entry.id


def test_hand_offs_are_not_lost_when_the_client_is_gone(bot: RunningBot) -> None:
    timeline = Timeline()
    asgi = worker_app(bot, timeline)

    call(asgi, slash_command_body(text=f"{YESTERDAY} 7-3:30 job 1042"), timeline, client_gone=True)

    (entry,) = entries_of(bot)
    [(_, (_, handed))] = timeline.events
    assert [message[0] for message in handed] == ["sync", "expect", "follow_up"]
    assert handed[0][1] == entry.id


def test_outside_a_request_a_hand_off_goes_at_once(bot: RunningBot) -> None:
    timeline = Timeline()
    send_from_here(timeline, bot.app.ctx, bot.services)  # type: ignore[arg-type]

    bot.app.ctx.follow_ups.forward(("follow_up", "x", {}))  # e.g. from a thread Bolt started

    assert timeline.kinds() == ["hand-off follow_up"]


def test_the_background_does_each_message_of_a_batch_even_after_a_bad_one(bot: RunningBot) -> None:
    done: list[str] = []
    bot.app.ctx.follow_ups.register("noted", lambda body, client: done.append(body["n"]))
    queue: Queue[Message] = multiprocessing.get_context("fork").Queue()
    receiver = Receiver(queue, bot.app.ctx, bot.services).start()
    try:
        queue.put(
            (
                BATCH,
                (
                    ("follow_up", "noted", {"body": {"n": "first"}}),
                    ("follow_up", "no-such-follow-up", {"body": {}}),  # a worker newer than this process
                    ("follow_up", "noted", {"body": {"n": "last"}}),
                ),
            )
        )
        wait_until(lambda: len(done) == 2, what="both follow-ups run")
    finally:
        receiver.stop(timeout_s=5)
    assert sorted(done) == ["first", "last"]
    assert not receiver.running()
