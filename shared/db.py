"""Database engines (SQLite embedded, PostgreSQL in production) and schema migrations with Alembic."""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

ALEMBIC_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_PAGE_SIZE = 8192
WAL_CHECKPOINT_BYTES = 64 * 1024 * 1024
log = logging.getLogger(__name__)
_SQLITE_CONFIG_MULTITHREAD, _SQLITE_CONFIG_MEMSTATUS = 2, 9  # sqlite3.h
_sqlite_library = {"tuned": False}
_sqlite_library_lock = threading.Lock()


def tune_sqlite_library() -> bool:
    """Configures the SQLite library of this process, once, before its first connection: no statistics of
    memory use (each of SQLite's allocations took a global mutex to count itself: several per bound
    value) and no mutex per connection (SQLAlchemy's pool hands a connection to one thread at a time, the
    condition SQLite's multi-thread mode asks). Inserting rows of 12 text values into an in-memory table
    executed 24 % fewer instructions per row (18,145 -> 13,814, cachegrind). SQLite accepts its configuration
    only while uninitialized, which Python's sqlite3 module already did: it is shut down first, and that only
    when this process has no connection open (SQLite then has nothing allocated). Returns whether the library
    is so configured."""
    with _sqlite_library_lock:
        if _sqlite_library["tuned"]:
            return True
        try:
            library = ctypes.CDLL("libsqlite3.so.0")
            library.sqlite3_memory_used.restype = ctypes.c_int64
            # the library Python's sqlite3 module uses (not another copy), with nothing open: a connection
            # opened by the module shows in this library's count, and its closing brings it back to zero
            probe = sqlite3.connect(":memory:")
            shared = library.sqlite3_memory_used() > 0
            probe.close()
            if not shared or library.sqlite3_memory_used() != 0:
                return False
            if library.sqlite3_shutdown() != 0:
                return False
            configured = (library.sqlite3_config(_SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == 0
                          and library.sqlite3_config(_SQLITE_CONFIG_MULTITHREAD) == 0)
            library.sqlite3_initialize()
        except (OSError, AttributeError):  # no such shared library (a Python with SQLite built in)
            return False
        if not configured:
            log.warning("SQLite's library kept its default configuration")
        _sqlite_library["tuned"] = configured
        return configured


def make_engine(url: str, pool_size: int = 5, read_only: bool = False, cache_mib: int | None = None,
                max_overflow: int = 10, durable: bool = False) -> Engine:
    """An engine with the settings each backend needs for several processes writing at once.
    A read-only engine never takes SQLite's write lock, so readers never wait for a writer.
    A `durable` engine's commits survive a power cut (event stores, outboxes, access: kept nowhere else):
    SQLite's WAL syncs at every commit (FULL; NORMAL syncs at checkpoints only), PostgreSQL insists on
    synchronous_commit=on. Read models keep NORMAL: their offsets commit with them, a lost commit is re-read."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        tune_sqlite_library()
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Python's sqlite3 opens transactions lazily; take the write lock at BEGIN instead, so two
            # writers queue on busy_timeout rather than failing with "database is locked" mid-way.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # 8 KiB pages, set while a new file has none yet (no effect on an existing one): the projection's
            # indexed inserts cost 5-13 % less than with 4 KiB pages at 1M events (fewer, shallower pages)
            cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            # checkpoint every ~64 MiB of log instead of 4: index pages that consecutive batches rewrite are
            # copied back once, and the file is synced less often (a quarter off an indexed insert, measured)
            page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_BYTES // page_size}")
            if cache_mib:  # SQLite's page cache per connection (2 MiB by default)
                cursor.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    connect_args = {"options": "-c synchronous_commit=on"} if durable else {}
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True,
                         connect_args=connect_args)


@contextmanager
def schema_lock(engine: Engine) -> Iterator[Connection]:
    """Serialize schema changes (migrations, derived tables created at start) of one database when several
    processes start together: the second waits and then finds the tables there."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(7301)"))
            conn.commit()
            try:
                yield conn
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(7301)"))
                conn.commit()
        return
    database = engine.url.database or ""
    lock_path = database + ".migrate.lock" if database and database != ":memory:" else os.devnull
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


@contextmanager
def write_turn(engine: Engine) -> Iterator[None]:
    """Queues the processes that write one SQLite file in turns (the projection's consumers): each waits
    here, on a lock the kernel hands over the moment its holder lets go, instead of in SQLite's busy
    handler, which sleeps 1, 2, 5, ... up to 100 ms between tries and so wakes late: 8 % of a consumer's
    time was spent asleep there with two processes. SQLite's own lock still guards the file against
    every other writer. Nothing to do on PostgreSQL (rows are locked, not the database)."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(database + ".write.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def migrate(engine: Engine, versions_dir: Path) -> None:
    """Bring a service's database to the newest revision in `versions_dir`."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(versions_dir))
    with schema_lock(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
        conn.commit()


def upsert(conn: Connection, table: Table, values: Mapping[str, Any], keys: list[str],
           update: Mapping[str, Any] | None = None) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE, on either backend."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(**values)
    changes = dict(update) if update is not None else {k: v for k, v in values.items() if k not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes))


