"""The write-behind engine: moves entries from Redis to each sink, retries, dead-letters.

Every attempt works on leased entries (see ``HotStore.claim_*``), pushes them to
the sinks in order (Postgres first: later sinks need its row), and settles the
results back in Redis in one script call. Nothing here ever runs on the ack path:
``submit`` only hands an id to the pool and never blocks.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.domain.rules import day_number
from core.hot import codec
from core.hot.store import HotStore
from core.sync.ports import Outcome, PushRequest, PushResult, Sink

log = logging.getLogger(__name__)

# Where each sink's state sits in the encoded entry (Lua positions, 1-based).
SLOTS = {"postgres": codec.F.POSTGRES + 1, "zoho": codec.F.ZOHO + 1}
ERROR_MAX_CHARS = 300


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_s: float = 2.0
    cap_s: float = 900.0

    def delay(self, attempts: int, rng: Callable[[], float] = random.random) -> float:
        """Exponential backoff with 'equal jitter': half fixed, half random, capped."""
        ceiling = min(self.cap_s, self.base_s * (2 ** max(attempts - 1, 0)))
        return ceiling / 2 + rng() * ceiling / 2


@dataclass(frozen=True, slots=True)
class SyncEvent:
    """An entry whose sync state changed: ``where`` is synced, pending or dead."""

    entry: TimeEntry
    where: str


@dataclass(frozen=True, slots=True)
class SinkOutcomes:
    """What one sink made of one batch: how many landed, will be retried, or died; the last error."""

    sink: str
    ok: int = 0
    retry: int = 0
    dead: int = 0
    last_error: str = ""


@dataclass(slots=True)
class SyncReport:
    claimed: int = 0
    synced: int = 0
    pending: int = 0
    dead: int = 0
    lost: int = 0
    per_sink_ok: dict[str, int] = field(default_factory=dict)

    def add(self, other: SyncReport) -> None:
        self.claimed += other.claimed
        self.synced += other.synced
        self.pending += other.pending
        self.dead += other.dead
        self.lost += other.lost
        for k, v in other.per_sink_ok.items():
            self.per_sink_ok[k] = self.per_sink_ok.get(k, 0) + v


PROBE_BATCH = 10  # entries a sweep tries while the first sink is known to be down
FIRST_SINK_BREAKER_S = 5.0  # how long fresh entries skip their immediate push after a failed batch

# ``next_attempt_at`` of a dead sink state: a permanent error (never revived on its own),
# against 0 for one that ran out of attempts on transient errors.
GAVE_UP_FOR_GOOD = -1.0


def _exhausted(entry: TimeEntry) -> bool:
    """Dead only because a sink ran out of attempts, so worth another round when it recovers."""
    dead = [entry.sink_state(name) for name in SLOTS if entry.sink_state(name).status is SyncStatus.DEAD]
    return bool(dead) and all(state.next_attempt_at >= 0 for state in dead)


def _owes(entry: TimeEntry, sink: str) -> bool:
    state = entry.sink_state(sink)
    return state.status not in (SyncStatus.OFF, SyncStatus.DEAD) and state.synced_version < entry.version


class SyncEngine:
    """Pushes entries to the sinks from a bounded thread pool and on demand (sweep, drain)."""

    def __init__(
        self,
        hot: HotStore,
        sinks: Sequence[Sink],
        *,
        policy: RetryPolicy,
        workers: int = 4,
        lease_s: float = 300.0,
        batch_size: int = 500,
        cache_days: int = 30,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
        linger_s: float = 0.05,
    ) -> None:
        self.hot = hot
        self.sinks = list(sinks)
        self.policy = policy
        self.lease_s = lease_s
        self.batch_size = batch_size
        self.cache_days = cache_days
        self.clock = clock
        self.rng = rng
        self.token = uuid.uuid4().hex  # this process's lease token
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crewclock-sync")
        # Bounded hand-off: when full, the id simply waits in the pending index for a sweep.
        self._slots = threading.BoundedSemaphore(workers * 8)
        self._futures: set[Future[Any]] = set()
        self._futures_lock = threading.Lock()
        self._closing = False
        # Entries written within ``linger_s`` are pushed as one batch: one claim, one upsert and
        # one settle serve them all. Each of those is a network round trip, which costs more CPU
        # than the entries' own work (bench_ack: 50 ms instead of 5 ms cut the sync's CPU per
        # entry by more than half at 100 entries/s); 50 ms is still far below what anyone sees.
        self.linger_s = linger_s
        self._inbox: list[str] = []
        self._inbox_lock = threading.Lock()
        self._flush_scheduled = False
        # While the first sink fails as a whole (Postgres down), fresh entries are not pushed
        # one by one (each attempt would fail and cost CPU on the ack path's process): they
        # wait, due, in the pending index for the sweeper, whose success closes the breaker.
        self._first_sink_down_until = 0.0
        self._listeners: list[Callable[[SyncEvent], None]] = []
        self._forward: Callable[[str], None] | None = None
        self._outcome_listeners: list[Callable[[SinkOutcomes], None]] = []

    def forward_to(self, send: Callable[[str], None]) -> None:
        """Hand fresh entries to ``send`` instead of this process's pool (another process syncs them).

        For processes that only acknowledge (``crewclock serve``'s HTTP workers): the entries
        are in the pending index already, so a lost hand-off only waits for the next sweep.
        """
        self._forward = send

    @property
    def first_sink_down(self) -> bool:
        """True while the first sink (Postgres) is known to be failing: fresh entries wait for the sweeper."""
        return self.clock() < self._first_sink_down_until

    def add_listener(self, listener: Callable[[SyncEvent], None]) -> None:
        self._listeners.append(listener)

    def add_outcome_listener(self, listener: Callable[[SinkOutcomes], None]) -> None:
        """Called from sync threads once per sink and batch pushed (metrics, last success)."""
        self._outcome_listeners.append(listener)

    # -- entry points ------------------------------------------------------------------

    def submit(self, entry_id: str, *, now_even_if_down: bool = False) -> bool:
        """Hand a freshly written entry to the pool; never blocks. False: left to the sweeper.

        ``now_even_if_down``: try at once even while the first sink is known to be failing
        (an admin's explicit retry).
        """
        if self._forward is not None:
            self._forward(entry_id)
            return True
        if self._closing or (self.first_sink_down and not now_even_if_down):
            return False
        with self._inbox_lock:
            self._inbox.append(entry_id)
            if self._flush_scheduled:
                return True
            self._flush_scheduled = True
        if not self._slots.acquire(blocking=False):
            with self._inbox_lock:  # the pool is saturated: the piggyback sweeps will find these
                self._inbox.clear()
                self._flush_scheduled = False
            return False
        try:
            future = self._pool.submit(self._flush_inbox)
        except RuntimeError:  # pool shut down between the check and the submit
            self._slots.release()
            return False
        with self._futures_lock:
            self._futures.add(future)
        future.add_done_callback(self._done)
        return True

    def _done(self, future: Future[Any]) -> None:
        with self._futures_lock:
            self._futures.discard(future)
        self._slots.release()

    def _flush_inbox(self) -> None:
        time.sleep(self.linger_s)
        with self._inbox_lock:
            ids, self._inbox = self._inbox, []
            self._flush_scheduled = False
        for start in range(0, len(ids), self.batch_size):
            self._sync_then_piggyback(ids[start : start + self.batch_size])

    def _sync_then_piggyback(self, entry_ids: list[str]) -> None:
        try:
            now = self.clock()
            self.process(self.hot.claim_ids(entry_ids, token=self.token, lease_s=self.lease_s, now=now))
            # Piggyback: whatever else is due rides along, at the cost of what is due (not while
            # the first sink is down: the batch just failed, and the sweeper probes).
            if not self._closing and not self.first_sink_down:
                self.sweep(limit=self.batch_size)
        except Exception:
            log.exception("sync of %d entries failed; they stay pending for the sweeper", len(entry_ids))

    def sweep(self, limit: int | None = None) -> SyncReport:
        """Push one batch of entries that are due now."""
        now = self.clock()
        claimed = self.hot.claim_due(token=self.token, lease_s=self.lease_s, limit=limit or self.batch_size, now=now)
        return self.process(claimed)

    def sweep_all(self, max_batches: int = 100) -> SyncReport:
        """Sweep until nothing is due (or ``max_batches``); what the scheduler runs.

        While the first sink is known to be down, a sweep starts with a probe of
        ``PROBE_BATCH`` entries: pushing the whole backlog only to fail it again would fill
        Redis with long scripts and the sync with events while users are acknowledging
        (bench_ack, Postgres unreachable). A probe that gets through closes the breaker and
        the sweep goes on with full batches; a batch that fails stops it until the next one.
        """
        total = SyncReport()
        for _ in range(max_batches):
            limit = PROBE_BATCH if self.first_sink_down else self.batch_size
            report = self.sweep(limit)
            total.add(report)
            if report.claimed < limit or self.first_sink_down:
                break
        return total

    def revive_exhausted(self, limit: int = 1000) -> int:
        """Give dead letters that ran out of attempts (not permanent errors) another round, once
        their sink works again.

        One of them is pushed as a probe; if it gets through, the rest are put back in the
        pending index, due now. A long outage therefore ends in the sinks on its own, while
        the dead-letter index and the admins' alert still show it happened. Returns how many
        were revived.
        """
        exhausted = [e for e in self.hot.get_many([i for i, _ in self.hot.dead_ids(limit)]) if _exhausted(e)]
        if not exhausted:
            return 0
        probe = exhausted[0]
        dead_sinks = [name for name in SLOTS if probe.sink_state(name).status is SyncStatus.DEAD]
        if not self.hot.retry_dead(probe.id):
            return 0
        report = self.process(self.hot.claim_ids([probe.id], token=self.token, lease_s=self.lease_s, now=self.clock()))
        if not any(report.per_sink_ok.get(name, 0) for name in dead_sinks):
            return 1  # still failing: the probe backs off in the pending index like any entry
        revived = 1 + sum(self.hot.retry_dead(e.id) for e in exhausted[1:])
        log.info("a sink works again: %d dead letters put back in the pending index", revived)
        return revived

    def drain(self, progress: Callable[[int], None] | None = None, parallel: int = 3) -> SyncReport:
        """Push everything pending now, backing-off entries included, in batches.

        ``parallel`` loops run at once so that Redis, Postgres and Python overlap. Each stops
        when the backlog is done or one of its batches made no progress (a sink is down).
        """
        pending_at_start, _ = self.hot.counts()
        total = SyncReport()
        lock = threading.Lock()

        def loop() -> None:
            while True:
                with lock:
                    if total.claimed >= pending_at_start:
                        return
                claimed = self.hot.claim_due(
                    token=self.token,
                    lease_s=self.lease_s,
                    limit=self.batch_size,
                    now=self.clock(),
                    due_before=float("inf"),
                )
                if not claimed:
                    return
                report = self.process(claimed)
                with lock:
                    total.add(report)
                if progress:
                    progress(report.claimed)
                if report.synced == 0:
                    return

        threads = [threading.Thread(target=loop, name=f"crewclock-drain-{i}") for i in range(max(parallel, 1))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return total

    # -- one attempt on a batch of leased entries -----------------------------------------

    def process(self, entries: Sequence[TimeEntry]) -> SyncReport:
        report = SyncReport(claimed=len(entries))
        if not entries:
            return report
        current = {e.id: e for e in entries}
        blocked: dict[str, float] = {}  # id -> when the earlier sink that failed is due again
        for sink in self.sinks:
            owed = [e for e in current.values() if _owes(e, sink.name) and e.id not in blocked]
            if not owed:
                continue
            idempotent = sink.idempotent
            if idempotent:
                requests = [PushRequest(e) for e in owed]
            else:
                slot = SLOTS[sink.name]
                still_ours = self.hot.mark_inflight(slot, [(e.id, e.version) for e in owed], token=self.token)
                requests = [
                    # Any push whose result was never recorded (this version or an older one, since
                    # edited) may have landed: the sink must look before it creates.
                    PushRequest(e, uncertain=e.sink_state(sink.name).inflight_version != 0)
                    for e in owed
                    if e.id in still_ours
                ]
            results = self._push(sink, requests)
            ok = dead = 0
            last_error = ""
            for request in requests:
                entry = request.entry
                result = results.get(entry.id) or PushResult.retry(entry.id, f"{sink.name} gave no result")
                state = self._next_state(entry.sink_state(sink.name), entry.version, result, marked=not idempotent)
                current[entry.id] = entry.with_sink_state(sink.name, state)
                if result.outcome is Outcome.OK:
                    ok += 1
                else:
                    blocked[entry.id] = state.next_attempt_at
                    dead += state.status is SyncStatus.DEAD
                    last_error = state.last_error
            report.per_sink_ok[sink.name] = ok
            if sink is self.sinks[0]:
                if ok:
                    self._first_sink_down_until = 0.0
                elif dead < len(requests):  # nothing got through, and not for the entries' own faults
                    self._first_sink_down_until = self.clock() + FIRST_SINK_BREAKER_S
            if requests:
                self._tell_outcomes(SinkOutcomes(sink.name, ok, len(requests) - ok - dead, dead, last_error))
        # A sink skipped because an earlier one failed waits as long as that one does.
        for entry_id, due in blocked.items():
            entry = current[entry_id]
            for sink in self.sinks:
                state = entry.sink_state(sink.name)
                if _owes(entry, sink.name) and state.next_attempt_at < due:
                    entry = entry.with_sink_state(sink.name, replace(state, next_attempt_at=due))
            current[entry_id] = entry
        self._settle(entries, current, report)
        return report

    def _tell_outcomes(self, outcomes: SinkOutcomes) -> None:
        for listener in self._outcome_listeners:
            try:
                listener(outcomes)
            except Exception:
                log.exception("sync outcome listener failed for %s", outcomes.sink)

    def _push(self, sink: Sink, requests: Sequence[PushRequest]) -> dict[str, PushResult]:
        results: dict[str, PushResult] = {}
        for start in range(0, len(requests), max(sink.max_batch, 1)):
            chunk = requests[start : start + sink.max_batch]
            try:
                for result in sink.push(chunk):
                    results[result.entry_id] = result
            except Exception as exc:  # a sink that raises has failed the whole chunk, transiently
                log.warning("%s push of %d entries failed: %s", sink.name, len(chunk), exc)
                message = f"{type(exc).__name__}: {exc}"
                for request in chunk:
                    results[request.entry.id] = PushResult.retry(request.entry.id, message)
        return results

    def _next_state(self, state: SinkState, version: int, result: PushResult, *, marked: bool) -> SinkState:
        now = self.clock()
        if result.outcome is Outcome.OK:
            return SinkState(SyncStatus.SYNCED, 0, max(state.synced_version, version), 0, "", 0.0)
        attempts = state.attempts + 1
        error = result.error[:ERROR_MAX_CHARS]
        # A permanent error is the sink's answer: nothing landed. A transient one (a timeout,
        # a dropped connection) may have landed: keep the in-flight mark so the next try checks.
        if result.outcome is Outcome.PERMANENT:
            inflight = 0
        else:
            inflight = version if marked else state.inflight_version
        if result.outcome is Outcome.PERMANENT:
            return SinkState(SyncStatus.DEAD, attempts, state.synced_version, inflight, error, GAVE_UP_FOR_GOOD)
        if attempts >= self.policy.max_attempts:  # out of attempts: revived when the sink works again
            return SinkState(SyncStatus.DEAD, attempts, state.synced_version, inflight, error, 0.0)
        delay = self.policy.delay(attempts, self.rng)
        if result.retry_after_s is not None:
            delay = max(delay, result.retry_after_s)
        return SinkState(SyncStatus.PENDING, attempts, state.synced_version, inflight, error, now + delay)

    def _settle(self, before: Sequence[TimeEntry], after: dict[str, TimeEntry], report: SyncReport) -> None:
        outcomes = []
        for entry in before:
            new = after[entry.id]
            states = {
                SLOTS[name]: codec.encode_state(new.sink_state(name))
                for name in SLOTS
                if new.sink_state(name) != entry.sink_state(name)
            }
            outcomes.append((entry.id, entry.version, states))
        now = self.clock()
        where = self.hot.settle(
            outcomes,
            token=self.token,
            now=now,
            cache_days=self.cache_days,
            today_day=day_number(datetime.fromtimestamp(now, UTC).date()),
        )
        for entry in before:
            outcome = where.get(entry.id, "lost")
            if outcome == "synced":
                report.synced += 1
            elif outcome == "dead":
                report.dead += 1
            elif outcome == "pending":
                report.pending += 1
            else:
                report.lost += 1
            new = after[entry.id]
            if outcome != "lost" and new != entry:
                for listener in self._listeners:
                    try:
                        listener(SyncEvent(new, outcome))
                    except Exception:
                        log.exception(
                            "sync listener failed for entry %s",
                            entry.id,
                            extra={"entry_id": entry.id, "slack_user_id": entry.slack_user_id},
                        )

    # -- lifecycle ------------------------------------------------------------------------

    def shutdown(self, deadline_s: float = 10.0) -> int:
        """Stop taking work and wait up to ``deadline_s`` for pushes in flight.

        Returns how many were unfinished (running, or queued and now cancelled);
        their entries stay pending, and the next process or sweep picks them up.
        """
        self._closing = True
        with self._futures_lock:
            running = list(self._futures)
        _, not_done = wait(running, timeout=deadline_s)
        self._pool.shutdown(wait=False, cancel_futures=True)
        return len(not_done)
