"""Database engines (SQLite embedded, PostgreSQL in production) and schema migrations with Alembic."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shared.bulk import FAST_PATHS
from shared.bulk.sqlite import tune_library
from shared.config import fast_paths_from_env

ALEMBIC_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_PAGE_SIZE = 8192
WAL_CHECKPOINT_BYTES = 64 * 1024 * 1024


def make_engine(url: str, pool_size: int = 5, read_only: bool = False, cache_mib: int | None = None,
                max_overflow: int = 10, durable: bool = False, fast_paths: bool | None = None) -> Engine:
    """An engine with the settings each backend needs for several processes writing at once.
    A read-only engine never takes SQLite's write lock, so readers never wait for a writer.
    A `durable` engine's commits survive a power cut (event stores, outboxes, access: kept nowhere else):
    SQLite's WAL syncs at every commit (FULL; NORMAL syncs at checkpoints only), PostgreSQL insists on
    synchronous_commit=on. Read models keep NORMAL: their offsets commit with them, a lost commit is re-read.
    `fast_paths` (by default TIENPHONG_FAST_PATHS) chooses how shared.bulk writes through this engine."""
    fast = fast_paths_from_env() if fast_paths is None else fast_paths
    options = {FAST_PATHS: fast}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if fast:
            tune_library()
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               execution_options=options)

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
                         connect_args=connect_args, execution_options=options)


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
def write_turn(engine: Engine, blocking: bool = True) -> Iterator[bool]:
    """Queues the processes that write one SQLite file in turns (the projection's consumers): each waits
    here, on a lock the kernel hands over the moment its holder lets go, instead of in SQLite's busy
    handler, which sleeps 1, 2, 5, ... up to 100 ms between tries and so wakes late: 8 % of a consumer's
    time was spent asleep there with two processes. SQLite's own lock still guards the file against
    every other writer. Nothing to do on PostgreSQL (rows are locked, not the database).
    Yields whether the turn is this caller's: always, unless `blocking` is False and another has it."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield True
        return
    with open(database + ".write.lock", "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
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


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
