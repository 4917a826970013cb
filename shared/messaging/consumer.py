"""Consumer loop with manual offsets: what a batch applied and the next offsets commit together.

Offsets live in the service's own database, in the same transaction as the batch's writes, so a
crash or a redelivery never applies an event twice and never skips one. Kafka's committed offsets
are updated afterwards only so that lag shows in Kafka's own tools.
"""

from __future__ import annotations

import gc
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.coordinator.assignors.range import RangePartitionAssignor
from sqlalchemy import Connection, Engine, Table, select

from shared.db import upsert_many, write_turn
from shared.events import UnreadableEvent
from shared.events.rawcheck import read_events
from shared.messaging.backoff import Backoff, Condition, describe
from shared.messaging.deadletters import DeadLetter, Forwarder, store
from shared.messaging.records import Delivery, install, resume

log = logging.getLogger(__name__)
FULL_COLLECTION_SECONDS = 60.0  # between full garbage collections, in a process that turned automatic ones off
# A member that stops heartbeating (killed with -9) loses its partitions after this long, not the client's
# 45 s default. Heartbeats run in kafka-python's own thread, but on a busy 2-core machine (load 30, tests and
# benchmarks at once) 6 s, the broker's smallest, expired live members. A consumer restarted under its
# member name (static membership: `tienphong run` and compose give one) gets its partitions back at once.
SESSION_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS = 10_000, 2000
# reconnecting to a broker that was away: at most 1 s apart, not the client's 30 s (events written during an
# outage reached the summaries up to 36 s after the broker was back)
RECONNECT_BACKOFF_MAX_MS = 1000


class _GilBoundTaskFilter(logging.Filter):
    """kafka-python's network thread warns when one of its steps takes over 0.1 s. Reading a fetch response
    of several MiB in 4 KiB receives, it waits for the GIL at each while the consumer's thread computes: a
    step of 0.2-0.3 s, once a second, that delays nothing (heartbeats are seconds apart). Steps of a second
    or more, and every other record of that logger, still pass."""

    slow_step = re.compile(r"Task .* ran for ([0-9.]+)s")

    def filter(self, record: logging.LogRecord) -> bool:
        found = self.slow_step.match(str(record.msg)) if record.levelno == logging.WARNING else None
        return found is None or float(found.group(1)) >= 1.0


logging.getLogger("kafka.net.selector").addFilter(_GilBoundTaskFilter())


def settle_gc() -> None:
    """For batch consumers, which allocate millions of short-lived objects: with the default thresholds
    the cyclic collector runs every 700 allocations and walks the long-lived tally cache each time (a
    quarter of the projection's time); even every 100,000 it walked the objects of the batch in hand (2 us
    per event). What exists at start is frozen out of collection and automatic collection turned off: the
    consumer loop collects between batches instead (ConsumerLoop._collect_garbage), when the batch's
    objects are gone. Refcounting frees nearly everything anyway; memory stays flat."""
    gc.freeze()
    gc.disable()


# Reads each record's event into it (its envelope and data); returns the records that cannot be read, with why.
ReadRecords = Callable[[list[Delivery]], list[tuple[Delivery, UnreadableEvent]]]


ApplyBatch = Callable[[Connection, list[Delivery]], None]
# Optional first half of apply: reads and computes outside the write transaction, returns the writes.
PrepareBatch = Callable[[Connection, list[Delivery]], Callable[[Connection], None]]
# Called inside the batch's transaction with the reasons of the records sent to dead letters.
RecordDeadLetters = Callable[[Connection, list[str]], None]


def partitions_ahead(reached: dict[TopicPartition, tuple[int, int]], highwater: dict[TopicPartition, int | None],
                     step_ms: int) -> set[TopicPartition]:
    """Of the assigned partitions (the keys of `highwater`, each with its highwater mark, None if unknown)
    read so far (`reached`: each one's latest record timestamp read and next offset), those with records
    left to read whose timestamp is more than `step_ms` past the lowest among them. A partition read to its
    end is never ahead, and holds no other back."""
    behind: dict[TopicPartition, int] = {}
    for tp, (at, position) in reached.items():
        if tp in highwater:
            mark = highwater[tp]
            if mark is None or position < mark:
                behind[tp] = at
    if not behind:
        return set()
    limit = min(behind.values()) + step_ms
    return {tp for tp, at in behind.items() if at > limit}


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


@dataclass(frozen=True)
class ConsumerSettings:
    """Where a consumer reads, under which names, and how much at once."""

    bootstrap_servers: str
    group_id: str
    topics: tuple[str, ...]
    name: str = ""  # whose stored offsets (a row's `consumer`); the group's id when empty
    dead_letter_topic: str | None = None  # where copies of unreadable records go (None: logged only)
    # this process's stable name in its group (static membership): a member restarted under the same name
    # gets its partitions back at once, without waiting for the old one's session to time out
    instance_id: str | None = None
    max_poll_records: int = 2000
    # A poll returns at most what one fetch response holds, then waits a round trip for the next: a loop
    # taking large batches needs responses of a batch's size (the defaults suit ~600-byte events in batches
    # of a few thousand, and keep the consumer's memory low).
    fetch_max_bytes: int = 8 * 1024 * 1024
    max_partition_fetch_bytes: int = 1024 * 1024
    in_step: bool = False  # partitions read in step by their records' timestamps (see _keep_in_step)
    # the fenced fast reader of fetched batches (shared.messaging.records); off, kafka-python's own records
    light_records: bool = True
    # a member that receives nothing this long while records wait (or has no partitions) starts a fresh client
    starved_after: float = 20.0


