"""manager tools: who changed an entry, its audit trail, week approvals, reminder settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # Nullable: rows written before this revision do not know who made them.
    with op.batch_alter_table("time_entries") as batch:
        batch.add_column(sa.Column("updated_by", sa.String(32), nullable=True))
    op.create_table(
        "entry_audit",
        sa.Column("entry_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("actor", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "version"),  # one step per version: pushes are idempotent
    )
    op.create_table(
        "week_approvals",
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("approved_by", sa.String(32), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reopened_by", sa.String(32), nullable=True),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("team_id", "user_id", "week_start"),
    )
    op.create_index("ix_week_approvals_week", "week_approvals", ["week_start"])
    op.create_table(
        "approval_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("actor", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_approval_audit_week", "approval_audit", ["team_id", "user_id", "week_start"])
    op.create_table(
        "reminder_settings",
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("remind_at", sa.Time(), nullable=False),
        sa.Column("updated_by", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("reminder_settings")
    op.drop_index("ix_approval_audit_week", "approval_audit")
    op.drop_table("approval_audit")
    op.drop_index("ix_week_approvals_week", "week_approvals")
    op.drop_table("week_approvals")
    op.drop_table("entry_audit")
    with op.batch_alter_table("time_entries") as batch:
        batch.drop_column("updated_by")
