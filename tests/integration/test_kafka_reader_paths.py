"""The consumer's fast reader of fetched record batches (shared.messaging.records, which relies on
kafka-python's internals) against the reference path (kafka-python's own records, public API only): the
same topics consumed through each, by the live projection's own settings and handler, give identical read
models, row for row; and a kafka-python other than the one the fast reader was written for gets the
reference path."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer
from sqlalchemy import Engine, select

from bench.gen import REGISTRATION_TYPES, generate
from services.reporting.consumer import handler, settings
from services.reporting.projector import Projection
from services.reporting.rebuild import follow
from services.reporting.store import VERSIONS, ReadModel, consumer_offsets, read_model
from shared.config import from_env
from shared.db import make_engine, migrate
from shared.events import encode
from shared.messaging import records
from shared.messaging.consumer import ConsumerLoop
from shared.messaging.topics import REGISTRATION_EVENTS, SUPPORT_EVENTS
from shared.orgunits import load
from tests.support.system import settings as stack_env
from tienphong import workers


def stored(engine: Engine, model: ReadModel) -> dict[str, list[tuple[Any, ...]]]:
    """Every row; the sums' JSON read back (the order of its keys follows how events fell into batches)."""
    def value(field: Any) -> Any:
        return json.loads(field) if isinstance(field, str) and field.startswith("{") else field

    with engine.connect() as conn:
        return {name: [tuple(map(value, row)) for row in conn.execute(select(table).order_by(*table.columns))]
                for name, table in (("events", model.events), ("daily", model.daily),
                                    ("cumulative", model.cumulative), ("stats", model.stats))}


def test_fast_and_reference_readers_give_identical_read_models(bootstrap: str, tmp_path: Path,
                                                               database_template: str | None) -> None:
    config = from_env("reporting", stack_env(tmp_path, bootstrap, database_template))
    workers.create_topics(config)
    events = list(generate(200, 10, seed=7))
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    for envelope in events + events[:30]:  # redelivered ones too: dropped by id on either path
        topic = REGISTRATION_EVENTS if envelope.type in REGISTRATION_TYPES else SUPPORT_EVENTS
        producer.send(config.topic(topic), key=envelope.participant_id.encode(), value=encode(envelope))
    producer.close()
    engine = make_engine(config.database_url)
    migrate(engine, VERSIONS)
    tree, models = load(config.org_units_file), []
    for generation, fast in ((41, True), (42, False)):
        projection = Projection(read_model(generation), tree)
        projection.model.create(engine)
        models.append(projection.model)
        loop = ConsumerLoop(engine, consumer_offsets,
                            settings(replace(config, fast_paths=fast), projection.model.consumer_name,
                                     f"{config.topic_prefix}-paths-{generation}"), handler(projection))
        try:
            follow(loop)
            light = loop.consumer._fetcher.PartitionRecords is records.LightPartitionRecords
            assert light is fast
        finally:
            loop.close()
    fast_rows, reference_rows = stored(engine, models[0]), stored(engine, models[1])
    assert len(fast_rows["events"]) == len(events) and fast_rows["daily"] and fast_rows["cumulative"]
    assert fast_rows == reference_rows


def test_another_kafka_python_gets_the_reference_reader(bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from kafka import KafkaConsumer
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        monkeypatch.setattr(records.kafka, "__version__", "3.1.0")
        assert records.install(consumer) is False
        assert consumer._fetcher.PartitionRecords is not records.LightPartitionRecords
        monkeypatch.setattr(records.kafka, "__version__", records.WRITTEN_FOR)
        assert records.install(consumer) is True
    finally:
        consumer.close()
