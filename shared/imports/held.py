"""The unit of work an import's rows are recorded in: the import's own transaction, with the events the
handlers record held in memory and written at the end in two statements executed many times (events, outbox
rows), instead of two statements a row. What the handlers read is as if each had been written at once: a
stream's last sequence counts the events held, and any other read of the event store writes them first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from shared.events import Envelope
from shared.eventstore import EventStore
from shared.rules import is_issued_id
from shared.writes import UnitOfWork


class HeldUnitOfWork(UnitOfWork):
    def __init__(self, outer: UnitOfWork, participant_ids: list[str], read_ahead: dict[str, dict[str, Any]]) -> None:
        # not entered: it rides on `outer`'s transaction, which run_write commits or rolls back
        self._outer = outer
        self.conn = outer.conn
        self.read_ahead = read_ahead
        self.held: list[Envelope] = []
        streams = sorted({p for p in participant_ids if is_issued_id(p)})  # other ids never reach the database
        self.last: dict[str, int] = dict.fromkeys(streams, 0) | outer.store.last_sequences(outer.conn, streams)
        self.store = _HeldStore(outer.store, self)

    def record(self, envelopes: list[Envelope]) -> None:
        self.held.extend(envelopes)
        for envelope in envelopes:
            self.last[envelope.participant_id] = max(self.last.get(envelope.participant_id, 0), envelope.sequence)

    def record_many(self, envelopes: list[Envelope]) -> None:
        self.record(envelopes)

    def commit(self) -> None:
        raise RuntimeError("an import's rows are committed with the import (run_write), never one by one")

    def flush(self) -> None:
        self._outer.record_many(self.held)
        self.held = []


class _HeldStore(EventStore):
    def __init__(self, store: EventStore, owner: HeldUnitOfWork) -> None:
        super().__init__(store.events, store.idempotency)
        self._owner = owner

    def last_sequence(self, conn: Connection, participant_id: str) -> int:
        known = self._owner.last.get(participant_id)
        return known if known is not None else super().last_sequence(conn, participant_id)

    def stream(self, conn: Connection, participant_id: str) -> list[Envelope]:
        self._owner.flush()
        return super().stream(conn, participant_id)

    def get(self, conn: Connection, event_id: str) -> Envelope | None:
        self._owner.flush()
        return super().get(conn, event_id)

    def envelopes(self, conn: Connection, event_ids: list[str]) -> list[Envelope]:
        self._owner.flush()
        return super().envelopes(conn, event_ids)
