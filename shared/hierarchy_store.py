"""Where a service keeps the hierarchy's changes (org_unit.changed, as registration recorded them or a consumer
learned them from Kafka) and the one source its code asks for the hierarchy: built once, rebuilt when a change
arrives."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, Connection, Date, DateTime, Engine, MetaData, String, Table, Text, func, insert, select

from shared.hierarchy import ChangeRequest, Hierarchy
from shared.orgunits import OrgTree

# How long a process trusts the hierarchy it built before asking its database whether a change arrived (one
# small query at most this often; changes are a few a year). TIENPHONG_HIERARCHY_REFRESH_SECONDS.
REFRESH_SECONDS = 1.0


def org_unit_changes_columns_v1() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("event_id", String(36), primary_key=True),
        Column("effective_on", Date, nullable=False),
        Column("decision", String(500), nullable=False),
        Column("changes", Text, nullable=False),  # the request's list of changes, as JSON
        Column("recorded_at", DateTime(timezone=True), nullable=False),
    ]


def org_unit_changes_table(metadata: MetaData) -> Table:
    return Table("org_unit_changes", metadata, *org_unit_changes_columns_v1())


def store_change(conn: Connection, table: Table, request: ChangeRequest, recorded_at: datetime) -> bool:
    """Keeps one change request (once: a redelivered event is recognized by its id). True when new."""
    if conn.execute(select(table.c.event_id).where(table.c.event_id == request.event_id)).first() is not None:
        return False
    conn.execute(insert(table).values(event_id=request.event_id, effective_on=request.effective_on,
                                      decision=request.decision, changes=json.dumps(list(request.changes)),
                                      recorded_at=recorded_at))
    return True


def store_delivered(conn: Connection, table: Table, deliveries: list[Any]) -> None:
    """Keeps the org_unit.changed events a consumer received (shared.messaging Deliveries), once each."""
    for delivery in deliveries:
        envelope = delivery.envelope
        request = ChangeRequest.from_data({name: delivery.data[name] for name in ("effective_on", "decision",
                                                                                   "changes")}, envelope.event_id)
        store_change(conn, table, request, envelope.recorded_at)


def stored_changes(conn: Connection, table: Table) -> list[ChangeRequest]:
    """Every change request, in recording order (the order within an effective date)."""
    rows = conn.execute(select(table).order_by(table.c.recorded_at, table.c.event_id)).all()
    return [ChangeRequest(r.effective_on, r.decision, tuple(json.loads(r.changes)), r.event_id) for r in rows]


class HierarchySource:
    """The hierarchy as this service knows it: the first version (the org-units file) and the stored changes.
    Cheap to ask: rebuilt only when the stored changes differ (checked at most every REFRESH_SECONDS)."""

    def __init__(self, engine: Engine | None, table: Table | None, first: OrgTree, start: date,
                 refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._engine, self._table = engine, table
        self.first, self.start = first, start
        self._refresh = refresh_seconds
        self._lock = threading.Lock()
        self._built = Hierarchy(first, start)
        self._signature: Any = (0, None)
        self._checked = float("-inf")

    def current(self) -> Hierarchy:
        if self._engine is None or self._table is None:
            return self._built
        now = time.monotonic()
        if now - self._checked < self._refresh:
            return self._built
        with self._lock:
            if now - self._checked >= self._refresh:
                with self._engine.connect() as conn:
                    self._load(conn)
                self._checked = time.monotonic()
        return self._built

    def fresh(self, conn: Connection) -> Hierarchy:
        """The hierarchy as `conn`'s transaction sees it (a write that validates against it)."""
        with self._lock:
            self._load(conn)
            self._checked = time.monotonic()
        return self._built

    def forget(self) -> None:
        """Ask the database at the next call (after this process stored a change)."""
        self._checked = float("-inf")

    def _load(self, conn: Connection) -> None:
        assert self._table is not None
        table = self._table
        signature = tuple(conn.execute(select(func.count(), func.max(table.c.recorded_at))).one())
        if signature != self._signature:
            self._built = Hierarchy(self.first, self.start, stored_changes(conn, table))
            self._signature = signature


def utc_now() -> datetime:
    return datetime.now(UTC)
