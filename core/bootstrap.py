"""The one place that wires crewclock's core together from settings."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis
from apscheduler.schedulers.background import BackgroundScheduler

from core.approvals import WeekApprovals
from core.catalog import JobCatalog
from core.doctor import redis_config_checks
from core.domain.rules import day_number
from core.hot.changes import Changes
from core.hot.store import HotStore, StorageUnavailable
from core.ops.metrics import Metrics
from core.ops.sink_health import SinkHealthBoard
from core.schedule.scheduler import build_scheduler
from core.service import TimeEntryService
from core.settings import Settings
from core.sql.store import SqlStore, make_engine
from core.sync.engine import RetryPolicy, SyncEngine
from core.sync.ports import Sink
from core.sync.postgres_sink import PostgresSink

log = logging.getLogger(__name__)
_embedded_lock = threading.Lock()
_embedded_server: Any = None


def redis_client(settings: Settings) -> redis.Redis:
    """A client for REDIS_URL, or an in-process fakeredis shared by this process."""
    if settings.redis_url:
        # Short timeouts: an unanswering Redis must turn into "Not saved" inside Slack's 3 seconds.
        return redis.Redis.from_url(
            settings.redis_url, socket_timeout=2, socket_connect_timeout=1, health_check_interval=30
        )
    global _embedded_server
    import fakeredis

    with _embedded_lock:
        if _embedded_server is None:
            log.warning(
                "REDIS_URL is not set: using an in-process Redis (fakeredis). Fine for trying crewclock; "
                "for a crew set REDIS_URL so pending entries survive a restart."
            )
            _embedded_server = fakeredis.FakeServer()
    return fakeredis.FakeRedis(server=_embedded_server)


def build_zoho_sink(settings: Settings, sql: SqlStore) -> Sink | None:
    """The Zoho sink for ZOHO_MODE, or None when it is off."""
    if settings.zoho_mode == "off":
        return None
    from core.zoho.factory import build_zoho_sink as build

    return build(settings, sql)


@dataclass
class Services:
    """Everything the edges (Slack, console, CLI) use, built once."""

    settings: Settings
    redis: redis.Redis
    hot: HotStore
    sql: SqlStore
    sync: SyncEngine
    entries: TimeEntryService
    jobs: JobCatalog
    scheduler: BackgroundScheduler
    approvals: WeekApprovals
    changes: Changes  # word of other processes' changes to what this one holds in memory
    metrics: Metrics = field(default_factory=Metrics)
    sink_health: SinkHealthBoard | None = None  # each sink's last success and error, in Redis
    extra_closers: list[Any] = field(default_factory=list)

    def start(self, *, scheduler: bool = True) -> None:
        """Start background work: the retry scheduler (which also sweeps at once).

        Warns in the log when Redis could lose pending entries (no persistence, or an
        eviction policy that may pick keys without a TTL). ``scheduler=False``: a process
        that only acknowledges (another one sweeps and sends the scheduled messages).
        """
        if not self.settings.embedded_redis:
            for check in redis_config_checks(self.redis):
                if not check.ok:
                    log.warning("%s: %s", check.name, check.detail)
        self.changes.start()  # before the job list is read below: from then on it can be held
        self.hot.mark_fresh(day_number(datetime.now(UTC).date()))
        try:  # a fresh Redis gets the approved weeks' locks back (the sweeps retry if this fails)
            self.approvals.reload_if_fresh()
        except Exception as exc:
            log.warning("approved weeks not loaded into Redis at start: %s", exc)
        try:  # warm the job list so the first quick entries need no Postgres read
            self.jobs.all_jobs()
        except StorageUnavailable as exc:
            log.warning("job list not loaded at start: %s", exc)
        if scheduler and not self.scheduler.running:
            self.scheduler.start()

    def stop(self) -> None:
        """Drain the sync pool within the deadline; what is left stays pending for next time."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        left = self.sync.shutdown(self.settings.shutdown_deadline_s)
        if left:
            log.warning("%d sync attempts still running at shutdown; their entries stay pending", left)
        self.changes.stop()
        for close in self.extra_closers:
            close()


def build_services(
    settings: Settings, *, redis_override: redis.Redis | None = None, metrics: Metrics | None = None
) -> Services:
    """Wire the core from ``settings``; ``metrics`` set up by ``serve`` for its workers (default: this process's)."""
    client = redis_override or redis_client(settings)
    hot = HotStore(client)
    sql = SqlStore(make_engine(settings.sqlalchemy_url))
    if settings.auto_migrate or sql.engine.dialect.name == "sqlite":
        sql.migrate()  # an embedded SQLite file is ours to keep current
    sinks: list[Sink] = [PostgresSink(sql, max_batch=max(settings.sync_batch_size, 1))]
    zoho = build_zoho_sink(settings, sql)
    if zoho is not None:
        sinks.append(zoho)
    engine = SyncEngine(
        hot,
        sinks,
        policy=RetryPolicy(settings.sync_max_attempts, settings.sync_backoff_base_s, settings.sync_backoff_cap_s),
        workers=settings.sync_workers,
        lease_s=settings.sync_lease_s,
        batch_size=settings.sync_batch_size,
        cache_days=settings.entry_cache_days,
    )
    entries = TimeEntryService(
        hot,
        sql,
        engine,
        default_zone=settings.zone,
        cache_days=settings.entry_cache_days,
        max_backdate_days=settings.max_backdate_days,
        week_start=settings.week_start,
        zoho_enabled=zoho is not None,
    )
    # Weeks can be edited back to MAX_BACKDATE_DAYS: a wiped Redis gets those weeks' locks back.
    approvals = WeekApprovals(entries, reload_days=max(8 * 7, settings.max_backdate_days + 7))
    scheduler = build_scheduler(
        engine, hot, interval_s=settings.sync_retry_interval_s, on_fresh=[approvals.reload_if_fresh]
    )
    metrics = metrics or Metrics()
    board = SinkHealthBoard(client)
    entries.add_write_listener(metrics.on_write)
    entries.add_read_listener(metrics.on_read)
    engine.add_outcome_listener(metrics.on_outcomes)
    engine.add_outcome_listener(board.on_outcomes)
    metrics.watch_redis(hot, board, [sink.name for sink in sinks])
    changes = Changes(client)
    jobs = JobCatalog(sql, client, changes)
    services = Services(
        settings,
        client,
        hot,
        sql,
        engine,
        entries,
        jobs,
        scheduler,
        approvals,
        changes,
        metrics=metrics,
        sink_health=board,
    )
    close_zoho = getattr(zoho, "close", None)
    if close_zoho is not None:
        services.extra_closers.append(close_zoho)  # its HTTP connection pool
    return services