@dataclass(frozen=True)
class BatchHandler:
    """What a consumer does with its batches: `apply_batch` in the batch's transaction, or `prepare` first
    (reads and computes on a read-only connection, outside the write transaction: consumer processes
    sharing a SQLite file then hold its write lock only to write) returning the writes. `forget` drops what
    the handler keeps in memory: called when partitions are (re)assigned, since another member may have
    applied their events meanwhile, and when a batch's transaction fails; its argument tells whether
    nothing at all was applied from the assigned partitions yet."""

    apply_batch: ApplyBatch
    prepare: PrepareBatch | None = None
    forget: Callable[[bool], None] | None = None
    before_poll: Callable[[ConsumerLoop], None] | None = None
    record_dead_letters: RecordDeadLetters | None = None
    read: ReadRecords = read_events  # the one reader of events every consumer uses
    on_applied: Callable[[int], None] | None = None


class ConsumerLoop:
    def __init__(self, engine: Engine, offsets: Table, settings: ConsumerSettings, handler: BatchHandler,
                 read_engine: Engine | None = None, dead_letters: Table | None = None) -> None:
        self._engine = engine
        self._offsets = offsets
        self.settings = settings
        self._name = settings.name or settings.group_id
        self._handler = handler
        self._written: dict[TopicPartition, int] = {}  # the offsets this process last stored
        # with `in_step`: the latest timestamp and next offset read of each partition
        self._reached: dict[TopicPartition, tuple[int, int]] = {}
        self._read_engine = read_engine or engine
        self._consumer: KafkaConsumer | None = None
        self._subscribed_at = 0.0
        self._received_at = 0.0  # when the last poll brought records
        self._full_collection_at = time.monotonic()
        # records it cannot apply: kept in its database (with the batch) and copied to the dead-letter topic
        self._dead_letters = dead_letters
        self._forwarder = None if settings.dead_letter_topic is None else Forwarder(
            lambda: KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", enable_idempotence=True,
                                  reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS, max_block_ms=10_000),
            settings.dead_letter_topic, settings.group_id)
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
            self._reached = {}
            if paused := self.consumer.paused():
                resume(self.consumer, list(paused))

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Apply one polled batch; returns the number of records it covered."""
        if not gc.isenabled():
            self._collect_garbage()
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
            self._keep_in_step(polled)
        if dead:
            self._forward_dead_letters(dead)
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

    def _keep_in_step(self, polled: dict[TopicPartition, list[Delivery]]) -> None:
        """Pauses the partitions read further on in time than the one furthest behind, by more than what one
        partition's share of a poll spans, and resumes them once it has caught up (`partitions_ahead`). A log
        read from far behind (a rebuild, a consumer catching up) holds each partition's events about in
        time order, but fetches hand out a MiB or two of one partition at a time: unchecked, one batch held
        weeks of one partition and months of another, and the sums of every unit's days and half-months in
        between were rewritten by batch after batch (a fifth of the projection's time on PostgreSQL,
        2026-12-03). In step, a batch covers a short time of every partition. Order within a partition is
        untouched: this only chooses which partitions the next fetches read."""
        spans = []
        for tp, records in polled.items():
            self._reached[tp] = (records[-1].timestamp, records[-1].offset + 1)
            spans.append(records[-1].timestamp - records[0].timestamp)
        spans.sort()
        consumer = self.consumer
        ahead = partitions_ahead(self._reached, {tp: consumer.highwater(tp) for tp in consumer.assignment()},
                                 max(spans[len(spans) // 2], 1))
        paused = consumer.paused()
        if again := [tp for tp in paused if tp not in ahead]:
            resume(consumer, again)
        if pause := [tp for tp in ahead if tp not in paused]:
            consumer.pause(*pause)

    def _collect_garbage(self) -> None:
        """Garbage collection between batches, for a process that turned automatic collection off (tienphong's
        consumer processes do: collecting in the middle of a batch walked all of the batch's objects, 2 us of
        the projection's ~25 per event). The previous batch's objects are gone by now, so the young
        generations hold only what outlives it (new tallies, say); a full collection now and then frees
        cycles among older objects."""
        now = time.monotonic()
        if now - self._full_collection_at >= FULL_COLLECTION_SECONDS:
            gc.collect()
            self._full_collection_at = now
        else:
            gc.collect(1)

    def _forward_dead_letters(self, dead: list[DeadLetter]) -> None:
        if self._forwarder is None:
            for letter in dead:
                log.error("unreadable record %s[%s]@%s: %s", letter.topic, letter.partition, letter.offset,
                          letter.reason)
            return
        self._forwarder.forward(dead)

    def _rejoin_if_stuck(self) -> None:
        """A member that gets nothing for `after_seconds` starts over with a fresh client, when it still has
        no partitions long after subscribing (seen rarely, right after topics were created), or when records
        wait in its partitions all that time (seen rarely on a machine loaded far beyond its cores: a member
        expired from its group kept polling nothing). Checked only once records stop coming, and then at most
        every `after_seconds` (the lag costs a request to the broker)."""
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
