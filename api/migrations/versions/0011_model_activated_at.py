"""model_versions.activated_at: when a version last became the active one

A version serves from its activation until another version is activated: the models page
(``/manage/models``) and ``GET /api/v1/models/{id}`` count what was shown in that period and
what members did with it (:mod:`api.services.model_figures`). Set by
:func:`api.services.serving.activate_version` each time a version becomes active.

Existing rows: the active version gets its ``finished_at`` (the moment a trained version was
activated, unless an admin switched to it later: the best this database knows); the others
stay NULL, as nobody recorded when they served.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True))
    versions = sa.table(
        "model_versions",
        sa.column("active", sa.Boolean()),
        sa.column("finished_at", sa.DateTime(timezone=True)),
        sa.column("activated_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        versions.update()
        .where(versions.c.active.is_(True))
        .values(activated_at=versions.c.finished_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_column("activated_at")
