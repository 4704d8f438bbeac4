"""Shared fixtures: the real Redis and Postgres (never skipped), and core services on them.

Redis: the shared server, on a database number this test run claims for itself.
Postgres: a fresh database per run on the shared server, migrated with Alembic.
Override with TEST_REDIS_URL / TEST_DATABASE_URL (a server, not a database name).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import fakeredis
import pytest
import redis
import sqlalchemy as sa

from core.bootstrap import Services, build_services
from core.settings import Settings
from core.sql.store import SqlStore, make_engine

REDIS_SERVER = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
PG_SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database number no other test run is using (claimed with SET NX in db 0)."""
    admin = redis.Redis.from_url(f"{REDIS_SERVER}/0")
    admin.ping()  # fail, never skip, when Redis is down
    token = uuid.uuid4().hex
    for db in range(1, 16):
        if admin.set(f"crewclock:test-db:{db}", token, nx=True, ex=3 * 3600):
            break
    else:
        raise RuntimeError("every Redis database 1-15 is claimed by another test run")
    url = f"{REDIS_SERVER}/{db}"
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()
    if admin.get(f"crewclock:test-db:{db}") == token.encode():
        admin.delete(f"crewclock:test-db:{db}")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh Postgres database for this run, at the newest schema."""
    name = f"crewclock_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    SqlStore(engine).migrate()
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def real_redis(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def sql(database_url: str) -> Iterator[SqlStore]:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("TRUNCATE time_entries, jobs, entry_audit, week_approvals, approval_audit, reminder_settings")
        )
    yield SqlStore(engine)
    engine.dispose()


@pytest.fixture
def base_settings(redis_url: str, database_url: str) -> Settings:
    """Settings for the real servers, with quick retries so tests do not wait."""
    return replace(
        Settings.from_env({}),
        redis_url=redis_url,
        database_url=database_url,
        sync_workers=4,
        sync_retry_interval_s=3600,  # tests sweep explicitly
        sync_backoff_base_s=0.05,
        sync_backoff_cap_s=0.2,
        sync_max_attempts=5,
        shutdown_deadline_s=5,
    )


@pytest.fixture
def make_services(base_settings: Settings, real_redis: redis.Redis, sql: SqlStore) -> Iterator[Callable[..., Services]]:
    """Build core services on the real servers; every one built is stopped after the test."""
    built: list[Services] = []

    def make(**overrides: Any) -> Services:
        services = build_services(replace(base_settings, **overrides))
        built.append(services)
        return services

    yield make
    for services in built:
        services.stop()
        services.sql.engine.dispose()


@pytest.fixture
def fake_redis() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis()
