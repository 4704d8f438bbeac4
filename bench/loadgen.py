"""HTTP load generator for the benchmarks: one thread, one event loop (uvloop when importable), its own process.

The bot under test shares the machine's cores with whatever sends it load, so the sender must
cost as little CPU as possible and add as little latency as possible. Here each request is
pre-built as the full HTTP/1.1 request bytes (request line, Host, Content-Length, the given
headers, body), so sending it is one ``transport.write``; answers are read by an
``asyncio.Protocol`` that parses just the status line, the headers it needs and a
Content-Length body, over keep-alive connections. No threads, no coroutine per request:
protocol callbacks and one timer drive everything. The open loop's timer is a Linux timerfd
(microsecond precision, one wake-up per send) rather than the loop's timers, which count whole
milliseconds: with those a send was ~0.3 ms late at the median, or, armed not to be early,
~1 ms, and the loop woke several times per send.

* :func:`open_loop`: request *k* is due at ``start + k / rate`` and written on a free pooled
  connection (a new one is opened when all are busy, up to ``connections``; past that it waits
  for one). Latency runs from the *scheduled* time to the arrival of the answer's last bytes
  (stamped as they reach the protocol, before the generator parses them: that parsing took
  ~40 µs at the median), so any wait in the generator before the send (its wake-up, the pool)
  is in the figure; ``Run.send_lags`` shows how much of it there was.
* :func:`closed_loop`: ``clients`` connections, each sending its next request as soon as the
  previous answer is read, until ``seconds`` elapse or the requests run out.
* :func:`in_child`: run either in a child process, so the generator never shares a GIL with
  the caller; ``Run.loadgen_cpu_seconds`` is the generator's own CPU (``time.process_time()``).

Answers are classified as ``bench_ack`` always did: HTTP 200 is *answered*; its JSON ``text``
starting with "Logged" is a logged entry, any other text is an error (its first 60
characters), as is any other status (``HTTP 500``), a failed connection (the exception's
name), a chunked or malformed answer, and a request still unanswered ``timeout`` seconds
after the run.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import json
import multiprocessing
import os
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is installed wherever the bot runs
    uvloop = None
LOOP_NAME = "uvloop" if uvloop is not None else "asyncio"

PATH = "/slack/events"
HOST = "127.0.0.1"
TIMEOUT_S = 30.0  # how long, after the last send, unanswered requests are waited for
MAX_HEAD = 64 * 1024

Request = tuple[bytes, Mapping[str, str]]  # (body, headers), as ``bench_ack.quick_entries`` makes them
Payload = bytes | Request


@dataclass
class Run:
    """One load run. ``latencies``: seconds per HTTP 200 answer (open loop) or per logged answer
    (closed loop); ``errors``: short descriptions of failed requests and answers other than "Logged ..."."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the server's CPU during the run (filled in by the caller)
    loadgen_cpu_seconds: float = 0.0  # the load generator's own CPU during the run
    send_lags: list[float] = field(default_factory=list)  # open loop: write time - scheduled time
    sent: int = 0  # requests taken from the list (answered or failed)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def build_request(body: bytes, headers: Mapping[str, str], host: str, path: str = PATH) -> bytes:
    """The full HTTP/1.1 POST: request line, Host, Content-Length, ``headers`` (they win), then ``body``."""
    given = {name.lower() for name in headers}
    lines = [f"POST {path} HTTP/1.1"]
    if "host" not in given:
        lines.append(f"Host: {host}")
    if "content-length" not in given:
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def classify(status: int, body: bytes) -> tuple[bool, str]:
    """(answered with HTTP 200, "" when the answer's text starts with "Logged", else what it says)."""
    if status != 200:
        return False, f"HTTP {status}"
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return True, "answer is not JSON"
    text = answer.get("text", "") if isinstance(answer, dict) else ""
    if not isinstance(text, str):
        text = str(text)
    return True, "" if text.startswith("Logged") else text[:60]


class _Owner:
    """What a connection reports to: one answer read, or the connection gone."""

    def answered(self, conn: _Conn, token: Any, answered: bool, problem: str) -> None:
        raise NotImplementedError

    def lost(self, conn: _Conn, token: Any, reason: str, retryable: bool) -> None:
        raise NotImplementedError


