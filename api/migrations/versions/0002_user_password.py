"""users.password_hash: an optional password for the manager pages

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot alter tables in place (PostgreSQL simply adds the column).
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite a batch drop_column copies the table and drops the old one,
    # and with foreign keys on, dropping `users` deletes every token (ON DELETE CASCADE).
    # SQLite has dropped columns in place since 3.35.
    op.drop_column("users", "password_hash")
