"""Core benchmarks (issue 2): record latency, drain rate, sweep cost, reads.

Run: .venv/bin/python -m bench.bench_core [record|drain|sweep|reads|all]
Uses a private redis-server and a Postgres database of its own (bench/setup.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.common import machine, pct, sample_entry
from bench.setup import fresh_database, fresh_redis
from core.domain.entry import Actor, EntryDraft, SinkState, SyncStatus
from core.domain.rules import day_number
from core.hot import codec
from core.hot.store import PENDING_KEY, HotStore, key_id, user_index_key
from core.service import TimeEntryService
from core.sql.store import SqlStore, make_engine
from core.sync.engine import RetryPolicy, SyncEngine
from core.sync.postgres_sink import PostgresSink

TEAM = "T024BE7LD"


def _service(hot: HotStore, sql: SqlStore, engine: SyncEngine) -> TimeEntryService:
    return TimeEntryService(hot, sql, engine, default_zone=ZoneInfo("UTC"))


def _drafts(n: int, offset: int) -> list[EntryDraft]:
    """Non-overlapping drafts: each user logs one shift a day."""
    drafts = []
    for i in range(n):
        user = f"U{(offset + i) % 2000:05d}"
        day = date.today() - timedelta(days=((offset + i) // 2000) % 50)
        e = sample_entry(offset + i)
        drafts.append(
            EntryDraft(TEAM, user, e.job_id, e.job_name, day, e.start_time, e.end_time, e.lunch_start, e.lunch_end,
                       e.notes, e.change_order, e.user_email)
        )  # fmt: skip
    return drafts


def bench_record(n: int = 1000, rounds: int = 3, rate: float = 200.0) -> None:
    """record_entry latency at a steady offered rate, healthy vs unreachable Postgres, in alternating blocks.

    Calls are paced at ``rate`` per second (the sync pool works in the same process meanwhile);
    a late start counts from the scheduled time, so a stall is not hidden.
    """
    client = fresh_redis()
    hot = HotStore(client)
    healthy_sql = SqlStore(make_engine(fresh_database()))
    dead_sql = SqlStore(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"))
    setups = {
        "Postgres healthy": SyncEngine(hot, [PostgresSink(healthy_sql)], policy=RetryPolicy(), workers=4),
        "Postgres unreachable": SyncEngine(hot, [PostgresSink(dead_sql)], policy=RetryPolicy(), workers=4),
    }
    samples: dict[str, list[float]] = {k: [] for k in setups}
    offset = 0
    actor_cache: dict[str, Actor] = {}
    for _ in range(rounds):
        for name, engine in setups.items():
            service = _service(hot, healthy_sql if "healthy" in name else dead_sql, engine)
            start = time.perf_counter()
            for k, d in enumerate(_drafts(n, offset)):
                actor = actor_cache.setdefault(d.slack_user_id, Actor(TEAM, d.slack_user_id))
                scheduled = start + k / rate
                while (delay := scheduled - time.perf_counter()) > 0:
                    time.sleep(delay)
                service.record_entry(d, actor=actor, intent_key=None)
                samples[name].append(time.perf_counter() - scheduled)
            offset += n
    for engine in setups.values():
        engine.shutdown(5)
    print(f"\n### record_entry latency (real Redis, {rate:.0f} calls/s offered, sync pool running)\n")
    print("| Postgres | calls | p50 | p99 |")
    print("|---|---|---|---|")
    for name, values in samples.items():
        print(f"| {name} | {len(values):,} | {pct(values, 50) * 1e3:.3f} ms | {pct(values, 99) * 1e3:.3f} ms |")
    ratio = pct(samples["Postgres unreachable"], 50) / pct(samples["Postgres healthy"], 50)
    print(f"\np50 unreachable / healthy: {ratio:.2f}")


def _load_pending(client, n: int) -> None:  # type: ignore[no-untyped-def]
    """n pending entries written as record.lua leaves them (pipelined, no scripts)."""
    pipe = client.pipeline(transaction=False)
    now = time.time()
    for i in range(n):
        e = sample_entry(i, days=30)
        pipe.set(f"e:{key_id(e.id)}", codec.encode(e))
        pipe.zadd(user_index_key(TEAM, e.slack_user_id), {key_id(e.id): day_number(e.work_date)})
        pipe.zadd(PENDING_KEY, {key_id(e.id): now})
        if i % 2000 == 1999:
            pipe.execute()
    pipe.execute()


def bench_drain(n: int = 100_000, batch: int = 1000) -> None:
    client = fresh_redis()
    hot = HotStore(client)
    sql = SqlStore(make_engine(fresh_database()))
    _load_pending(client, n)
    engine = SyncEngine(hot, [PostgresSink(sql, max_batch=batch)], policy=RetryPolicy(), batch_size=batch)
    t0 = time.perf_counter()
    report = engine.drain()
    elapsed = time.perf_counter() - t0
    engine.shutdown(1)
    assert report.synced == n, report
    assert sql.count_entries() == n
    assert client.zcard(PENDING_KEY) == 0
    print(f"\n### drain of a {n:,} pending backlog into Postgres (batches of {batch})\n")
    print(
        f"{n:,} entries in {elapsed:.2f} s = **{n / elapsed:,.0f} entries/s** (all {n:,} rows in Postgres, 0 pending)"
    )


def bench_sweep(cached: int = 1_000_000, due: int = 10, users: int = 20_000) -> None:
    """A sweep with 1M synced cached entries and 10 due, beside a seed-style scan."""
    client = fresh_redis()
    hot = HotStore(client)
    expire_at = int(time.time()) + 30 * 86400
    pipe = client.pipeline(transaction=False)
    seed_user_ids: list[str] = []
    for i in range(cached):
        e = sample_entry(i, synced=True)
        kid = key_id(e.id)
        pipe.set(f"e:{kid}", codec.encode(e), exat=expire_at)
        pipe.zadd(user_index_key(TEAM, f"U{i % users}"), {kid: day_number(e.work_date)})
        if i % users == 0:
            seed_user_ids.append(kid)
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    now = time.time()
    for i in range(due):
        e = sample_entry(cached + i)
        client.set(f"e:{key_id(e.id)}", codec.encode(e))
        client.zadd(PENDING_KEY, {key_id(e.id): now - 1})

    class NullSink:
        name = "postgres"
        max_batch = 1000
        idempotent = True

        def push(self, requests):  # type: ignore[no-untyped-def]
            from core.sync.ports import PushResult

            return [PushResult.ok(r.entry.id) for r in requests]

    engine = SyncEngine(hot, [NullSink()], policy=RetryPolicy())
    # Find the due work the crewclock way: the pending index by due time.
    t0 = time.perf_counter()
    claimed = hot.claim_due(token="bench", lease_s=60, limit=1000, now=time.time())
    find_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine.process(claimed)
    process_ours = time.perf_counter() - t0
    assert len(claimed) == due

    # The seed's way: read every cached entry and check its synced flag (what retryFailedSyncs
    # does per user, done for everyone).
    t0 = time.perf_counter()
    unsynced = 0
    cursor = 0
    while True:
        cursor, keys = client.scan(cursor, match="e:*", count=5000)
        if keys:
            for raw in client.mget(keys):
                if raw is not None and b'"P"' in raw:
                    unsynced += 1
        if cursor == 0:
            break
    seed_scan = time.perf_counter() - t0
    # And the seed's per-write piggyback for one user: every entry of that user.
    index = user_index_key(TEAM, "U1")
    t0 = time.perf_counter()
    ids = client.zrange(index, 0, -1)
    client.mget([b"e:" + i for i in ids])
    seed_user = time.perf_counter() - t0
    engine.shutdown(1)
    print(f"\n### finding due work: {cached:,} synced entries cached, {due} due\n")
    print("| approach | time |")
    print("|---|---|")
    print(f"| crewclock: claim the due entries from the pending index | {find_ours * 1e3:.2f} ms |")
    print(f"| crewclock: claim + push + settle the {due} (null sink) | {(find_ours + process_ours) * 1e3:.2f} ms |")
    print(f"| seed-style: read every cached entry, check its flag ({unsynced} found) | {seed_scan * 1e3:,.0f} ms |")
    print(f"| seed-style per write: one user's {len(ids)} entries | {seed_user * 1e3:.2f} ms |")
    print(f"\nratio seed-style scan / crewclock claim: {seed_scan / find_ours:,.0f}x")
    client.flushdb()


def bench_reads(rows: int = 1_000_000, users: int = 2740) -> None:
    """30-day read from the hot tier; 365-day read with 1M rows in Postgres."""
    client = fresh_redis()
    hot = HotStore(client)
    url = fresh_database()
    sql = SqlStore(make_engine(url))
    today = date.today()
    # 1M rows: 2,740 users x 365 days, written with COPY for speed.
    import psycopg

    raw_url = url.replace("postgresql+psycopg://", "postgresql://")
    stamp = datetime.now(UTC)
    with psycopg.connect(raw_url) as conn, conn.cursor() as cur:
        columns = (
            "id, slack_team_id, slack_user_id, user_email, job_id, job_name, work_date, start_time, end_time, "
            "lunch_start, lunch_end, total_hours, notes, change_order, version, deleted, created_at, updated_at"
        )
        with cur.copy(f"COPY time_entries ({columns}) FROM STDIN") as copy:
            rng = random.Random(7)
            for i in range(rows):
                user = f"U{i % users:05d}"
                day = today - timedelta(days=(i // users) % 365)
                copy.write_row(
                    (f"{rng.getrandbits(128):032x}", TEAM, user, "crew@acmepainting.com", "1042", "Smith Residence",
                     day, "07:00", "15:30", "12:00", "12:30", "8.00", "primed north wall", "", 1, False, stamp, stamp)
                )  # fmt: skip
        conn.commit()
        cur.execute("ANALYZE time_entries")
    assert sql.count_entries() == rows
    # The hot tier holds the last 30 days of one user (as it would after a month of use).
    engine = SyncEngine(hot, [PostgresSink(sql)], policy=RetryPolicy())
    service = _service(hot, sql, engine)
    hot.mark_watermark(day_number(today - timedelta(days=60)))
    user = "U00001"
    for d in range(30):
        e = sample_entry(d)
        entry = replace(e, slack_team_id=TEAM, slack_user_id=user, work_date=today - timedelta(days=d),
                        postgres=SinkState(SyncStatus.SYNCED, synced_version=1))  # fmt: skip
        hot.restore(entry, cache_days=30, now=time.time())
    actor = Actor(TEAM, user)
    timings: dict[str, list[float]] = {"30 days (hot, Redis only)": [], "365 days (Redis + Postgres)": []}
    counts = {}
    for _ in range(200):
        for label, days in (("30 days (hot, Redis only)", 29), ("365 days (Redis + Postgres)", 364)):
            t0 = time.perf_counter()
            listed = service.list_user_entries(
                actor=actor, team_id=TEAM, user_id=user, first=today - timedelta(days=days), last=today
            )
            timings[label].append(time.perf_counter() - t0)
            counts[label] = len(listed.entries)
    engine.shutdown(1)
    print(f"\n### history reads ({rows:,} rows in Postgres, one user's last 30 days hot in Redis)\n")
    print("| range | entries returned | p50 | p99 |")
    print("|---|---|---|---|")
    for label, values in timings.items():
        print(f"| {label} | {counts[label]} | {pct(values, 50) * 1e3:.2f} ms | {pct(values, 99) * 1e3:.2f} ms |")
    client.flushdb()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", nargs="?", default="all", choices=["record", "drain", "sweep", "reads", "all"])
    parser.add_argument("--small", action="store_true", help="tiny sizes, to check the script runs")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    small = args.small
    if args.which in ("record", "all"):
        bench_record(n=200 if small else 1000)
    if args.which in ("drain", "all"):
        bench_drain(n=2000 if small else 100_000)
    if args.which in ("sweep", "all"):
        bench_sweep(cached=5000 if small else 1_000_000, users=100 if small else 20_000)
    if args.which in ("reads", "all"):
        bench_reads(rows=20_000 if small else 1_000_000)
    threading.Event().wait(0)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
