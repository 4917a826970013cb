"""The reference path of bulk writes: SQLAlchemy Core statements, executed many times by the dialect.

The table is addressed as a lightweight `table()` clause of untyped columns, so that values reach the
driver as given (in its own types, as the fast paths take them) rather than through the typed columns'
conversions, which expect Python dates where SQLite rows carry ISO text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, column, insert, table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.expression import TableClause


def _plain(target: Table, columns: Sequence[str]) -> TableClause:
    return table(target.name, *(column(name) for name in columns))


def insert_rows(conn: Connection, target: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    conn.execute(insert(_plain(target, columns)), [dict(zip(columns, row, strict=True)) for row in rows])


def put_rows(conn: Connection, target: Table, keys: Sequence[str], value: str, rows: list[tuple[Any, ...]]) -> None:
    columns = [*keys, value]
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = dialect_insert(_plain(target, columns))
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_={value: stmt.excluded[value]}),
                 [dict(zip(columns, row, strict=True)) for row in rows])
