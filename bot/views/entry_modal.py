"""The entry modal: Job, Date, Start, End, Lunch start, Lunch end, Notes, Change order.

Pure functions: ``entry_modal`` builds the view, ``read_submission`` turns a submitted
view back into plain values, ``errors_by_block`` maps the core's field errors onto the
blocks Slack shows them under. Block ids are the core's field names, so an
``EntryValidationError`` lands on the right input without a lookup table drifting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, time
from typing import Any

from bot.views.common import PLAIN_TEXT_MAX, context, escape_mrkdwn, plain, section
from core.domain.entry import CHANGE_ORDER_MAX_CHARS, NOTES_MAX_CHARS
from core.domain.jobs import Job
from core.domain.rules import EntryValidationError

CALLBACK_ID = "entry_modal"
JOB_ACTION = "job_select"  # the options listener answers this action id
STATIC_SELECT_MAX = 100  # Slack's limit for a static_select's options

# Field (as the core names it) -> (block id, action id, label). Labels are what the crew sees.
FIELDS: dict[str, tuple[str, str, str]] = {
    "job": ("job", JOB_ACTION, "Job"),
    "work_date": ("work_date", "date", "Date"),
    "start_time": ("start_time", "time", "Start"),
    "end_time": ("end_time", "time", "End"),
    "lunch_start": ("lunch_start", "time", "Lunch start"),
    "lunch_end": ("lunch_end", "time", "Lunch end"),
    "notes": ("notes", "text", "Notes"),
    "change_order": ("change_order", "text", "Change order"),
}
LABELS = tuple(label for _, _, label in FIELDS.values())
NOT_SAVED = "Not saved: crewclock could not reach its store just now. Please press Save again in a minute."


@dataclass(frozen=True, slots=True)
class ModalMetadata:
    """What the submission needs and Slack carries for us in ``private_metadata``.

    Attributes:
        mode: ``create`` or ``edit``.
        tz: the user's time zone when the modal was opened (so the submission never calls users.info).
        email: the entry owner's email (Zoho needs it).
        entry_id: the entry being edited (edit mode).
        owner: whose entry it is (a manager may edit a crew member's entry).
        channel: where ``/hours`` was typed, for an ephemeral fallback.
    """

    mode: str = "create"
    tz: str = "UTC"
    email: str = ""
    entry_id: str = ""
    owner: str = ""
    channel: str = ""

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v}, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> ModalMetadata:
        data = json.loads(raw) if raw else {}
        return cls(**{k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class Prefill:
    """What the modal starts with; anything None starts empty."""

    work_date: date
    job: Job | None = None
    start_time: time | None = None
    end_time: time | None = None
    lunch_start: time | None = None
    lunch_end: time | None = None
    notes: str = ""
    change_order: str = ""


@dataclass(frozen=True, slots=True)
class Submission:
    """The submitted values, parsed; optional fields are None or empty when left blank."""

    job_id: str
    work_date: date
    start_time: time
    end_time: time
    lunch_start: time | None
    lunch_end: time | None
    notes: str
    change_order: str


def _job_option(job: Job) -> dict[str, Any]:
    return {"text": plain(job.label, PLAIN_TEXT_MAX), "value": job.id}


def job_options(jobs: Sequence[Job]) -> list[dict[str, Any]]:
    """Options for the job select (at most Slack's 100)."""
    return [_job_option(job) for job in jobs[:STATIC_SELECT_MAX]]


def _job_element(jobs: Sequence[Job] | None, selected: Job | None) -> dict[str, Any]:
    # Few jobs: a plain select needs no round trip per keystroke. Many (or unknown): type-ahead.
    if jobs and len(jobs) <= STATIC_SELECT_MAX:
        element: dict[str, Any] = {"type": "static_select", "options": job_options(jobs)}
        if selected is not None and any(j.id == selected.id for j in jobs):
            element["initial_option"] = _job_option(selected)
    else:
        element = {"type": "external_select", "min_query_length": 0}
        if selected is not None:
            element["initial_option"] = _job_option(selected)
    element["action_id"] = JOB_ACTION
    element["placeholder"] = plain("Type a job name or number")
    return element


def _input(field: str, element: dict[str, Any], *, optional: bool = False, hint: str = "") -> dict[str, Any]:
    block_id, action_id, label = FIELDS[field]
    element = {**element, "action_id": action_id}
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def _timepicker(initial: time | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "timepicker"}
    if initial is not None:
        element["initial_time"] = f"{initial:%H:%M}"
    return element


def _text_input(initial: str, *, multiline: bool, max_length: int, placeholder: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": max_length,
        "placeholder": plain(placeholder),
    }
    if initial:
        element["initial_value"] = initial
    return element


def entry_modal(
    *,
    prefill: Prefill,
    metadata: ModalMetadata,
    jobs: Sequence[Job] | None,
    notice: str = "",
) -> dict[str, Any]:
    """The modal view for logging (or editing) one shift.

    Args:
        prefill: initial values (the date defaults to today in the user's zone).
        metadata: carried to the submission in ``private_metadata``.
        jobs: the active jobs, for a plain select when there are few; None or many
            means a type-ahead served by the options listener.
        notice: a line shown above the inputs (e.g. why a quick entry opened the modal).
    """
    blocks: list[dict[str, Any]] = []
    if notice:
        blocks.append(section(notice))
    if metadata.mode == "edit" and metadata.owner:
        blocks.append(context(f"Editing <@{metadata.owner}>'s entry."))
    blocks += [
        _input("job", _job_element(jobs, prefill.job)),
        _input("work_date", {"type": "datepicker", "initial_date": prefill.work_date.isoformat()}),
        _input("start_time", _timepicker(prefill.start_time)),
        _input("end_time", _timepicker(prefill.end_time), hint="An end before the start means the next day."),
        _input("lunch_start", _timepicker(prefill.lunch_start), optional=True),
        _input("lunch_end", _timepicker(prefill.lunch_end), optional=True),
        _input(
            "notes",
            _text_input(prefill.notes, multiline=True, max_length=NOTES_MAX_CHARS, placeholder="What got done"),
            optional=True,
        ),
        _input(
            "change_order",
            _text_input(
                prefill.change_order, multiline=False, max_length=CHANGE_ORDER_MAX_CHARS, placeholder="e.g. 17"
            ),
            optional=True,
        ),
    ]
    editing = metadata.mode == "edit"
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain("Edit hours" if editing else "Log hours"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "private_metadata": metadata.to_json(),
        "blocks": blocks,
    }


def ambiguous_job_notice(query: str, matches: Sequence[Job]) -> str:
    """Why a quick entry opened the modal instead of saving."""
    shown = escape_mrkdwn(query)
    if not matches:
        return f"I couldn't find a job matching *{shown}*. Pick it below, check the rest, and press Save."
    return f"*{shown}* matches {len(matches)} jobs. Pick the right one below, check the rest, and press Save."


def missing_job_notice() -> str:
    return "Which job was that? Pick it below, check the rest, and press Save."


def _value(state: Mapping[str, Any], field: str) -> dict[str, Any]:
    block_id, action_id, _ = FIELDS[field]
    return dict(state.get(block_id, {}).get(action_id) or {})


def _clock(raw: str | None) -> time | None:
    if not raw:
        return None
    hours, minutes = raw.split(":")[:2]
    return time(int(hours), int(minutes))


def read_submission(view: Mapping[str, Any]) -> Submission:
    """Parse a submitted entry modal.

    Raises:
        EntryValidationError: a required input is empty (Slack normally prevents it).
    """
    state = view.get("state", {}).get("values", {})
    job = _value(state, "job").get("selected_option") or {}
    raw_date = _value(state, "work_date").get("selected_date")
    start = _clock(_value(state, "start_time").get("selected_time"))
    end = _clock(_value(state, "end_time").get("selected_time"))
    missing = {
        field: "Required."
        for field, present in (("job", job), ("work_date", raw_date), ("start_time", start), ("end_time", end))
        if not present
    }
    if missing:
        raise EntryValidationError(missing)
    assert start is not None and end is not None and raw_date  # for the type checker: checked above
    return Submission(
        job_id=str(job["value"]),
        work_date=date.fromisoformat(raw_date),
        start_time=start,
        end_time=end,
        lunch_start=_clock(_value(state, "lunch_start").get("selected_time")),
        lunch_end=_clock(_value(state, "lunch_end").get("selected_time")),
        notes=(_value(state, "notes").get("value") or "").strip(),
        change_order=(_value(state, "change_order").get("value") or "").strip(),
    )


def errors_by_block(errors: Mapping[str, str]) -> dict[str, str]:
    """The core's ``{field: message}`` as ``{block_id: message}``; unknown fields go on Job (top)."""
    shown: dict[str, str] = {}
    for field, message in errors.items():
        block_id = FIELDS[field][0] if field in FIELDS else FIELDS["job"][0]
        shown[block_id] = f"{shown[block_id]} {message}" if block_id in shown else message
    return shown


def not_saved_errors() -> dict[str, str]:
    """Redis refused the write: say so on the top input, keep the modal open with what was typed."""
    return {FIELDS["job"][0]: NOT_SAVED}
