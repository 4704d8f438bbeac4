"""time_entries and jobs

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "time_entries",
        sa.Column("id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("slack_team_id", sa.String(32), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("user_email", sa.String(320), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("job_name", sa.String(200), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("lunch_start", sa.Time(), nullable=True),
        sa.Column("lunch_end", sa.Time(), nullable=True),
        sa.Column("total_hours", sa.Numeric(5, 2), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("change_order", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("zoho_id", sa.String(64), nullable=True),
        sa.Column("zoho_synced_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_time_entries_user_date", "time_entries", ["slack_user_id", "work_date"])
    op.create_index("ix_time_entries_job_id", "time_entries", ["job_id"])
    op.create_index("ix_time_entries_work_date", "time_entries", ["work_date"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("zoho_job_id", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("jobs")
    op.drop_index("ix_time_entries_work_date", "time_entries")
    op.drop_index("ix_time_entries_job_id", "time_entries")
    op.drop_index("ix_time_entries_user_date", "time_entries")
    op.drop_table("time_entries")
