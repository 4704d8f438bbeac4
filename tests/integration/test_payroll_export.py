"""`crewclock export`: the payroll CSV from the real Postgres plus Redis's pending entries."""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from bot import cli_export
from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.domain.rules import total_hours
from core.hot.store import HotStore
from core.payroll import payroll_entries, write_payroll_csv
from core.settings import Settings
from core.sql.store import SqlStore

TEAM = "T0CREW001"
MONDAY = date(2026, 11, 2)


def entry(n: int, user: str, day: date, start: int, end: int, job: str = "1042", co: str = "") -> TimeEntry:
    stamp = datetime(2026, 11, 1, tzinfo=UTC)
    begin, finish = time(start), time(end)
    return TimeEntry(
        id=f"00000000-0000-4000-8000-{n:012d}",
        slack_team_id=TEAM,
        slack_user_id=user,
        user_email=f"{user.lower()}@example.com",
        job_id=job,
        job_name={"1042": "Smith Residence", "2001": "Sun Valley Clinic"}[job],
        work_date=day,
        start_time=begin,
        end_time=finish,
        lunch_start=None,
        lunch_end=None,
        total_hours=total_hours(begin, finish),
        notes="=SUM(A1)" if n == 1 else "",
        change_order=co,
        created_at=stamp,
        updated_at=stamp,
        postgres=SinkState(SyncStatus.SYNCED, synced_version=1),
    )


def crew_week() -> tuple[list[TimeEntry], TimeEntry]:
    """Ana works 5 x 9 h (45 h: 5 overtime), Ben 4 x 8 h; one of Ben's days is still pending in Redis."""
    saved = [entry(1 + d, "U0ANA", MONDAY + timedelta(days=d), 6, 15, co="17" if d == 2 else "") for d in range(5)]
    saved += [entry(10 + d, "U0BEN", MONDAY + timedelta(days=d), 7, 15, job="2001") for d in range(3)]
    pending = replace(
        entry(20, "U0BEN", MONDAY + timedelta(days=3), 7, 15, co="18"),
        postgres=SinkState(SyncStatus.PENDING),
    )
    return saved, pending


@pytest.fixture
def stores(sql: SqlStore, real_redis: redis.Redis) -> Iterator[tuple[SqlStore, HotStore]]:
    saved, pending = crew_week()
    sql.upsert_entries(saved)
    hot = HotStore(real_redis)
    hot.write("create", pending, actor_team=TEAM, actor_user="U0BEN", privileged=False, intent=None)
    real_redis.set(f"slack:user:{TEAM}:U0ANA", '["Ana Alvarez", "ana@example.com", "UTC"]')
    yield sql, hot


def sections(text: str, threshold: str = "40") -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    gap = rows.index([])
    header, body = rows[0], rows[1:gap]
    summary_header, summary = rows[gap + 2], rows[gap + 3 :]
    assert rows[gap + 1] == [f"Weekly summary (overtime past {threshold} h a week)"]
    return [dict(zip(header, r, strict=True)) for r in body], [
        dict(zip(summary_header, r, strict=True)) for r in summary
    ]


def export(settings: Settings, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="crewclock")
    cli_export.add_parser(parser.add_subparsers(dest="command", required=True))
    err = io.StringIO()
    return cli_export.run(settings, parser.parse_args(["export", *argv]), err=err), err.getvalue()


