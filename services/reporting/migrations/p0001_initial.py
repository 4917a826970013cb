"""Reporting read models.

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
    op.create_table(
        "rp_events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("participant_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("org_unit", sa.String(64), nullable=False),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_agency", sa.String(100), nullable=False),
        sa.Column("source_key_id", sa.String(64), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_rp_events_participant", "rp_events", ["participant_id"])
    op.create_table(
        "rp_contrib",
        sa.Column("participant_id", sa.String(36), primary_key=True),
        sa.Column("org_unit", sa.String(64), primary_key=True),
        sa.Column("metric", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "rp_daily",
        sa.Column("org_unit", sa.String(64), primary_key=True),
        sa.Column("metric", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_rp_daily_day", "rp_daily", ["day"])
    op.create_table(
        "rp_stats",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("rp_stats", "rp_daily", "rp_contrib", "rp_events", "consumer_offsets"):
        op.drop_table(table)
