"""Support's tables: its event store and outbox, and its own view of registration's participants."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Date, DateTime, Index, MetaData, String, Table, Text

from shared.eventstore import EventStore, events_table, idempotency_table
from shared.hierarchy_store import org_unit_changes_table
from shared.messaging.tables import consumer_heartbeats_table, consumer_offsets_table, dead_letters_table, outbox_table

VERSIONS = Path(__file__).resolve().parent / "migrations"

metadata = MetaData()
events = events_table(metadata)
idempotency = idempotency_table(metadata)
outbox = outbox_table(metadata)
org_unit_changes = org_unit_changes_table(metadata)  # the hierarchy's changes (shared.hierarchy_store)
consumer_offsets = consumer_offsets_table(metadata)
dead_letters = dead_letters_table(metadata)
consumer_heartbeats = consumer_heartbeats_table(metadata)

# Registration's events as consumed from Kafka (never read from registration's database).
registration_facts = Table(
    "registration_facts", metadata,
    Column("event_id", String(36), primary_key=True),
    Column("participant_id", String(36), nullable=False),
    Column("type", String(64), nullable=False),
    Column("org_unit", String(64), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_registration_facts_participant", "participant_id"),
)

known_participants = Table(
    "known_participants", metadata,
    Column("participant_id", String(36), primary_key=True),
    Column("org_unit", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("sector", String(40), nullable=True),
)

event_store = EventStore(events, idempotency)
