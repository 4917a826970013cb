"""Many rows at once into a table (`bulk_insert`, `bulk_put`): through a backend's fast path (postgres.py:
binary COPY; sqlite.py: the driver's executemany) or through the reference path (reference.py: SQLAlchemy
Core only), as the engine was made (`TIENPHONG_FAST_PATHS`, shared.config). A fast path that depends on
a library's internals checks the library's version and hands over to the reference path when it differs.
Both write the same rows: tests/integration/test_bulk_paths.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

from shared.bulk import postgres, reference, sqlite

# The engine's execution option that carries the choice (set by shared.db.make_engine).
FAST_PATHS = "tienphong_fast_paths"


def fast_paths(conn: Connection) -> bool:
    return bool(conn.get_execution_options().get(FAST_PATHS, True))


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Appends `rows` (tuples in `columns`' order) to `table`. For tables that take thousands of rows per
    transaction. Values must be in the driver's own types (SQLite: dates as ISO text, times as
    'YYYY-MM-DD HH:MM:SS.ffffff' text; PostgreSQL: exactly the column's type, an aware datetime for a
    timestamp with time zone)."""
    if not rows:
        return
    if fast_paths(conn):
        if conn.dialect.name == "postgresql" and postgres.usable():
            postgres.insert_rows(conn, table, columns, rows)
            return
        if conn.dialect.name == "sqlite":
            sqlite.insert_rows(conn, table, columns, rows)
            return
    reference.insert_rows(conn, table, columns, rows)


def bulk_put(conn: Connection, table: Table, keys: Sequence[str], value: str, rows: list[tuple[Any, ...]]) -> None:
    """Writes each row's `value` into the row of the same keys, inserting the keys not there yet; rows are
    (*keys, value), one per key, values in the driver's types as for `bulk_insert`."""
    if not rows:
        return
    if fast_paths(conn):
        if conn.dialect.name == "postgresql" and postgres.usable():
            postgres.put_rows(conn, table, keys, value, rows)
            return
        if conn.dialect.name == "sqlite":
            sqlite.put_rows(conn, table, keys, value, rows)
            return
    reference.put_rows(conn, table, keys, value, rows)
