"""Block Kit for weekly approval: one row per crew member with Approve or Reopen, and Approve all.

The same rows appear in the managers' weekly digest (a DM) and on a manager's App Home. Each
row is a section whose ``block_id`` names the person, so a click can redraw that row alone
(``with_approvals``) without reading anything again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.views.common import button, plain, section
from core.sql.approvals import Approval

APPROVE_ACTION = "week_approve"
REOPEN_ACTION = "week_reopen"
APPROVE_ALL_ACTION = "week_approve_all"
ROW_PREFIX = "approval:"
APPROVE_ALL_BLOCK = "approval_all"


class StaleButton(ValueError):
    """A button value that is not ours (or from an older version)."""


def approval_value(week_start: date, user_id: str | None = None) -> str:
    data = {"w": week_start.isoformat()}
    if user_id:
        data["u"] = user_id
    return json.dumps(data, separators=(",", ":"))


def read_approval_value(value: str) -> tuple[date, str | None]:
    """(week start, user id or None for the whole team) from a button value."""
    try:
        data = json.loads(value)
        return date.fromisoformat(data["w"]), data.get("u")
    except (ValueError, KeyError, TypeError):
        raise StaleButton("That button is out of date; open the Home tab again.") from None


def approved_note(approval: Approval) -> str:
    """``✅ Approved by @M on Fri Nov 27``."""
    when = approval.approved_at
    return f"✅ Approved by <@{approval.approved_by}> on {when:%a %b} {when.day}"


def status_text(approval: Approval | None) -> str:
    if approval is None:
        return "_Not approved yet_"
    if approval.approved:
        return approved_note(approval)
    return f"↩️ Reopened by <@{approval.reopened_by}> — not approved"


def person_row(user_id: str, line: str, week_start: date, approval: Approval | None) -> dict[str, Any]:
    """One crew member's week: ``line`` (name, hours), its status and the Approve or Reopen button."""
    if approval is not None and approval.approved:
        accessory = button("Reopen", REOPEN_ACTION, approval_value(week_start, user_id))
    else:
        accessory = button("Approve", APPROVE_ACTION, approval_value(week_start, user_id), style="primary")
    return section(f"{line}\n{status_text(approval)}", accessory=accessory, block_id=f"{ROW_PREFIX}{user_id}")


def approve_all_block(week_start: date) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": APPROVE_ALL_BLOCK,
        "elements": [
            button(
                "Approve all",
                APPROVE_ALL_ACTION,
                approval_value(week_start),
                style="primary",
                confirm={
                    "title": plain("Approve everyone's week?"),
                    "text": plain("Everyone who logged hours this week gets approved; their weeks lock."),
                    "confirm": plain("Approve all"),
                    "deny": plain("Cancel"),
                },
            )
        ],
    }


def with_approvals(
    blocks: Sequence[Mapping[str, Any]], approvals: Mapping[str, Approval | None]
) -> list[dict[str, Any]]:
    """``blocks`` with the rows of the people in ``approvals`` redrawn (after a click)."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        user_id = block_id.removeprefix(ROW_PREFIX)
        if block_id.startswith(ROW_PREFIX) and user_id in approvals:
            line = str(block["text"]["text"]).split("\n", 1)[0]
            week_start, _ = read_approval_value(str(block["accessory"].get("value", "")))
            out.append(person_row(user_id, line, week_start, approvals[user_id]))
        else:
            out.append(dict(block))
    return out


def people_in(blocks: Sequence[Mapping[str, Any]]) -> list[str]:
    """The user ids with an approval row in ``blocks``."""
    return [
        str(b["block_id"]).removeprefix(ROW_PREFIX) for b in blocks if str(b.get("block_id", "")).startswith(ROW_PREFIX)
    ]
