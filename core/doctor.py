"""Health checks for `crewclock doctor` and the startup log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

from core.sql.store import SqlStore

SAFE_EVICTION = ("noeviction", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl")


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    fatal: bool = True  # False: a warning, crewclock still runs


def redis_config_checks(client: redis.Redis) -> list[Check]:
    """Persistence and eviction settings that decide whether a pending entry can be lost."""
    checks: list[Check] = []
    try:
        config: dict[Any, Any] = {}
        for name in ("appendonly", "save", "maxmemory-policy", "maxmemory"):
            config.update(client.config_get(name))
    except redis.ResponseError as exc:  # managed services may forbid CONFIG
        return [Check("redis config", True, f"cannot read CONFIG ({exc}); check persistence yourself", fatal=False)]
    appendonly = str(config.get("appendonly", "no"))
    save = str(config.get("save", ""))
    if appendonly != "yes":
        detail = "AOF is off" + ("" if save else " and RDB snapshots are off")
        checks.append(
            Check(
                "redis persistence",
                False,
                f"{detail}: a Redis restart loses entries not yet in Postgres; "
                "set appendonly yes, appendfsync everysec.",
                fatal=False,
            )
        )
    else:
        checks.append(Check("redis persistence", True, "AOF on"))
    policy = str(config.get("maxmemory-policy", "noeviction"))
    if policy not in SAFE_EVICTION:
        checks.append(
            Check(
                "redis eviction",
                False,
                f"maxmemory-policy {policy} can evict pending entries; use noeviction (or a volatile-* policy).",
                fatal=False,
            )
        )
    else:
        checks.append(Check("redis eviction", True, f"maxmemory-policy {policy}"))
    return checks


def run_checks(client: redis.Redis, sql: SqlStore, *, embedded_redis: bool) -> list[Check]:
    checks: list[Check] = []
    try:
        client.ping()
        checks.append(Check("redis", True, "embedded (fakeredis)" if embedded_redis else "reachable"))
        if not embedded_redis:
            checks.extend(redis_config_checks(client))
    except redis.RedisError as exc:
        checks.append(Check("redis", False, f"unreachable: {exc}"))
    try:
        sql.ping()
        checks.append(Check("database", True, f"reachable ({sql.engine.dialect.name})"))
        current, head = sql.schema_revision(), SqlStore.head_revision()
        if current == head:
            checks.append(Check("schema", True, f"at revision {head}"))
        else:
            checks.append(
                Check("schema", False, f"at {current or 'nothing'}, newest is {head}: run `crewclock migrate`")
            )
    except Exception as exc:
        checks.append(Check("database", False, f"unreachable: {str(exc).splitlines()[0]}"))
    return checks
