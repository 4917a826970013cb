"""Registration: event store, idempotency, outbox, identities, participant list.

Revision ID: r0001
"""

import sqlalchemy as sa
from alembic import op

from shared.eventstore import events_columns_v1, idempotency_columns_v1
from shared.messaging.tables import outbox_columns_v1

revision = "r0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("events", *events_columns_v1())
    op.create_table("idempotency", *idempotency_columns_v1())
    op.create_table("outbox", *outbox_columns_v1())
    op.create_table(
        "identities",
        sa.Column("identity", sa.String(400), primary_key=True),
        sa.Column("participant_id", sa.String(36), nullable=False),
    )
    op.create_table(
        "participant_list",
        sa.Column("participant_id", sa.String(36), primary_key=True),
        sa.Column("org_unit", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("sector", sa.String(40), nullable=True),
    )
    op.create_index("ix_participant_list_org_status", "participant_list", ["org_unit", "status"])


def downgrade() -> None:
    for table in ("participant_list", "identities", "outbox", "idempotency", "events"):
        op.drop_table(table)
