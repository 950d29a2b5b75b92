"""member_invitations: one-time links that let a member firm choose its password

A manager (or an admin, or the ``matcher users invite`` command) invites a member to its pages
(``/my``): the link holds a one-time code, of which only the SHA-256 is stored here. The code
expires (``expires_at``), is void once used (``used_at``) or once a newer invitation replaces
it (``voided_at``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_invitations",
        sa.Column("invitation_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.member_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["issued_by"], ["users.user_id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("invitation_id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index(
        "ix_member_invitations_member_id", "member_invitations", ["member_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_member_invitations_member_id", table_name="member_invitations")
    op.drop_table("member_invitations")
