"""Reporting: the records its consumer could not apply (dead letters), kept whole for inspection and replay,
and when the consumer last advanced (heartbeats, for readiness).

Revision ID: p0002
"""

from alembic import op

from shared.messaging.tables import consumer_heartbeats_columns_v1, dead_letters_columns_v1

revision = "p0002"
down_revision = "p0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("dead_letters", *dead_letters_columns_v1())
    op.create_table("consumer_heartbeats", *consumer_heartbeats_columns_v1())


def downgrade() -> None:
    op.drop_table("consumer_heartbeats")
    op.drop_table("dead_letters")
