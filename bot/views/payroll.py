"""The Export payroll button (App Home, manager /history views) and what it answers."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.views.common import button, context

PAYROLL_ACTION = "payroll_export"


class StalePayrollButton(ValueError):
    pass


def payroll_button(
    first: date, last: date, *, job_id: str | None = None, label: str = "Export payroll"
) -> dict[str, Any]:
    data: dict[str, str] = {"f": first.isoformat(), "l": last.isoformat()}
    if job_id:
        data["j"] = job_id
    return button(label, PAYROLL_ACTION, json.dumps(data, separators=(",", ":")))


def read_payroll_value(value: str) -> tuple[date, date, str | None]:
    """(first, last, job id or None) from the button's value."""
    try:
        data = json.loads(value)
        return date.fromisoformat(data["f"]), date.fromisoformat(data["l"]), data.get("j")
    except (ValueError, KeyError, TypeError):
        raise StalePayrollButton("That button is out of date; ask again.") from None


def payroll_sent_message(entries: int, weeks: int, partial: int) -> dict[str, Any]:
    text = f"Payroll CSV with {entries} entr{'y' if entries == 1 else 'ies'} and {weeks} worker-weeks sent to your DMs."
    if partial:
        text += f" {partial} week(s) run past the range: their overtime counts only the days inside it."
    return {"text": text, "blocks": [context(text)]}
