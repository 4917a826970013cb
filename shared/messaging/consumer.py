"""Consumer loop with manual offsets: what a batch applied and the next offsets commit together.

Offsets live in the service's own database, in the same transaction as the batch's writes, so a
crash or a redelivery never applies an event twice and never skips one. Kafka's committed offsets
are updated afterwards only so that lag shows in Kafka's own tools.
"""

from __future__ import annotations

import logging
import threading
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.coordinator.assignors.range import RangePartitionAssignor
from sqlalchemy import Connection, Engine, Table, select

from shared.db import upsert_many, write_turn
from shared.messaging import kafka_logs  # noqa: F401 - quiets kafka-python's GIL-bound step warnings
from shared.messaging.backoff import Backoff, Condition, describe
from shared.messaging.batches import BatchHandler, ConsumerSettings
from shared.messaging.deadletters import DeadLetter, Forwarder, forward, store
from shared.messaging.heartbeat import Heartbeat
from shared.messaging.pacing import Collector, InStep, settle_gc
from shared.messaging.records import Delivery, install, resume

__all__ = ["BatchHandler", "ConsumerLoop", "ConsumerSettings", "Delivery", "settle_gc", "stored_offsets"]

log = logging.getLogger(__name__)
# A member that stops heartbeating (killed with -9) loses its partitions after this long, not the client's
# 45 s default. Heartbeats run in kafka-python's own thread, but on a busy 2-core machine (load 30, tests and
# benchmarks at once) 6 s, the broker's smallest, expired live members. A consumer restarted under its
# member name (static membership: `tienphong run` and compose give one) gets its partitions back at once.
SESSION_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS = 10_000, 2000
# reconnecting to a broker that was away: at most 1 s apart, not the client's 30 s (events written during an
# outage reached the summaries up to 36 s after the broker was back)
RECONNECT_BACKOFF_MAX_MS = 1000


def stored_offsets(conn: Connection, offsets: Table, consumer: str) -> dict[TopicPartition, int]:
    rows = conn.execute(select(offsets).where(offsets.c.consumer == consumer)).all()
    return {TopicPartition(r.topic, r.partition): r.next_offset for r in rows}


class _SeekToStored(ConsumerRebalanceListener):
    def __init__(self, loop: ConsumerLoop) -> None:
        self._loop = loop

    def on_partitions_revoked(self, revoked):  # type: ignore[no-untyped-def]
        pass

    def on_partitions_assigned(self, assigned):  # type: ignore[no-untyped-def]
        self._loop.seek_assigned(list(assigned))