def test_the_cli_writes_every_entry_and_each_workers_week_split_at_40_hours(
    base_settings: Settings, stores: tuple[SqlStore, HotStore], tmp_path: Path
) -> None:
    out = tmp_path / "payroll.csv"
    code, said = export(base_settings, "--from", "2026-11-02", "--to", "2026-11-08", "--out", str(out), "--quiet")

    assert code == 0, said
    assert said.strip() == f"exported 9 entries and 2 worker-weeks to {out}"
    rows, summary = sections(out.read_text(encoding="utf-8"))
    assert [(r["user"], r["date"], r["hours"], r["state"]) for r in rows if r["user_id"] == "U0BEN"] == [
        ("U0BEN", "2026-11-02", "8.00", "SYNCED"),
        ("U0BEN", "2026-11-03", "8.00", "SYNCED"),
        ("U0BEN", "2026-11-04", "8.00", "SYNCED"),
        ("U0BEN", "2026-11-05", "8.00", "PENDING"),  # from Redis: acknowledged, not in Postgres yet
    ]
    ana = [r for r in rows if r["user_id"] == "U0ANA"]
    assert [r["user"] for r in ana] == ["Ana Alvarez"] * 5  # the bot's cached Slack name
    assert ana[0]["notes"] == "'=SUM(A1)"  # never a formula in a spreadsheet
    assert summary == [
        {
            "week_start": "2026-11-02", "week_end": "2026-11-08", "team_id": TEAM, "user_id": "U0ANA",
            "user": "Ana Alvarez", "email": "u0ana@example.com", "days_in_range": "5", "regular_hours": "40.00",
            "overtime_hours": "5.00", "total_hours": "45.00", "jobs": "1042 Smith Residence: 45.00",
            "change_orders": "17", "partial": "no",
        },
        {
            "week_start": "2026-11-02", "week_end": "2026-11-08", "team_id": TEAM, "user_id": "U0BEN",
            "user": "U0BEN", "email": "u0ben@example.com", "days_in_range": "4", "regular_hours": "32.00",
            "overtime_hours": "0.00", "total_hours": "32.00",
            "jobs": "2001 Sun Valley Clinic: 24.00; 1042 Smith Residence: 8.00", "change_orders": "18",
            "partial": "no",
        },
    ]  # fmt: skip


def test_a_lower_threshold_and_a_range_cutting_a_week(
    base_settings: Settings, stores: tuple[SqlStore, HotStore], tmp_path: Path
) -> None:
    out = tmp_path / "p.csv"
    code, said = export(
        base_settings, "--from", "2026-11-03", "--to", "2026-11-30", "--out", str(out), "--overtime-after", "30"
    )
    assert code == 0
    assert "2 partial week(s)" in said
    _, summary = sections(out.read_text(encoding="utf-8"), threshold="30")
    ana = summary[0]
    assert (ana["days_in_range"], ana["regular_hours"], ana["overtime_hours"], ana["partial"]) == (
        "4",
        "30.00",
        "6.00",
        "yes",
    )


def test_bad_ranges_are_refused(base_settings: Settings) -> None:
    assert export(base_settings, "--from", "2026-11-30", "--to", "2026-11-01")[0] == 2
    with pytest.raises(SystemExit):
        export(base_settings, "--from", "11/01/2026", "--to", "2026-11-30")


def test_rows_are_written_as_entries_arrive(stores: tuple[SqlStore, HotStore]) -> None:
    sql, hot = stores
    out = io.StringIO()
    seen: list[str] = []

    def probe() -> Iterator[TimeEntry]:
        for item in payroll_entries(sql, hot, MONDAY, MONDAY + timedelta(days=6)):
            if seen:  # the previous entry is already in the file before the next is read
                assert seen[-1] in out.getvalue()
            seen.append(item.id)
            yield item

    report = write_payroll_csv(out, probe(), first=MONDAY, last=MONDAY + timedelta(days=6))
    assert report.entries == len(seen) == 9
    assert report.weeks[0].total == Decimal("45.00")


def test_postgres_is_read_in_batches(sql: SqlStore) -> None:
    sql.upsert_entries([entry(100 + i, f"U{i % 7}", MONDAY + timedelta(days=i % 5), 6, 7) for i in range(25)])
    stream = sql.iter_entries(MONDAY, MONDAY + timedelta(days=6), batch=10)
    first = next(stream)  # a server-side cursor: the first row comes before the last is fetched
    rest = list(stream)
    assert len(rest) + 1 == 25 and first.slack_user_id == "U0"
