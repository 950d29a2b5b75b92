"""insights_results: cluster insights computed in the background, shared by every worker

The first request for the insights computed them within the request, blocking a worker for
30 s and more on the sample cluster, and every worker computed them again for itself. A
background job now computes each network's insights once per model version and data revision
and stores the figures with their renderings here; requests only read them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 03:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "insights_results",
        sa.Column("result_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("network_id", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("data_revision", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_status", sa.Integer(), nullable=True),
        sa.Column("trainer", sa.String(length=200), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("member_ids", sa.LargeBinary(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("charts", sa.LargeBinary(), nullable=True),
        sa.Column("reports", sa.LargeBinary(), nullable=True),
        sa.Column("tables", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_version"], ["model_versions.version_id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("result_id"),
        sa.UniqueConstraint(
            "network_id", "model_version", "data_revision", name="uq_insights_results_key"
        ),
        # Ids are never reused on SQLite either: workers cache results by id.
        sqlite_autoincrement=True,
    )
    # Batch mode, as everywhere (SQLite alters tables by copying them).
    with op.batch_alter_table("insights_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_insights_results_network_id"), ["network_id"])


def downgrade() -> None:
    with op.batch_alter_table("insights_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insights_results_network_id"))
    op.drop_table("insights_results")
