"""``crewclock serve``: HTTP workers that only acknowledge, and one background process for the rest.

Why: CPython runs one thread of Python at a time per process. In a process that also
syncs entries and posts their DMs, every ack waits its turn behind dozens of threads
waking for Redis, Postgres and Slack answers (bench/bench_ack.py measured it). So the
HTTP workers keep only the ack path (Redis) and the follow-ups that must start from
the request itself (opening a modal within the trigger's 3 seconds); everything that
waits on Postgres, Zoho or a DM goes to the background process:

* fresh entries to sync (``SyncEngine.forward_to``),
* "a DM will be posted for this entry" notes (``ConfirmationMessages.expect``), so the
  background's sync pool tells its DM post when the entry is saved,
* the follow-ups of a quick entry and a modal submission (``ctx.follow_ups``).

They travel over one ``multiprocessing.Queue``: ``put`` hands the message to a feeder
thread and returns at once, so the ack never waits on the pipe. A request's hand-offs are
held until its answer is on the wire (:func:`holding`, :func:`release`) and then sent as one
message: putting a quick entry's three hand-offs before its answer delayed the answer by ~7 %
(docs/benchmarks.md, issue 3), and nothing about them is urgent to the user. The background process
builds the same app (the same follow-up functions under the same names) and runs the
scheduler (sweeps, weekly DMs, reminders). Nothing here is the record of anything: every
entry is in Redis's pending index before its ack, so a message lost with a crashed
process only means the entry waits for the next sweep.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from multiprocessing.queues import Queue
from multiprocessing.reduction import ForkingPickler
from typing import Any

from bot.context import BotContext
from core.bootstrap import Services
from core.domain.entry import TimeEntry
from core.hot import codec

log = logging.getLogger(__name__)

Message = tuple[Any, ...]
STOP: Message = ("stop",)
BATCH = "batch"  # ("batch", (message, ...)): one request's hand-offs


def _entry_to_wire(entry: TimeEntry) -> tuple[Any, tuple[str, str, str]]:
    # An entry crosses as the hot tier's compact encoding (the entries handed over are read
    # from it): pickling the dataclass with its dates, times and sink states cost 2.6x as much.
    return codec.decode, (entry.id, codec.encode(entry), entry.user_email)


ForkingPickler.register(TimeEntry, _entry_to_wire)


class _Held:
    """One request's hand-offs, and where they go once its answer is sent."""

    def __init__(self, put: Callable[[Message], None]) -> None:
        self.put = put
        self.messages: list[Message] = []


# The hand-offs of the request being answered in this context; None outside a request.
_held: contextvars.ContextVar[_Held | None] = contextvars.ContextVar("crewclock_held", default=None)
Hold = contextvars.Token[_Held | None]


def holding(put: Callable[[Message], None]) -> Hold:
    """From now on, this context's hand-offs wait for :func:`release` (the request's answer sent),
    which gives them to ``put`` (the queue's, as :func:`send_from_here` returns it).

    Each asyncio task (each request) has a context of its own; threads Bolt starts do not
    inherit it, so their hand-offs go at once.
    """
    return _held.set(_Held(put))


def release(hold: Hold) -> None:
    """Send what this context held since ``hold``, in order, as one message, and stop holding.

    One message, not one each: the queue's feeder thread pickles and writes every message in
    the HTTP worker, and the background wakes for every one it reads.
    """
    held = _held.get()
    _held.reset(hold)
    if held is None or not held.messages:
        return
    messages = held.messages
    held.put(messages[0] if len(messages) == 1 else (BATCH, tuple(messages)))


def _put_when_answered(queue: Queue[Message]) -> Callable[[Message], None]:
    def put(message: Message) -> None:
        held = _held.get()
        if held is None:
            queue.put(message)
        else:
            held.messages.append(message)

    return put


def send_from_here(queue: Queue[Message], ctx: BotContext, services: Services) -> Callable[[Message], None]:
    """In an HTTP worker: hand fresh entries, DM notes and follow-ups to the background process.

    Returns the queue's ``put``, for :func:`holding`.
    """
    put = _put_when_answered(queue)
    services.sync.forward_to(lambda entry_id: put(("sync", entry_id)))
    ctx.confirmations.forward = put
    ctx.follow_ups.forward = put
    return queue.put


class Receiver:
    """In the background process: a thread doing what the HTTP workers hand over, in their order.

    It ends on ``STOP``, which ``serve`` sends once every HTTP worker has stopped (so their last
    hand-offs are in the queue before it).
    """

    def __init__(self, queue: Queue[Message], ctx: BotContext, services: Services) -> None:
        self.queue = queue
        self.ctx = ctx
        self.services = services
        self._thread = threading.Thread(target=self._loop, name="crewclock-receiver", daemon=True)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while True:
            message = self.queue.get()
            if message == STOP:
                return
            for one in message[1] if message[0] == BATCH else (message,):
                try:
                    self.handle(one)
                except Exception:  # one bad message must not stop the others; the entry itself is in Redis
                    log.exception("background process could not handle %r", one[:2])

    def handle(self, message: Message) -> None:
        kind = message[0]
        if kind == "sync":
            self.services.sync.submit(message[1])
        elif kind == "expect":
            self.ctx.confirmations.expect(message[1])
        elif kind == "follow_up":
            self.ctx.follow_ups.run_here(message[1], **message[2])
        else:
            log.error("background process got an unknown message %r", kind)

    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout_s: float) -> None:
        self._thread.join(timeout=timeout_s)

    def stop(self, timeout_s: float) -> None:
        """Handle what is queued, then end (unless the parent's STOP already ended it)."""
        if self._thread.is_alive():
            self.queue.put(STOP)
        self._thread.join(timeout=timeout_s)
        if self._thread.is_alive():
            log.warning("background hand-offs still queued after %.0f s; their entries wait for a sweep", timeout_s)
