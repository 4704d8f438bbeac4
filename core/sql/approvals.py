"""Week approvals in SQL: the current state per (team, user, week) and every approve/reopen step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, Insert, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.sql.models import ApprovalAuditRow, WeekApprovalRow

APPROVED, REOPENED = "approved", "reopened"


@dataclass(frozen=True, slots=True)
class Approval:
    """A crew member's week as managers left it: approved (locked) or reopened."""

    team_id: str
    user_id: str
    week_start: date
    status: str
    approved_by: str
    approved_at: datetime
    reopened_by: str | None = None
    reopened_at: datetime | None = None

    @property
    def approved(self) -> bool:
        return self.status == APPROVED


@dataclass(frozen=True, slots=True)
class ApprovalStep:
    """One approve or reopen, as the approval audit keeps it."""

    team_id: str
    user_id: str
    week_start: date
    action: str  # approve | reopen
    actor: str
    at: datetime


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _approval(row: WeekApprovalRow) -> Approval:
    return Approval(
        team_id=row.team_id,
        user_id=row.user_id,
        week_start=row.week_start,
        status=row.status,
        approved_by=row.approved_by,
        approved_at=_aware(row.approved_at),
        reopened_by=row.reopened_by,
        reopened_at=None if row.reopened_at is None else _aware(row.reopened_at),
    )


class ApprovalStore:
    """week_approvals and approval_audit; each change and its audit step in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = postgresql if engine.dialect.name == "postgresql" else sqlite

    def approve(self, team_id: str, user_id: str, week_start: date, *, actor: str, at: datetime) -> Approval:
        stmt = self._dialect.insert(WeekApprovalRow).values(
            team_id=team_id, user_id=user_id, week_start=week_start, status=APPROVED, approved_by=actor, approved_at=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[WeekApprovalRow.team_id, WeekApprovalRow.user_id, WeekApprovalRow.week_start],
            set_={"status": APPROVED, "approved_by": actor, "approved_at": at},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)
            conn.execute(self._step(team_id, user_id, week_start, "approve", actor, at))
        found = self.get(team_id, user_id, week_start)
        assert found is not None
        return found

    def reopen(self, team_id: str, user_id: str, week_start: date, *, actor: str, at: datetime) -> Approval | None:
        """Mark an approved week reopened; None when it was never approved."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(WeekApprovalRow)
                .where(
                    WeekApprovalRow.team_id == team_id,
                    WeekApprovalRow.user_id == user_id,
                    WeekApprovalRow.week_start == week_start,
                )
                .values(status=REOPENED, reopened_by=actor, reopened_at=at)
            ).rowcount
            if not changed:
                return None
            conn.execute(self._step(team_id, user_id, week_start, "reopen", actor, at))
        return self.get(team_id, user_id, week_start)

    @staticmethod
    def _step(team_id: str, user_id: str, week_start: date, action: str, actor: str, at: datetime) -> Insert:
        return insert(ApprovalAuditRow).values(
            team_id=team_id, user_id=user_id, week_start=week_start, action=action, actor=actor, at=at
        )

    def get(self, team_id: str, user_id: str, week_start: date) -> Approval | None:
        with Session(self.engine) as session:
            row = session.get(WeekApprovalRow, (team_id, user_id, week_start))
            return None if row is None else _approval(row)

    def between(self, team_id: str, first: date, last: date, *, user_id: str | None = None) -> list[Approval]:
        """Approvals (approved or reopened) of weeks starting in [first, last]."""
        query = select(WeekApprovalRow).where(
            WeekApprovalRow.team_id == team_id, WeekApprovalRow.week_start.between(first, last)
        )
        if user_id is not None:
            query = query.where(WeekApprovalRow.user_id == user_id)
        with Session(self.engine) as session:
            return [_approval(r) for r in session.scalars(query.order_by(WeekApprovalRow.week_start))]

    def approved_since(self, first: date) -> list[Approval]:
        """Every week still approved that starts on or after ``first`` (all teams)."""
        query = select(WeekApprovalRow).where(WeekApprovalRow.week_start >= first, WeekApprovalRow.status == APPROVED)
        with Session(self.engine) as session:
            return [_approval(r) for r in session.scalars(query)]

    def steps(self, team_id: str, user_id: str, week_start: date) -> list[ApprovalStep]:
        """Every approve and reopen of one week, oldest first."""
        query = (
            select(ApprovalAuditRow)
            .where(
                ApprovalAuditRow.team_id == team_id,
                ApprovalAuditRow.user_id == user_id,
                ApprovalAuditRow.week_start == week_start,
            )
            .order_by(ApprovalAuditRow.id)
        )
        with Session(self.engine) as session:
            return [
                ApprovalStep(r.team_id, r.user_id, r.week_start, r.action, r.actor, _aware(r.at))
                for r in session.scalars(query)
            ]
