"""Prometheus metrics: what the core counts, and what it reads from Redis at scrape time.

Counters live in this process (or, under ``crewclock serve --workers N``, in prometheus-client's
multiprocess files, so every worker's counts add up on whichever worker is scraped). Backlog,
dead letters, memory and last successes are read from Redis when scraped: they are the same
for every process, and nothing keeps them in step between scrapes.

The edge adds its own metrics (ack latency, Slack API errors) on ``Metrics.metric_registry``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import redis
from prometheus_client import CollectorRegistry, Counter, disable_created_metrics, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from core.domain.entry import TimeEntry
from core.hot.store import HotStore
from core.ops.backlog import OLDEST_SAMPLE, read_backlog, redis_memory
from core.ops.sink_health import SinkHealthBoard
from core.sync.engine import SinkOutcomes

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CHANGES = {"create": "created", "edit": "edited", "delete": "deleted"}

disable_created_metrics()  # the *_created series only double every counter's lines


def enable_multiprocess(directory: str) -> None:
    """Make metrics created from now on (in this process and forked ones) write to ``directory``.

    prometheus-client picks its value store from this variable; it is set here, by ``serve``
    before it forks its workers, and read by nobody else (settings never see it).
    """
    os.environ[MULTIPROC_ENV] = directory
    values.ValueClass = values.get_value_class()


class _Families:
    """Already collected metric families, in the shape ``generate_latest`` takes."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return iter(self._families)


class _FilesCollector(MultiProcessCollector):
    """Reads every worker's files at scrape time, and only then.

    Registering a collector without ``describe`` makes the registry collect once; a worker
    starting while another has just created an empty file would then crash on it.
    """

    def describe(self) -> Iterator[Metric]:
        return iter(())


class Metrics:
    """Every core metric of one process, and the registry ``/metrics`` renders.

    Args:
        multiprocess_dir: the directory of prometheus-client's multiprocess mode (set up by
            :func:`enable_multiprocess`); None for one process.
    """

    def __init__(self, *, multiprocess_dir: str | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess = bool(multiprocess_dir)
        if multiprocess_dir:
            self.registry.register(_FilesCollector(None, path=multiprocess_dir))
        # In multiprocess mode the metric objects are collected from the files, not registered.
        self.metric_registry: CollectorRegistry | None = None if multiprocess_dir else self.registry
        self.entries_recorded = Counter(
            "crewclock_entries_recorded",
            "Entries written to Redis, by change (created, edited, deleted); retried requests not counted.",
            ["change"],
            registry=self.metric_registry,
        )
        self.sync_outcomes = Counter(
            "crewclock_sync_outcomes",
            "Entry pushes per sink and outcome: ok, retry (will be tried again) or dead (dead-lettered).",
            ["sink", "outcome"],
            registry=self.metric_registry,
        )
        self.history_reads = Counter(
            "crewclock_history_reads",
            "History reads by what answered them: redis alone, or postgres as well (older than the hot window).",
            ["answered_by"],
            registry=self.metric_registry,
        )
        for change in CHANGES.values():
            self.entries_recorded.labels(change)
        for source in ("redis", "postgres"):
            self.history_reads.labels(source)

    # -- listeners the composition root wires in --------------------------------------------

    def on_write(self, mode: str, entry: TimeEntry) -> None:
        self.entries_recorded.labels(CHANGES.get(mode, mode)).inc()

    def on_read(self, needed_postgres: bool) -> None:
        self.history_reads.labels("postgres" if needed_postgres else "redis").inc()

    def on_outcomes(self, outcomes: SinkOutcomes) -> None:
        for outcome, count in (("ok", outcomes.ok), ("retry", outcomes.retry), ("dead", outcomes.dead)):
            if count:
                self.sync_outcomes.labels(outcomes.sink, outcome).inc(count)

    def watch_redis(self, hot: HotStore, board: SinkHealthBoard, sinks: Sequence[str]) -> None:
        """Read the backlog, memory and last successes from Redis whenever metrics are scraped."""
        self.registry.register(RedisStateCollector(hot, board, sinks))

    # -- /metrics -----------------------------------------------------------------------------

    def render(self) -> bytes:
        """The Prometheus text exposition of everything, with the hot-read hit ratio derived."""
        families = list(self.registry.collect())
        hits = total = 0.0
        for family in families:
            if family.name == "crewclock_history_reads":
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        total += sample.value
                        hits += sample.value if sample.labels.get("answered_by") == "redis" else 0.0
        ratio = GaugeMetricFamily(
            "crewclock_hot_read_hit_ratio",
            "Share of history reads Redis answered alone since start (1 when none yet).",
            value=hits / total if total else 1.0,
        )
        return generate_latest(_Families([*families, ratio]))


class RedisStateCollector:
    """Gauges read from Redis at scrape time; a Redis that does not answer shows as ``redis_up 0``."""

    def __init__(
        self,
        hot: HotStore,
        board: SinkHealthBoard,
        sinks: Sequence[str],
        *,
        clock: Callable[[], float] = time.time,
        sample: int = OLDEST_SAMPLE,
    ) -> None:
        self.hot = hot
        self.board = board
        self.sinks = list(sinks)
        self.clock = clock
        self.sample = sample

    def describe(self) -> Iterable[Metric]:
        return []  # collected live; nothing to check against at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("crewclock_redis_up", "1 when Redis answered this scrape.")
        try:
            gauges = list(self._gauges())
        except redis.RedisError as exc:
            log.warning("metrics: Redis did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from gauges

    def _gauges(self) -> Iterator[Metric]:
        now = self.clock()
        backlog = read_backlog(self.hot, now=now, sample=self.sample)
        yield GaugeMetricFamily("crewclock_pending_entries", "Entries some sink still owes.", value=backlog.pending)
        yield GaugeMetricFamily("crewclock_dead_letters", "Entries a sink gave up on.", value=backlog.dead)
        yield GaugeMetricFamily(
            "crewclock_pending_oldest_age_seconds",
            "Age (since its last change) of the oldest pending entry among the soonest-due ones read.",
            value=backlog.oldest_age_s,
        )
        yield GaugeMetricFamily(
            "crewclock_pending_oldest_age_exact",
            f"1 when every pending entry was read for the age (at most {self.sample} pending).",
            value=1 if backlog.exact else 0,
        )
        memory = redis_memory(self.hot.redis)
        if memory is not None:
            yield GaugeMetricFamily("crewclock_redis_used_memory_bytes", "Redis used_memory.", value=memory[0])
            yield GaugeMetricFamily("crewclock_redis_maxmemory_bytes", "Redis maxmemory (0: none).", value=memory[1])
        last_ok = GaugeMetricFamily(
            "crewclock_sync_last_success_timestamp_seconds",
            "When each sink last accepted an entry (absent: not since Redis was new).",
            labels=["sink"],
        )
        for health in self.board.read(self.sinks):
            if health.last_ok_at is not None:
                last_ok.add_metric([health.sink], health.last_ok_at)
        yield last_ok
