"""Access database: a dashboard account may be bound to an agency and a kind (union/bank/business), so
that the person writes what a key of that agency, kind and scope may (NULL: the account only reads).

Revision ID: a0004
Revises: a0003
"""

import sqlalchemy as sa
from alembic import op

revision = "a0004"
down_revision = "a0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("agency", sa.String(100), nullable=True))
    op.add_column("users", sa.Column("kind", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("kind")
        batch.drop_column("agency")
