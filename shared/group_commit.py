"""Group commit for a write service on SQLite: the writes that arrive while another transaction holds the
file's write lock are run together in the next transaction, each in a savepoint of its own, and committed
with one fsync. Every request still waits for that commit before it is answered, so an acknowledged write
survives a power cut exactly as before (synchronous=FULL); what changes is that a burst of POSTs shares one
lock turn and one sync instead of queueing for one each.

One thread leads: it takes the queued writes, runs them on one connection, commits, wakes their threads and
hands the lead to the next queued write. A write is run under its own thread's context variables (Flask's
request, the language), so nothing in a handler can tell which thread ran it. PostgreSQL needs none of this:
its transactions run side by side and its WAL flush already groups concurrent commits.

TIENPHONG_GROUP_COMMIT=off runs every write in a transaction of its own (the reference, for comparison)."""

from __future__ import annotations

import contextvars
import os
import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine

from shared.db import write_turn

T = TypeVar("T")
# The writes one transaction takes at most: a gunicorn worker has 8 threads by default, so a turn rarely holds
# more than 8; the bound only keeps a flood from holding the lock for long.
MAX_BATCH = 64
Work = Callable[[Connection], tuple[T, bool]]  # (the reply, whether its writes are kept); raises to retry


class Retry(Exception):
    """Raised by a write that met a concurrent change: it runs again in a fresh savepoint."""


class _Write(Generic[T]):
    __slots__ = ("work", "attempts", "context", "wake", "leads", "reply", "kept", "error")

    def __init__(self, work: Work[T], attempts: int) -> None:
        self.work = work
        self.attempts = attempts
        self.context = contextvars.copy_context()
        self.wake = threading.Event()
        self.leads = False
        self.reply: T | None = None
        self.kept = False
        self.error: BaseException | None = None


class GroupCommit:
    """The queue of one SQLite file's writes in this process (other processes queue on write_turn)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._queue: list[_Write[object]] = []
        self._leading = False

    def submit(self, work: Work[T], attempts: int) -> T:
        """Run `work` in the next shared transaction; its reply once that transaction is committed (or its
        exception). A Retry on its last attempt is raised as the exception it was caused by."""
        write: _Write[T] = _Write(work, attempts)
        with self._lock:
            self._queue.append(write)  # type: ignore[arg-type]
            if not self._leading:
                self._leading = write.leads = True
        if not write.leads:
            write.wake.wait()
        if write.leads:  # leading from the start, or handed the lead
            self._lead()
        if write.error is not None:
            raise write.error
        return write.reply  # type: ignore[return-value]

    def waiting(self) -> int:
        """The writes queued for the next transaction (for the tests and the curious)."""
        with self._lock:
            return len(self._queue)

    def _lead(self) -> None:
        batch: list[_Write[object]] = []
        try:
            with write_turn(self._engine):
                # taken once the file's lock is ours: what queued while another process held it joins too
                batch = self._take()
                with self._engine.connect() as conn:
                    conn.begin()
                    for write in batch:
                        _run_one(conn, write)
                    conn.commit()
        except BaseException as exc:  # the transaction is gone: no kept write of the batch was recorded
            batch = batch or self._take()  # the lock itself failed: the queued writes get the error
            for write in batch:
                if write.kept or (write.error is None and write.reply is None):
                    write.reply, write.kept, write.error = None, False, exc
            if not isinstance(exc, Exception):
                raise
        finally:
            self._hand_over(batch)

    def _take(self) -> list[_Write[object]]:
        with self._lock:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        return batch

    def _hand_over(self, batch: list[_Write[object]]) -> None:
        """Wake the batch's threads, and make the next queued write's thread the leader."""
        with self._lock:
            successor = self._queue[0] if self._queue else None
            if successor is not None:
                successor.leads = True
            else:
                self._leading = False
        for write in batch:
            write.leads = False
            write.wake.set()
        if successor is not None:
            successor.wake.set()


def _run_one(conn: Connection, write: _Write[object]) -> None:
    for _attempt in range(write.attempts):
        savepoint = conn.begin_nested()
        try:
            reply, kept = write.context.run(write.work, conn)
        except Retry as retry:
            savepoint.rollback()
            write.error = retry.__cause__ or retry
            continue
        except Exception as exc:  # noqa: BLE001 - the write's own error, raised again in its own thread
            savepoint.rollback()
            write.error = exc
            return
        if kept:
            savepoint.commit()
        else:
            savepoint.rollback()  # a refusal or a replayed reply leaves no trace
        write.reply, write.kept, write.error = reply, kept, None
        return


_GROUPS: weakref.WeakKeyDictionary[Engine, GroupCommit] = weakref.WeakKeyDictionary()
_GROUPS_LOCK = threading.Lock()


def enabled(env: dict[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get("TIENPHONG_GROUP_COMMIT", "on").strip().lower()
    if value not in ("on", "off"):
        raise ValueError(f"TIENPHONG_GROUP_COMMIT must be on or off, not {value!r}")
    return value == "on"


def for_engine(engine: Engine) -> GroupCommit | None:
    """The engine's group commit: SQLite files only, unless TIENPHONG_GROUP_COMMIT=off."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or not enabled():
        return None
    with _GROUPS_LOCK:
        group = _GROUPS.get(engine)
        if group is None:
            group = _GROUPS[engine] = GroupCommit(engine)
        return group
