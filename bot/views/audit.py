"""Block Kit for an entry's audit trail: who created, changed or deleted it, and what changed."""

from __future__ import annotations

from typing import Any

from bot.views.common import context, escape_mrkdwn, section
from core.service import EntryHistory
from core.sql.audit import AuditStep

FIELD_LABELS = {
    "job_id": "Job id",
    "job_name": "Job",
    "work_date": "Date",
    "start_time": "Start",
    "end_time": "End",
    "lunch_start": "Lunch start",
    "lunch_end": "Lunch end",
    "total_hours": "Hours",
    "notes": "Notes",
    "change_order": "Change order",
    "deleted": "Deleted",
}
VERBS = {"create": "Created", "edit": "Edited", "delete": "Deleted"}
VALUE_SHOWN_CHARS = 120
STEPS_SHOWN = 40  # a message holds 50 blocks


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if len(text) > VALUE_SHOWN_CHARS:
        text = text[: VALUE_SHOWN_CHARS - 1] + "…"
    return escape_mrkdwn(text)


def step_text(step: AuditStep) -> str:
    """``*v2 · Edited* by @M · Fri Nov 27 15:02 UTC`` and one line per changed field."""
    when = f"{step.at:%a %b} {step.at.day} {step.at:%H:%M} UTC"
    head = f"*v{step.version} · {VERBS.get(step.action, step.action)}* by <@{step.actor}> · {when}"
    if step.action == "create":
        values = step.changes
        summary = (
            f"{_shown(values.get('job_name', [None, ''])[1])} ({_shown(values.get('job_id', [None, ''])[1])}) · "
            f"{_shown(values.get('work_date', [None, ''])[1])} · {_shown(values.get('start_time', [None, ''])[1])}–"
            f"{_shown(values.get('end_time', [None, ''])[1])} · {_shown(values.get('total_hours', [None, ''])[1])} h"
        )
        return f"{head}\n{summary}"
    lines = [
        f"• {FIELD_LABELS.get(name, name)}: {_shown(old)} → {_shown(new)}"
        for name, (old, new) in step.changes.items()
        if not (step.action == "delete" and name == "deleted")
    ]
    return "\n".join([head, *lines])


def entry_history_message(history: EntryHistory) -> dict[str, Any]:
    """An ephemeral message listing the entry's steps, oldest first."""
    steps = history.steps[-STEPS_SHOWN:]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Entry history"}},
        context(f"Entry `{history.entry_id}` · {len(history.steps)} recorded step(s), oldest first"),
    ]
    if len(history.steps) > len(steps):
        blocks.append(context(f"{len(history.steps) - len(steps)} older steps not shown."))
    blocks += [section(step_text(step)) for step in steps]
    if history.unrecorded is not None:
        latest = history.unrecorded
        blocks.append(
            context(
                f"⏳ Version {latest.version} (by <@{latest.changed_by}>) is saved but not in the permanent "
                "record yet; its step appears here once it is."
            )
        )
    if not history.steps and history.unrecorded is None:
        blocks.append(section("No recorded changes yet."))
    text = f"Entry history: {len(history.steps)} step(s)."
    return {"text": text, "blocks": blocks}
