"""Knowing when the bot has finished answering: Bolt's lazy listeners, counted as they run.

Bolt starts lazy listeners on its ``ThreadLazyListenerRunner``'s executor, and crewclock's own
follow-ups (``BotContext.follow_ups``) run on the same one. Wrapping it for both counts them in
and out, so the console can wait for a command's whole answer (the DM, the modal, the response_url
post) before the next prompt.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from slack_bolt import App
from slack_bolt.lazy_listener.thread_runner import ThreadLazyListenerRunner


class CountingExecutor(Executor):
    """Hands work to ``inner`` and keeps count of what has not finished yet."""

    def __init__(self, inner: Executor) -> None:
        self._inner = inner
        self._running = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._running += 1
        try:
            future = self._inner.submit(fn, *args, **kwargs)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, _: Future[Any] | None) -> None:
        with self._idle:
            self._running -= 1
            self._idle.notify_all()

    @property
    def running(self) -> int:
        with self._idle:
            return self._running

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing runs (True), or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._running > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def count_lazy_listeners(app: App) -> CountingExecutor:
    """Wrap ``app``'s lazy listener executor; returns the counter to wait on."""
    runner = app.listener_runner.lazy_listener_runner
    if not isinstance(runner, ThreadLazyListenerRunner):
        raise TypeError(f"the console needs Bolt's thread-based lazy runner, not {type(runner).__name__}")
    if isinstance(runner.executor, CountingExecutor):
        return runner.executor
    counting = CountingExecutor(runner.executor)
    runner.executor = counting
    # Follow-ups (a quick entry's modal and DM) go to the same threads without Bolt: count them too,
    # or the console could show the next prompt (or end) before a form it should ask for opened.
    ctx = getattr(app, "ctx", None)
    if ctx is not None:
        ctx.follow_ups.pool = counting
    return counting
