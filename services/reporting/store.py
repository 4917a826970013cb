"""Reporting's read models, in generations: a rebuild fills generation N+1 from offset 0 while N keeps
serving, then one row switches readers and the live consumer over.

Read-model tables are derived data, created per generation from this module (not by migrations):
a changed definition or layout is applied to all history by building a new generation.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    select,
    text,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from shared.db import schema_lock
from shared.hierarchy_store import org_unit_changes_table
from shared.messaging.tables import consumer_heartbeats_table, consumer_offsets_table, dead_letters_table

VERSIONS = Path(__file__).resolve().parent / "migrations"
CHUNK = 900  # bound parameters per IN (...) query, under SQLite's limit
HORIZON = "cumulative_horizon"  # stats row: the latest half-month (ordinal of its first day) with running totals

metadata = MetaData()
consumer_offsets = consumer_offsets_table(metadata)
dead_letters = dead_letters_table(metadata)
consumer_heartbeats = consumer_heartbeats_table(metadata)
org_unit_changes = org_unit_changes_table(metadata)  # the hierarchy's changes, of every generation alike
generations = Table(
    "rp_generation", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("active", Integer, nullable=False),
)


@dataclass(frozen=True)
class ReadModel:
    generation: int
    metadata: MetaData
    events: Table  # every event received (duplicates dropped by id), payload upcast to the current version
    daily: Table  # contributions summed per unit (with everything below it) and day, all figures in one row
    cumulative: Table  # the same summed from the start through each half-month (dated its first day)
    stats: Table  # counters, and the cumulative table's horizon
    loans: Table  # the events of loans (fundings that are loans, repayments, classifications, their retractions)
    consumer_name: str  # whose stored offsets say what these tables hold: named by layout and generation

    def create(self, engine: Engine) -> None:
        # consumer processes started together would otherwise all find a table missing and create it,
        # and all but one fail (seen on PostgreSQL)
        with schema_lock(engine) as conn:
            self.metadata.create_all(conn, checkfirst=True)
            conn.commit()

    def analyze(self, engine: Engine) -> None:
        """Planner statistics for freshly filled tables, before readers switch to them: on PostgreSQL, the
        first provenance query of a just-rebuilt generation took 12 s instead of 0.7 until autovacuum
        had analyzed it. (SQLite plans these queries well without statistics.)"""
        if engine.dialect.name != "postgresql":
            return
        with engine.connect() as conn:
            for table in self.metadata.sorted_tables:
                conn.exec_driver_sql(f"ANALYZE {table.name}")
            conn.commit()

    def drop(self, engine: Engine) -> None:
        with schema_lock(engine) as conn:
            self.metadata.drop_all(conn, checkfirst=True)
            conn.commit()


# Version of the tables below; changed with their columns, keys or meaning. A process running a new
# layout projects the whole log into new tables (the old ones stay until dropped).
LAYOUT = 7
REGISTERED = text("type = 'participant.registered'")
# The sums' rows are rewritten batch after batch. On PostgreSQL, pages kept half empty take the new version
# of a row beside the old one (a HOT update: no new index entry, the old version pruned in place): after
# 1,000,000 events, 86 % of the daily rows' updates were HOT instead of 44 %, and the tables took 24 MB
# and 4.5 MB instead of 28-30 and 11-13 (bench/consumers.py, 2026-12-03; no change in CPU per event).
SUMS_STORAGE: dict[str, Any] = {"postgresql_with": {"fillfactor": 50}}


def participant_keys(participant_ids: list[str]) -> list[int]:
    """participant_key of each id, for ids in canonical form (as envelopes hold them): their first 16
    hexadecimal digits converted at once, a fifth of a call per id; others are converted one by one."""
    n = len(participant_ids)
    heads = "".join([p[:18] for p in participant_ids])  # 'xxxxxxxx-xxxx-xxxx' each
    try:
        packed = bytes.fromhex(heads.replace("-", ""))
    except ValueError:
        packed = b""
    # hyphens where a UUID has them, and 16 hexadecimal digits around them (fromhex skips spaces: fewer)
    if len(heads) != 18 * n or heads[8::18] != "-" * n or heads[13::18] != "-" * n or len(packed) != 8 * n:
        return [participant_key(p) for p in participant_ids]
    return [number >> 4 for (number,) in struct.iter_unpack(">Q", packed)]


def participant_key(participant_id: str) -> int:
    """The indexed number of a participant: its id's first 60 bits. Several ids may share one (another
    string than a UUID, say), which is why lookups also compare participant_id; not hexadecimal: -1."""
    try:
        return int(participant_id[:8] + participant_id[9:13] + participant_id[14:17], 16)
    except ValueError:
        return -1


def of_participants(events: Table, participant_ids: list[str]) -> ColumnElement[bool]:
    """The events of these participants, through the participant_key index."""
    return and_(events.c.participant_key.in_([participant_key(p) for p in participant_ids]),
                events.c.participant_id.in_(participant_ids))


def registered_in(events: Table, units: list[str]) -> ColumnElement[bool]:
    """Registrations in these units, through the partial index: the participants of a unit."""
    return and_(events.c.type == "participant.registered", events.c.org_unit.in_(units))


@lru_cache(maxsize=16)
def read_model(generation: int) -> ReadModel:
    # the layout in the names: code with another layout finds no tables and no stored offsets, and fills
    # its own from the start of the log instead of misreading these
    g = f"_l{LAYOUT}_g{generation}"
    md = MetaData()
    events = Table(
        "rp_events" + g, md,
        # appended in arrival order; the projection drops repeated event ids itself (per participant), so
        # no unique index on the random event id slows every insert; and no key at all: nothing reads rows
        # by one, and on PostgreSQL a serial key cost every insert a sequence step and an index entry
        Column("event_id", String(36), nullable=False),
        Column("participant_id", String(36), nullable=False),
        # the participant id as a number (participant_key), indexed instead of the 36-character text: a
        # third of the index pages that every batch rewrites; lookups filter participant_id as well
        Column("participant_key", BigInteger, nullable=False),
        Column("type", String(64), nullable=False),
        Column("org_unit", String(64), nullable=False),
        Column("occurred_on", Date, nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("source_agency", String(100), nullable=False),
        Column("source_key_id", String(64), nullable=False),
        Column("service", String(40), nullable=False),
        Column("data", Text, nullable=False),
        Index(f"ix_rp_events_participant{g}", "participant_key"),
        # participants by unit: only registrations are indexed (a tenth of the events)
        Index(f"ix_rp_events_registered{g}", "org_unit", sqlite_where=REGISTERED, postgresql_where=REGISTERED),
    )
    # A unit's figures of one day (or half-month) in one row, as a JSON object {metric: amount} of the
    # non-zero ones: a batch rewrites a few hundred rows (units x days it touched) instead of one per
    # unit, day and metric, and a summary reads a few dozen.
    daily = Table(
        "rp_daily" + g, md,
        Column("org_unit", String(64), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("amounts", Text, nullable=False),
        sqlite_with_rowid=False,  # one B-tree per table: upserts by key touch it once
        **SUMS_STORAGE,
    )
    # Running totals: each figure summed from the start through the end of each half-month, kept up to the
    # horizon (the latest half-month with any figure), so that a figure at any date is one row of this
    # table plus at most 8 days of daily rows.
    cumulative = Table(
        "rp_cumulative" + g, md,
        Column("org_unit", String(64), primary_key=True),
        Column("period", Date, primary_key=True),  # a half-month, by its first day (the 1st or the 16th)
        Column("amounts", Text, nullable=False),
        sqlite_with_rowid=False,
        **SUMS_STORAGE,
    )
    stats = Table("rp_stats" + g, md, Column("name", String(100), primary_key=True),
                  Column("value", BigInteger, nullable=False), sqlite_with_rowid=False)
    # A copy of the loans' events, by the loan's unit: a portfolio is computed from them at read time
    # (services/reporting/loans.py), so a repayment projected before its funding simply waits for it.
    loans = Table(
        "rp_loans" + g, md,
        Column("event_id", String(36), nullable=False),
        Column("type", String(64), nullable=False),
        Column("participant_id", String(36), nullable=False),
        Column("org_unit", String(64), nullable=False),
        Column("occurred_on", Date, nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("source_agency", String(100), nullable=False),
        Column("data", Text, nullable=False),
        Index(f"ix_rp_loans_unit{g}", "org_unit"),
    )
    return ReadModel(generation, md, events, daily, cumulative, stats, loans, f"reporting-l{LAYOUT}-g{generation}")


def active_generation(conn: Connection) -> int:
    value = conn.execute(select(generations.c.active).where(generations.c.id == 1)).scalar()
    return int(value or 1)


def activate(conn: Connection, generation: int) -> None:
    conn.execute(update(generations).where(generations.c.id == 1).values(active=generation))


def horizon(conn: Connection, model: ReadModel) -> date | None:
    """The latest half-month (its first day) the running totals reach; None before any figure."""
    value = conn.execute(select(model.stats.c.value).where(model.stats.c.name == HORIZON)).scalar()
    return None if value is None else date.fromordinal(int(value))
