"""Transactional outbox: writes add rows in their own transaction; the relay moves them to Kafka.

Rows are deleted only after Kafka acknowledged them (acks=all, idempotent producer), so a crash at
any point re-sends at worst; consumers drop the duplicates by event id.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kafka import KafkaProducer
from sqlalchemy import Connection, Engine, Table, delete, insert, select

from shared.events import Envelope, encode

log = logging.getLogger(__name__)


def enqueue(conn: Connection, outbox: Table, topic: str, envelope: Envelope) -> None:
    conn.execute(insert(outbox).values(topic=topic, key=envelope.participant_id, value=encode(envelope)))


def make_producer(bootstrap_servers: str, client_id: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        retries=2**31 - 1,
        compression_type=None,
    )


class Relay:
    """Moves outbox rows to Kafka in id order, in batches."""

    def __init__(self, engine: Engine, outbox: Table, producer_factory: Callable[[], KafkaProducer],
                 batch_size: int = 1000, idle_sleep: float = 0.05,
                 on_published: Callable[[int], None] | None = None) -> None:
        self._engine = engine
        self._outbox = outbox
        self._producer_factory = producer_factory
        self._producer: KafkaProducer | None = None
        self._batch_size = batch_size
        self._idle_sleep = idle_sleep
        self._on_published = on_published

    def run_once(self) -> int:
        """Publish one batch; returns how many rows Kafka acknowledged (and were deleted)."""
        if self._producer is None:
            self._producer = self._producer_factory()
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(self._outbox.c.id, self._outbox.c.topic, self._outbox.c.key, self._outbox.c.value)
                .order_by(self._outbox.c.id).limit(self._batch_size)
            ).all()
            conn.rollback()
        if not rows:
            return 0
        futures = [
            (row.id, self._producer.send(row.topic, key=row.key.encode(), value=bytes(row.value)))
            for row in rows
        ]
        self._producer.flush()
        acknowledged: list[int] = []
        for row_id, future in futures:
            try:
                future.get(timeout=30)
            except Exception:  # noqa: BLE001 - keep the row; the next pass sends it again
                log.exception("kafka did not acknowledge outbox row %s", row_id)
                break
            acknowledged.append(row_id)
        if acknowledged:
            with self._engine.begin() as conn:
                conn.execute(delete(self._outbox).where(self._outbox.c.id.in_(acknowledged)))
            if self._on_published:
                self._on_published(len(acknowledged))
        return len(acknowledged)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                sent = self.run_once()
            except Exception:  # noqa: BLE001 - a broker or database outage must not kill the relay
                log.exception("relay pass failed; retrying")
                sent = 0
                stop.wait(1.0)
            if sent == 0:
                stop.wait(self._idle_sleep)
        self.close()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=10)
            self._producer = None


def wait_until_empty(engine: Engine, outbox: Table, timeout: float = 30.0) -> bool:
    """For tests and demo loading: True once every outbox row has been published."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(select(outbox.c.id).limit(1)).first() is None:
                return True
        time.sleep(0.05)
    return False
