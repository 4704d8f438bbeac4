"""Zoho push throughput: bulk time-log calls versus one call per entry, side by side.

Run: .venv/bin/python -m bench.bench_zoho [--entries 300] [--latency-ms 50] [--workers 4]

Each mode gets its own fake Zoho on loopback that sleeps ``--latency-ms`` before
answering every call (a stand-in for the round trip to Zoho's data centre). The sink
is the real ZohoPeopleSink over real HTTP; the client-side rate limiter is opened wide
so the figure is the protocol's, not our throttle's. A warm-up push (token grant, TCP
connect) is not timed. After each run the fake must hold exactly one log per entry.

The last column is the ceiling Zoho's documented threshold (20 calls a minute per time
tracker API) puts on each mode, whatever the latency.
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time
from collections.abc import Sequence
from datetime import date, timedelta

from core.domain.entry import TimeEntry
from core.sync.ports import Outcome, PushRequest, PushResult
from core.zoho import ZohoConfig, build_sink
from core.zoho.people_sink import ZohoPeopleSink
from tests.fakes.zoho_api import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, FakeZoho, InMemoryZohoRefs, make_entry

ZOHO_CALLS_PER_MINUTE = 20


def entries(n: int) -> list[TimeEntry]:
    """n entries from 25 people over the last two weeks, on four jobs."""
    start = date(2026, 11, 2)
    return [
        make_entry(
            f"bench-{i:05d}",
            email=f"crew{i % 25}@acmepainting.com",
            job_id=f"job-{i % 4}",
            work_date=start + timedelta(days=i % 14),
            notes="primed north wall" if i % 3 else "",
        )
        for i in range(n)
    ]


def run(mode: str, batch: list[TimeEntry], latency_s: float, workers: int) -> tuple[int, float]:
    """Push ``batch`` in one mode; return (Zoho API calls, seconds)."""
    with FakeZoho(latency_s=latency_s) as fake:
        refs = InMemoryZohoRefs({f"job-{j}": f"ZJ-{j}" for j in range(4)})
        config = ZohoConfig(
            mode="people",
            accounts_url=fake.url,
            api_url=fake.url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            refresh_token=REFRESH_TOKEN,
            requests_per_minute=1_000_000,
            requests_per_day=10_000_000,
        )
        sink = build_sink(
            config, load_zoho_ids=refs.load_zoho_ids, save_zoho_id=refs.save_zoho_id, job_zoho_id=refs.job_zoho_id
        )
        assert isinstance(sink, ZohoPeopleSink)
        try:
            sink.push([PushRequest(make_entry("warm-up", job_id="job-0"))])
            calls_before = fake.api_calls()
            started = time.perf_counter()
            if mode == "bulk":
                _bulk(sink, batch)
            elif mode == "per-entry":
                _per_entry(sink, batch)
            else:
                _parallel(sink, batch, workers)
            elapsed = time.perf_counter() - started
            calls = fake.api_calls() - calls_before
            missing = [e.id for e in batch if len(fake.logs_of(e.id)) != 1]
            assert not missing, f"{mode}: {len(missing)} entries without exactly one log"
        finally:
            sink.close()
    return calls, elapsed


def _bulk(sink: ZohoPeopleSink, batch: Sequence[TimeEntry]) -> None:
    for start in range(0, len(batch), sink.max_batch):
        _check(sink.push([PushRequest(e) for e in batch[start : start + sink.max_batch]]))


def _per_entry(sink: ZohoPeopleSink, batch: Sequence[TimeEntry]) -> None:
    for entry in batch:
        _check(sink.push([PushRequest(entry)]))


def _parallel(sink: ZohoPeopleSink, batch: Sequence[TimeEntry], workers: int) -> None:
    def work(part: Sequence[TimeEntry]) -> None:
        _per_entry(sink, part)

    threads = [threading.Thread(target=work, args=(batch[w::workers],)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _check(results: Sequence[PushResult]) -> None:
    bad = [r for r in results if r.outcome is not Outcome.OK]
    assert not bad, bad[:3]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    batch = entries(args.entries)
    latency = args.latency_ms / 1000
    modes = [  # (mode, label, entries per call)
        ("bulk", "bulk `addupdatetimelogs`, 100 logs a call", 100),
        ("per-entry", "one call per entry, 1 worker", 1),
        ("parallel", f"one call per entry, {args.workers} workers", 1),
    ]
    print(f"{os.cpu_count()} cores, Python {platform.python_version()}; fake Zoho latency {args.latency_ms:g} ms/call")
    print()
    print("| mode | entries | Zoho calls | seconds | entries/s | ceiling at 20 calls/min |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, label, per_call in modes:
        calls, seconds = run(key, batch, latency, args.workers)
        ceiling = ZOHO_CALLS_PER_MINUTE * min(per_call, args.entries) / 60
        print(
            f"| {label} | {args.entries} | {calls} | {seconds:.2f} | {args.entries / seconds:,.0f} "
            f"| {ceiling:,.2f} entries/s |"
        )


if __name__ == "__main__":
    main()
