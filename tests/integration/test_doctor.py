"""`crewclock doctor` against real servers: what it says about each misconfiguration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bot.cli import main
from core.sql.store import SqlStore
from tests.conftest import PG_SERVER
from tests.support.servers import PrivateRedis


@pytest.fixture
def careful_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis("--appendonly", "yes", "--appendfsync", "everysec").start()
    yield server
    server.close()


@pytest.fixture
def careless_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis("--maxmemory", "50mb", "--maxmemory-policy", "allkeys-lru").start()
    yield server
    server.close()


def run_doctor(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], redis_url: str, db_url: str
) -> tuple[int, str]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("DATABASE_URL", db_url)
    code = main(["doctor"])
    return code, capsys.readouterr().out


def test_doctor_passes_a_careful_setup(monkeypatch, capsys, careful_redis, database_url) -> None:  # type: ignore[no-untyped-def]
    code, out = run_doctor(monkeypatch, capsys, careful_redis.url, database_url)
    assert code == 0, out
    assert "[ok  ] redis persistence: AOF on" in out
    assert "[ok  ] redis eviction: maxmemory-policy noeviction" in out
    assert "[ok  ] schema: at revision" in out


def test_doctor_warns_about_eviction_and_persistence(monkeypatch, capsys, careless_redis, database_url) -> None:  # type: ignore[no-untyped-def]
    code, out = run_doctor(monkeypatch, capsys, careless_redis.url, database_url)
    assert code == 0  # warnings, not failures: crewclock still runs
    assert "[warn] redis persistence: AOF is off and RDB snapshots are off" in out
    assert "[warn] redis eviction: maxmemory-policy allkeys-lru can evict pending entries" in out


def test_doctor_fails_on_an_unmigrated_database_and_a_dead_redis(monkeypatch, capsys, careful_redis) -> None:  # type: ignore[no-untyped-def]
    name = "crewclock_doctor_empty"
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
        code, out = run_doctor(monkeypatch, capsys, careful_redis.url, url)
        assert code == 1
        assert f"[FAIL] schema: at nothing, newest is {SqlStore.head_revision()}: run `crewclock migrate`" in out
        careful_redis.stop()
        code, out = run_doctor(monkeypatch, capsys, careful_redis.url, url)
        assert code == 1 and "[FAIL] redis: unreachable" in out
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
