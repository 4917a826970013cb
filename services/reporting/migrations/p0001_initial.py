"""Reporting: consumer offsets and the active read-model generation (read models themselves are
derived tables created per generation by services/reporting/store.py).

Revision ID: p0001
"""

import sqlalchemy as sa
from alembic import op

from shared.messaging.tables import consumer_offsets_columns_v1

revision = "p0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("consumer_offsets", *consumer_offsets_columns_v1())
    generation = op.create_table(
        "rp_generation",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("active", sa.Integer, nullable=False),
    )
    op.bulk_insert(generation, [{"id": 1, "active": 1}])


def downgrade() -> None:
    op.drop_table("rp_generation")
    op.drop_table("consumer_offsets")
