"""Registration's tables: its event store, outbox, idempotency replies and two lookup tables."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Date, Index, MetaData, String, Table

from shared.eventstore import EventStore, events_table, idempotency_table
from shared.hierarchy_store import org_unit_changes_table
from shared.messaging.tables import outbox_table

VERSIONS = Path(__file__).resolve().parent / "migrations"

metadata = MetaData()
events = events_table(metadata)
idempotency = idempotency_table(metadata)
outbox = outbox_table(metadata)
org_unit_changes = org_unit_changes_table(metadata)  # the hierarchy's changes (shared.hierarchy_store)

# Who is who, for duplicate detection: normalized name + birth date + org unit, unique.
identities = Table(
    "identities", metadata,
    Column("identity", String(400), primary_key=True),
    Column("participant_id", String(36), nullable=False),
)

# Likely duplicates (services/registration/duplicates.py): each live participant's folded name + birth date and
# normalised phone, with its commune; looked up by key, then kept when the commune is in the same district.
duplicate_keys = Table(
    "duplicate_keys", metadata,
    Column("key", String(300), primary_key=True),
    Column("participant_id", String(36), primary_key=True),
    Column("org_unit", String(64), nullable=False),
    Index("ix_duplicate_keys_participant", "participant_id"),
)
# The list endpoint's view, kept in the same transaction as the events it summarizes.
participant_list = Table(
    "participant_list", metadata,
    Column("participant_id", String(36), primary_key=True),
    Column("org_unit", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("full_name", String(200), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("sector", String(40), nullable=True),
    Index("ix_participant_list_org_status", "org_unit", "status"),
)

event_store = EventStore(events, idempotency)
