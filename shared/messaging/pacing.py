"""Reading partitions in step by time, and collecting garbage between batches: how a consumer of long
backlogs keeps its batches short in time and its memory flat."""

from __future__ import annotations

import gc
import time

from kafka import KafkaConsumer, TopicPartition

from shared.messaging.records import Delivery, resume

FULL_COLLECTION_SECONDS = 60.0  # between full garbage collections, in a process that turned automatic ones off


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


class InStep:
    """The latest timestamp and next offset read of each partition, and the pausing they call for."""

    def __init__(self) -> None:
        self.reached: dict[TopicPartition, tuple[int, int]] = {}

    def reset(self) -> None:
        self.reached = {}

    def keep(self, consumer: KafkaConsumer, polled: dict[TopicPartition, list[Delivery]]) -> None:
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
            self.reached[tp] = (records[-1].timestamp, records[-1].offset + 1)
            spans.append(records[-1].timestamp - records[0].timestamp)
        spans.sort()
        ahead = partitions_ahead(self.reached, {tp: consumer.highwater(tp) for tp in consumer.assignment()},
                                 max(spans[len(spans) // 2], 1))
        paused = consumer.paused()
        if again := [tp for tp in paused if tp not in ahead]:
            resume(consumer, again)
        if pause := [tp for tp in ahead if tp not in paused]:
            consumer.pause(*pause)


def settle_gc() -> None:
    """For batch consumers, which allocate millions of short-lived objects: with the default thresholds
    the cyclic collector runs every 700 allocations and walks the long-lived tally cache each time (a
    quarter of the projection's time); even every 100,000 it walked the objects of the batch in hand (2 us
    per event). What exists at start is frozen out of collection and automatic collection turned off: the
    consumer loop collects between batches instead (ConsumerLoop._collect_garbage), when the batch's
    objects are gone. Refcounting frees nearly everything anyway; memory stays flat."""
    gc.freeze()
    gc.disable()


class Collector:
    """Garbage collection between batches, for a process that turned automatic collection off (settle_gc):
    collecting in the middle of a batch walked all of the batch's objects, 2 us of the projection's ~25 per
    event. The previous batch's objects are gone by now, so the young generations hold only what outlives
    it (new tallies, say); a full collection now and then frees cycles among older objects."""

    def __init__(self) -> None:
        self._full_at = time.monotonic()

    def between_batches(self) -> None:
        if gc.isenabled():
            return
        now = time.monotonic()
        if now - self._full_at >= FULL_COLLECTION_SECONDS:
            gc.collect()
            self._full_at = now
        else:
            gc.collect(1)
