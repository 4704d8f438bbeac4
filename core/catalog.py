"""The job catalogue: Postgres holds it, Redis caches it for the request path."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence

import redis

from core.domain.jobs import Job, match_jobs
from core.hot.changes import Changes, Stamp, Trust, announce
from core.hot.store import StorageUnavailable
from core.sql.store import SqlStore

log = logging.getLogger(__name__)

JOBS_KEY = "jobs"
JOBS_FRESH_S = 5.0  # how long a list read is trusted when no subscription vouches for it
JOBS_TOPIC = "jobs"  # core.hot.changes: the job list in Redis was rewritten


class CatalogUnavailable(StorageUnavailable):
    """Neither Redis nor Postgres could give the job list; whatever needed it was not saved."""


class JobCatalog:
    """Active jobs for the type-ahead and the quick entry, read from one Redis hash.

    Postgres is read only when the Redis copy is missing (a fresh or wiped Redis); the last
    list this process saw stays in memory, so a cold Redis and a down Postgres together
    still leave the jobs known. With ``changes``, a list read while subscribed is used for as
    long as that subscription lasts (every rewrite of the Redis copy is announced); otherwise
    for ``JOBS_FRESH_S``.
    """

    def __init__(self, sql: SqlStore, client: redis.Redis, changes: Changes | None = None) -> None:
        self._sql = sql
        self._redis = client
        self._last_known: list[Job] = []  # kept as the fallback even when no longer trusted
        self._trust = Trust(changes, JOBS_TOPIC, lambda: JOBS_FRESH_S, clock=lambda: time.monotonic())
        self._read: Stamp | None = None  # when _last_known was read, if it may still be used
        if changes is not None:
            changes.on(JOBS_TOPIC, self._rewritten_elsewhere)

    def _rewritten_elsewhere(self, key: str) -> None:
        self._read = None

    def _hold(self, jobs: list[Job], read: Stamp) -> list[Job]:
        """Keep ``jobs`` as this process's list (trusted unless a rewrite crossed the read)."""
        self._last_known, self._read = jobs, read
        self._read = self._trust.after_read(read)  # after storing: a rewrite heard of now is not missed
        return jobs

    def refresh_cache(self) -> list[Job]:
        """Copy the jobs from Postgres to Redis (and this process's memory)."""
        read = self._trust.before_read()
        jobs = self._sql.list_jobs(include_inactive=True)
        pipe = self._redis.pipeline()
        pipe.delete(JOBS_KEY)
        if jobs:
            pipe.hset(JOBS_KEY, mapping={j.id: json.dumps([j.name, j.active, j.zoho_job_id]) for j in jobs})
        announce(pipe, JOBS_TOPIC)  # every process drops the list it held
        pipe.execute()
        return self._hold(jobs, read)  # (our own word, when it comes, drops it too: one read)

    def all_jobs(self) -> list[Job]:
        """Every job, active or not, by name.

        Raises:
            CatalogUnavailable: Redis has no copy, Postgres cannot be read, and this
                process has never seen the list.
        """
        # Every quick entry and job select asks: memory keeps that read (and decoding every job)
        # off the ack path. Changes made here refresh it at once; other processes drop theirs
        # when they hear of it (core.hot.changes), or within JOBS_FRESH_S when not subscribed.
        if self._last_known and self._trust.holds(self._read):
            return self._last_known
        read = self._trust.before_read()
        raw = self._redis.hgetall(JOBS_KEY)
        if not raw:
            try:
                return self.refresh_cache()
            except Exception as exc:  # Postgres down (or Redis refusing the copy)
                if self._last_known:
                    log.warning("job list from memory: %s", exc)
                    return self._last_known
                raise CatalogUnavailable(f"the job list cannot be read right now: {exc}") from exc
        jobs = []
        for key, value in raw.items():
            name, active, zoho = json.loads(value)
            jobs.append(Job(key.decode() if isinstance(key, bytes) else key, name, active, zoho))
        return self._hold(sorted(jobs, key=lambda j: j.name.lower()), read)

    def active_jobs(self) -> list[Job]:
        return [j for j in self.all_jobs() if j.active]

    def search(self, query: str, limit: int = 100) -> list[Job]:
        return match_jobs(self.active_jobs(), query, limit)

    def get(self, job_id: str) -> Job | None:
        return next((j for j in self.all_jobs() if j.id == job_id), None)

    def upsert(self, jobs: Sequence[Job]) -> None:
        self._sql.upsert_jobs(jobs)
        self.refresh_cache()

    def set_active(self, job_id: str, active: bool) -> bool:
        changed = self._sql.set_job_active(job_id, active)
        self.refresh_cache()
        return changed
