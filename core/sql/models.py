"""The permanent record: SQLAlchemy 2.0 typed models (Postgres; SQLite for the embedded default)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Index, Integer, Numeric, String, Text, Time, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# JSONB on Postgres (compact, queryable), plain JSON text on SQLite.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


class TimeEntryRow(Base):
    __tablename__ = "time_entries"

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    slack_team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    user_email: Mapped[str] = mapped_column(String(320), default="")
    job_id: Mapped[str] = mapped_column(String(64))
    job_name: Mapped[str] = mapped_column(String(200))
    work_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    lunch_start: Mapped[time | None] = mapped_column(Time, nullable=True)
    lunch_end: Mapped[time | None] = mapped_column(Time, nullable=True)
    total_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    notes: Mapped[str] = mapped_column(Text, default="")
    change_order: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    zoho_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    zoho_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Who made this version (Slack user id); NULL on rows written before the audit trail.
    updated_by: Mapped[str | None] = mapped_column(String(32), nullable=True)

    __table_args__ = (
        Index("ix_time_entries_user_date", "slack_user_id", "work_date"),
        Index("ix_time_entries_job_id", "job_id"),
        Index("ix_time_entries_work_date", "work_date"),
    )


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    zoho_job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class EntryAuditRow(Base):
    """One step of an entry's history: the version Postgres took, who made it, what changed.

    Versions that Redis superseded before Postgres saw them (Postgres was down) collapse
    into the step that replaced them: ``changes`` is against the row Postgres held.
    """

    __tablename__ = "entry_audit"

    entry_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))  # the entry's owner
    action: Mapped[str] = mapped_column(String(8))  # create | edit | delete
    actor: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changes: Mapped[dict[str, Any]] = mapped_column(JsonDocument)  # {field: [old, new]}


class WeekApprovalRow(Base):
    """A crew member's week as a manager approved (and maybe reopened) it: the source of truth."""

    __tablename__ = "week_approvals"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # approved | reopened
    approved_by: Mapped[str] = mapped_column(String(32))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reopened_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_week_approvals_week", "week_start"),)


class ApprovalAuditRow(Base):
    """Every approval and reopening, in order (week_approvals keeps only the latest of each)."""

    __tablename__ = "approval_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    week_start: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(8))  # approve | reopen
    actor: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_approval_audit_week", "team_id", "user_id", "week_start"),)


class ReminderSettingRow(Base):
    """Who wants a reminder to log hours, and when (local time); ``user_id`` "" is the whole team."""

    __tablename__ = "reminder_settings"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    remind_at: Mapped[time] = mapped_column(Time)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
