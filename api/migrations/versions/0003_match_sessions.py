"""match_sessions and match_session_participants: matchmaking sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_sessions",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("network_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("meetings_requested", sa.Integer(), nullable=False),
        sa.Column("meetings_accepted", sa.Integer(), nullable=False),
        sa.Column("meetings_held", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.user_id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("session_id"),
    )
    # Batch mode, as everywhere (SQLite alters tables by copying them).
    with op.batch_alter_table("match_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_sessions_network_id"), ["network_id"])
        batch_op.create_index(batch_op.f("ix_match_sessions_date"), ["date"])
        batch_op.create_index(batch_op.f("ix_match_sessions_state"), ["state"])

    op.create_table(
        "match_session_participants",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["match_sessions.session_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "member_id"),
    )
    with op.batch_alter_table("match_session_participants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_session_participants_member_id"), ["member_id"])


def downgrade() -> None:
    # The participants first: they refer to the sessions.
    with op.batch_alter_table("match_session_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_session_participants_member_id"))
    op.drop_table("match_session_participants")
    with op.batch_alter_table("match_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_sessions_state"))
        batch_op.drop_index(batch_op.f("ix_match_sessions_date"))
        batch_op.drop_index(batch_op.f("ix_match_sessions_network_id"))
    op.drop_table("match_sessions")
