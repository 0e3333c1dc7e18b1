"""on-call schedules, escalation chains, and an index for assigning incidents

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db.types


revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owned_columns() -> list[sa.Column]:
    return [
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", core.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", core.db.types.UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "oncall_schedule",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("layers", sa.JSON(), nullable=True),
        sa.Column("overrides", sa.JSON(), nullable=True),
        *_owned_columns(),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("oncall_schedule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_schedule_company_id"), ["company_id"], unique=False)

    op.create_table(
        "escalation_chain",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=True),
        *_owned_columns(),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id"),
    )

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index("ix_incident_assignee", ["assigned_to", "status", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_assignee")
    op.drop_table("escalation_chain")
    with op.batch_alter_table("oncall_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_schedule_company_id"))
    op.drop_table("oncall_schedule")
