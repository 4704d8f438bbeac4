"""The permanent record: SQLAlchemy 2.0 typed models (Postgres; SQLite for the embedded default)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, Numeric, String, Text, Time, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
