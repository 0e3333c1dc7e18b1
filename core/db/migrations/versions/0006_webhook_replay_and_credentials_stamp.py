"""single-use webhook signatures, credentials stamp for cache invalidation across API processes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db.types


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'webhook_signature',
        sa.Column('company_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('signature_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('delivery_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('expires_at', core.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('company_id', 'signature_digest'),
    )
    with op.batch_alter_table('webhook_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_signature_expires_at'), ['expires_at'], unique=False)

    stamp = op.create_table(
        'credentials_stamp',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(stamp, [{'id': 1, 'version': 0}])


def downgrade() -> None:
    op.drop_table('credentials_stamp')
    with op.batch_alter_table('webhook_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_signature_expires_at'))
    op.drop_table('webhook_signature')
