"""incident SLA clocks, acknowledgement and escalation level

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_at", core.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("acknowledged_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(sa.Column("escalated", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        for column in ("escalation_level", "escalated", "acknowledged_by", "acknowledged_at", "sla"):
            batch_op.drop_column(column)
