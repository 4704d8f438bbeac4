"""Block Kit for `/crewclock`: its help, the managers' job list, and the Add job modal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.views.common import button, context, escape_mrkdwn, plain, section
from core.domain.jobs import Job

PAGE_SIZE = 20

DEACTIVATE_ACTION = "jobs_admin_deactivate"
ACTIVATE_ACTION = "jobs_admin_activate"
ADD_ACTION = "jobs_admin_add"
PREVIOUS_ACTION = "jobs_admin_previous"
NEXT_ACTION = "jobs_admin_next"
ADD_CALLBACK_ID = "jobs_admin_add_job"

ID_BLOCK, NAME_BLOCK, ZOHO_BLOCK = "job_id", "job_name", "zoho_job_id"
INPUT_ACTION = "value"
ID_MAX, NAME_MAX, ZOHO_MAX = 64, 200, 64  # the jobs table's column sizes
FILTER_MAX = 100

CREWCLOCK_HELP = (
    "*crewclock*\n"
    "• `/hours` — log hours (`/hours help` for the one-line form)\n"
    "• `/history` — your logged hours (`/history help`)\n"
    "• `/crewclock jobs` — managers: list jobs, add one, deactivate or reactivate\n"
    "• `/crewclock jobs smith` — only the jobs matching “smith”\n"
    "• `/crewclock remind on 16:30` — a DM on working days when you have logged nothing (`/crewclock remind`)\n"
    "• `/crewclock status` — admins: sync backlog, failed syncs (retry or discard), Zoho and Redis health"
)
MANAGERS_ONLY = "Sorry — only managers can change the job list. Ask a manager if a job is missing."


@dataclass(frozen=True, slots=True)
class JobsPage:
    """Which slice of the job list a message shows; rides in every button's value."""

    page: int = 0
    query: str = ""

    def to_value(self, **extra: Any) -> str:
        data: dict[str, Any] = {"p": self.page, **extra}
        if self.query:
            data["q"] = self.query
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_value(cls, value: str) -> JobsPage:
        """Read a button value; a broken one falls back to the first page."""
        try:
            data = json.loads(value or "{}")
            return cls(max(int(data.get("p", 0)), 0), str(data.get("q", ""))[:FILTER_MAX])
        except (ValueError, TypeError, AttributeError):
            return cls()


def job_of_value(value: str) -> str:
    """The job id a Deactivate/Activate button carries ("" when the value is broken)."""
    try:
        return str(json.loads(value).get("id", ""))
    except (ValueError, TypeError, AttributeError):
        return ""


def help_message() -> dict[str, Any]:
    return {"text": CREWCLOCK_HELP, "blocks": [section(CREWCLOCK_HELP)]}


