"""A consumer's heartbeat in its own database: when it last applied a batch or found nothing waiting. Its
service's /readyz reads it (shared/messaging/progress.py), so every worker and replica of the service
agrees on whether the consumer advances; a count kept in each worker's memory did not (2026-12-05: one
worker answered 503, the next 200)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table

from shared.db import upsert, write_turn

IDLE_SECONDS = 5.0  # between heartbeats while polls bring nothing


class Heartbeat:
    def __init__(self, engine: Engine, table: Table, name: Callable[[], str]) -> None:
        self._engine = engine
        self._table = table
        self._name = name
        self._at = 0.0

    def beat(self, conn: Connection) -> None:
        """In the transaction of a batch that was applied."""
        upsert(conn, self._table, {"consumer": self._name(), "seen_at": datetime.now(UTC)}, keys=["consumer"])
        self._at = time.monotonic()

    def when_idle(self, lag: Callable[[], int | None]) -> None:
        """Every few seconds while polls bring nothing: a heartbeat if nothing waits (so a quiet consumer is
        not taken for a stuck one), none if records wait (a starved one must show as stuck)."""
        if time.monotonic() - self._at < IDLE_SECONDS:
            return
        self._at = time.monotonic()
        if lag() == 0:
            with write_turn(self._engine), self._engine.begin() as conn:
                self.beat(conn)
