"""Dead letters: records a consumer cannot apply (not JSON, an unknown type or version, an invalid
payload). Each is kept whole in the consumer's own database, in the transaction that moves its offsets
past it, and a copy goes to the dead-letter topic for Kafka's tools: cut short when it would not fit in a
request, so that no record, whatever its size, can hold a partition back. Operators list, inspect and
replay them (`tienphong deadletters`); a replay sends the record again to where it came from, and the
consumers drop an event they already applied by its id, so a replay never counts twice."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError, MessageSizeTooLargeError, RecordListTooLargeError
from sqlalchemy import Connection, Engine, Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

log = logging.getLogger(__name__)

# What the dead-letter topic takes of a record's value: the broker's default message.max.bytes is 1,048,588
# and the producer's request limit 1 MiB, and a forwarded copy carries headers on top of the value, so a
# record just under the broker's limit could not be forwarded whole (it was retried forever, 2026-12).
FORWARD_VALUE_BYTES = 900_000
# how much of a longer value the forwarded copy keeps (the database keeps it all)
TRUNCATED_VALUE_BYTES = 64 * 1024
# reasons as the event readers word them (shared/events), grouped for metrics
_CATEGORIES = (("not JSON", "not_json"), ("bad envelope", "bad_envelope"), ("is not a UUID", "bad_envelope"),
               ("unknown event type", "unknown_type"), ("unknown version", "unknown_version"),
               ("no upcaster", "unknown_version"), ("bad ", "invalid_payload"))


def category(reason: str) -> str:
    """A short label of why a record was refused, for metrics and listings."""
    for text, label in _CATEGORIES:
        if text in reason:
            return label
    return "other"


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    reason: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.value or b"").hexdigest()

    @property
    def size(self) -> int:
        return len(self.value or b"")

    def row(self) -> dict[str, Any]:
        return {"topic": self.topic, "partition": self.partition, "offset": self.offset, "key": self.key,
                "reason": self.reason[:1000], "category": category(self.reason), "sha256": self.sha256,
                "size": self.size, "value": self.value}


def store(conn: Connection, table: Table, letters: Sequence[DeadLetter]) -> None:
    """Keeps the letters in `conn`'s transaction; one already kept (the same record read again after a
    crash, or by a rebuild) stays as it was."""
    if not letters:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(table).on_conflict_do_nothing(index_elements=["topic", "partition", "offset"]),
                 [letter.row() for letter in letters])


class Forwarder:
    """Copies dead letters to the dead-letter topic. A copy that the broker or the producer refuses for its
    size goes again as a reference (origin, reason and hash, no value): the database has the record."""

    def __init__(self, producer: Callable[[], KafkaProducer], topic: str, consumer: str) -> None:
        self._make_producer = producer
        self._producer: KafkaProducer | None = None
        self._topic = topic
        self._consumer = consumer

    def forward(self, letters: Sequence[DeadLetter]) -> None:
        """Raises on a broker that cannot be reached (the caller retries the batch later)."""
        if self._producer is None:
            self._producer = self._make_producer()
        sent = [(letter, self._send(letter, whole=True)) for letter in letters]
        self._producer.flush()
        for letter, future in sent:
            log.warning("unreadable record %s[%s]@%s (%d bytes) to dead letters: %s", letter.topic,
                        letter.partition, letter.offset, letter.size, letter.reason)
            try:
                future.get(timeout=30)
            except (MessageSizeTooLargeError, RecordListTooLargeError):
                self._send(letter, whole=False).get(timeout=30)

    def _send(self, letter: DeadLetter, whole: bool) -> Any:
        assert self._producer is not None
        value = letter.value or b""
        headers = [("reason", letter.reason.encode()[:1000]), ("consumer", self._consumer.encode()),
                   ("origin", json.dumps({"topic": letter.topic, "partition": letter.partition,
                                          "offset": letter.offset}).encode()),
                   ("sha256", letter.sha256.encode()), ("size", str(letter.size).encode())]
        if not whole:
            value = b""
            headers.append(("truncated", b"reference"))
        elif len(value) > FORWARD_VALUE_BYTES:
            value = value[:TRUNCATED_VALUE_BYTES]
            headers.append(("truncated", str(TRUNCATED_VALUE_BYTES).encode()))
        try:
            return self._producer.send(self._topic, key=letter.key, value=value, headers=headers)
        except (MessageSizeTooLargeError, RecordListTooLargeError):
            if not whole:
                raise
            return self._send(letter, whole=False)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None


def forward(forwarder: Forwarder | None, letters: Sequence[DeadLetter]) -> None:
    """Copies to the dead-letter topic, or (a consumer without one) a log line each."""
    if forwarder is not None:
        forwarder.forward(letters)
        return
    for letter in letters:
        log.error("unreadable record %s[%s]@%s: %s", letter.topic, letter.partition, letter.offset, letter.reason)


# --- what operators do with them (tienphong deadletters) ---------------------------------------------------

def listing(engine: Engine, table: Table, include_replayed: bool = False) -> list[dict[str, Any]]:
    query = select(table.c.topic, table.c.partition, table.c.offset, table.c.key, table.c.category,
                   table.c.reason, table.c.size, table.c.sha256, table.c.recorded_at, table.c.replayed_at)
    if not include_replayed:
        query = query.where(table.c.replayed_at.is_(None))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query.order_by(table.c.recorded_at, table.c.topic,
                                                                         table.c.partition, table.c.offset))]


def counts(conn: Connection, table: Table) -> dict[str, int]:
    """Dead letters not replayed, by category."""
    rows = conn.execute(select(table.c.category, func.count()).where(table.c.replayed_at.is_(None))
                        .group_by(table.c.category))
    return {str(name): int(n) for name, n in rows}


def one(engine: Engine, table: Table, topic: str, partition: int, offset: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.topic == topic, table.c.partition == partition,
                                               table.c.offset == offset)).first()
    return None if row is None else dict(row._mapping)


def replay(engine: Engine, table: Table, producer: KafkaProducer,
           which: Sequence[tuple[str, int, int]] | None = None,
           sent_already: set[tuple[str, int, int]] | None = None) -> list[tuple[str, int, int]]:
    """Sends dead letters not yet replayed (all, or `which`) again to their topic with their key, and marks
    them replayed once Kafka has acknowledged them; returns their origins. One in `sent_already` (another
    consumer's dead letter of the same record, just replayed) is marked without being sent again. A record
    that still cannot be read becomes a new dead letter at its new offset; one that can is applied, unless
    its event was applied already."""
    wanted = None if which is None else set(which)
    with engine.connect() as conn:
        query = select(table).where(table.c.replayed_at.is_(None))
        rows = [r for r in conn.execute(query.order_by(table.c.topic, table.c.partition, table.c.offset))
                if wanted is None or (r.topic, r.partition, r.offset) in wanted]
    replayed: list[tuple[str, int, int]] = []
    for row in rows:
        origin = (row.topic, row.partition, row.offset)
        if origin not in (sent_already or set()):
            try:
                producer.send(row.topic, key=row.key, value=row.value,
                              headers=[("replay-of", f"{row.topic}/{row.partition}/{row.offset}".encode())]
                              ).get(timeout=30)
            except KafkaError as exc:
                log.error("could not replay %s[%s]@%s: %s", row.topic, row.partition, row.offset, exc)
                continue
        with engine.begin() as conn:
            conn.execute(update(table).where(table.c.topic == row.topic, table.c.partition == row.partition,
                                             table.c.offset == row.offset).values(replayed_at=datetime.now(UTC)))
        replayed.append(origin)
    return replayed