def notice(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": [section(text)]}


def _job_row(job: Job, where: JobsPage) -> dict[str, Any]:
    zoho = f" · Zoho job {escape_mrkdwn(job.zoho_job_id)}" if job.zoho_job_id else ""
    if job.active:
        text = f"*{escape_mrkdwn(job.name)}* ({escape_mrkdwn(job.id)}){zoho}"
        action = button(
            "Deactivate",
            DEACTIVATE_ACTION,
            where.to_value(id=job.id),
            style="danger",
            confirm={
                "title": plain("Deactivate this job?"),
                "text": plain(f"{job.name} ({job.id}) will no longer be offered in /hours. Logged hours stay."[:300]),
                "confirm": plain("Deactivate"),
                "deny": plain("Cancel"),
            },
        )
    else:
        text = f"~{escape_mrkdwn(job.name)}~ ({escape_mrkdwn(job.id)}) · _inactive_{zoho}"
        action = button("Activate", ACTIVATE_ACTION, where.to_value(id=job.id), style="primary")
    return section(text, accessory=action)


def jobs_admin_message(jobs: Sequence[Job], where: JobsPage, *, changed: str = "") -> dict[str, Any]:
    """The managers' job list for ``where``: one row per job with its button, pages of 20, Add job.

    Args:
        jobs: the jobs to list (already filtered by ``where.query``), in display order.
        where: the page and filter shown.
        changed: a line saying what just changed, shown on top.
    """
    pages = max((len(jobs) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(where.page, pages - 1)
    shown = jobs[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    here = JobsPage(page, where.query)
    active = sum(1 for j in jobs if j.active)
    summary = f"{active} active, {len(jobs) - active} inactive"
    if where.query:
        summary += f" matching “{escape_mrkdwn(where.query)}”"
    if pages > 1:
        summary += f" · page {page + 1} of {pages}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain("Jobs")},
        context(summary),
    ]
    if changed:
        blocks.append(section(changed))
    if not jobs:
        blocks.append(section("No jobs yet." if not where.query else "No job matches that."))
    blocks.extend(_job_row(job, here) for job in shown)
    nav = [button("Add job", ADD_ACTION, here.to_value(), style="primary")]
    if page > 0:
        nav.append(button("◀ Previous", PREVIOUS_ACTION, JobsPage(page - 1, where.query).to_value()))
    if page + 1 < pages:
        nav.append(button("Next ▶", NEXT_ACTION, JobsPage(page + 1, where.query).to_value()))
    blocks.append({"type": "actions", "block_id": "jobs_admin_nav", "elements": nav})
    text = f"Jobs: {summary}."
    if changed:
        text = f"{changed} {text}"
    return {"text": text, "blocks": blocks}


def _text_input(
    block_id: str, label: str, max_length: int, *, optional: bool = False, hint: str = ""
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "optional": optional,
        "element": {"type": "plain_text_input", "action_id": INPUT_ACTION, "max_length": max_length},
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def add_job_modal(private_metadata: str) -> dict[str, Any]:
    """The Add job modal: job number, name, Zoho job id (optional)."""
    return {
        "type": "modal",
        "callback_id": ADD_CALLBACK_ID,
        "title": plain("Add job"),
        "submit": plain("Add"),
        "close": plain("Cancel"),
        "private_metadata": private_metadata,
        "blocks": [
            _text_input(ID_BLOCK, "Job number", ID_MAX, hint="What crews type, e.g. 1042. It cannot change later."),
            _text_input(NAME_BLOCK, "Name", NAME_MAX),
            _text_input(ZOHO_BLOCK, "Zoho job id", ZOHO_MAX, optional=True, hint="Only when Zoho is connected."),
        ],
    }


@dataclass(frozen=True, slots=True)
class NewJob:
    job_id: str
    name: str
    zoho_job_id: str | None


def read_add_job(values: dict[str, dict[str, dict[str, Any]]]) -> NewJob:
    """The Add job modal's typed values, trimmed."""

    def value(block: str) -> str:
        return str((values.get(block, {}).get(INPUT_ACTION) or {}).get("value") or "").strip()

    return NewJob(value(ID_BLOCK), " ".join(value(NAME_BLOCK).split()), value(ZOHO_BLOCK) or None)


def add_job_errors(new: NewJob, existing: Job | None) -> dict[str, str]:
    """Problems with a new job, by the modal's block id (empty when it can be added)."""
    errors: dict[str, str] = {}
    if not new.job_id:
        errors[ID_BLOCK] = "Give the job a number."
    elif len(new.job_id) > ID_MAX:
        errors[ID_BLOCK] = f"At most {ID_MAX} characters."
    elif any(c.isspace() for c in new.job_id):
        errors[ID_BLOCK] = "A job number has no spaces."
    elif existing is not None:
        state = "" if existing.active else " (inactive: activate it from the list instead)"
        errors[ID_BLOCK] = f"Job {existing.id} already exists: {existing.name}{state}."
    if not new.name:
        errors[NAME_BLOCK] = "Give the job a name."
    elif len(new.name) > NAME_MAX:
        errors[NAME_BLOCK] = f"At most {NAME_MAX} characters."
    if new.zoho_job_id and len(new.zoho_job_id) > ZOHO_MAX:
        errors[ZOHO_BLOCK] = f"At most {ZOHO_MAX} characters."
    return errors
