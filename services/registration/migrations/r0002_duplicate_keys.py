"""Registration: the keys of likely duplicates (folded name + birth date, normalised phone), filled from the
live registrations already recorded.

Revision ID: r0002
"""

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from services.registration.duplicates import keys

    table = op.create_table(
        "duplicate_keys",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("participant_id", sa.String(36), primary_key=True),
        sa.Column("org_unit", sa.String(64), nullable=False),
    )
    op.create_index("ix_duplicate_keys_participant", "duplicate_keys", ["participant_id"])
    events = sa.table("events", sa.column("event_id"), sa.column("participant_id"), sa.column("type"),
                      sa.column("org_unit"), sa.column("data"))
    conn = op.get_bind()
    retracted = {json.loads(row.data).get("retracted_event_id") for row in conn.execute(
        sa.select(events.c.data).where(events.c.type == "event.retracted"))}
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for row in conn.execute(sa.select(events).where(events.c.type == "participant.registered")):
        if row.event_id in retracted:
            continue
        data = json.loads(row.data)
        name = data.get("full_name", data.get("name"))  # v1 payloads had `name`
        for key in keys(name, date.fromisoformat(data["birth_date"]), data.get("phone")).values():
            rows[(key, row.participant_id)] = {"key": key, "participant_id": row.participant_id,
                                               "org_unit": row.org_unit}
    if rows:
        op.bulk_insert(table, list(rows.values()))


def downgrade() -> None:
    op.drop_table("duplicate_keys")
