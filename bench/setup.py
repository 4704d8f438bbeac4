"""Where the benchmarks run: a Redis database and a Postgres database of their own."""

from __future__ import annotations

import os

import redis
import sqlalchemy as sa

from core.sql.store import SqlStore, make_engine

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_DB = "crewclock_bench"


def fresh_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    return client


def fresh_database() -> str:
    """Drop and recreate the benchmark database at the newest schema; returns its URL."""
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    url = f"{PG_SERVER}/{PG_DB}"
    engine = make_engine(url)
    SqlStore(engine).migrate()
    engine.dispose()
    return url
