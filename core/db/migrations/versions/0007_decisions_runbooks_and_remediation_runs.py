"""decisions, runbooks and remediation runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db.types


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("incident_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("asset_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("runbook_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reasoning", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("tokens_used", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_decision_company_asset", ["company_id", "asset_name", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_decision_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "llm_usage",
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("day", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "day"),
    )
    op.create_table(
        "remediation_run",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("incident_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("asset_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("runbook_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("approval", sa.JSON(), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=True),
        sa.Column("requested_at", core.db.types.UTCDateTime(), nullable=False),
        sa.Column("started_at", core.db.types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", core.db.types.UTCDateTime(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("remediation_run", schema=None) as batch_op:
        batch_op.create_index(
            "ix_remediation_run_asset",
            ["company_id", "asset_name", "runbook_id", "requested_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_remediation_run_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(
            "ix_remediation_run_signature", ["company_id", "signature", "requested_at"], unique=False
        )

    op.create_table(
        "runbook",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("signatures", sa.JSON(), nullable=True),
        sa.Column("risk_level", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("executor", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=True),
        sa.Column("rollback_actions", sa.JSON(), nullable=True),
        sa.Column("pre_check", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("post_check", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.Column("auto_approve", sa.Boolean(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", core.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", core.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("runbook", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runbook_company_id"), ["company_id"], unique=False)

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("remediation", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("remediation")
        batch_op.drop_column("decision")

    with op.batch_alter_table("runbook", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runbook_company_id"))

    op.drop_table("runbook")
    with op.batch_alter_table("remediation_run", schema=None) as batch_op:
        batch_op.drop_index("ix_remediation_run_signature")
        batch_op.drop_index(batch_op.f("ix_remediation_run_incident_id"))
        batch_op.drop_index("ix_remediation_run_asset")

    op.drop_table("remediation_run")
    op.drop_table("llm_usage")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_incident_id"))
        batch_op.drop_index("ix_decision_company_asset")

    op.drop_table("decision")
