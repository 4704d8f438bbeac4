"""`crewclock export --from 2026-11-01 --to 2026-11-30 [--out FILE] [--overtime-after 40] [--team T…]`.

Writes the payroll CSV (``core.payroll``): one row per entry, then each worker's weeks split
into regular and overtime hours. Postgres is streamed and Redis's pending entries are merged
in; a progress bar counts the rows on a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

import redis
from sqlalchemy.exc import SQLAlchemyError

from core.bootstrap import redis_client
from core.hot.store import HotStore
from core.payroll import count_payroll_entries, payroll_entries, write_payroll_csv
from core.settings import Settings
from core.sql.store import SqlStore, make_engine

MAX_DAYS = 3 * 366


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-01") from None


def _hours(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours") from None
    if not 0 < value <= 168:
        raise argparse.ArgumentTypeError("the weekly overtime threshold must be between 0 and 168 hours")
    return value


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``export`` to the ``crewclock`` command's subparsers."""
    export = subparsers.add_parser("export", help="write the payroll CSV for a date range")
    export.add_argument("--from", dest="first", type=_day, required=True, help="first day, e.g. 2026-11-01")
    export.add_argument("--to", dest="last", type=_day, required=True, help="last day (included)")
    export.add_argument("--out", default="-", help="the CSV file to write (default: standard output)")
    export.add_argument(
        "--overtime-after",
        type=_hours,
        default=None,
        help="weekly hours past which hours are overtime (default: OVERTIME_WEEKLY_HOURS, 40)",
    )
    export.add_argument("--team", default=None, help="only this Slack workspace (team id)")
    export.add_argument("--quiet", action="store_true", help="no progress bar")
    return export


def cached_name(client: redis.Redis) -> Any:
    """Names from the bot's profile cache in Redis (``slack:user:…``); the user id when not cached."""

    def name(team_id: str, user_id: str) -> str:
        try:
            raw = client.get(f"slack:user:{team_id}:{user_id}")
        except redis.RedisError:
            return user_id
        return str(json.loads(raw)[0]) if raw else user_id

    return name


def run(settings: Settings, args: argparse.Namespace, *, err: TextIO | None = None) -> int:
    """Write the export; returns the exit code."""
    from tqdm import tqdm

    err = err or sys.stderr
    if args.first > args.last:
        print("crewclock export: --from is after --to; put the earlier date first.", file=err)
        return 2
    if (args.last - args.first).days + 1 > MAX_DAYS:
        print(f"crewclock export: ask for at most {MAX_DAYS} days at a time.", file=err)
        return 2
    overtime_after = args.overtime_after or Decimal(str(settings.overtime_weekly_hours))
    client = redis_client(settings)
    hot, sql = HotStore(client), SqlStore(make_engine(settings.sqlalchemy_url))
    try:
        with ExitStack() as stack:
            out = sys.stdout
            if args.out != "-":
                out = stack.enter_context(open(args.out, "w", newline="", encoding="utf-8"))
            total = count_payroll_entries(sql, hot, args.first, args.last, team_id=args.team)
            bar = stack.enter_context(
                tqdm(total=total, unit="entry", disable=args.quiet or not sys.stderr.isatty(), file=sys.stderr)
            )
            report = write_payroll_csv(
                out,
                payroll_entries(sql, hot, args.first, args.last, team_id=args.team),
                first=args.first,
                last=args.last,
                week_start=settings.week_start,
                overtime_after=overtime_after,
                user_name=cached_name(client),
                progress=bar.update,
            )
    except SQLAlchemyError as bad:
        print(f"crewclock export: the database refused ({getattr(bad, 'orig', None) or bad}).", file=err)
        return 1
    except redis.RedisError as bad:
        print(f"crewclock export: Redis is unreachable ({bad}); pending entries would be missing.", file=err)
        return 1
    finally:
        sql.engine.dispose()
    where = "" if args.out == "-" else f" to {args.out}"
    note = f"; {report.partial_weeks} partial week(s) at the ends of the range" if report.partial_weeks else ""
    print(f"exported {report.entries} entries and {len(report.weeks)} worker-weeks{where}{note}", file=err)
    return 0
