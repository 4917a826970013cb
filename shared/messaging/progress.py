"""What a service can tell of its relay and its consumer from its own database, for /readyz and /metrics:
the consumers and relays run in processes of their own, so their progress is read where they leave it
(stored offsets, outbox rows, dead letters), never from their memory."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine, Table, func, select

from shared.messaging.deadletters import counts as dead_letter_counts
from shared.messaging.offsets import EndOffsets


class NotAdvancing(RuntimeError):
    """A consumer or relay has work waiting and has done none of it for too long."""


class ConsumerProgress:
    """A consumer's stored offsets against Kafka's end offsets, and its heartbeat (when it last applied a
    batch or found nothing waiting, shared/messaging/heartbeat.py). `check` (a readiness check) raises when
    records wait and the consumer has not advanced for `stall_seconds`: read from its database, so every
    worker and replica of the service answers alike. A consumer that never beat yet is timed from this
    process's first look."""

    def __init__(self, engine: Engine, offsets: Table, heartbeats: Table,
                 consumer_name: Callable[[Connection], str], end_offsets: EndOffsets, stall_seconds: float) -> None:
        self._engine = engine
        self._offsets = offsets
        self._heartbeats = heartbeats
        self._consumer_name = consumer_name
        self._end_offsets = end_offsets
        self.stall_seconds = stall_seconds
        self._first_look = time.monotonic()

    def _read(self) -> tuple[list[tuple[str, int, int, int]], datetime | None]:
        with self._engine.connect() as conn:
            name = self._consumer_name(conn)
            stored = {(r.topic, r.partition): int(r.next_offset)
                      for r in conn.execute(select(self._offsets).where(self._offsets.c.consumer == name))}
            seen_at = conn.execute(select(self._heartbeats.c.seen_at)
                                   .where(self._heartbeats.c.consumer == name)).scalar()
            conn.rollback()
        ends = self._end_offsets()
        rows = [(topic, partition, stored.get((topic, partition), 0), end)
                for (topic, partition), end in sorted(ends.items())]
        return rows, seen_at

    def state(self) -> tuple[list[tuple[str, int, int, int]], float, int]:
        """(topic, partition, next offset to apply, end offset) of every partition; the seconds since the
        consumer last advanced while records waited (0 when it is caught up); the lag. One read of each."""
        rows, seen_at = self._read()
        lag = sum(max(0, end - position) for _, _, position, end in rows)
        if lag == 0:
            return rows, 0.0, 0
        if seen_at is None:
            return rows, time.monotonic() - self._first_look, lag
        if seen_at.tzinfo is None:  # SQLite gives back naive UTC
            seen_at = seen_at.replace(tzinfo=UTC)
        return rows, max(0.0, (datetime.now(UTC) - seen_at).total_seconds()), lag

    def check(self) -> None:
        _, waited, lag = self.state()
        if waited >= self.stall_seconds:
            raise NotAdvancing(f"{lag} records wait and none was applied for {waited:.0f}s")


class OutboxBacklog:
    """The outbox rows a relay has not published yet, and how old the oldest is."""

    def __init__(self, engine: Engine, outbox: Table, stall_seconds: float) -> None:
        self._engine = engine
        self._outbox = outbox
        self.stall_seconds = stall_seconds

    def measure(self) -> tuple[int, float]:
        with self._engine.connect() as conn:
            count, oldest = conn.execute(select(func.count(), func.min(self._outbox.c.created_at))).one()
            conn.rollback()
        if not count or oldest is None:
            return 0, 0.0
        if oldest.tzinfo is None:  # SQLite gives back naive UTC
            oldest = oldest.replace(tzinfo=UTC)
        return int(count), max(0.0, (datetime.now(UTC) - oldest).total_seconds())

    def check(self) -> None:
        count, age = self.measure()
        if age >= self.stall_seconds:
            raise NotAdvancing(f"{count} events wait in the outbox, the oldest for {age:.0f}s: is the relay running?")


class MessagingCollector(Collector):
    """/metrics of a service's messaging: consumer lag per partition and how long it has not advanced,
    dead letters by reason, outbox backlog. Each part is left out while what it reads cannot be reached
    (/readyz says why)."""

    def __init__(self, service: str, progress: ConsumerProgress | None = None,
                 dead_letters: tuple[Engine, Table] | None = None, outbox: OutboxBacklog | None = None) -> None:
        self._service = service
        self._progress = progress
        self._dead_letters = dead_letters
        self._outbox = outbox

    def collect(self) -> Iterator[GaugeMetricFamily]:
        labels = {"service": self._service}
        if self._progress is not None:
            try:
                rows, stalled_seconds, _ = self._progress.state()
                stalled: float | None = stalled_seconds
            except Exception:  # noqa: BLE001 - Kafka or the database away: no figure rather than a wrong one
                rows, stalled = [], None
            lag = GaugeMetricFamily("tienphong_consumer_lag", "Records not yet applied, per partition",
                                    labels=["service", "topic", "partition"])
            for topic, partition, position, end in rows:
                lag.add_metric([self._service, topic, str(partition)], max(0, end - position))
            yield lag
            if stalled is not None:
                yield _one("tienphong_consumer_stalled_seconds",
                           "Seconds the consumer has applied nothing while records waited", labels, stalled)
        if self._dead_letters is not None:
            engine, table = self._dead_letters
            try:
                with engine.connect() as conn:
                    by_category = dead_letter_counts(conn, table)
                    conn.rollback()
            except Exception:  # noqa: BLE001
                by_category = None
            if by_category is not None:
                family = GaugeMetricFamily("tienphong_dead_letters", "Records the consumer could not apply and "
                                           "has not replayed, by reason", labels=["service", "reason"])
                for reason, n in sorted(by_category.items()):
                    family.add_metric([self._service, reason], n)
                yield family
        if self._outbox is not None:
            try:
                count, age = self._outbox.measure()
            except Exception:  # noqa: BLE001
                return
            yield _one("tienphong_outbox_backlog", "Events written and not yet published to Kafka", labels, count)
            yield _one("tienphong_outbox_oldest_seconds", "Age of the oldest unpublished event", labels, age)


def _one(name: str, documentation: str, labels: dict[str, str], value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    family.add_metric(list(labels.values()), value)
    return family
