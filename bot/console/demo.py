"""Demo data for a first run: a handful of jobs, and a week of hours for two of the crew.

Seeded through the core (``JobCatalog.upsert``, ``TimeEntryService.record_entry``), so the
entries take the same write-behind path as any other and land in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from bot.console.people import TEAM_ID, Workspace
from core.bootstrap import Services
from core.domain.clock import today_in
from core.domain.entry import Actor, EntryDraft
from core.domain.jobs import Job
from core.service import EntryValidationError

DEMO_JOBS: tuple[Job, ...] = (
    Job("1042", "Smith Residence"),
    Job("1043", "Oak St Repaint"),
    Job("2001", "Harbor Office Fitout"),
    Job("2002", "Maple School Gym"),
    Job("3005", "Riverside Clinic"),
    Job("3006", "Hilltop Deck"),
)


@dataclass(frozen=True, slots=True)
class DemoShift:
    """One seeded shift: whose, how many workdays back, which job, the times and a note."""

    handle: str
    workdays_back: int
    job_id: str
    start: time
    end: time
    lunch: bool = False
    notes: str = ""


DEMO_SHIFTS: tuple[DemoShift, ...] = (
    DemoShift("james", 2, "1042", time(7), time(15, 30), True, "framed the back porch"),
    DemoShift("james", 3, "1042", time(7), time(15, 30), True),
    DemoShift("james", 4, "2001", time(6, 30), time(15), True, "drywall, 2nd floor"),
    DemoShift("li", 2, "1043", time(8), time(16, 30), True, "primed north wall"),
    DemoShift("li", 3, "3005", time(7), time(12)),
    DemoShift("li", 4, "1043", time(8), time(16), True),
)


@dataclass(frozen=True, slots=True)
class SeedReport:
    jobs: int
    entries: int


def workdays_before(today: date, count: int) -> date:
    """The ``count``-th Monday-to-Friday day before ``today``."""
    day = today
    while count > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def should_seed(services: Services, wanted: bool | None) -> bool:
    """``--demo`` / ``--no-demo`` decide; without either, seed when there are no jobs yet."""
    if wanted is not None:
        return wanted
    return not services.jobs.all_jobs()


def seed_demo(services: Services, workspace: Workspace) -> SeedReport:
    """Add the demo jobs, and the demo shifts of anyone who has no entries in that period yet."""
    services.jobs.upsert(list(DEMO_JOBS))
    jobs = {job.id: job for job in DEMO_JOBS}
    recorded = 0
    for handle in sorted({shift.handle for shift in DEMO_SHIFTS}):
        person = workspace.by_handle(handle)
        if person is None:
            continue
        zone = ZoneInfo(person.tz)
        today = today_in(zone)
        actor = Actor(TEAM_ID, person.user_id)
        shifts = [s for s in DEMO_SHIFTS if s.handle == handle]
        first = workdays_before(today, max(s.workdays_back for s in shifts))
        existing = services.entries.list_user_entries(
            actor=actor, team_id=TEAM_ID, user_id=person.user_id, first=first, last=today
        )
        if existing.entries:
            continue  # seeded before (or real hours): never double anyone's week
        for shift in shifts:
            job = jobs[shift.job_id]
            draft = EntryDraft(
                slack_team_id=TEAM_ID,
                slack_user_id=person.user_id,
                job_id=job.id,
                job_name=job.name,
                work_date=workdays_before(today, shift.workdays_back),
                start_time=shift.start,
                end_time=shift.end,
                lunch_start=time(12) if shift.lunch else None,
                lunch_end=time(12, 30) if shift.lunch else None,
                notes=shift.notes,
                user_email=person.email,
            )
            try:
                services.entries.record_entry(draft, actor=actor, intent_key=None, zone=zone)
            except EntryValidationError:
                continue  # e.g. a long weekend pushed a day past the backdating limit
            recorded += 1
    return SeedReport(len(DEMO_JOBS), recorded)
