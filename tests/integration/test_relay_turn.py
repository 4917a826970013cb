"""The relay on SQLite (shared/messaging/outbox.py) beside writers that hold the file: its passes read without
the write lock and send what was committed while another process holds the write lock and the write turn;
the rows sent are deleted once the turn is free, and rows written meanwhile are sent after them, each once.
The outbox is a SQLite file of its own whichever backend the suite runs on (PostgreSQL deletes at once)."""

from __future__ import annotations

import uuid
from pathlib import Path

from kafka import KafkaConsumer
from sqlalchemy import func, insert, select

from services.support.store import VERSIONS, outbox
from shared.db import make_engine, migrate, write_turn
from shared.messaging.outbox import relay_to
from shared.messaging.topics import ensure_topics


def test_the_relay_sends_while_writers_hold_the_file(bootstrap: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'support.db'}"
    engine = make_engine(url, durable=True)
    migrate(engine, VERSIONS)
    topic = f"relay-turn-{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, [topic], 1)
    relay = relay_to(bootstrap, engine, outbox, "test-relay-turn", make_engine(url, read_only=True))

    def write(*values: str) -> None:
        with engine.begin() as conn:
            conn.execute(insert(outbox), [{"topic": topic, "key": "k", "value": v.encode()} for v in values])

    def kept() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())

    try:
        write("a", "b", "c")
        # another process's write in progress: it holds the write turn and SQLite's write lock
        with write_turn(engine), engine.connect() as writer:
            writer.begin()
            # read and sent beside the writer (a pass that waited for its lock would fail: "database is locked")
            assert relay.run_once() == 3
            assert relay.run_once() == 0  # and not sent twice while they wait to be deleted
            writer.rollback()
        assert kept() == 3  # sent, not yet deleted: the turn was taken
        write("d", "e")
        assert relay.run_once() == 2  # the turn free: the sent rows deleted, then the new ones sent
        assert relay.run_once() == 0 and kept() == 0
    finally:
        relay.close()

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=10_000)
    received = [record.value.decode() for record in consumer]
    consumer.close()
    assert received == ["a", "b", "c", "d", "e"]
