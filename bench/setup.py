"""Where the benchmarks run: a Redis server and a Postgres database of their own.

A private redis-server (unless BENCH_REDIS_URL names one) and a database named for this
process on the local Postgres, dropped at exit, so that concurrent runs and test suites
neither disturb nor wipe each other.
"""

from __future__ import annotations

import atexit
import os

import redis
import sqlalchemy as sa

from core.sql.store import SqlStore, make_engine
from tests.support.servers import PrivateRedis

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_DB = f"crewclock_bench_{os.getpid()}"
_private_redis: PrivateRedis | None = None


def redis_url() -> str:
    global _private_redis
    if os.environ.get("BENCH_REDIS_URL"):
        return os.environ["BENCH_REDIS_URL"]
    if _private_redis is None:
        _private_redis = PrivateRedis().start()
        atexit.register(_private_redis.close)
    return _private_redis.url


def fresh_redis() -> redis.Redis:
    client = redis.Redis.from_url(redis_url())
    client.flushdb()
    return client


def _admin() -> sa.Engine:
    return sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")


def _drop() -> None:
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
    admin.dispose()


def fresh_database() -> str:
    """Drop and recreate this run's database at the newest schema; returns its URL."""
    _drop()
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    atexit.register(_drop)
    url = f"{PG_SERVER}/{PG_DB}"
    engine = make_engine(url)
    SqlStore(engine).migrate()
    engine.dispose()
    return url
