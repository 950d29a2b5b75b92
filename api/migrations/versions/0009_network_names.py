"""networks.name_uk: networks get display names in English and Ukrainian

The pages, reports and exports named networks by their slugs ("What kharkiv-fashion-cluster
has...", "Учасник вашої мережі (kharkiv-fashion-cluster)"). A network now has a display name
in each language: ``name`` (English, as before) and ``name_uk``. ``name`` held a copy of the
slug for every network created so far, which is no name at all: it is emptied, so the network
is named by its slug as words ("Kharkiv Fashion Cluster") until someone names it
(``matcher db import --networks``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_uk", sa.String(length=200), nullable=False, server_default="")
        )
    op.execute("UPDATE networks SET name = '' WHERE name = network_id")


def downgrade() -> None:
    # Not batch mode, as in 0006: a batch drop on SQLite would recreate `networks`, which
    # `members` refers to.
    op.execute("UPDATE networks SET name = network_id WHERE name = ''")
    op.drop_column("networks", "name_uk")
