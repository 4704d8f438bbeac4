"""Word from any crewclock process that it saved a user's profile, over Redis pub/sub.

The quick entry's ack needs the user's time zone. Reading it from Redis is a round trip on the
ack (~0.2 ms at a crew's real, sparse pace: docs/benchmarks.md, issue 3), and a crew member logs
about once a day, so a profile held for minutes is almost never there when they come back. With
this subscription a process can hold profiles for as long as it runs: whoever saves a profile
publishes its (team, user), and every process drops what it held for that user.

Messages sent while a subscription is down are lost, so what a process read during one
subscription is trusted only while that same subscription lives (``session``); anything else
falls back to the short memory the caller had before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis

log = logging.getLogger(__name__)

CHANNEL = "crewclock:profile-saved"
RETRY_S = 1.0
POLL_S = 1.0  # how often the listener looks up from the socket to see whether it should stop


def announce(pipe: redis.client.Pipeline, team_id: str, user_id: str) -> None:
    """Queue the message that the user's profile was saved (sent with the pipeline's other commands)."""
    pipe.publish(CHANNEL, f"{team_id}:{user_id}")


class ProfileChanges:
    """Listens for saved profiles in a thread of its own and calls ``on_change(team_id, user_id)``.

    ``session``: 0 while not subscribed; otherwise a number that changes with every new
    subscription. ``generation``: how many messages have arrived (a reader compares it before
    and after reading a profile to know no change crossed its read).
    """

    def __init__(self, client: redis.Redis, on_change: Callable[[str, str], None]) -> None:
        self._client = client
        self._on_change = on_change
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="crewclock-profile-changes", daemon=True)
        self._sessions = 0
        self.session = 0
        self.generation = 0

    def start(self) -> ProfileChanges:
        self._thread.start()
        return self

    def stop(self, wait: bool = False) -> None:
        """The listener ends within ``POLL_S``; ``wait`` for it (nothing it does needs finishing)."""
        self._stopped.set()
        if wait:
            self._thread.join(timeout=POLL_S + 1)

    def _run(self) -> None:
        down_since_logged = False
        while not self._stopped.is_set():
            pubsub = self._client.pubsub()
            try:
                pubsub.subscribe(CHANNEL)
                while not self._stopped.is_set():
                    message = pubsub.get_message(timeout=POLL_S)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self._sessions += 1
                        self.session = self._sessions
                        if down_since_logged:
                            log.info("listening for saved profiles again")
                            down_since_logged = False
                    elif message["type"] == "message":
                        self.generation += 1
                        team_id, _, user_id = _text(message["data"]).partition(":")
                        self._on_change(team_id, user_id)
            except Exception as exc:  # never let the listener die (redis-py raised TypeError on a killed socket)
                self.session = 0  # what was read meanwhile may miss a change: not trusted for long
                if not down_since_logged:
                    log.warning("not listening for saved profiles (%s); holding them for minutes only", exc)
                    down_since_logged = True
                self._stopped.wait(RETRY_S)
            finally:
                self.session = 0
                pubsub.close()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
