"""`crewclock reconcile --days N`: compare Redis with Postgres (and Zoho People), re-queue what is missing.

Prints what it found. Exit status 0 when everything was in order, 1 when it re-queued entries or
found some an admin must look at, 2 when Redis or Postgres could not be read. Safe to run at any
time, from cron and from several machines at once (see ``core.ops.reconcile``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

import redis
from sqlalchemy.exc import SQLAlchemyError

from core.bootstrap import build_services
from core.ops.reconcile import format_report, reconcile
from core.settings import Settings


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``reconcile`` to the ``crewclock`` command's subparsers."""
    parser = subparsers.add_parser(
        "reconcile", help="compare Redis with Postgres (and Zoho) and re-queue what Postgres is missing"
    )
    parser.add_argument("--days", type=int, default=7, help="how many days of work dates back to compare (default 7)")
    return parser


def run(settings: Settings, args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    services = build_services(settings)  # not started: no sweeps of its own, the running bot pushes
    try:
        report = reconcile(services, days=args.days)
    except (redis.RedisError, SQLAlchemyError) as exc:
        print(f"crewclock reconcile: could not read the stores: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    finally:
        services.stop()
        services.sql.engine.dispose()
    print(format_report(report), file=out)
    if report.requeued:
        print(
            f"{len(report.requeued)} re-queued: a running crewclock pushes them within SYNC_RETRY_INTERVAL_S "
            "(or run `crewclock sync --drain`).",
            file=out,
        )
    return 0 if report.in_order else 1
