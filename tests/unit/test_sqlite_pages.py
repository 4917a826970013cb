"""SQLite files made through make_engine get 8 KiB pages (set before WAL mode fixes a new file's layout);
an existing file keeps its own page size and works as before. Either checkpoints its log every ~64 MiB."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from shared.db import SQLITE_PAGE_SIZE, WAL_CHECKPOINT_BYTES, make_engine


def pragma(engine_url: str, name: str) -> object:
    engine = make_engine(engine_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    with engine.connect() as conn:
        value = conn.exec_driver_sql(f"PRAGMA {name}").scalar()
    engine.dispose()
    return value


def test_new_files_get_larger_pages(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert SQLITE_PAGE_SIZE == 8192
    assert pragma(url, "page_size") == SQLITE_PAGE_SIZE
    assert pragma(url, "journal_mode") == "wal"
    assert pragma(url, "wal_autocheckpoint") == WAL_CHECKPOINT_BYTES // SQLITE_PAGE_SIZE


def test_existing_files_keep_theirs(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute("PRAGMA page_size=4096")
        old.execute("CREATE TABLE t (x INTEGER)")
    url = f"sqlite:///{path}"
    assert pragma(url, "page_size") == 4096
    assert pragma(url, "journal_mode") == "wal"
    assert pragma(url, "wal_autocheckpoint") == WAL_CHECKPOINT_BYTES // 4096
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (3,)  # one row per pragma() call
