"""integration settings, tool fingerprints, incident recovery, maintenance windows

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db.types


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'maintenance_window',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('company_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('starts_at', core.db.types.UTCDateTime(), nullable=True),
        sa.Column('ends_at', core.db.types.UTCDateTime(), nullable=True),
        sa.Column('weekly', sa.JSON(), nullable=True),
        sa.Column('cron', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column('duration_minutes', sa.Integer(), nullable=True),
        sa.Column('match_assets', sa.JSON(), nullable=True),
        sa.Column('match_signatures', sa.JSON(), nullable=True),
        sa.Column('match_labels', sa.JSON(), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('created_at', core.db.types.UTCDateTime(), nullable=False),
        sa.Column('updated_at', core.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('maintenance_window', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maintenance_window_company_id'), ['company_id'], unique=False)

    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.add_column(sa.Column('integration_settings', sa.JSON(), nullable=True))

    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.alter_column(
            'fingerprint',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            type_=sqlmodel.sql.sqltypes.AutoString(length=255),
            existing_nullable=False,
        )
        batch_op.add_column(
            sa.Column('maintenance_window_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        # Flap detection counts a series' recent recoveries.
        batch_op.create_index('ix_alert_series', ['company_id', 'fingerprint', 'received_at'], unique=False)

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', core.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(
            sa.Column('awaiting_confirmation', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('flapping_series', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('flapping_series')
        batch_op.drop_column('awaiting_confirmation')
        batch_op.drop_column('resolved_by')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('resolution')

    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_series')
        batch_op.drop_column('maintenance_window_id')
        batch_op.alter_column(
            'fingerprint',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=255),
            type_=sqlmodel.sql.sqltypes.AutoString(length=64),
            existing_nullable=False,
        )

    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.drop_column('integration_settings')

    with op.batch_alter_table('maintenance_window', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maintenance_window_company_id'))

    op.drop_table('maintenance_window')
