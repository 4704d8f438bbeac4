"""Shared bits for the benchmarks: machine description, realistic entries, percentiles."""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.domain.rules import total_hours

JOBS = [
    ("1042", "Smith Residence"),
    ("1043", "Oak St Repaint"),
    ("2001", "Harbor Office Fitout"),
    ("2002", "Lee Kitchen"),
]
NOTES = ["", "primed north wall", "2nd coat trim, caulked windows", "", "waiting on drywall; patched hall"]


def machine() -> str:
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            info = dict(line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines() if ":" in line)
        info = {name.strip(): value.strip() for name, value in info.items()}
        cpu = f"{info['model name']} (family {info.get('cpu family', '?')}, model {info.get('model', '?')})"
    except (OSError, KeyError):
        pass
    redis_v = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, Redis {redis_v.removeprefix('v=')}"


def sample_entry(i: int, *, today: date | None = None, days: int = 30, synced: bool = False) -> TimeEntry:
    """A realistic entry: Slack-shaped ids, a short or empty note, a typical shift."""
    rng = random.Random(i)
    today = today or date.today()
    job_id, job_name = JOBS[i % len(JOBS)]
    user = f"U0{rng.randrange(10**8, 10**9)}"
    start = time(rng.choice([6, 7, 7, 8]), rng.choice([0, 0, 30]))
    end = time(rng.choice([14, 15, 15, 16]), rng.choice([0, 30]))
    lunch = (time(12), time(12, 30))
    stamp = datetime.now(UTC)
    state = SinkState(SyncStatus.SYNCED, 0, 1) if synced else SinkState(SyncStatus.PENDING)
    return TimeEntry(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        slack_team_id="T024BE7LD",
        slack_user_id=user,
        user_email=f"crew{i % 5000}@acmepainting.com",
        job_id=job_id,
        job_name=job_name,
        work_date=today - timedelta(days=i % days),
        start_time=start,
        end_time=end,
        lunch_start=lunch[0],
        lunch_end=lunch[1],
        total_hours=total_hours(start, end, *lunch),
        notes=NOTES[i % len(NOTES)],
        change_order="" if i % 7 else "17",
        created_at=stamp,
        updated_at=stamp,
        postgres=state,
        zoho=SinkState(SyncStatus.OFF),
    )


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(values: list[float]) -> str:
    p50, p99 = pct(values, 50) * 1000, pct(values, 99) * 1000
    return f"p50 {p50:.3f} ms, p99 {p99:.3f} ms, mean {statistics.fmean(values) * 1000:.3f} ms"


__all__ = ["Decimal", "machine", "pct", "sample_entry", "summary_ms"]
