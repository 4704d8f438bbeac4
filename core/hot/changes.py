"""Word from any crewclock process that it changed something other processes hold in memory.

The ack path keeps two things in process memory that live in Redis: the job list and each
user's profile (their time zone). Reading either on the ack is a round trip, plus decoding every
job: at a crew's real, sparse pace that was 0.15–0.8 ms of an ack of ~1 ms (docs/benchmarks.md,
issue 3). Held for seconds or minutes only, they were almost never there when a crew member came
back. With this subscription a process can hold them for as long as it runs: whoever changes one
publishes (topic, key) on one Redis pub/sub channel, and every process drops what it held.

Messages sent while a subscription is down are lost, so what a process read during one
subscription may be trusted only while that same subscription lives (``session``); anything else
falls back to the short memory each holder had before. A holder also compares ``generation`` before
and after its read: a change announced meanwhile means what it read may be the older value.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)

CHANNEL = "crewclock:changed"
RETRY_S = 1.0
POLL_S = 1.0  # how often the listener looks up from the socket to see whether it should stop

Listener = Callable[[str], None]


def announce(pipe: redis.client.Pipeline, topic: str, key: str = "") -> None:
    """Queue the word that ``key`` of ``topic`` changed (sent with the pipeline's other commands)."""
    pipe.publish(CHANNEL, f"{topic}:{key}")


class Changes:
    """One subscription per process; calls each topic's listeners with the key that changed.

    ``session``: 0 while not subscribed (or never started); otherwise a number that changes with
    every new subscription. Listeners run on the subscription's thread.
    """

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._listeners: dict[str, list[Listener]] = defaultdict(list)
        self._generations: dict[str, int] = defaultdict(int)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="crewclock-changes", daemon=True)
        self._sessions = 0
        self.session = 0

    def on(self, topic: str, listener: Listener) -> None:
        """Call ``listener(key)`` whenever any process announces a change to ``topic``."""
        self._listeners[topic].append(listener)

    def generation(self, topic: str) -> int:
        """How many changes to ``topic`` this process has heard of."""
        return self._generations[topic]

    def start(self) -> Changes:
        if not self._thread.is_alive() and not self._stopped.is_set():
            self._thread.start()
        return self

    def stop(self, wait: bool = False) -> None:
        """The listener ends within ``POLL_S``; ``wait`` for it (nothing it does needs finishing)."""
        self._stopped.set()
        if wait and self._thread.is_alive():
            self._thread.join(timeout=POLL_S + 1)

    def _run(self) -> None:
        down_logged = False
        while not self._stopped.is_set():
            pubsub = self._client.pubsub()
            try:
                pubsub.subscribe(CHANNEL)
                while not self._stopped.is_set():
                    message = pubsub.get_message(timeout=POLL_S)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":  # also after redis-py reconnects by itself
                        self._sessions += 1
                        self.session = self._sessions
                        if down_logged:
                            log.info("hearing of other processes' changes again")
                            down_logged = False
                    elif message["type"] == "message":
                        self._tell(_text(message["data"]))
            except Exception as exc:  # never let the listener die (redis-py raised TypeError on a killed socket)
                self.session = 0  # what is read meanwhile may miss a change: held briefly only
                if not down_logged:
                    log.warning("not hearing of other processes' changes (%s); job list and profiles held briefly", exc)
                    down_logged = True
                self._stopped.wait(RETRY_S)
            finally:
                self.session = 0
                pubsub.close()

    def _tell(self, data: str) -> None:
        topic, _, key = data.partition(":")
        self._generations[topic] += 1
        for listener in self._listeners.get(topic, ()):
            listener(key)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True, slots=True)
class Stamp:
    """When a value was read from Redis, and under which subscription (see :class:`Trust`)."""

    at: float  # the holder's monotonic clock
    session: int  # the subscription that vouches for the value; 0: none
    generation: int


class Trust:
    """The one rule for a value of ``topic`` held in memory after reading it from Redis.

    It may be used while the subscription it was read under still lives (any change would have
    been heard of), or else for ``max_age_s()`` seconds; a change heard of during the read means it
    may be the older value, so it is not held at all. ``changes`` None: the age rule alone.
    ``clock`` and ``max_age_s`` are the holder's, looked up at each use (its tests move and set them).
    """

    def __init__(
        self, changes: Changes | None, topic: str, max_age_s: Callable[[], float], clock: Callable[[], float]
    ) -> None:
        self._changes = changes
        self.topic = topic
        self._max_age_s = max_age_s
        self._clock = clock

    def before_read(self) -> Stamp:
        changes = self._changes
        if changes is None:
            return Stamp(self._clock(), 0, 0)
        return Stamp(self._clock(), changes.session, changes.generation(self.topic))

    def after_read(self, stamp: Stamp) -> Stamp | None:
        """``stamp`` if what was read may be held; None when a change crossed the read."""
        changes = self._changes
        if changes is not None and changes.generation(self.topic) != stamp.generation:
            return None
        return stamp

    def recent(self) -> Stamp:
        """For a value this process has just written itself: held for ``max_age_s()`` seconds."""
        return Stamp(self._clock(), 0, 0)

    def holds(self, stamp: Stamp | None) -> bool:
        if stamp is None:
            return False
        changes = self._changes
        if stamp.session and changes is not None and stamp.session == changes.session:
            return True
        return self._clock() - stamp.at < self._max_age_s()
