"""Redis bytes per entry: crewclock's layout side by side with the seed's (hash + JSON + ZSET).

Run: .venv/bin/python -m bench.bench_memory [--entries 20000 100000] [--redis URL]
Both layouts are written to the same server, one after the other, with each
entry synced and expiring (the steady state of the hot tier), one user per 45
entries (1.5 entries a day over 30 days); the figure is the growth of
used_memory divided by the entry count.
"""

from __future__ import annotations

import argparse
import json
import time

import redis

from bench.common import machine, sample_entry
from core.domain.rules import day_number
from core.hot import codec
from core.hot.store import key_id, user_index_key
from tests.support.servers import PrivateRedis


def _used(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def crewclock_layout(client: redis.Redis, n: int) -> float:
    client.flushdb()
    users = max(n // 45, 1)
    before = _used(client)
    expire_at = int(time.time()) + 30 * 86400
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        e = sample_entry(i, synced=True)
        pipe.set(f"e:{key_id(e.id)}", codec.encode(e), exat=expire_at)
        pipe.zadd(user_index_key(e.slack_team_id, f"U{i % users}"), {key_id(e.id): day_number(e.work_date)})
        pipe.hset(f"p:{e.slack_team_id}", f"U{i % users}", e.user_email)
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    return (_used(client) - before) / n


def seed_layout(client: redis.Redis, n: int) -> float:
    """The seed: HSET entry:{uuid} data <JSON object>, ZADD user:{email}:entries:by-date, EXPIRE both."""
    client.flushdb()
    users = max(n // 45, 1)
    before = _used(client)
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        e = sample_entry(i, synced=True)
        data = {
            "id": e.id,
            "userId": e.slack_user_id,
            "jobId": e.job_id,
            "jobName": e.job_name,
            "date": e.work_date.isoformat(),
            "startTime": e.start_time.strftime("%H:%M"),
            "endTime": e.end_time.strftime("%H:%M"),
            "lunchStart": e.lunch_start.strftime("%H:%M") if e.lunch_start else "",
            "lunchEnd": e.lunch_end.strftime("%H:%M") if e.lunch_end else "",
            "totalHours": str(e.total_hours),
            "notes": e.notes,
            "changeOrder": e.change_order,
            "synced": True,
        }
        pipe.hset(f"entry:{e.id}", mapping={"data": json.dumps(data)})
        pipe.expire(f"entry:{e.id}", 30 * 86400)
        zkey = f"user:crew{i % users}@acmepainting.com:entries:by-date"
        pipe.zadd(zkey, {e.id: int(time.mktime(e.work_date.timetuple()) * 1000)})
        pipe.expire(zkey, 30 * 86400)
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    return (_used(client) - before) / n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, nargs="+", default=[20000, 100000])
    parser.add_argument("--redis", default="", help="a Redis URL (default: a private redis-server of its own)")
    args = parser.parse_args()
    # used_memory is server-wide: on a shared server other clients' writes would land in the figure.
    private = None if args.redis else PrivateRedis().start()
    client = redis.Redis.from_url(args.redis or private.url)  # type: ignore[union-attr]
    print(f"machine: {machine()}")
    print("| entries | crewclock bytes/entry | seed bytes/entry | seed / crewclock |")
    print("|---|---|---|---|")
    for n in args.entries:
        ours = crewclock_layout(client, n)
        seed = seed_layout(client, n)
        print(f"| {n:,} | {ours:.0f} | {seed:.0f} | {seed / ours:.2f}x |")
    client.flushdb()
    if private is not None:
        private.close()


if __name__ == "__main__":
    main()
