"""The job catalogue: Postgres holds it, Redis caches it for the request path."""

from __future__ import annotations

import json
from collections.abc import Sequence

import redis

from core.domain.jobs import Job, match_jobs
from core.sql.store import SqlStore

JOBS_KEY = "jobs"


class JobCatalog:
    """Active jobs for the type-ahead and the quick entry, read from one Redis hash."""

    def __init__(self, sql: SqlStore, client: redis.Redis) -> None:
        self._sql = sql
        self._redis = client

    def refresh_cache(self) -> list[Job]:
        jobs = self._sql.list_jobs(include_inactive=True)
        pipe = self._redis.pipeline()
        pipe.delete(JOBS_KEY)
        if jobs:
            pipe.hset(
                JOBS_KEY,
                mapping={j.id: json.dumps([j.name, j.active, j.zoho_job_id]) for j in jobs},
            )
        pipe.execute()
        return jobs

    def all_jobs(self) -> list[Job]:
        raw = self._redis.hgetall(JOBS_KEY)
        if not raw:
            return self.refresh_cache()
        jobs = []
        for key, value in raw.items():
            name, active, zoho = json.loads(value)
            jobs.append(Job(key.decode() if isinstance(key, bytes) else key, name, active, zoho))
        return sorted(jobs, key=lambda j: j.name.lower())

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
