"""notification outbox: notices written with the change they announce, their email and Slack still to send

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db.types


revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("notification_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("created_at", core.db.types.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", core.db.types.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("notification_key"),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_notification_outbox_due", ["next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_outbox_due")
    op.drop_table("notification_outbox")
