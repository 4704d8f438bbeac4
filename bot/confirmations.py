"""Confirmation messages that update themselves: "⏳ pending" becomes "✅ saved" in place.

After an entry is recorded, a DM shows it (``post``). Its channel and ts are kept in
Redis under ``slack:msg:{entry id}``, so whichever crewclock process syncs the entry can
``chat.update`` it: the sync engine calls :meth:`ConfirmationMessages.on_sync` from its
worker threads, which only hands the update to a small pool of our own — a slow or
rate-limited Slack never holds up a sync worker.

The first post waits up to ``SAVE_WAIT_S`` for this process's sync pool to save the entry
(usually a few milliseconds): the DM then says "✅ saved" from the start, and the common
case costs one Web API call instead of a post and an update (Slack rate-limits both).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.lru import Lru
from bot.views.confirmation import Message, confirmation_message
from core.bootstrap import Services
from core.domain.entry import SyncStatus, TimeEntry
from core.sync.engine import SyncEvent

log = logging.getLogger(__name__)

MESSAGE_TTL_S = 14 * 86400  # long after an entry has settled; a stale key only costs a GET
DM_CHANNEL_TTL_S = 30 * 86400  # the app's DM with a user keeps its id; saves a conversations.open per entry
STALE_DM_ERRORS = frozenset({"channel_not_found", "is_archived", "not_in_channel"})
SAVE_WAIT_S = 0.5
WAITER_MAX_AGE_S = 60.0
UPDATE_WORKERS = 2
UPDATE_BACKLOG = 1000  # updates queued beyond this are skipped (logged): Home and /history still tell the truth
BACKLOG_WARN_EVERY_S = 60.0
DM_CHANNELS_IN_MEMORY = 50_000  # about 100 B each


def message_key(entry_id: str) -> str:
    return f"slack:msg:{entry_id}"


def dm_key(user_id: str) -> str:
    return f"slack:dm:{user_id}"


def _digest(message: Message) -> str:
    """A short fingerprint of what a message shows, to skip updates that would change nothing."""
    shown = json.dumps([message.text, message.blocks], sort_keys=True, ensure_ascii=False)
    return hashlib.blake2s(shown.encode(), digest_size=8).hexdigest()


class _Waiter:
    """One post waiting for its entry's first sync; the sync pool hands over the entry it settled."""

    def __init__(self) -> None:
        self.synced = threading.Event()
        self.entry: TimeEntry | None = None
        self.since = time.monotonic()


