"""Rows written by binary COPY (PostgreSQL) or executemany (SQLite) read back exactly as given: the row encoder
called directly and, on PostgreSQL, psycopg's write_row (the way taken when the encoder is not there) give
the same table, empty batches and batches of several chunks included."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import BigInteger, Column, Date, DateTime, Engine, Integer, MetaData, String, Table, Text, select

import shared.bulk.postgres
from shared.bulk import bulk_insert, bulk_put
from shared.config import from_env
from shared.db import make_engine

tables = itertools.count()


@pytest.fixture
def engine(tmp_path: Path, database_template: str | None) -> Iterator[Engine]:
    config = from_env("reporting", {"TIENPHONG_DATA_DIR": str(tmp_path), **(
        {"DATABASE_URL": database_template} if database_template else {})})
    engine = make_engine(config.database_url)
    yield engine
    engine.dispose()


def rows(count: int, sqlite: bool) -> list[tuple[Any, ...]]:
    out = []
    for i in range(count):
        day, at = date(2017, 6, 1) + timedelta(days=i % 500), datetime(2018, 3, 2, 10, 0, i % 60, i, tzinfo=UTC)
        out.append((f"id-{i}", i * 2**40 - 7, i % 7, day.isoformat() if sqlite else day,
                    at.isoformat(" ") if sqlite else at, "vay vốn \\ \t\n\"x\" " * (i % 5), "" if i % 3 else "đ"))
    return out


def table(metadata: MetaData) -> Table:
    return Table(f"copy_check_{next(tables)}", metadata, Column("name", String(40), primary_key=True),
                 Column("big", BigInteger, nullable=False), Column("small", Integer, nullable=False),
                 Column("day", Date, nullable=False), Column("at", DateTime(timezone=True), nullable=False),
                 Column("note", Text, nullable=False), Column("other", String(10), nullable=False))


@pytest.mark.parametrize("count", [0, 1, 4999])
@pytest.mark.parametrize("encoder", ["direct", "write_row"])
def test_rows_read_back_as_written(engine: Engine, count: int, encoder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sqlite = engine.dialect.name == "sqlite"
    if encoder == "write_row":  # (SQLite has one way, executemany: the same test again)
        monkeypatch.setattr(shared.bulk.postgres, "_format_row_binary", None)
    elif not sqlite:
        assert shared.bulk.postgres._format_row_binary is not None  # the pinned psycopg has it
    metadata = MetaData()
    t = table(metadata)
    # bulk_put's kind of table: keys and one value
    sums = Table(f"copy_put_{next(tables)}", metadata, Column("name", String(40), primary_key=True),
                 Column("note", Text, nullable=False))
    metadata.create_all(engine)
    columns = [c.name for c in t.columns]
    given = rows(count, sqlite)
    try:
        with engine.begin() as conn:
            bulk_insert(conn, t, columns, given)
            bulk_put(conn, sums, ["name"], "note", [(r[0], r[5]) for r in given[:10]])
        with engine.begin() as conn:  # the second time, on keys already there
            bulk_put(conn, sums, ["name"], "note", [(r[0], "changed") for r in given[:5]])
        with engine.connect() as conn:
            stored = conn.execute(select(t).order_by(t.c.big)).all()
            put = conn.execute(select(sums).order_by(sums.c.name)).all()
        expected = [(r[0], r[1], r[2], date.fromisoformat(r[3]) if sqlite else r[3],
                     datetime.fromisoformat(r[4]) if sqlite else r[4], r[5], r[6]) for r in given]
        assert [tuple(s) for s in stored] == expected
        assert [tuple(p) for p in put] == sorted((r[0], "changed" if i < 5 else r[5]) for i, r in enumerate(given[:10]))
    finally:
        metadata.drop_all(engine)
