"""company AWS access for runbook executors: role to assume, external id, region, encrypted keys

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("aws_role_arn", sqlmodel.sql.sqltypes.AutoString(length=2048)),
    ("aws_external_id", sqlmodel.sql.sqltypes.AutoString(length=1224)),
    ("aws_region", sqlmodel.sql.sqltypes.AutoString(length=40)),
    ("aws_access_key_id_encrypted", sqlmodel.sql.sqltypes.AutoString()),
    ("aws_secret_access_key_encrypted", sqlmodel.sql.sqltypes.AutoString()),
)


def upgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
