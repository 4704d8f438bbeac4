"""Jobs (the sites a crew works on) and finding one from what a user typed."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO

from core.domain.quick_entry import QuickEntry


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    name: str
    active: bool = True
    zoho_job_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})"


def match_jobs(jobs: Iterable[Job], query: str, limit: int = 100) -> list[Job]:
    """Jobs whose number equals ``query`` or whose name contains every word of it.

    An exact number or name comes first, then names that start with the query.
    """
    q = query.strip().lower()
    if not q:
        return list(jobs)[:limit]
    words = q.split()
    exact: list[Job] = []
    prefix: list[Job] = []
    other: list[Job] = []
    for job in jobs:
        name = job.name.lower()
        if job.id.lower() == q or name == q:
            exact.append(job)
        elif all(w in name for w in words) or job.id.lower().startswith(q):
            (prefix if name.startswith(q) else other).append(job)
    return (exact + prefix + other)[:limit]


def resolve_job(jobs: Sequence[Job], query: str) -> Job | None:
    """The one job ``query`` names, or None when it names none or several."""
    found = match_jobs(jobs, query)
    if not found:
        return None
    q = query.strip().lower()
    if found[0].id.lower() == q or found[0].name.lower() == q or len(found) == 1:
        return found[0]
    return None


def resolve_quick_entry(jobs: Sequence[Job], quick: QuickEntry) -> tuple[QuickEntry, Job | None]:
    """The reading of a quick entry to log, and the one job it names.

    ``sun valley`` reads as Sunday and job ``valley``, or as today and job ``sun valley``
    (``quick.alternative``). The second reading is taken when an active job's name holds
    its words as a phrase starting at a word (``Sun Valley Clinic``; case and the
    punctuation between words aside); otherwise the weekday is the date (``mon smith`` with
    no "Mon Smith" job: Monday, job ``smith``).

    Args:
        jobs: The active jobs.
        quick: A parsed quick entry.

    Returns:
        ``(reading, job)``: ``job`` is what :func:`resolve_job` finds for the reading's
        ``job_query`` (for the second reading, among the jobs holding the phrase), None when
        that names no job or several, or when no job was given. Several jobs holding the
        phrase still choose the second reading, with no job: the user is asked which one,
        on the right date.
    """
    alternative = quick.alternative
    if alternative is not None and alternative.job_query:
        words = alternative.job_query.lower().split()
        phrase = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, words)))
        holders = [job for job in jobs if phrase.search(job.name.lower())]
        if holders:
            return alternative, resolve_job(holders, alternative.job_query)
    return quick, resolve_job(jobs, quick.job_query) if quick.job_query else None


class JobCsvError(ValueError):
    pass


def read_jobs_csv(stream: TextIO) -> list[Job]:
    """Rows of ``id,name[,active][,zoho_job_id]`` with a header line."""
    reader = csv.DictReader(stream)
    fields = {f.strip().lower() for f in (reader.fieldnames or [])}
    if not {"id", "name"} <= fields:
        raise JobCsvError("The CSV needs a header with at least the columns id and name.")
    jobs: list[Job] = []
    for row in reader:
        line = reader.line_num  # DictReader skips blank rows: count lines the way an editor does
        clean = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not clean.get("id") or not clean.get("name"):
            raise JobCsvError(f"Line {line}: id and name are required.")
        active = clean.get("active", "true").lower() not in ("0", "false", "no", "inactive")
        jobs.append(Job(clean["id"], clean["name"], active, clean.get("zoho_job_id") or None))
    return jobs