class ConsumerLoop:
    def __init__(self, engine: Engine, offsets: Table, settings: ConsumerSettings, handler: BatchHandler,
                 read_engine: Engine | None = None, dead_letters: Table | None = None,
                 heartbeats: Table | None = None) -> None:
        self._engine = engine
        self._offsets = offsets
        self.settings = settings
        self._name = settings.name or settings.group_id
        self._handler = handler
        self._written: dict[TopicPartition, int] = {}  # the offsets this process last stored
        # with `in_step`: the latest timestamp and next offset read of each partition
        self._in_step = InStep()
        self._read_engine = read_engine or engine
        self._consumer: KafkaConsumer | None = None
        self._subscribed_at = 0.0
        self._received_at = 0.0  # when the last poll brought records
        self._collector = Collector()
        # records it cannot apply: kept in its database (with the batch) and copied to the dead-letter topic
        self._dead_letters = dead_letters
        self._forwarder = None if settings.dead_letter_topic is None else Forwarder(
            lambda: KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", enable_idempotence=True,
                                  reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS, max_block_ms=10_000),
            settings.dead_letter_topic, settings.group_id)
        # when it last applied a batch or found nothing waiting, for its service's /readyz
        self._heartbeat = None if heartbeats is None else Heartbeat(engine, heartbeats, lambda: self._name)
        self._resync = False  # after a failed batch: go back to the stored offsets before polling again
        self.condition = Condition(log, f"consumer {self._name}")

    @property
    def consumer(self) -> KafkaConsumer:
        if self._consumer is None:
            settings = self.settings
            self._consumer = KafkaConsumer(
                bootstrap_servers=settings.bootstrap_servers,
                group_id=settings.group_id,
                client_id=self._name,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=settings.max_poll_records,
                fetch_max_bytes=settings.fetch_max_bytes,
                max_partition_fetch_bytes=settings.max_partition_fetch_bytes,
                # a topic created a moment ago is seen within seconds, not after the 5-minute default
                metadata_max_age_ms=5000,
                session_timeout_ms=SESSION_TIMEOUT_MS,
                heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
                reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
                group_instance_id=settings.instance_id,
                # partition N of every topic to the same member: topics are keyed by participant with equal
                # partition counts, so each participant's events, whatever their topic, meet in one process
                partition_assignment_strategy=(RangePartitionAssignor,),
            )
            if settings.light_records:
                install(self._consumer)  # records read cheaply: the loop needs 5 of their 13 fields
            self._wait_for_topics(self._consumer)
            self._consumer.subscribe(list(settings.topics), listener=_SeekToStored(self))
            self._subscribed_at = time.monotonic()
        return self._consumer

    def _wait_for_topics(self, consumer: KafkaConsumer, timeout: float = 30.0) -> None:
        """Subscribe only once the broker's metadata has the topics: a group assignment made before
        would leave this member without partitions until the next metadata refresh."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(consumer.partitions_for_topic(topic) for topic in self.settings.topics):
                return
            time.sleep(0.2)
        log.warning("topics %s not in the broker's metadata after %.0fs; subscribing anyway", self.settings.topics,
                    timeout)

    @property
    def name(self) -> str:
        return self._name

    def rename(self, consumer_name: str) -> None:
        """Continue from the offsets stored under another name (a new read-model generation)."""
        self._name = consumer_name
        self._written = {}
        if self._consumer is not None:
            self.seek_assigned(list(self._consumer.assignment()))

    def seek_assigned(self, assigned: list[TopicPartition]) -> None:
        with self._engine.connect() as conn:
            known = stored_offsets(conn, self._offsets, self._name)
            conn.rollback()
        # What apply_batch remembers stays true only if nobody else applied these partitions since
        # (a rebalance often hands the same partitions back).
        forget = self._handler.forget
        if forget is not None and (not self._written
                                   or any(known.get(tp) != self._written.get(tp) for tp in assigned)):
            forget(all(tp not in known for tp in assigned))
            self._written = {}
        for tp in assigned:
            if tp in known:
                self.consumer.seek(tp, known[tp])
            else:
                self.consumer.seek_to_beginning(tp)
        if self.settings.in_step:
            self._in_step.reset()
            if paused := self.consumer.paused():
                resume(self.consumer, list(paused))

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Apply one polled batch; returns the number of records it covered."""
        self._collector.between_batches()
        if self._resync:
            if self._consumer is not None:
                self.seek_assigned(list(self._consumer.assignment()))
            self._resync = False
        handler = self._handler
        if handler.before_poll is not None:
            handler.before_poll(self)
        polled = self.consumer.poll(timeout_ms=timeout_ms)
        if not polled:
            self._rejoin_if_stuck()
            if self._heartbeat is not None:
                self._heartbeat.when_idle(self.lag)
            return 0
        self._received_at = time.monotonic()
        deliveries: list[Delivery] = []
        dead: list[DeadLetter] = []
        next_offsets: dict[TopicPartition, int] = {}
        for tp, records in polled.items():
            if type(records[0]) is not Delivery:  # kafka-python's own records (see shared.messaging.records)
                records = [Delivery(r.topic, r.partition, r.offset, None, None, r.value,
                                    -1 if r.timestamp is None else r.timestamp, r.key) for r in records]
            unreadable = handler.read(records)
            if unreadable:
                refused = {id(record) for record, _ in unreadable}
                deliveries.extend(record for record in records if id(record) not in refused)
                dead.extend(DeadLetter(r.topic, r.partition, r.offset, r.key, r.value, str(reason))
                            for r, reason in unreadable)
            else:
                deliveries.extend(records)
            next_offsets[tp] = records[-1].offset + 1
        if self.settings.in_step:
            self._in_step.keep(self.consumer, polled)
        if dead:
            forward(self._forwarder, dead)
        try:
            write = None
            if deliveries and handler.prepare is not None:
                with self._read_engine.connect() as reader:
                    write = handler.prepare(reader, deliveries)
                    reader.rollback()
            with write_turn(self._engine), self._engine.begin() as conn:
                if write is not None:
                    write(conn)
                elif deliveries:
                    handler.apply_batch(conn, deliveries)
                if dead and self._dead_letters is not None:
                    store(conn, self._dead_letters, dead)
                if dead and handler.record_dead_letters is not None:
                    handler.record_dead_letters(conn, [letter.reason for letter in dead])
                if self._heartbeat is not None:
                    self._heartbeat.beat(conn)
                upsert_many(conn, self._offsets, [
                    {"consumer": self._name, "topic": tp.topic, "partition": tp.partition, "next_offset": offset}
                    for tp, offset in next_offsets.items()], keys=["consumer", "topic", "partition"])
        except BaseException:
            if handler.forget is not None:
                handler.forget(False)
            self._written = {}
            raise
        self._written.update(next_offsets)
        self.consumer.commit_async({tp: OffsetAndMetadata(o, "", -1) for tp, o in next_offsets.items()})
        if handler.on_applied:
            handler.on_applied(len(deliveries))
        return sum(len(r) for r in polled.values())

    def _rejoin_if_stuck(self) -> None:
        """A member that gets nothing for `starved_after` seconds starts over with a fresh client: when it has
        no partitions long after subscribing (seen right after topics were created), or when records wait in
        its partitions (seen at load 20-30 on 2 cores: a member expired from its group polled nothing). The
        lag, a request to the broker, is asked at most once per period."""
        after_seconds = self.settings.starved_after
        consumer = self._consumer
        if consumer is None or time.monotonic() - max(self._subscribed_at, self._received_at) <= after_seconds:
            return
        if consumer.assignment():
            self._received_at = time.monotonic()
            lag = self.lag()
            if not lag:
                return
            why = f"{lag} records wait in its partitions and none came for {after_seconds:.0f}s"
        else:
            why = f"no partitions {after_seconds:.0f}s after subscribing"
        log.warning("consumer %s: %s; joining again with a fresh client", self._name, why)
        consumer.close(autocommit=False)
        self._consumer = None

    def lag(self) -> int | None:
        """Records between this consumer's positions and the end of its assigned partitions;
        None until partitions are assigned."""
        assignment = list(self.consumer.assignment())
        if not assignment:
            return None
        ends = self.consumer.end_offsets(assignment)
        return sum(max(0, ends[tp] - self.consumer.position(tp)) for tp in assignment)

    def group_progress(self) -> tuple[int, int]:
        """(records applied, records in the topics) over every partition, whoever applied them:
        the stored offsets of this consumer name against the end offsets."""
        partitions = [TopicPartition(topic, p) for topic in self.settings.topics
                      for p in sorted(self.consumer.partitions_for_topic(topic) or [])]
        ends = self.consumer.end_offsets(partitions)
        with self._engine.connect() as conn:
            stored = stored_offsets(conn, self._offsets, self._name)
            conn.rollback()
        applied = sum(min(stored.get(tp, 0), ends[tp]) for tp in partitions)
        return applied, sum(ends.values())

    def caught_up(self) -> bool:
        """True when this member's own partitions (if any) have nothing left to read."""
        lag = self.lag()
        return lag is None or lag == 0

    def run(self, stop: threading.Event) -> None:
        """Polls and applies until `stop`. A failure (the broker or the database away) is retried from the
        stored offsets with capped backoff for as long as it lasts, logged when it starts and ends."""
        backoff = Backoff()
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # noqa: BLE001 - keep consuming; the batch is retried from stored offsets
                if self.condition.failing is None:
                    log.exception("consumer batch failed; going back to the stored offsets")
                self.condition.fail(describe(exc))
                self._resync = True
                stop.wait(backoff.next())
                continue
            self.condition.ok()
            backoff.reset()
        self.close()

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close(autocommit=False)
            self._consumer = None
        if self._forwarder is not None:
            self._forwarder.close()
