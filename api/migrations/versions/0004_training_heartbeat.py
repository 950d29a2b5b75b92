"""model_versions.trainer and heartbeat_at: who trains a version, and when it last said so

A version left ``training`` by a process that died (killed, out of memory, the machine restarted)
blocked every later retrain; with these the service recognises it and marks it failed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 00:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trainer", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("model_versions", "heartbeat_at")
    op.drop_column("model_versions", "trainer")
