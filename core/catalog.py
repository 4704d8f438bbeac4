"""The job catalogue: Postgres holds it, Redis caches it for the request path."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import redis

from core.domain.jobs import Job, match_jobs
from core.hot.store import StorageUnavailable
from core.sql.store import SqlStore

log = logging.getLogger(__name__)

JOBS_KEY = "jobs"


class CatalogUnavailable(StorageUnavailable):
    """Neither Redis nor Postgres could give the job list; whatever needed it was not saved."""


class JobCatalog:
    """Active jobs for the type-ahead and the quick entry, read from one Redis hash.

    Postgres is read only when the Redis copy is missing (a fresh or wiped Redis); the last
    list this process saw stays in memory, so a cold Redis and a down Postgres together
    still leave the jobs known.
    """

    def __init__(self, sql: SqlStore, client: redis.Redis) -> None:
        self._sql = sql
        self._redis = client
        self._last_known: list[Job] = []

    def refresh_cache(self) -> list[Job]:
        """Copy the jobs from Postgres to Redis (and this process's memory)."""
        jobs = self._sql.list_jobs(include_inactive=True)
        pipe = self._redis.pipeline()
        pipe.delete(JOBS_KEY)
        if jobs:
            pipe.hset(JOBS_KEY, mapping={j.id: json.dumps([j.name, j.active, j.zoho_job_id]) for j in jobs})
        pipe.execute()
        self._last_known = jobs
        return jobs

    def all_jobs(self) -> list[Job]:
        """Every job, active or not, by name.

        Raises:
            CatalogUnavailable: Redis has no copy, Postgres cannot be read, and this
                process has never seen the list.
        """
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
        self._last_known = sorted(jobs, key=lambda j: j.name.lower())
        return self._last_known

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
