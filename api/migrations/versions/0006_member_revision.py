"""members.revision: optimistic concurrency for member edits

Two concurrent edits of one member overwrote each other silently. Every change of a member's
profile or contacts now increases its revision; a write names the revision it was based on
(`If-Match`), and a stale one is refused with the current version.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 02:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    # Not batch mode, as in 0002: a batch drop on SQLite would recreate `members` and cascade.
    op.drop_column("members", "revision")
