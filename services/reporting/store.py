"""Reporting's read models: every event received, each participant's contributions, daily sums."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

from shared.messaging.tables import consumer_offsets_table

VERSIONS = Path(__file__).resolve().parent / "migrations"

metadata = MetaData()
consumer_offsets = consumer_offsets_table(metadata)

# Every event received (duplicates dropped by id): the timeline, provenance and recomputation source.
events = Table(
    "rp_events", metadata,
    Column("event_id", String(36), primary_key=True),
    Column("participant_id", String(36), nullable=False),
    Column("type", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("org_unit", String(64), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("source_agency", String(100), nullable=False),
    Column("source_key_id", String(64), nullable=False),
    Column("service", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_rp_events_participant", "participant_id"),
)

# What each participant adds to each figure on each day (see domain.contributions).
contributions = Table(
    "rp_contrib", metadata,
    Column("participant_id", String(36), primary_key=True),
    Column("org_unit", String(64), primary_key=True),
    Column("metric", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("amount", BigInteger, nullable=False),
)

# Sum of contributions per unit, figure and day: a summary adds up rows dated on or before as_of.
daily = Table(
    "rp_daily", metadata,
    Column("org_unit", String(64), primary_key=True),
    Column("metric", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Index("ix_rp_daily_day", "day"),
)

stats = Table(
    "rp_stats", metadata,
    Column("name", String(100), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
