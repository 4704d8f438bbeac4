"""The audit trail of entries: one step per version Postgres takes, with old and new values.

The Postgres sink writes the steps in the transaction of its upsert (``SqlStore.upsert_entries``):
it reads the rows about to be replaced in one query per batch, computes each step here,
then writes them with the entries. A step is keyed by (entry id, version) and inserted
with ON CONFLICT DO NOTHING, so a repeated push records nothing twice.

Postgres sees only the versions it is pushed. When an entry is edited several times
while Postgres is unreachable, Redis keeps only the newest version, and Postgres later
records one step from the version it held to that newest one, by whoever made it:
the intermediate versions collapse into that step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from core.domain.entry import TimeEntry

AUDITED_FIELDS = (
    "job_id", "job_name", "work_date", "start_time", "end_time", "lunch_start", "lunch_end",
    "total_hours", "notes", "change_order", "deleted",
)  # fmt: skip

CREATE, EDIT, DELETE = "create", "edit", "delete"


@dataclass(frozen=True, slots=True)
class AuditStep:
    """One recorded change of an entry.

    ``changes`` maps each changed field to ``[old, new]`` as JSON values (dates and times
    as ISO text, hours as a decimal string); a create has ``old`` None for every field.
    """

    entry_id: str
    version: int
    team_id: str
    user_id: str
    action: str
    actor: str
    at: datetime
    changes: dict[str, list[Any]]


def audit_value(value: Any) -> Any:
    """A field's value as JSON can hold it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, Decimal):
        return str(value.quantize(_CENTS))
    return value


_CENTS = Decimal("0.01")


def _day(value: date) -> str:
    return value.isoformat()


def _clock(value: time | None) -> str | None:
    return None if value is None else value.isoformat(timespec="minutes")


def _hours(value: Decimal) -> str:
    return str(value.quantize(_CENTS))


def _same(value: Any) -> Any:
    return value


# Per-field converters: the drain audits thousands of entries a second, so no type dispatch.
_AS_JSON: dict[str, Callable[[Any], Any]] = {
    "work_date": _day, "start_time": _clock, "end_time": _clock, "lunch_start": _clock, "lunch_end": _clock,
    "total_hours": _hours,
}  # fmt: skip
_Converter = Callable[[Any], Any]
_CONVERTERS: tuple[tuple[str, _Converter], ...] = tuple((name, _AS_JSON.get(name, _same)) for name in AUDITED_FIELDS)


def _action(entry: TimeEntry, held: Mapping[str, Any] | None) -> str:
    if entry.deleted and (held is None or not held["deleted"]):
        return DELETE
    return CREATE if held is None else EDIT


def audit_steps(entries: Iterable[TimeEntry], held: Mapping[str, Mapping[str, Any]]) -> list[AuditStep]:
    """The steps for pushing ``entries`` onto the rows Postgres ``held`` (id -> column values).

    An entry whose version Postgres already holds (or a newer one) makes no step.
    """
    steps: list[AuditStep] = []
    for entry in entries:
        old = held.get(entry.id)
        if old is not None and int(old["version"]) >= entry.version:
            continue
        if old is None:  # a create: the initial values
            changes = {name: [None, convert(getattr(entry, name))] for name, convert in _CONVERTERS}
        else:
            changes = {}
            for name, convert in _CONVERTERS:
                new_value, old_value = convert(getattr(entry, name)), convert(old[name])
                if old_value != new_value:
                    changes[name] = [old_value, new_value]
        steps.append(
            AuditStep(
                entry_id=entry.id,
                version=entry.version,
                team_id=entry.slack_team_id,
                user_id=entry.slack_user_id,
                action=_action(entry, old),
                actor=entry.changed_by,
                at=entry.updated_at,
                changes=changes,
            )
        )
    return steps