class _SaveSignals:
    """Entries whose confirmation is about to be posted, each waiting for this process to sync it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, _Waiter] = {}
        self._purged_at = time.monotonic()

    def listen(self, entry_id: str) -> _Waiter:
        with self._lock:
            now = time.monotonic()
            if now - self._purged_at > WAITER_MAX_AGE_S:
                # A follow-up that failed before posting never forgets its waiter: drop old ones.
                self._purged_at = now
                self._waiters = {k: w for k, w in self._waiters.items() if now - w.since < WAITER_MAX_AGE_S}
            return self._waiters.setdefault(entry_id, _Waiter())

    def forget(self, entry_id: str) -> None:
        with self._lock:
            self._waiters.pop(entry_id, None)

    def signal(self, entry: TimeEntry) -> bool:
        """Hand ``entry`` to a post waiting for it; False when none is (the post went out already)."""
        with self._lock:
            waiter = self._waiters.get(entry.id)
        if waiter is None:
            return False
        waiter.entry = entry
        waiter.synced.set()
        return True


def _wait_left(waiter: _Waiter, entry: TimeEntry) -> float:
    """How much of ``SAVE_WAIT_S`` is left, counted from when the entry was written, not from the post.

    A post that runs late (follow-ups queued behind a burst) may be waiting for a sync that
    happened before anyone listened, or for a waiter dropped as old: it reads Redis at once
    instead. Waiting the full SAVE_WAIT_S there cost each such post half a second of a
    follow-up thread, so a backlog of DMs drained at a few dozen a second and kept growing.
    """
    since_expected = time.monotonic() - waiter.since
    # Kept in whole seconds: the entry is at least this old (never less, so a fresh one still waits).
    since_written = time.time() - entry.updated_at.timestamp() - 1.0
    return SAVE_WAIT_S - max(since_expected, since_written)


def settled(entry: TimeEntry) -> bool:
    """True when no sync event will change what the confirmation shows."""
    if entry.deleted or entry.postgres.status is SyncStatus.DEAD:
        return True
    zoho_done = entry.zoho.status in (SyncStatus.OFF, SyncStatus.DEAD) or entry.zoho.synced_version >= entry.version
    return entry.is_saved and zoho_done


_save_signals = _SaveSignals()  # per process, like the sync pool that sets them


class ConfirmationMessages:
    """Posts an entry's confirmation and keeps it current as the entry syncs."""

    def __init__(self, client: WebClient, services: Services) -> None:
        self.client = client
        self.redis = services.redis
        self.hot = services.hot
        self.sync = services.sync
        self.forward: Callable[[tuple[str, str]], None] | None = None  # set by bot.offload in HTTP workers
        # The app's DM with each user keeps its id while it exists: no Redis read per confirmation
        # (a stale one answers channel_not_found, and is dropped and opened again).
        self._dm_channels: Lru[str, str] = Lru(DM_CHANNELS_IN_MEMORY)
        self._pool: ThreadPoolExecutor | None = None
        self._slots = threading.BoundedSemaphore(UPDATE_BACKLOG)
        self._pool_lock = threading.Lock()
        self._skipped = 0
        self._warned_at = 0.0

    # -- on the lazy path of a request -------------------------------------------------

    def expect(self, entry_id: str) -> None:
        """On the ack path, right after the write: from now on this process's sync of the entry is noted
        for :meth:`post` (the sync lingers before it pushes, so it cannot finish before this)."""
        if self.forward is not None:  # the sync runs in the background process: it waits there
            self.forward(("expect", entry_id))
        else:
            _save_signals.listen(entry_id)

    def post(self, entry_id: str, *, user_id: str, channel_id: str = "", recorded: TimeEntry | None = None) -> None:
        """DM ``user_id`` the confirmation of a new entry; ephemeral in ``channel_id`` if the DM fails.

        Waits up to ``SAVE_WAIT_S`` for this process's first sync of the entry, so the
        message usually shows "saved" from the start; not while Postgres is known to be down
        (the DM then says "pending" at once). ``recorded``: the entry as the ack path wrote it,
        after :meth:`expect` (saves reading it back from Redis).

        Raises:
            SlackApiError: neither the DM nor the ephemeral fallback worked.
        """
        waiter = _save_signals.listen(entry_id)  # before reading: a sync finishing now is not missed
        try:
            entry = recorded or self.hot.get(entry_id)
            if entry is None:  # settled and expired from Redis already: nothing left to confirm
                return
            if not entry.is_saved and not entry.postgres.attempts and not self.sync.first_sink_down:
                if waiter.synced.wait(max(_wait_left(waiter, entry), 0.0)):
                    entry = waiter.entry or entry
                elif recorded is not None:  # not synced here in time: show what Redis holds now
                    entry = self.hot.get(entry_id)
                    if entry is None:
                        return
        finally:
            _save_signals.forget(entry_id)
        message = confirmation_message(entry)
        try:
            posted = self._post_dm(user_id, message)
        except SlackApiError as exc:
            if not channel_id:
                raise
            log.info(
                "confirmation DM to %s failed (%s); posting ephemeral",
                user_id,
                exc.response.get("error"),
                extra={"entry_id": entry.id, "slack_user_id": user_id},
            )
            # An ephemeral message cannot be updated later; it shows the state at this moment.
            self.client.chat_postEphemeral(channel=channel_id, user=user_id, text=message.text, blocks=message.blocks)
            return
        shown = json.dumps([posted["channel"], posted["ts"], _digest(message)])
        self.redis.set(message_key(entry.id), shown, ex=MESSAGE_TTL_S)
        if not settled(entry):
            # A sync that finished before the key existed found nothing to update: catch up now.
            current = self.hot.get(entry.id)
            if current is not None:
                self.refresh(current)

    def _post_dm(self, user_id: str, message: Message) -> SlackResponse:
        channel = self._dm_channels.get(user_id)
        if channel is None:
            cached = self.redis.get(dm_key(user_id))
            channel = cached.decode() if isinstance(cached, bytes) else cached
        if channel is not None:
            try:
                posted = self.client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks)
                self._dm_channels.put(user_id, channel)
                return posted
            except SlackApiError as exc:
                if exc.response.get("error") not in STALE_DM_ERRORS:
                    raise
                self._dm_channels.drop(user_id)
                self.redis.delete(dm_key(user_id))
        channel = self.client.conversations_open(users=user_id)["channel"]["id"]
        self.redis.set(dm_key(user_id), channel, ex=DM_CHANNEL_TTL_S)
        self._dm_channels.put(user_id, channel)
        return self.client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks)

    def refresh(self, entry: TimeEntry) -> bool:
        """Update the entry's confirmation to its state now; False when it has none."""
        raw = self.redis.get(message_key(entry.id))
        if raw is None:
            return False
        channel, ts, shown = json.loads(raw)
        message = confirmation_message(entry)
        if _digest(message) == shown:
            return True  # a retry that changes nothing the user sees costs no Web API call
        try:
            self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
        except SlackApiError as exc:
            if exc.response.get("error") in ("message_not_found", "channel_not_found"):
                self.redis.delete(message_key(entry.id))  # the user deleted it: stop trying
                return False
            raise
        self.redis.set(message_key(entry.id), json.dumps([channel, ts, _digest(message)]), keepttl=True)
        return True

    # -- from the sync engine's threads ------------------------------------------------

    def on_sync(self, event: SyncEvent) -> None:
        """Sync listener: wake a post waiting for this entry, or queue an in-place update of its confirmation."""
        if _save_signals.signal(event.entry):
            # The post about to go out shows this state (and catches up itself if it stopped
            # waiting a moment too early): an update now would only cost Redis round trips.
            return
        if not self._slots.acquire(blocking=False):
            self._skipped += 1
            now = time.monotonic()
            if now - self._warned_at > BACKLOG_WARN_EVERY_S:
                self._warned_at = now
                log.warning(
                    "confirmation updates backlogged: %d skipped; those messages keep an older state", self._skipped
                )
            return
        try:
            self._executor().submit(self._update_in_background, event.entry)
        except RuntimeError:  # shut down
            self._slots.release()

    def _update_in_background(self, entry: TimeEntry) -> None:
        fields = {"entry_id": entry.id, "slack_user_id": entry.slack_user_id}
        try:
            if self.redis.exists(message_key(entry.id)):  # most events come before any message exists
                # Events may be handled out of order by the pool: show the entry as it is now.
                self.refresh(self.hot.get(entry.id) or entry)
        except SlackApiError as exc:
            # No request to answer here: the message keeps its older state, Home and /history show the real one.
            log.warning("could not update confirmation of %s: %s", entry.id, exc.response.get("error"), extra=fields)
        except Exception:  # a background thread: the log is the only place left to say it
            log.exception("updating the confirmation of %s failed", entry.id, extra=fields)
        finally:
            self._slots.release()

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=UPDATE_WORKERS, thread_name_prefix="crewclock-confirm")
            return self._pool

    def close(self, wait: bool = True) -> None:
        """Finish queued updates (called at shutdown, after the sync pool has drained)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait)
