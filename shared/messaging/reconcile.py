"""`tienphong reconcile`: republish what a topic lacks of its write service's event store.

The relay deletes an outbox row once Kafka acknowledged it. A single broker that loses the tail of a
partition afterwards (a power cut without flush settings, a disk restored from an older backup) loses
those events from the log while the event store, committed durably, still has them. This compares the
two and sends the missing events again: same key, same envelope. Consumers drop what they applied
already by event id, so running it twice, or on a complete log, changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import msgspec
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine, Table, select, update
from sqlalchemy.engine import Connection

from shared.events import decode, encode
from shared.eventstore import EventStore
from shared.messaging.outbox import make_producer

log = logging.getLogger(__name__)
CHUNK = 1000


@dataclass(frozen=True)
class EventSource:
    """A write service's event store, the outbox it publishes from and the topic its events go to."""

    service: str
    engine: Engine
    store: EventStore
    outbox: Table
    topic: str


@dataclass
class Report:
    topic: str
    stored: int = 0  # events in the event store
    logged: int = 0  # distinct event ids found in the topic
    pending: int = 0  # events still in the outbox: the relay sends them, this does not
    republished: int = 0
    rewound: list[str] = field(default_factory=list)  # consumer offsets moved back, "table consumer topic[p]"

    def line(self) -> str:
        return (f"{self.topic}: {self.stored} stored, {self.logged} in the log, {self.pending} waiting in the "
                f"outbox, {self.republished} republished, {len(self.rewound)} consumer offsets rewound")


class _EventId(msgspec.Struct):
    event_id: str


_event_id = msgspec.json.Decoder(_EventId)


def logged_event_ids(bootstrap_servers: str, topic: str) -> tuple[set[str], dict[TopicPartition, int]]:
    """Every event id in the topic, read up to the end offsets seen when starting, and those offsets."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
                             client_id="tienphong-reconcile", auto_offset_reset="earliest")
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            raise RuntimeError(f"topic {topic} not found on {bootstrap_servers}")
        ends = consumer.end_offsets(partitions)
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ids: set[str] = set()
        left = {tp for tp in partitions if consumer.position(tp) < ends[tp]}
        while left:
            for tp, records in consumer.poll(timeout_ms=1000).items():
                for record in records:
                    # not an event (the consumers dead-letter it): nothing to compare
                    with contextlib.suppress(msgspec.DecodeError, TypeError):
                        if record.offset < ends[tp]:
                            ids.add(_event_id.decode(record.value).event_id)
            left = {tp for tp in left if consumer.position(tp) < ends[tp]}
        return ids, ends
    finally:
        consumer.close()


def _outbox_event_ids(conn: Connection, outbox: Table) -> set[str]:
    return {decode(bytes(value)).event_id for value in conn.execute(select(outbox.c.value)).scalars()}


def stored_and_pending(source: EventSource) -> tuple[list[str], set[str]]:
    """The event store's ids, each participant's in stream order, then the outbox's. Read in this order and
    before the log: an event in the store is then either still in the outbox or was acknowledged (and so is
    in the log) before the outbox was read."""
    events = source.store.events
    with source.engine.connect() as conn:
        stored = list(conn.execute(select(events.c.event_id).order_by(events.c.participant_id, events.c.sequence))
                      .scalars())
        pending = _outbox_event_ids(conn, source.outbox)
        conn.rollback()
    return stored, pending


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def rewind_offsets(engine: Engine, offsets: Table, ends: dict[TopicPartition, int], report: Report,
                   label: str) -> None:
    """A stored consumer offset beyond a partition's end means the log lost records that consumer had
    applied; records appended from then on take offsets it would skip (the republished ones, and any sent
    since the broker came back, below that stored offset too). Such an offset is moved back to the start
    of the partition, not to its end: appends since the loss cannot be told apart from the offsets alone.
    The consumer reads the partition again and drops by event id what it applied already: exact, at the
    cost of one reading of that partition."""
    with engine.begin() as conn:
        for row in conn.execute(select(offsets).where(offsets.c.topic.in_({tp.topic for tp in ends}))).all():
            tp = TopicPartition(row.topic, row.partition)
            if tp in ends and row.next_offset > ends[tp]:
                conn.execute(update(offsets).where(offsets.c.consumer == row.consumer,
                                                   offsets.c.topic == row.topic,
                                                   offsets.c.partition == row.partition).values(next_offset=0))
                report.rewound.append(f"{label} {row.consumer} {tp.topic}[{tp.partition}] {row.next_offset}->0")
                log.warning("%s consumer %s was at %s on %s[%s], past the log's end %s: rewound to 0", label,
                            row.consumer, row.next_offset, tp.topic, tp.partition, ends[tp])


def reconcile(bootstrap_servers: str, source: EventSource, offset_tables: list[tuple[str, Engine, Table]]) -> Report:
    """Compare one write service's events with its topic; fix the consumers' offsets, then republish."""
    report = Report(source.topic)
    stored, pending = stored_and_pending(source)
    logged, ends = logged_event_ids(bootstrap_servers, source.topic)
    report.stored, report.pending, report.logged = len(stored), len(pending), len(logged)
    missing = [event_id for event_id in stored if event_id not in pending and event_id not in logged]
    # offsets first: a consumer must not skip what is about to be appended (see rewind_offsets)
    for label, engine, offsets in offset_tables:
        rewind_offsets(engine, offsets, ends, report, label)
    producer = None
    try:
        for chunk in _chunks(missing):  # in stream order: a participant's events stay in order in the log
            producer = producer or make_producer(bootstrap_servers, f"tienphong-{source.service}-reconcile")
            with source.engine.connect() as conn:
                envelopes = source.store.envelopes(conn, chunk)
                conn.rollback()
            futures = []
            for stored_envelope in envelopes:
                # as the writer enqueued it (shared.writes.new_event): the store keeps no service field
                envelope = msgspec.structs.replace(stored_envelope, service=source.service)
                futures.append(producer.send(source.topic, key=envelope.participant_id.encode(),
                                             value=encode(envelope)))
            producer.flush()
            for future in futures:
                future.get(timeout=60)  # an error stops the run; running it again resumes
            report.republished += len(futures)
    finally:
        if producer is not None:
            producer.close(timeout=10)
    return report