def upsert_many(conn: Connection, table: Table, rows: list[dict[str, Any]], keys: list[str],
                add: list[str] | None = None) -> None:
    """Many rows through one statement: on a key conflict, `add` columns are summed, others replaced."""
    if not rows:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table)
    changes = {name: (table.c[name] + stmt.excluded[name]) if name in (add or []) else stmt.excluded[name]
               for name in rows[0] if name not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes), rows)


def _psycopg_cursor(conn: Connection) -> Any:
    """A cursor of the connection's own psycopg connection: in the same transaction, with COPY."""
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _copy_types(table: Table, columns: Sequence[str]) -> list[str]:
    """PostgreSQL's names for the columns' types, for a binary COPY (the client encodes each value in the
    column's own binary form, so the server parses no text)."""
    names = []
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, BigInteger):
            names.append("int8")
        elif isinstance(kind, Integer):
            names.append("int4")
        elif isinstance(kind, String):  # Text too; varchar and text have one binary form
            names.append("text")
        elif isinstance(kind, DateTime):
            names.append("timestamptz" if kind.timezone else "timestamp")
        elif isinstance(kind, Date):
            names.append("date")
        else:
            raise TypeError(f"no binary COPY type for {table.name}.{name}: {kind!r}")
    return names


# PostgreSQL's binary COPY stream (documented with COPY): signature, flags and header extension length, then
# the rows, then a field count of -1
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
_COPY_CHUNK_ROWS = 2000  # rows encoded before they are sent: a few hundred KiB held at a time
try:
    # The pinned psycopg's encoder of one row (C): Copy.write_row wraps it in two Python calls a row, 1.6 % of
    # the projection's client instructions (bench/projection_cpu.py --instructions). Not a public name: without
    # it, rows go through write_row.
    from psycopg._copy_base import format_row_binary as _format_row_binary
except ImportError:  # pragma: no cover - another psycopg
    _format_row_binary = None


def _copy_rows(cursor: Any, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]],
               into: str | None = None) -> None:
    # binary, not text: at 2,000 event rows a batch, about a quarter of the client CPU per row (1.9-2.1
    # against 6.9-7.4 us in bench/pg_copy.py) and less server time parsing dates, timestamps and numbers
    names = ", ".join(columns)
    with cursor.copy(f"COPY {into or table.name} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_copy_types(table, columns))
        encode = _format_row_binary
        if encode is None:
            for row in rows:
                copy.write_row(row)
            return
        transformer = copy.formatter.transformer  # holds the dumpers set_types chose
        copy.write(_COPY_HEADER)
        for start in range(0, len(rows), _COPY_CHUNK_ROWS):
            chunk = bytearray()  # a new one each time: the writer may still hold the last
            for row in rows[start:start + _COPY_CHUNK_ROWS]:
                encode(row, transformer, chunk)
            copy.write(chunk)
        copy.write(_COPY_TRAILER)


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Many rows at once, through the driver: binary COPY on PostgreSQL, executemany on SQLite. For tables
    that take thousands of rows per transaction, where SQLAlchemy's per-row parameter handling (and
    psycopg's per-row executemany) would cost more than the inserts. Values must be in the driver's own
    types (SQLite: dates as ISO text; PostgreSQL: exactly the column's type, an aware datetime for a
    timestamp with time zone)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        with _psycopg_cursor(conn) as cursor:
            _copy_rows(cursor, table, columns, rows)
        return
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)})"
                         f" VALUES ({', '.join('?' for _ in columns)})", rows)


def bulk_put(conn: Connection, table: Table, keys: Sequence[str], value: str, rows: list[tuple[Any, ...]]) -> None:
    """Writes each row's `value` into the row of the same keys, inserting the keys not there yet; rows are
    (*keys, value), one per key. On PostgreSQL through COPY into a temporary table and one INSERT."""
    if not rows:
        return
    columns = [*keys, value]
    names = ", ".join(columns)
    upsert_sql = f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {value} = excluded.{value}"
    if conn.dialect.name == "postgresql":
        staging = f"staging_{table.name}"
        with _psycopg_cursor(conn) as cursor:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table.name}) ON COMMIT DELETE ROWS")
            cursor.execute(f"DELETE FROM {staging}")
            _copy_rows(cursor, table, columns, rows, into=staging)
            cursor.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {staging}{upsert_sql}")
        return
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' for _ in rows[0])}){upsert_sql}",
                         rows)


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
