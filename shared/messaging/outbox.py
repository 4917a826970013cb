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

from shared.db import write_turn
from shared.events import Envelope, encode
from shared.messaging.backoff import Backoff, Condition, describe

log = logging.getLogger(__name__)


def enqueue(conn: Connection, outbox: Table, topic: str, envelope: Envelope) -> None:
    # the row as parameters of the plain INSERT, whose compiled form SQLAlchemy caches once per table
    conn.execute(insert(outbox), {"topic": topic, "key": envelope.participant_id, "value": encode(envelope)})


def enqueue_many(conn: Connection, outbox: Table, topic: str, envelopes: list[Envelope]) -> None:
    if envelopes:
        conn.execute(insert(outbox), [{"topic": topic, "key": e.participant_id, "value": encode(e)} for e in envelopes])


def make_producer(bootstrap_servers: str, client_id: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        retries=2**31 - 1,
        compression_type=None,
        # a broker that was away is tried again every second at most (the client's default backs off to
        # 30 s, which delayed events written during an outage by up to that once it was back), and a pass
        # gives up after 30 s, to be tried again, rather than after 2 minutes
        reconnect_backoff_max_ms=1000,
        max_block_ms=5000,
        request_timeout_ms=10_000,
        delivery_timeout_ms=30_000,
    )


# SQLite: acknowledged rows left for a free write turn before the relay waits for one (about two minutes of
# a peak of POSTs; all of them sent again if the relay stops before deleting them)
KEEP_SENT_AT_MOST = 100_000


class Relay:
    """Moves outbox rows to Kafka in id order, in batches."""

    def __init__(self, engine: Engine, outbox: Table, producer_factory: Callable[[], KafkaProducer],
                 batch_size: int = 1000, idle_sleep: float = 0.05,
                 on_published: Callable[[int], None] | None = None, reader: Engine | None = None) -> None:
        self._engine = engine
        # SQLite: a read-only engine (a plain BEGIN) for the passes' SELECT; the write engine's BEGIN IMMEDIATE
        # made every pass queue for the write lock behind the POSTs, in SQLite's busy handler (1.2-1.6 s for
        # a pass at peak, and the events with it)
        self._reader = reader or engine
        self._outbox = outbox
        self._producer_factory = producer_factory
        self._producer: KafkaProducer | None = None
        self._batch_size = batch_size
        self._idle_sleep = idle_sleep
        self._on_published = on_published
        self.condition = Condition(log, "relay")
        self.waiting = 0  # outbox rows the last pass found
        # SQLite: rows Kafka acknowledged are deleted when the file's write turn is free, not by queueing
        # behind the POSTs for it (at peak the relay waited there up to seconds, and every event with it).
        # Until then they stay, the highest in `_sent_upto`: a rowid is above every id in the table, so while
        # they are there every row at or below it has been sent and every new one is above it.
        self._sqlite = engine.dialect.name == "sqlite"
        self._sent_upto: int | None = None
        self._kept = 0  # acknowledged rows not yet deleted

    def run_once(self) -> int:
        """Publish one batch; returns how many rows Kafka acknowledged."""
        if self._producer is None:
            self._producer = self._producer_factory()
        if self._sent_upto is not None:
            self._forget_sent(force=self._kept >= KEEP_SENT_AT_MOST)
        query = select(self._outbox.c.id, self._outbox.c.topic, self._outbox.c.key, self._outbox.c.value)
        if self._sent_upto is not None:
            query = query.where(self._outbox.c.id > self._sent_upto)
        with self._reader.connect() as conn:
            rows = conn.execute(query.order_by(self._outbox.c.id).limit(self._batch_size)).all()
            conn.rollback()
        self.waiting = len(rows)
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
            except Exception as exc:  # noqa: BLE001 - keep the row; the next pass sends it again
                self.condition.fail(f"Kafka did not acknowledge outbox row {row_id}: {describe(exc)}")
                break
            acknowledged.append(row_id)
        if acknowledged:
            if self._sqlite:  # a prefix of the rows above _sent_upto, in id order
                self._sent_upto, self._kept = acknowledged[-1], self._kept + len(acknowledged)
                self._forget_sent(force=False)
            else:  # PostgreSQL: ids are not in commit order, so the rows themselves, at once
                with self._engine.begin() as conn:
                    conn.execute(delete(self._outbox).where(self._outbox.c.id.in_(acknowledged)))
            if self._on_published:
                self._on_published(len(acknowledged))
        return len(acknowledged)

    def _forget_sent(self, force: bool) -> None:
        """SQLite: delete the rows sent, if the write turn is free (or `force`: so many wait that the relay
        waits for it). If the relay stops first, they are sent again (at least once, as after any crash)."""
        with write_turn(self._engine, blocking=force) as turn:
            if not turn:
                return
            with self._engine.begin() as conn:
                conn.execute(delete(self._outbox).where(self._outbox.c.id <= self._sent_upto))
            self._sent_upto, self._kept = None, 0

    def run(self, stop: threading.Event) -> None:
        """Publishes until `stop`; an outage of the broker or the database is retried with capped backoff
        for as long as it lasts (the writes meanwhile wait in the outbox)."""
        backoff = Backoff()
        while not stop.is_set():
            try:
                sent = self.run_once()
            except Exception as exc:  # noqa: BLE001 - a broker or database outage must not kill the relay
                self.condition.fail(describe(exc))
                stop.wait(backoff.next())
                continue
            if sent or not self.waiting:  # published, or nothing to publish
                self.condition.ok()
                backoff.reset()
                if not sent:
                    stop.wait(self._idle_sleep)
            else:  # rows waiting and none acknowledged: the broker is away
                stop.wait(backoff.next())
        self.close()

    def close(self) -> None:
        if self._sent_upto is not None:
            try:
                self._forget_sent(force=True)
            except Exception as exc:  # noqa: BLE001 - the rows are sent again by the next relay: at least once
                log.warning("acknowledged outbox rows not deleted at stop (%s); they will be sent again",
                            describe(exc))
        if self._producer is not None:
            self._producer.close(timeout=10)
            self._producer = None


def relay_to(bootstrap_servers: str, engine: Engine, outbox: Table, client_id: str,
             reader: Engine | None = None) -> Relay:
    """A relay of `outbox` to the brokers at `bootstrap_servers` (its producer made on its first pass)."""
    return Relay(engine, outbox, lambda: make_producer(bootstrap_servers, client_id), reader=reader)


def wait_until_empty(engine: Engine, outbox: Table, timeout: float = 30.0) -> bool:
    """For tests and demo loading: True once every outbox row has been published."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(select(outbox.c.id).limit(1)).first() is None:
                return True
        time.sleep(0.05)
    return False
