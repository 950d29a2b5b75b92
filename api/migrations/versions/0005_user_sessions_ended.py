"""users.sessions_ended_at: sign-out ends every page session issued before it

A signed cookie saved before sign-out kept opening the manager pages until it expired; the
pages now refuse every cookie issued before this time.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 01:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sessions_ended_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    # Not batch mode, as in 0002: a batch drop on SQLite would recreate `users` and cascade.
    op.drop_column("users", "sessions_ended_at")
