"""A fast path that calls into a library's internals is used only with the library version it was written
for; with another, the reference path is used and one log line says why."""

from __future__ import annotations

import logging
import sqlite3

import psycopg
import pytest

from shared.bulk import postgres
from shared.bulk import sqlite as sqlite_path


def test_postgres_row_encoder_only_with_the_psycopg_it_was_written_for(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    assert postgres.usable()  # the pinned psycopg
    monkeypatch.setattr(psycopg, "__version__", "3.4.0")
    with caplog.at_level(logging.WARNING, logger=postgres.__name__):
        assert postgres._row_encoder() is None
    assert len(caplog.records) == 1 and "reference path" in caplog.records[0].getMessage()


def test_sqlite_library_left_alone_under_another_major_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (4, 0, 0))
    reason = sqlite_path._configure()  # refused before the library is touched
    assert reason is not None and "written for SQLite 3" in reason
