"""Request budgets kept in a store every worker and replica of a service shares, so that a budget is the
service's, not one process's: a token bucket row per (service, key) for API requests, refilled and taken
from in one atomic statement; a sliding window row per key for login attempts. PostgreSQL: UNLOGGED tables
in the access database (no WAL, nothing to replicate; emptied after a crash, which only hands every key a
full budget). SQLite: a small file next to the access database with synchronous=OFF, for the same reason
(budgets need not survive a power cut)."""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, TextClause, text

from shared.db import schema_lock
from shared.ratelimit import RateLimiter, WindowLimiter, take_in_window

log = logging.getLogger(__name__)
T = TypeVar("T")
Execute = Callable[[str, dict[str, Any]], list[Any]]
FAILURE_LOG_SECONDS = 60.0
SWEEP_EVERY = 64  # window takes between two sweeps of the keys nobody tried within the window

BUCKETS = "rate_buckets"
WINDOWS = "login_windows"
CREATE = (f"CREATE {{unlogged}} TABLE IF NOT EXISTS {BUCKETS} (bucket VARCHAR(200) PRIMARY KEY, "
          "tokens DOUBLE PRECISION NOT NULL, stamp DOUBLE PRECISION NOT NULL, granted INTEGER NOT NULL)",
          f"CREATE {{unlogged}} TABLE IF NOT EXISTS {WINDOWS} (bucket VARCHAR(200) PRIMARY KEY, "
          "stamps TEXT NOT NULL, last DOUBLE PRECISION NOT NULL)")


def _take_sql(least: str, greatest: str) -> str:
    """One statement: refill the bucket for the time since its last use, take a token when there is one.
    Every SET expression sees the row as it was, so `refill` is computed once per use, atomically."""
    refill = f"{least}(:capacity, {BUCKETS}.tokens + {greatest}(0, :now - {BUCKETS}.stamp) * :rate)"
    return (f"INSERT INTO {BUCKETS} (bucket, tokens, stamp, granted) VALUES (:bucket, :capacity - 1, :now, 1) "
            f"ON CONFLICT (bucket) DO UPDATE SET "
            f"granted = CASE WHEN {refill} >= 1 THEN 1 ELSE 0 END, "
            f"tokens = CASE WHEN {refill} >= 1 THEN {refill} - 1 ELSE {refill} END, "
            # a replica whose clock is a little behind never refills the same interval twice
            f"stamp = {greatest}(:now, {BUCKETS}.stamp) "
            f"RETURNING granted, tokens")


