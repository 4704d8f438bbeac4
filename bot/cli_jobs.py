"""`crewclock jobs import FILE` and `crewclock jobs list [--all]`.

Jobs live in Postgres; the bot reads them from a Redis cache, which an import refreshes.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import redis
from sqlalchemy.exc import SQLAlchemyError

from core.bootstrap import redis_client
from core.catalog import JobCatalog
from core.domain.jobs import Job, JobCsvError, read_jobs_csv
from core.settings import Settings
from core.sql.store import SqlStore, make_engine

ID_MAX, NAME_MAX, ZOHO_MAX = 64, 200, 64  # the jobs table's column sizes


class JobImportError(ValueError):
    """The file cannot be imported; the message names the line."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``jobs`` (with ``import`` and ``list``) to the ``crewclock`` command's subparsers."""
    jobs = subparsers.add_parser("jobs", help="import or list the jobs crews log hours against")
    actions = jobs.add_subparsers(dest="jobs_command", required=True)
    importer = actions.add_parser(
        "import",
        help="add or update jobs from a CSV file: id,name[,active][,zoho_job_id] with a header line",
    )
    importer.add_argument("path", help="the CSV file (UTF-8; '-' reads standard input)")
    lister = actions.add_parser("list", help="print the jobs as a table")
    lister.add_argument("--all", action="store_true", help="include inactive jobs")
    return jobs


def _csv_syntax_error_line(text: str) -> int:
    """The line where Python's csv reader gives up on ``text`` (0 if it does not)."""
    reader = csv.reader(io.StringIO(text))
    try:
        for _ in reader:
            pass
    except csv.Error:
        return reader.line_num
    return 0


def parse_jobs_file(text: str) -> list[Job]:
    """Jobs from a CSV's text, checked against what the jobs table can hold.

    Raises:
        JobImportError: the message names the first bad line.
    """
    try:
        jobs = read_jobs_csv(io.StringIO(text))
    except JobCsvError as bad:
        raise JobImportError(str(bad)) from None
    except csv.Error as bad:
        raise JobImportError(f"Line {_csv_syntax_error_line(text)}: not valid CSV ({bad}).") from None
    seen: dict[str, int] = {}
    for line, job in enumerate(jobs, start=2):
        if len(job.id) > ID_MAX:
            raise JobImportError(f"Line {line}: the id is longer than {ID_MAX} characters.")
        if len(job.name) > NAME_MAX:
            raise JobImportError(f"Line {line}: the name is longer than {NAME_MAX} characters.")
        if job.zoho_job_id and len(job.zoho_job_id) > ZOHO_MAX:
            raise JobImportError(f"Line {line}: the zoho_job_id is longer than {ZOHO_MAX} characters.")
        if job.id in seen:
            raise JobImportError(f"Line {line}: job {job.id} appears again (first on line {seen[job.id]}).")
        seen[job.id] = line
    return jobs


def _read_text(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        # utf-8-sig: spreadsheets often save a byte-order mark before the header
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise JobImportError(f"No such file: {path}") from None
    except UnicodeDecodeError as bad:
        raise JobImportError(f"{path} is not UTF-8 text (byte {bad.start}); save it as CSV UTF-8.") from None
    except OSError as bad:
        raise JobImportError(f"Cannot read {path}: {bad.strerror}") from None


def import_jobs(catalog: JobCatalog, sql: SqlStore, jobs: Sequence[Job], out: TextIO) -> int:
    """Upsert ``jobs``; print how many were new, changed and unchanged."""
    before = {j.id: j for j in sql.list_jobs(include_inactive=True)}
    new = sum(1 for j in jobs if j.id not in before)
    unchanged = sum(1 for j in jobs if before.get(j.id) == j)
    inactive = sum(1 for j in jobs if not j.active)
    try:
        catalog.upsert(jobs)
    except redis.RedisError as bad:
        # Postgres has them; the bot's cache does not. A later import (or any job change) refreshes it.
        print(
            f"Saved {len(jobs)} jobs to the database, but the Redis job cache could not be refreshed ({bad}); "
            "run the import again once Redis is reachable.",
            file=out,
        )
        return 1
    print(
        f"Imported {len(jobs)} jobs: {new} new, {len(jobs) - new - unchanged} updated, {unchanged} unchanged "
        f"({inactive} inactive).",
        file=out,
    )
    return 0


def jobs_table(jobs: Sequence[Job]) -> str:
    """Jobs as an aligned text table with a header and a count line."""
    rows = [("ID", "NAME", "ACTIVE", "ZOHO JOB")]
    rows += [(j.id, j.name, "yes" if j.active else "no", j.zoho_job_id or "-") for j in jobs]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join((*(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])), row[3])) for row in rows]
    inactive = sum(1 for j in jobs if not j.active)
    count = f"{len(jobs)} job{'s' if len(jobs) != 1 else ''}" + (f" ({inactive} inactive)" if inactive else "")
    return "\n".join([*lines, count])


def run(settings: Settings, args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``crewclock jobs import`` or ``crewclock jobs list``; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    sql = SqlStore(make_engine(settings.sqlalchemy_url))
    try:
        if args.jobs_command == "list":
            print(jobs_table(sql.list_jobs(include_inactive=args.all)), file=out)
            return 0
        try:
            jobs = parse_jobs_file(_read_text(args.path))
        except JobImportError as bad:
            print(f"crewclock jobs import: {bad}", file=err)
            return 2
        if not jobs:
            print("crewclock jobs import: the file has a header but no jobs.", file=err)
            return 2
        return import_jobs(JobCatalog(sql, redis_client(settings)), sql, jobs, out)
    except SQLAlchemyError as bad:
        reason = getattr(bad, "orig", None) or bad
        hint = "Is DATABASE_URL right, and has `crewclock migrate` run?"
        print(f"crewclock jobs: the database refused ({reason}). {hint}", file=err)
        return 1
    finally:
        sql.engine.dispose()
