"""Background jobs on APScheduler 3.11: the retry sweep, and whatever the edge adds."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from core.domain.rules import day_number
from core.hot.store import HotStore
from core.sync.engine import SyncEngine

log = logging.getLogger(__name__)


def sweep_job(engine: SyncEngine, hot: HotStore, on_fresh: Sequence[Callable[[], object]] = ()) -> Callable[[], None]:
    """The retry job: re-mark the hot watermark if Redis was wiped, then sweep what is due.

    ``on_fresh`` run next, each checking for itself whether Redis was wiped (the approved
    weeks' locks are reloaded this way).
    """
    reported_lost: set[str] = set()

    def report_lost() -> None:
        for entry_id, _ in hot.lost_ids():
            if entry_id not in reported_lost:
                reported_lost.add(entry_id)
                log.error(
                    "entry %s was pending but Redis no longer has it (evicted? check maxmemory-policy)",
                    entry_id,
                    extra={"entry_id": entry_id},
                )

    def run() -> None:
        try:
            hot.mark_fresh(day_number(datetime.now(UTC).date()))
        except Exception as exc:  # e.g. Redis at maxmemory refuses the SET: sweeping must go on
            log.warning("could not check the hot-tier watermark: %s", exc)
        for reload in on_fresh:
            try:
                reload()
            except Exception as exc:  # Postgres away: the next sweep tries again
                log.warning("could not reload into a fresh Redis: %s", exc)
        try:
            report = engine.sweep_all()
            engine.revive_exhausted()
            report_lost()
            if report.claimed:
                log.info(
                    "retry sweep: %d claimed, %d synced, %d pending, %d dead",
                    report.claimed,
                    report.synced,
                    report.pending,
                    report.dead,
                )
        except Exception:  # the next run tries again; never let the scheduler thread die
            log.exception("retry sweep failed")

    return run


def build_scheduler(
    engine: SyncEngine, hot: HotStore, *, interval_s: float, on_fresh: Sequence[Callable[[], object]] = ()
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(
        sweep_job(engine, hot, on_fresh),
        "interval",
        seconds=interval_s,
        id="retry-sweep",
        next_run_time=datetime.now(UTC),
    )
    return scheduler