class SharedStore:
    """Where the budgets live: the access database (PostgreSQL) or the file beside it (SQLite)."""

    def __init__(self, access: Engine) -> None:
        self.postgresql = access.dialect.name == "postgresql"
        self._access = access
        self._path = Path(str(access.url.database)).with_suffix(".ratelimit.db") if not self.postgresql else None
        self._texts: dict[str, TextClause] = {}
        self._local = threading.local()
        self._ready = False
        self._ready_lock = threading.Lock()

    def run(self, work: Callable[[Execute], T], transaction: bool = True) -> T:
        """`work` given an execute(sql, params) -> rows, in one transaction (or, on PostgreSQL with
        `transaction=False`, in autocommit: for one statement atomic by itself, two round trips fewer)."""
        if not self.postgresql:
            with self._sqlite() as file:
                return work(lambda sql, params: file.execute(sql, params).fetchall())
        self._create_postgresql()
        with self._access.connect() as conn:
            def execute(sql: str, params: dict[str, Any]) -> list[Any]:
                statement = self._texts.get(sql)
                if statement is None:
                    statement = self._texts[sql] = text(sql)
                result = conn.execute(statement, params)
                return list(result.all()) if result.returns_rows else []
            if not transaction:
                conn.execution_options(isolation_level="AUTOCOMMIT")
                return work(execute)
            with conn.begin():
                return work(execute)

    def _create_postgresql(self) -> None:
        if self._ready:
            return
        with self._ready_lock, schema_lock(self._access) as conn:
            for statement in CREATE:
                conn.execute(text(statement.format(unlogged="UNLOGGED")))
            conn.commit()
            self._ready = True

    @contextmanager
    def _sqlite(self) -> Iterator[sqlite3.Connection]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            assert self._path is not None
            conn = sqlite3.connect(self._path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            for statement in CREATE:
                conn.execute(statement.format(unlogged=""))
            self._local.conn = conn
        turn = getattr(self._local, "turn", None)
        if turn is None:
            turn = self._local.turn = open(f"{self._path}.lock", "a")  # noqa: SIM115 - the thread's, kept open
        # Takers queue on a lock the kernel hands over at once (as shared.db.write_turn), not in SQLite's busy
        # handler, which sleeps 1, 2, 5 ... ms between tries: every thread of every worker takes here once a
        # request. BEGIN IMMEDIATE still guards the file against any other writer.
        fcntl.flock(turn, fcntl.LOCK_EX)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            fcntl.flock(turn, fcntl.LOCK_UN)


class _Unavailable:
    """When the store fails, the request goes ahead (logged once a minute): a budget guards capacity and
    slows guessing, it is not a permission."""

    def __init__(self) -> None:
        self._last_log = 0.0

    def __call__(self) -> float:
        now = time.monotonic()
        if now - self._last_log > FAILURE_LOG_SECONDS:
            self._last_log = now
            log.exception("rate limit store unavailable; requests go unlimited meanwhile")
        return 0.0


class SharedRateLimiter:
    """RateLimiter's budget (same rate and burst), counted in the shared store; `namespace` (the service)
    keeps each service's budget apart, as it was when every process counted its own."""

    def __init__(self, access: Engine, namespace: str, per_minute: int, burst: int | None = None) -> None:
        shape = RateLimiter(per_minute, burst)
        self.rate, self.capacity = shape.rate, shape.capacity
        self.namespace = namespace
        self._store = SharedStore(access)
        self._sql = _take_sql("LEAST", "GREATEST") if self._store.postgresql else _take_sql("MIN", "MAX")
        self._unavailable = _Unavailable()

    def acquire(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        params = {"bucket": f"{self.namespace}:{key}", "now": time.time(), "rate": self.rate,
                  "capacity": self.capacity}
        try:
            granted, tokens = self._store.run(lambda execute: execute(self._sql, params)[0], transaction=False)
        except Exception:  # noqa: BLE001 - any store failure: let the request through, say so
            return self._unavailable()
        return 0.0 if granted else (1.0 - float(tokens)) / self.rate


class SharedWindowLimiter:
    """WindowLimiter's rule (at most `limit` attempts per key in any `window` seconds) over the attempts of
    every worker and replica: login attempts are counted for the username and the address, wherever made."""

    def __init__(self, access: Engine, namespace: str, limit: int, window: float = 60.0) -> None:
        self.namespace, self.limit, self.window = namespace, limit, window
        self._store = SharedStore(access)
        self._lock_row = " FOR UPDATE" if self._store.postgresql else ""  # SQLite: BEGIN IMMEDIATE did it
        self._takes = 0
        self._unavailable = _Unavailable()

    def acquire(self, key: str) -> float:
        """0 when the attempt may go ahead (and is counted), else the seconds until one may."""
        bucket, now = f"{self.namespace}:{key}", time.time()
        self._takes += 1
        sweep = self._takes % SWEEP_EVERY == 0

        def take(execute: Execute) -> float:
            execute(f"INSERT INTO {WINDOWS} (bucket, stamps, last) VALUES (:bucket, '', :now) "
                    "ON CONFLICT (bucket) DO NOTHING", {"bucket": bucket, "now": now})
            stamps = execute(f"SELECT stamps FROM {WINDOWS} WHERE bucket = :bucket{self._lock_row}",
                             {"bucket": bucket})[0][0]
            attempts = deque(float(stamp) for stamp in stamps.split())
            wait = take_in_window(attempts, now, self.limit, self.window)
            execute(f"UPDATE {WINDOWS} SET stamps = :stamps, last = :last WHERE bucket = :bucket",
                    {"bucket": bucket, "stamps": " ".join(f"{a:.3f}" for a in attempts),
                     "last": attempts[-1] if attempts else now})
            if sweep:
                execute(f"DELETE FROM {WINDOWS} WHERE last <= :old", {"old": now - self.window})
            return wait
        try:
            return self._store.run(take)
        except Exception:  # noqa: BLE001 - any store failure: let the attempt through, say so
            return self._unavailable()


def _in_memory(access: Engine) -> bool:
    database = access.url.database or ""
    return access.dialect.name == "sqlite" and (not database or database == ":memory:")


def request_budget(access: Engine, namespace: str, per_minute: int) -> RateLimiter | SharedRateLimiter:
    """The shared budget, unless the access database lives in this process's memory (then so does the
    budget: there is only one process to share it)."""
    if _in_memory(access):
        return RateLimiter(per_minute)
    return SharedRateLimiter(access, namespace, per_minute)


def login_budget(access: Engine, namespace: str, limit: int) -> WindowLimiter | SharedWindowLimiter:
    """As request_budget, for login attempts."""
    if _in_memory(access):
        return WindowLimiter(limit)
    return SharedWindowLimiter(access, namespace, limit)
