"""The bulk writes' fast paths (shared.bulk: binary COPY on PostgreSQL, the driver's executemany on SQLite)
against the reference path (SQLAlchemy Core only): the same events projected through each, in the same
batches, give identical read models, row for row, on either backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bench.gen import generate
from services.reporting.projector import Projection
from services.reporting.store import VERSIONS, ReadModel, read_model
from shared.bulk import fast_paths
from shared.config import from_env
from shared.db import make_engine, migrate
from shared.events import encode
from shared.events.rawcheck import read_event
from shared.messaging.consumer import Delivery
from shared.orgunits import load


@pytest.fixture()
def engines(tmp_path: Path, database_template: str | None) -> Iterator[tuple[Engine, Engine, Any]]:
    config = from_env("reporting", {"TIENPHONG_DATA_DIR": str(tmp_path), **(
        {"DATABASE_URL": database_template} if database_template else {})})
    fast = make_engine(config.database_url, fast_paths=True)
    reference = make_engine(config.database_url, fast_paths=False)
    migrate(fast, VERSIONS)
    yield fast, reference, config
    fast.dispose()
    reference.dispose()


def stored(engine: Engine, model: ReadModel) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {name: [tuple(row) for row in conn.execute(select(table).order_by(*table.columns))]
                for name, table in (("events", model.events), ("daily", model.daily),
                                    ("cumulative", model.cumulative), ("stats", model.stats))}


def test_fast_and_reference_paths_give_identical_read_models(engines: tuple[Engine, Engine, Any]) -> None:
    fast, reference, config = engines
    tree = load(config.org_units_file)
    events = sorted(generate(300, 10, seed=11), key=lambda e: e.recorded_at)
    # redelivered events too: the projection drops them, on either path
    deliveries = [Delivery("t", 0, i, *read_event(encode(e))) for i, e in enumerate(events + events[:40])]
    models = []
    for engine, generation in ((fast, 31), (reference, 32)):
        projection = Projection(read_model(generation), tree)
        projection.model.create(engine)
        models.append(projection.model)
        for start in range(0, len(deliveries), 700):
            with engine.begin() as conn:
                assert fast_paths(conn) is (engine is fast)
                projection.apply_batch(conn, deliveries[start:start + 700])
    try:
        on, off = stored(fast, models[0]), stored(reference, models[1])
        assert len(on["events"]) == len(events) and on["daily"] and on["cumulative"]
        assert on == off
    finally:
        models[0].drop(fast)
        models[1].drop(reference)
