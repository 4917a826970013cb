"""Consumer processes started together on a fresh database create the read-model tables once: the others
wait and find them (before, on PostgreSQL, all but one failed with "relation already exists")."""

from __future__ import annotations

import itertools
import multiprocessing
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from services.reporting.reads import Models
from services.reporting.store import VERSIONS, read_model
from shared.config import Config, from_env
from shared.db import make_engine, migrate
from tests.support.answers import answered_within

generations = itertools.count(900)


def reporting_config(tmp_path: Path, database_template: str | None) -> Config:
    return from_env("reporting", {"TIENPHONG_DATA_DIR": str(tmp_path), **(
        {"DATABASE_URL": database_template} if database_template else {})})


def create(url: str, generation: int, start: Any) -> None:
    engine = make_engine(url)
    start.wait(timeout=60)
    read_model(generation).create(engine)
    engine.dispose()


def test_processes_started_together_create_the_read_model_once(tmp_path: Path, database_template: str | None) -> None:
    config = reporting_config(tmp_path, database_template)
    engine = make_engine(config.database_url)
    migrate(engine, VERSIONS)
    context = multiprocessing.get_context("fork")
    for _ in range(3):
        model = read_model(next(generations))
        start = context.Barrier(4)
        processes = [context.Process(target=create, args=(config.database_url, model.generation, start))
                     for _ in range(4)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        try:
            assert [process.exitcode for process in processes] == [0, 0, 0, 0]
            assert {table.name for table in model.metadata.sorted_tables} <= set(inspect(engine).get_table_names())
        finally:
            model.drop(engine)
    engine.dispose()


def test_sums_tables_leave_room_for_updates_in_place(tmp_path: Path, database_template: str | None) -> None:
    """PostgreSQL: the daily and half-month sums are created with fillfactor 50 (the events table with the
    default); SQLite: as tables without rowid, one B-tree each."""
    config = reporting_config(tmp_path, database_template)
    engine = make_engine(config.database_url)
    model = read_model(next(generations))
    model.create(engine)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                options = dict(conn.execute(text("SELECT relname, reloptions FROM pg_class WHERE relname IN"
                                                 " (:daily, :cumulative, :events)"),
                                            {"daily": model.daily.name, "cumulative": model.cumulative.name,
                                             "events": model.events.name}).all())
                assert options == {model.daily.name: ["fillfactor=50"], model.cumulative.name: ["fillfactor=50"],
                                   model.events.name: None}
            else:
                sql = dict(conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
                assert "WITHOUT ROWID" in sql[model.daily.name] and "WITHOUT ROWID" in sql[model.cumulative.name]
                assert "WITHOUT ROWID" not in sql[model.events.name]
    finally:
        model.drop(engine)
        engine.dispose()


def test_a_read_finds_existing_tables_without_waiting_for_the_writers(tmp_path: Path,
                                                                      database_template: str | None) -> None:
    """A reporting worker's first read of a generation only looks for its tables: on SQLite, creating them
    meant the write lock, which a request waited for in SQLite's busy handler while a consumer wrote."""
    config = reporting_config(tmp_path, database_template)
    engine, reader = make_engine(config.database_url), make_engine(config.database_url, read_only=True)
    migrate(engine, VERSIONS)
    models = Models(engine, reader)
    first = models.current()  # creates the active generation's tables
    assert inspect(engine).has_table(first.events.name)
    busy = engine.connect()
    try:
        busy.begin()  # a consumer's batch: on SQLite, BEGIN IMMEDIATE holds the write lock
        busy.execute(text(f"DELETE FROM {first.stats.name} WHERE name = 'none'"))
        assert answered_within(5, lambda: Models(engine, reader).current()).generation == first.generation
    finally:
        busy.rollback()
        busy.close()
        engine.dispose()
        reader.dispose()
