"""The per-key request budget kept in a store every worker and replica of a service shares, so that the
budget is the service's, not one process's: a token bucket row per (service, key), refilled and taken from
in one atomic statement. PostgreSQL: an UNLOGGED table in the access database (no WAL, nothing to
replicate; emptied after a crash, which only hands every key a full bucket). SQLite: a small file next to
the access database with synchronous=OFF, for the same reason (budgets need not survive a power cut)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, text

from shared.db import schema_lock
from shared.ratelimit import RateLimiter

log = logging.getLogger(__name__)
TABLE = "rate_buckets"
FAILURE_LOG_SECONDS = 60.0


def _take_sql(least: str, greatest: str) -> str:
    """One statement: refill the bucket for the time since its last use, take a token when there is one.
    Every SET expression sees the row as it was, so `refill` is computed once per use, atomically."""
    refill = f"{least}(:capacity, {TABLE}.tokens + {greatest}(0, :now - {TABLE}.stamp) * :rate)"
    return (f"INSERT INTO {TABLE} (bucket, tokens, stamp, granted) VALUES (:bucket, :capacity - 1, :now, 1) "
            f"ON CONFLICT (bucket) DO UPDATE SET "
            f"granted = CASE WHEN {refill} >= 1 THEN 1 ELSE 0 END, "
            f"tokens = CASE WHEN {refill} >= 1 THEN {refill} - 1 ELSE {refill} END, "
            # a replica whose clock is a little behind never refills the same interval twice
            f"stamp = {greatest}(:now, {TABLE}.stamp) "
            f"RETURNING granted, tokens")


CREATE = f"CREATE {{unlogged}} TABLE IF NOT EXISTS {TABLE} (bucket VARCHAR(200) PRIMARY KEY, " \
         "tokens DOUBLE PRECISION NOT NULL, stamp DOUBLE PRECISION NOT NULL, granted INTEGER NOT NULL)"


class SharedRateLimiter:
    """RateLimiter's budget (same rate and burst), counted in the shared store; `namespace` (the service)
    keeps each service's budget apart, as it was when every process counted its own."""

    def __init__(self, access: Engine, namespace: str, per_minute: int, burst: int | None = None) -> None:
        shape = RateLimiter(per_minute, burst)
        self.rate, self.capacity = shape.rate, shape.capacity
        self.namespace = namespace
        self._postgresql = access.dialect.name == "postgresql"
        self._access = access
        self._path = Path(str(access.url.database)).with_suffix(".ratelimit.db") if not self._postgresql else None
        self._sql = _take_sql("LEAST", "GREATEST") if self._postgresql else _take_sql("MIN", "MAX")
        self._statement = text(self._sql)
        self._local = threading.local()
        self._ready = False
        self._ready_lock = threading.Lock()
        self._last_failure_log = 0.0

    def acquire(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before retrying. When the store fails,
        the request goes ahead (logged once a minute): the budget guards capacity, it is not a permission."""
        if self.rate <= 0:
            return 0.0
        params = {"bucket": f"{self.namespace}:{key}", "now": time.time(), "rate": self.rate,
                  "capacity": self.capacity}
        try:
            granted, tokens = self._take_postgresql(params) if self._postgresql else self._take_sqlite(params)
        except Exception:  # noqa: BLE001 - any store failure: let the request through, say so
            now = time.monotonic()
            if now - self._last_failure_log > FAILURE_LOG_SECONDS:
                self._last_failure_log = now
                log.exception("rate limit store unavailable; requests go unlimited meanwhile")
            return 0.0
        return 0.0 if granted else (1.0 - float(tokens)) / self.rate

    def _take_postgresql(self, params: dict[str, object]) -> tuple[int, float]:
        if not self._ready:
            with self._ready_lock, schema_lock(self._access) as conn:
                conn.execute(text(CREATE.format(unlogged="UNLOGGED")))
                conn.commit()
                self._ready = True
        # one statement, atomic by itself: run in autocommit, without a BEGIN and a COMMIT around it (two of the
        # four round trips a request spent on its budget)
        with self._access.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(self._statement, params).one()
        return int(row[0]), float(row[1])

    def _take_sqlite(self, params: dict[str, object]) -> tuple[int, float]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        # BEGIN IMMEDIATE: the write lock first, so concurrent takers queue on busy_timeout instead of failing
        # to upgrade a read snapshot another writer has moved past
        conn.execute("BEGIN IMMEDIATE")
        try:
            granted, tokens = conn.execute(self._sql, params).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(granted), float(tokens)

    def _connect(self) -> sqlite3.Connection:
        assert self._path is not None
        conn = sqlite3.connect(self._path, timeout=10, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(CREATE.format(unlogged=""))
        return conn


def request_budget(access: Engine, namespace: str, per_minute: int) -> RateLimiter | SharedRateLimiter:
    """The shared budget, unless the access database lives in this process's memory (then so does the
    budget: there is only one process to share it)."""
    database = access.url.database or ""
    if access.dialect.name == "sqlite" and (not database or database == ":memory:"):
        return RateLimiter(per_minute)
    return SharedRateLimiter(access, namespace, per_minute)
