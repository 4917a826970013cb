"""A consumer that receives nothing while records wait in its partitions starts over with a fresh client
(seen on a machine loaded far beyond its cores: a member expired from its group polled nothing for good)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from kafka import KafkaProducer
from sqlalchemy import Connection, MetaData

from shared.db import make_engine
from shared.messaging.consumer import BatchHandler, ConsumerLoop, ConsumerSettings
from shared.messaging.records import Delivery
from shared.messaging.tables import consumer_offsets_table
from shared.messaging.topics import ensure_topics


def test_a_starved_consumer_joins_again_and_gets_its_records(bootstrap: str, tmp_path: Path) -> None:
    topic = f"t{uuid.uuid4().hex[:10]}.events"
    ensure_topics(bootstrap, [topic], 2)
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(10):
        producer.send(topic, key=str(i).encode(), value=b"{}")
    producer.close()
    offsets = consumer_offsets_table(MetaData())
    engine = make_engine(f"sqlite:///{tmp_path / 'offsets.db'}")
    offsets.metadata.create_all(engine)
    applied: list[int] = []

    def apply(conn: Connection, batch: list[Delivery]) -> None:
        applied.extend(record.offset for record in batch)

    settings = ConsumerSettings(bootstrap, f"g-{uuid.uuid4().hex[:8]}", (topic,), "c", starved_after=2.0)
    loop = ConsumerLoop(engine, offsets, settings, BatchHandler(apply, read=lambda records: []))
    try:
        deadline = time.monotonic() + 60
        while not loop.consumer.assignment():
            assert time.monotonic() < deadline
            loop.consumer.poll(timeout_ms=200, max_records=1)  # joins, and may fetch: seeks back below
        starved = loop.consumer
        starved.pause(*starved.assignment())  # as stuck as the expired member was: polls bring nothing
        for tp in starved.assignment():
            starved.seek_to_beginning(tp)
        while len(applied) < 10:
            assert time.monotonic() < deadline, f"still starved with {len(applied)} applied"
            loop.poll_once(timeout_ms=200)
        assert loop.consumer is not starved and len(applied) == 10
    finally:
        loop.close()
