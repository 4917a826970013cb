"""PostgreSQL's fast path: rows sent by binary COPY, each encoded by psycopg's own C row encoder.

Binary, not text: at 2,000 event rows a batch, about a quarter of the client CPU per row (1.9-2.1 against
6.9-7.4 us in bench/pg_copy.py) and less server time parsing dates, timestamps and numbers. The row encoder
is not a public name of psycopg (Copy.write_row wraps it in two Python calls a row, 1.6 % of the
projection's client instructions, bench/projection_cpu.py --instructions): with another psycopg than the
one this was written for, the reference path is used instead (one log line)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from sqlalchemy import BigInteger, Connection, Date, DateTime, Integer, String, Table

log = logging.getLogger(__name__)
WRITTEN_FOR = (3, 3)  # psycopg's major and minor version whose private row encoder this calls

# PostgreSQL's binary COPY stream (documented with COPY): signature, flags and header extension length, then
# the rows, then a field count of -1
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
_COPY_CHUNK_ROWS = 2000  # rows encoded before they are sent: a few hundred KiB held at a time


def _row_encoder() -> Callable[..., None] | None:
    version = tuple(int(part) for part in psycopg.__version__.split(".")[:2])
    if version != WRITTEN_FOR:
        log.warning("PostgreSQL fast path written for psycopg %s, found %s: reference path used",
                    ".".join(map(str, WRITTEN_FOR)), psycopg.__version__)
        return None
    try:
        from psycopg._copy_base import format_row_binary
    except ImportError:
        log.warning("PostgreSQL fast path: psycopg %s has no row encoder: reference path used", psycopg.__version__)
        return None
    return format_row_binary  # type: ignore[no-any-return]


_format_row_binary = _row_encoder()


def usable() -> bool:
    return _format_row_binary is not None


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    with _psycopg_cursor(conn) as cursor:
        _copy_rows(cursor, table, columns, rows)


def put_rows(conn: Connection, table: Table, keys: Sequence[str], value: str, rows: list[tuple[Any, ...]]) -> None:
    """Through COPY into a temporary table and one INSERT ... ON CONFLICT."""
    columns = [*keys, value]
    names = ", ".join(columns)
    staging = f"staging_{table.name}"
    with _psycopg_cursor(conn) as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table.name}) ON COMMIT DELETE ROWS")
        cursor.execute(f"DELETE FROM {staging}")
        _copy_rows(cursor, table, columns, rows, into=staging)
        cursor.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {staging}"
                       f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {value} = excluded.{value}")


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


def _copy_rows(cursor: Any, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]],
               into: str | None = None) -> None:
    encode = _format_row_binary
    assert encode is not None  # callers check usable()
    with cursor.copy(f"COPY {into or table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_copy_types(table, columns))
        transformer = copy.formatter.transformer  # holds the dumpers set_types chose
        copy.write(_COPY_HEADER)
        for start in range(0, len(rows), _COPY_CHUNK_ROWS):
            chunk = bytearray()  # a new one each time: the writer may still hold the last
            for row in rows[start:start + _COPY_CHUNK_ROWS]:
                encode(row, transformer, chunk)
            copy.write(chunk)
        copy.write(_COPY_TRAILER)