class _Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection carrying one request at a time."""

    def __init__(self, owner: _Owner) -> None:
        self.owner = owner
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.need = -1  # body bytes expected once the head is read; -1 while reading the head
        self.status = 0
        self.close_after = False
        self.token: Any = None  # the request in flight (the owner's), None when idle
        self.reused = False  # has answered before: a keep-alive the server may have dropped
        self.got_bytes = False  # some of the current answer arrived
        self.closed = False
        self.arrived = 0.0  # perf_counter when the latest bytes of the answer came in

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, data: bytes, token: Any) -> None:
        self.token = token
        self.got_bytes = False
        assert self.transport is not None
        self.transport.write(data)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.token is None:
            self._fail("answer without a request")
            return
        self.arrived = time.perf_counter()  # before any parsing: the generator's own work is not the server's latency
        self.got_bytes = True
        buf = self.buf
        buf += data
        if self.need < 0:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD:
                    self._fail("answer head too long")
                return
            try:
                self._read_head(bytes(buf[:end]).decode("latin-1"))
            except ValueError as exc:
                self._fail(str(exc) or "bad answer")
                return
            del buf[: end + 4]
        if len(buf) < self.need:
            return
        if len(buf) > self.need:
            self._fail("bytes after the answer")
            return
        body = bytes(buf)
        buf.clear()
        self.need = -1
        token, self.token = self.token, None
        self.reused = True
        if self.close_after:
            self.close()
        answered, problem = classify(self.status, body)
        self.owner.answered(self, token, answered, problem)

    def _read_head(self, head: str) -> None:
        lines = head.split("\r\n")
        version, _, rest = lines[0].partition(" ")
        if not version.startswith("HTTP/1."):
            raise ValueError("bad status line")
        self.status = int(rest[:3])
        keep_alive = version != "HTTP/1.0"
        length = -1
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "connection":
                tokens = {t.strip() for t in value.lower().split(",")}
                keep_alive = "close" not in tokens and (keep_alive or "keep-alive" in tokens)
            elif name == "transfer-encoding":
                raise ValueError("chunked answer")
        if length < 0:
            raise ValueError("answer without Content-Length")
        self.need = length
        self.close_after = not keep_alive

    def _fail(self, reason: str) -> None:
        token, self.token = self.token, None
        self.close()
        self.owner.lost(self, token, reason, retryable=False)

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost reports it

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed and self.token is None:
            return  # closed by us after an answer or a failure already reported
        self.closed = True
        token, self.token = self.token, None
        reason = type(exc).__name__ if exc else "connection closed"
        # A kept connection the server closed before answering anything: the request never got there.
        self.owner.lost(self, token, reason, retryable=self.reused and not self.got_bytes)


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class _LoopTimer:
    """Calls ``callback`` at ``perf_counter`` times with the loop's own timers (the fallback off Linux).

    They count whole milliseconds (uvloop's clock and both loops' waits), so a call may come up to
    a millisecond early (the open loop then just arms again) or late."""

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        self.loop, self.callback = loop, callback
        self.handle: asyncio.TimerHandle | None = None

    def at(self, when: float) -> None:
        self.handle = self.loop.call_at(self.loop.time() + (when - time.perf_counter()), self.callback)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.cancel()


class _TimerFd:
    """Calls ``callback`` at ``perf_counter`` times to the microsecond: a Linux timerfd
    (CLOCK_MONOTONIC, absolute) watched by the loop; one settime and one read per wake-up."""

    CLOCK_MONOTONIC, TFD_TIMER_ABSTIME = 1, 1
    TFD_NONBLOCK, TFD_CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.settime = libc.timerfd_settime
        self.settime.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(_Itimerspec), ctypes.c_void_p]
        self.fd = libc.timerfd_create(self.CLOCK_MONOTONIC, self.TFD_NONBLOCK | self.TFD_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "timerfd_create")
        self.spec = _Itimerspec()
        self.spec_ref = ctypes.byref(self.spec)
        self.offset = time.monotonic() - time.perf_counter()  # 0 on Linux: both are CLOCK_MONOTONIC
        self.loop, self.callback = loop, callback
        loop.add_reader(self.fd, self._ready)

    def at(self, when: float) -> None:
        sec, frac = divmod(when + self.offset, 1.0)
        value = self.spec.it_value
        value.tv_sec, value.tv_nsec = int(sec), max(int(frac * 1e9), 1)  # all zero would disarm it
        if self.settime(self.fd, self.TFD_TIMER_ABSTIME, self.spec_ref, None) != 0:
            raise OSError(ctypes.get_errno(), "timerfd_settime")

    def _ready(self) -> None:
        try:
            os.read(self.fd, 8)
        except BlockingIOError:
            return
        self.callback()

    def close(self) -> None:
        self.loop.remove_reader(self.fd)
        os.close(self.fd)


def _timer(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> _LoopTimer | _TimerFd:
    """A timerfd on Linux (``LOADGEN_TIMER=loop`` in the environment: the loop's timers), else the loop's."""
    if sys.platform.startswith("linux") and os.environ.get("LOADGEN_TIMER") != "loop":
        try:
            return _TimerFd(loop, callback)
        except (OSError, AttributeError):
            pass
    return _LoopTimer(loop, callback)


def _close_all(conns: set[_Conn]) -> None:
    for conn in list(conns):
        conn.token = None  # anything still in flight was counted already; its loss is not reported
        conn.close()


def _payloads(requests: Sequence[Payload], host: str, port: int, path: str) -> list[bytes]:
    authority = f"{host}:{port}"
    return [r if isinstance(r, bytes) else build_request(r[0], r[1], authority, path) for r in requests]


def _drive(main: Callable[[asyncio.AbstractEventLoop], Any]) -> Run:
    """Run ``main(loop)`` to completion on a fresh loop with the collector paused; its CPU in the Run."""
    factory = uvloop.new_event_loop if uvloop is not None else None
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()  # a collection mid-run is a pause in the measured latencies; runs are short
    cpu = time.process_time()
    try:
        with asyncio.Runner(loop_factory=factory) as runner:
            run: Run = runner.run(main(runner.get_loop()))
    finally:
        if was_enabled:
            gc.enable()
    run.loadgen_cpu_seconds = time.process_time() - cpu
    return run


# -- open loop -----------------------------------------------------------------------------------


class _OpenLoop(_Owner):
    def __init__(
        self, loop: asyncio.AbstractEventLoop, host: str, port: int, payloads: list[bytes], rate: float, pool: int
    ) -> None:
        self.loop, self.host, self.port, self.payloads = loop, host, port, payloads
        self.interval = 1.0 / rate
        self.pool = pool
        self.run = Run()
        # Free connections, taken in turn (FIFO): the load spreads over every connection the pool has
        # (over every bot worker their accepts went to) and none sits idle into the server's keep-alive timeout.
        self.idle: deque[_Conn] = deque()
        self.count = 0  # connections open or opening
        self.opening = 0
        self.waiting: deque[tuple[int, float, bool]] = deque()  # (index, scheduled, is a retry)
        self.next = 0
        self.outstanding = 0
        self.finished = loop.create_future()
        self.start = 0.0
        self.ended = 0.0
        self.conns: set[_Conn] = set()

    async def main(self) -> Run:
        self.timer = _timer(self.loop, self._tick)
        self.start = time.perf_counter() + 0.1
        self.timer.at(self.start)
        last = self.start + (len(self.payloads) - 1) * self.interval if self.payloads else self.start
        wait = last - time.perf_counter() + TIMEOUT_S
        try:
            await asyncio.wait_for(asyncio.shield(self.finished), wait)
        except TimeoutError:
            self.ended = time.perf_counter()
            unanswered = len(self.payloads) - self.next + self.outstanding
            self.run.errors += ["timeout"] * unanswered
        self.timer.close()
        _close_all(self.conns)
        self.run.seconds = self.ended - self.start
        return self.run

    def _tick(self) -> None:
        now = time.perf_counter()
        n, start, interval = len(self.payloads), self.start, self.interval
        while self.next < n and (scheduled := start + self.next * interval) <= now:
            self.outstanding += 1
            self.run.sent += 1
            self._submit(self.next, scheduled, False)
            self.next += 1
        if self.next < n:
            self.timer.at(start + self.next * interval)
        else:
            self._check_done()

    def _submit(self, index: int, scheduled: float, retry: bool) -> None:
        if self.idle:
            self._send(self.idle.popleft(), index, scheduled, retry)
            return
        if retry:
            self.waiting.appendleft((index, scheduled, retry))
        else:
            self.waiting.append((index, scheduled, retry))
        self._grow()

    def _grow(self) -> None:
        while self.count < self.pool and self.opening < len(self.waiting):
            self.count += 1
            self.opening += 1
            self.loop.create_task(self._connect())

    async def _connect(self) -> None:
        try:
            _, conn = await self.loop.create_connection(lambda: _Conn(self), self.host, self.port)
        except OSError as exc:
            self.opening -= 1
            self.count -= 1
            if self.waiting:  # one request fails per failed connection, so a dead server ends the run
                self.waiting.popleft()
                self._done(None, type(exc).__name__)
            self._grow()
            return
        self.opening -= 1
        self.conns.add(conn)
        self._release(conn)

    def _send(self, conn: _Conn, index: int, scheduled: float, retry: bool) -> None:
        if not retry:
            self.run.send_lags.append(time.perf_counter() - scheduled)
        conn.send(self.payloads[index], (index, scheduled, retry))

    def _release(self, conn: _Conn) -> None:
        if self.waiting:
            self._send(conn, *self.waiting.popleft())
        else:
            self.idle.append(conn)

    def _done(self, latency: float | None, problem: str) -> None:
        if latency is not None:
            self.run.latencies.append(latency)
        if problem:
            self.run.errors.append(problem)
        self.outstanding -= 1
        self._check_done()

    def answered(self, conn: _Conn, token: Any, answered: bool, problem: str) -> None:
        latency = conn.arrived - token[1]
        if conn.closed:  # the server said Connection: close
            self._drop(conn)
            self._grow()
        else:
            self._release(conn)
        self._done(latency if answered else None, problem)

    def lost(self, conn: _Conn, token: Any, reason: str, retryable: bool) -> None:
        self._drop(conn)
        if token is not None:
            index, scheduled, retry = token
            if retryable and not retry:
                self._submit(index, scheduled, True)
            else:
                self._done(None, reason)
        self._grow()

    def _drop(self, conn: _Conn) -> None:
        if conn in self.conns:
            self.conns.discard(conn)
            self.count -= 1
        if conn in self.idle:
            self.idle.remove(conn)

    def _check_done(self) -> None:
        if self.next >= len(self.payloads) and not self.outstanding and not self.finished.done():
            self.ended = time.perf_counter()
            self.finished.set_result(None)


def open_loop(
    port: int,
    requests: Sequence[Payload],
    rate: float,
    connections: int = 64,
    *,
    host: str = HOST,
    path: str = PATH,
) -> Run:
    """Send request k at ``start + k / rate`` on a pooled keep-alive connection (up to ``connections``).

    Latency: arrival of the answer's last bytes - scheduled time. ``seconds``: first scheduled send to last answer.
    """
    payloads = _payloads(requests, host, port, path)
    return _drive(lambda loop: _OpenLoop(loop, host, port, payloads, rate, connections).main())


# -- closed loop ---------------------------------------------------------------------------------


class _ClosedLoop(_Owner):
    def __init__(
        self, loop: asyncio.AbstractEventLoop, host: str, port: int, payloads: list[bytes], seconds: float, n: int
    ) -> None:
        self.loop, self.host, self.port, self.payloads = loop, host, port, payloads
        self.seconds = seconds
        self.clients = n
        self.run = Run()
        self.next = 0
        self.active = 0
        self.deadline = 0.0
        self.finished = loop.create_future()
        self.conns: set[_Conn] = set()

    async def _open(self) -> _Conn | None:
        try:
            _, conn = await self.loop.create_connection(lambda: _Conn(self), self.host, self.port)
        except OSError as exc:
            self.run.errors.append(type(exc).__name__)
            return None
        self.conns.add(conn)
        return conn

    async def main(self) -> Run:
        conns = [c for c in await asyncio.gather(*(self._open() for _ in range(self.clients))) if c is not None]
        start = time.perf_counter()
        self.deadline = start + self.seconds
        self.active = len(conns)
        for conn in conns:
            self._next(conn, None)
        if not self.active:
            self.finished.set_result(start)
        try:
            ended = await asyncio.wait_for(asyncio.shield(self.finished), self.seconds + TIMEOUT_S)
        except TimeoutError:
            ended = time.perf_counter()
            in_flight = [c for c in self.conns if c.token is not None]
            self.run.errors += ["timeout"] * len(in_flight)
        _close_all(self.conns)
        self.run.seconds = ended - start
        return self.run

    def _next(self, conn: _Conn, retry: tuple[int, bool] | None) -> None:
        if retry is None:
            if time.perf_counter() >= self.deadline or self.next >= len(self.payloads):
                self._retire()
                return
            index = self.next
            self.next += 1
            self.run.sent += 1
        else:
            index = retry[0]
        conn.send(self.payloads[index], (index, time.perf_counter(), retry is not None))

    def _retire(self) -> None:
        self.active -= 1
        if not self.active and not self.finished.done():
            self.finished.set_result(time.perf_counter())

    def answered(self, conn: _Conn, token: Any, answered: bool, problem: str) -> None:
        latency = conn.arrived - token[1]
        if answered and not problem:
            self.run.latencies.append(latency)  # a submission counts when it was logged
        if problem:
            self.run.errors.append(problem)
        if conn.closed:  # Connection: close: this client carries on over a new connection
            self.conns.discard(conn)
            self.loop.create_task(self._reconnect(None))
        else:
            self._next(conn, None)

    def lost(self, conn: _Conn, token: Any, reason: str, retryable: bool) -> None:
        self.conns.discard(conn)
        if token is None:
            return  # an idle connection (its client retired or is reconnecting)
        index, _, retry = token
        if retryable and not retry:
            self.loop.create_task(self._reconnect((index, True)))
            return
        self.run.errors.append(reason)
        self.loop.create_task(self._reconnect(None))

    async def _reconnect(self, retry: tuple[int, bool] | None) -> None:
        conn = await self._open()
        if conn is None:
            self._retire()  # the server is gone: this client stops
        else:
            self._next(conn, retry)


def closed_loop(
    port: int,
    requests: Sequence[Payload],
    seconds: float,
    clients: int = 50,
    *,
    host: str = HOST,
    path: str = PATH,
) -> Run:
    """``clients`` keep-alive connections sending back to back until ``seconds`` pass or requests run out.

    Latency: send to answer, for logged answers only; ``seconds``: from the first send (connections
    already open) to the last answer, so ``throughput`` is logged submissions per second.
    """
    payloads = _payloads(requests, host, port, path)
    return _drive(lambda loop: _ClosedLoop(loop, host, port, payloads, seconds, clients).main())


# -- in a process of its own ---------------------------------------------------------------------


def _child(sender: Any, fn: Callable[..., Run], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        result: Run | str = fn(*args, **kwargs)
    except BaseException:
        result = traceback.format_exc()
    sender.send(result)
    sender.close()


def in_child(fn: Callable[..., Run], *args: Any, context: str = "fork", **kwargs: Any) -> Run:
    """``fn(*args, **kwargs)`` (``open_loop`` or ``closed_loop``) in a child process; its Run back.

    "fork" hands the requests over without pickling them; "spawn" works too (everything is pickled).
    """
    ctx = multiprocessing.get_context(context)
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(sender, fn, args, kwargs), name="loadgen", daemon=True)
    child.start()
    sender.close()
    try:
        result = receiver.recv()
    except EOFError:
        child.join(5)
        raise RuntimeError(f"the load generator process died (exit code {child.exitcode})") from None
    finally:
        receiver.close()
    child.join(5)
    if isinstance(result, str):
        raise RuntimeError(f"the load generator failed:\n{result}")
    return result
