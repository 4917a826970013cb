"""Support: event store, idempotency, outbox, consumer offsets, view of registration.

Revision ID: s0001
"""

import sqlalchemy as sa
from alembic import op

from shared.eventstore import events_columns_v1, idempotency_columns_v1
from shared.messaging.tables import consumer_offsets_columns_v1, outbox_columns_v1

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("events", *events_columns_v1())
    op.create_table("idempotency", *idempotency_columns_v1())
    op.create_table("outbox", *outbox_columns_v1())
    op.create_table("consumer_offsets", *consumer_offsets_columns_v1())
    op.create_table(
        "registration_facts",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("participant_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("org_unit", sa.String(64), nullable=False),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_registration_facts_participant", "registration_facts", ["participant_id"])
    op.create_table(
        "known_participants",
        sa.Column("participant_id", sa.String(36), primary_key=True),
        sa.Column("org_unit", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("sector", sa.String(40), nullable=True),
    )


def downgrade() -> None:
    for table in ("known_participants", "registration_facts", "consumer_offsets", "outbox", "idempotency",
                  "events"):
        op.drop_table(table)
