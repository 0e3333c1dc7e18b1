"""indexes for the KPI queries and the alert stream: alerts by incident and series, a company's alerts by
time carrying what the KPIs count (PostgreSQL: read from the index alone), incidents by when they opened,
runbook runs by when they were requested

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index("ix_alert_incident_series", ["incident_id", "fingerprint", "received_at"])
        batch_op.drop_index("ix_alert_company_received")
        batch_op.create_index(
            "ix_alert_company_received",
            ["company_id", "received_at"],
            postgresql_include=["incident_id", "disposition", "fingerprint"],
        )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index("ix_incident_company_created", ["company_id", "created_at"])
    with op.batch_alter_table("remediation_run", schema=None) as batch_op:
        batch_op.create_index("ix_remediation_run_company_requested", ["company_id", "requested_at"])


def downgrade() -> None:
    with op.batch_alter_table("remediation_run", schema=None) as batch_op:
        batch_op.drop_index("ix_remediation_run_company_requested")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_company_created")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_company_received")
        batch_op.create_index("ix_alert_company_received", ["company_id", "received_at"])
        batch_op.drop_index("ix_alert_incident_series")
