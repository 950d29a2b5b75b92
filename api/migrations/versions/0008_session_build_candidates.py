"""match_session_candidates: a rebuilt agenda waits for confirmation before it replaces one

A rebuild from the page whose form had forgotten "also plan suggestions nobody marked" replaced
an agenda of 960 meetings by one of 4, without a word. A build that would plan markedly fewer
meetings than the current agenda, or drop a meeting a participant marked "must", is now kept
here, beside the untouched session, until the manager replaces the agenda with it or keeps the
current one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_session_candidates",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("base_revision", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.JSON(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["match_sessions.session_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.user_id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("session_id"),
    )


def downgrade() -> None:
    op.drop_table("match_session_candidates")
