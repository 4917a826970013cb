"""Append-only event store of a write service, with per-participant versions and idempotent replies.

Optimistic concurrency: each event takes the next `sequence` of its participant's stream, and the
unique (participant_id, sequence) index turns a concurrent write into a conflict instead of a fork.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from shared.events import Envelope, Source


def events_columns_v1() -> list[Any]:
    return [
        Column("event_id", String(36), primary_key=True),
        Column("participant_id", String(36), nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("type", String(64), nullable=False),
        Column("version", Integer, nullable=False),
        Column("org_unit", String(64), nullable=False),
        Column("occurred_on", Date, nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("source_agency", String(100), nullable=False),
        Column("source_key_id", String(64), nullable=False),
        Column("data", Text, nullable=False),
        UniqueConstraint("participant_id", "sequence", name="uq_events_stream"),
        Index("ix_events_org_unit", "org_unit"),
    ]


def idempotency_columns_v1() -> list[Any]:
    return [
        Column("key_id", String(64), primary_key=True),
        Column("idempotency_key", String(200), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status", Integer, nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    ]


def events_table(metadata: MetaData) -> Table:
    return Table("events", metadata, *events_columns_v1())


def idempotency_table(metadata: MetaData) -> Table:
    return Table("idempotency", metadata, *idempotency_columns_v1())


class ConcurrentWrite(Exception):
    """Another request appended to the same stream first."""


@dataclass(frozen=True)
class StoredReply:
    request_hash: str
    status: int
    body: dict[str, Any]


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, default=_json_default, sort_keys=True)


class EventStore:
    def __init__(self, events: Table, idempotency: Table) -> None:
        self.events = events
        self.idempotency = idempotency
        # the statements of every write, built once: building one per call cost more Python than running it
        self._insert = insert(events)
        self._last_sequence = select(func.max(events.c.sequence)).where(
            events.c.participant_id == bindparam("participant_id"))

    def stream(self, conn: Connection, participant_id: str) -> list[Envelope]:
        rows = conn.execute(select(self.events).where(self.events.c.participant_id == participant_id)
                            .order_by(self.events.c.sequence)).all()
        return [self._envelope(r) for r in rows]

    def get(self, conn: Connection, event_id: str) -> Envelope | None:
        row = conn.execute(select(self.events).where(self.events.c.event_id == event_id)).first()
        return self._envelope(row) if row else None

    def last_sequence(self, conn: Connection, participant_id: str) -> int:
        """The stream's last `sequence` (0 for none): what a write that needs no earlier event reads, through
        the (participant_id, sequence) index, instead of the whole stream."""
        last = conn.execute(self._last_sequence, {"participant_id": participant_id}).scalar()
        return int(last or 0)

    def append(self, conn: Connection, envelopes: Iterable[Envelope]) -> None:
        """Insert events whose `sequence` was set from the stream as read; a taken slot is a conflict. No
        savepoint (two more statements a write): a ConcurrentWrite ends the transaction, which the caller
        rolls back and runs again (run_write)."""
        for envelope in envelopes:
            try:
                conn.execute(self._insert, {
                    "event_id": envelope.event_id, "participant_id": envelope.participant_id,
                    "sequence": envelope.sequence, "type": envelope.type, "version": envelope.version,
                    "org_unit": envelope.org_unit, "occurred_on": envelope.occurred_on,
                    "recorded_at": envelope.recorded_at, "source_agency": envelope.source.agency,
                    "source_key_id": envelope.source.key_id, "data": dumps(envelope.data)})
            except IntegrityError as exc:
                raise ConcurrentWrite(envelope.participant_id) from exc

    def append_many(self, conn: Connection, envelopes: list[Envelope]) -> None:
        """As `append`, in one statement executed many times (an import's thousands of events)."""
        if not envelopes:
            return
        try:
            conn.execute(self._insert, [{
                "event_id": e.event_id, "participant_id": e.participant_id, "sequence": e.sequence, "type": e.type,
                "version": e.version, "org_unit": e.org_unit, "occurred_on": e.occurred_on,
                "recorded_at": e.recorded_at, "source_agency": e.source.agency, "source_key_id": e.source.key_id,
                "data": dumps(e.data)} for e in envelopes])
        except IntegrityError as exc:
            raise ConcurrentWrite("a stream of this batch") from exc

    def last_sequences(self, conn: Connection, participant_ids: list[str]) -> dict[str, int]:
        """`last_sequence` of many streams at once (those with no event are left out)."""
        found: dict[str, int] = {}
        for start in range(0, len(participant_ids), 500):
            chunk = participant_ids[start:start + 500]
            for participant_id, last in conn.execute(
                    select(self.events.c.participant_id, func.max(self.events.c.sequence))
                    .where(self.events.c.participant_id.in_(chunk)).group_by(self.events.c.participant_id)):
                found[participant_id] = int(last)
        return found

    def envelopes(self, conn: Connection, event_ids: list[str]) -> list[Envelope]:
        """These events, each participant's in stream order."""
        rows = conn.execute(select(self.events).where(self.events.c.event_id.in_(event_ids))
                            .order_by(self.events.c.participant_id, self.events.c.sequence)).all()
        return [self._envelope(r) for r in rows]

    def _envelope(self, row: Any) -> Envelope:
        recorded_at = row.recorded_at
        if recorded_at.tzinfo is None:  # SQLite returns naive datetimes
            recorded_at = recorded_at.replace(tzinfo=UTC)
        return Envelope(type=row.type, version=row.version, participant_id=row.participant_id,
                        org_unit=row.org_unit, occurred_on=row.occurred_on,
                        source=Source(row.source_agency, row.source_key_id), data=json.loads(row.data),
                        event_id=row.event_id, recorded_at=recorded_at, sequence=row.sequence)

    # --- idempotency ------------------------------------------------------------------------------
    @staticmethod
    def request_hash(method: str, path: str, body: bytes) -> str:
        return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()

    def stored_reply(self, conn: Connection, key_id: str, idempotency_key: str) -> StoredReply | None:
        row = conn.execute(select(self.idempotency).where(
            self.idempotency.c.key_id == key_id, self.idempotency.c.idempotency_key == idempotency_key)).first()
        if row is None:
            return None
        return StoredReply(row.request_hash, row.status, json.loads(row.body))

    def claim(self, conn: Connection, key_id: str, idempotency_key: str, request_hash: str) -> None:
        """Take the key before doing the work; a racing twin waits on the primary key, then fails (and, as
        with append, rolls its transaction back)."""
        try:
            conn.execute(insert(self.idempotency).values(
                key_id=key_id, idempotency_key=idempotency_key, request_hash=request_hash,
                status=0, body="{}", created_at=datetime.now(UTC)))
        except IntegrityError as exc:
            raise ConcurrentWrite(idempotency_key) from exc

    def complete(self, conn: Connection, key_id: str, idempotency_key: str, status: int,
                 body: dict[str, Any]) -> None:
        conn.execute(update(self.idempotency).where(
            self.idempotency.c.key_id == key_id, self.idempotency.c.idempotency_key == idempotency_key)
            .values(status=status, body=dumps(body)))
