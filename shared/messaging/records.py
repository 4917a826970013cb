"""A cheaper reading of fetched record batches for the consumer loop.

kafka-python turns every record into a `ConsumerRecord` of 13 fields, decoding each varint by a function
call and each header, timestamp and checksum on the way: about 7 us per record, as much as the whole bare
consumer costs, and a fifth of what the projection spends per event. The loop uses four fields of a record.
This reads those straight from the batch's bytes, in one loop per batch (CRC-32C still checked by
kafka-python, in C), and hands kafka-python's fetcher light records in place of its own. The fetcher is
kafka-python's: fetch requests, positions, the group and its rebalances are untouched.

It relies on two internals of the pinned kafka-python (`Fetcher.PartitionRecords` and its
`_unpack_records` generator): `install` uses them only with the kafka-python version this was written and
tested for, and otherwise leaves the consumer reading kafka-python's own records (the reference path,
public API only; `ConsumerSettings.light_records=False`, or TIENPHONG_FAST_PATHS=off, chooses it too).
tests/integration/test_kafka_reader_paths.py checks that both give the same read models.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import kafka
import msgspec
from kafka import KafkaConsumer
from kafka.consumer.fetcher import Fetcher
from kafka.errors import CorruptRecordError
from kafka.protocol.consumer.offsets import IsolationLevel

log = logging.getLogger(__name__)
WRITTEN_FOR = "3.0.12"  # the kafka-python whose internals this reads


class Delivery(msgspec.Struct, gc=False):
    """A record as the consumer loop takes it: where it is and its value (all it reads of a record), then the
    event it holds, which the loop sets once it has read it. One object per record from fetch to projection
    (a msgspec struct: built in C, a fifth of a NamedTuple's cost); not tracked by the garbage collector, as it
    refers to no object that refers back to it."""

    topic: str
    partition: int
    offset: int
    envelope: Any = None  # an Envelope, or a raw one (shared.events.rawcheck.read_events)
    data: Any = None  # the payload at the current version: a dict, or what read_events gives
    value: bytes | None = None
    # the latest timestamp of the record batch that held it (Kafka's batch header: the records' own are not
    # read), in ms; -1 if unknown
    timestamp: int = -1
    key: bytes | None = None  # kept for dead letters, which name their origin


def _varint(buffer: bytes, pos: int) -> tuple[int, int]:
    """The zigzag varint at `pos` and the position after it."""
    n = shift = 0
    while True:
        b = buffer[pos]
        pos += 1
        n |= (b & 127) << shift
        if b < 128:
            return (n >> 1) ^ -(n & 1), pos
        shift += 7


def read_v2_records(buffer: bytes, pos: int, count: int, base_offset: int, topic: str = "",
                    partition: int = 0, timestamp: int = -1) -> list[Delivery]:
    """The `count` records of a v2 (uncompressed) batch's body starting at `pos`, of `topic`'s `partition`.

    Record => Length Attributes TimestampDelta OffsetDelta KeyLength Key ValueLength Value Headers, the
    numbers zigzag varints. Headers are skipped by the record's length; a length that does not add up
    raises CorruptRecordError (the batch's CRC has already vouched for its bytes). Each record gets the
    batch's `timestamp`."""
    out: list[Delivery] = []
    append = out.append
    try:
        for _ in range(count):
            # Each number read inline when it takes one byte (kafka-python's reading spent a fifth of its time in
            # a call per number); `_varint` reads longer ones: a record's and a value's lengths, usually.
            b = buffer[pos]
            if b < 128:
                n, pos = (b >> 1) ^ -(b & 1), pos + 1
            else:
                n, pos = _varint(buffer, pos)
            end = pos + n
            pos += 1  # attributes (unused in v2 records)
            while buffer[pos] > 127:  # timestamp delta: not read
                pos += 1
            b = buffer[pos + 1]  # offset delta
            if b < 128:
                n, pos = (b >> 1) ^ -(b & 1), pos + 2
            else:
                n, pos = _varint(buffer, pos + 1)
            offset = base_offset + n
            b = buffer[pos]  # key length, then the key
            if b < 128:
                n, pos = (b >> 1) ^ -(b & 1), pos + 1
            else:
                n, pos = _varint(buffer, pos)
            if n >= 0:
                key = buffer[pos:pos + n]
                pos += n
            else:  # -1: no key
                key = None
            b = buffer[pos]  # value length
            if b < 128:
                n, pos = (b >> 1) ^ -(b & 1), pos + 1
            else:
                n, pos = _varint(buffer, pos)
            if n == -1:
                append(Delivery(topic, partition, offset, None, None, None, timestamp, key))
            else:
                if n < 0 or pos + n >= end:  # at least the header count follows the value
                    raise CorruptRecordError(f"record at offset {offset}: value overruns the record")
                append(Delivery(topic, partition, offset, None, None, buffer[pos:pos + n], timestamp, key))
            pos = end
    except IndexError as exc:
        raise CorruptRecordError(f"record batch at offset {base_offset} ends inside a record") from exc
    if pos != len(buffer):
        raise CorruptRecordError(f"record batch at offset {base_offset}: {len(buffer) - pos} bytes after its records")
    return out


class LightPartitionRecords(Fetcher.PartitionRecords):  # type: ignore[misc]
    """kafka-python's parsed partition data, yielding `Delivery`s read by `read_v2_records`."""

    def _unpack_records(self, tp: Any, records: Any, key_deserializer: Any,
                        value_deserializer: Any) -> Iterator[Any]:
        if self.isolation_level != IsolationLevel.READ_UNCOMMITTED:  # aborted transactions: kafka-python's path
            yield from super()._unpack_records(tp, records, key_deserializer, value_deserializer)
            return
        topic, partition = tp.topic, tp.partition
        batch = records.next_batch()
        last = None
        while batch is not None:
            last = batch
            if self.check_crcs and not batch.validate_crc():
                raise CorruptRecordError(f"record batch of {tp} at offset {batch.base_offset} failed its CRC check")
            if batch.magic != 2:  # the old message formats, which the broker may still hold: read as kafka-python does
                for record in batch:
                    self.records_read += 1
                    self.next_fetch_offset = record.offset + 1
                    yield Delivery(topic, partition, record.offset, None, None, record.value,
                                   -1 if record.timestamp is None else record.timestamp, record.key)
            else:
                self.leader_epoch = batch.leader_epoch
                if batch.is_control_batch:  # a transaction's marker, not a record for the consumer
                    self.next_fetch_offset = batch.next_offset
                else:
                    batch._maybe_uncompress()
                    body = bytes(batch._buffer)
                    for record in read_v2_records(body, batch._pos, batch.records_count, batch.base_offset, topic,
                                                  partition, batch.max_timestamp):
                        self.records_read += 1
                        self.next_fetch_offset = record.offset + 1
                        yield record
                    self.bytes_read += len(body)
            batch = records.next_batch()
        # a v2 batch keeps its last offset even when compaction removed its last records
        if last is not None and last.magic == 2:
            self.next_fetch_offset = last.next_offset
        self.drain()


def resume(consumer: KafkaConsumer, partitions: list[Any]) -> None:
    """`consumer.resume(*partitions)`, and what its fetcher parked of them dropped, to be fetched again from
    their positions. The pinned kafka-python parks the records of a partition paused while partly handed
    out and gives them back one partition at a time, only when its in-line slot is empty (None), which
    after most polls it is not (it holds spent records); until then it fetches nothing more of the
    partition, whose records seem in hand: a consumer that paused and resumed partitions stopped (seen
    2026-12-03, and in tests/integration/test_consumer_in_step.py). The position of a partition is that of
    the next record to hand out, so the records dropped are fetched again, none skipped."""
    consumer.resume(*partitions)
    parked = getattr(getattr(consumer, "_fetcher", None), "_paused_partition_records", None)
    if isinstance(parked, dict):
        for tp in partitions:
            parked.pop(tp, None)


_warned: list[bool] = []  # one log line per process, not one per consumer


def install(consumer: KafkaConsumer) -> bool:
    """Makes `consumer`'s fetcher hand out `Delivery`s; False (and the consumer unchanged) if this
    kafka-python is not the one it was written for, or has not the internals it replaces."""
    if kafka.__version__ != WRITTEN_FOR:
        if not _warned:
            log.warning("kafka-python %s, not %s: reading records the usual way", kafka.__version__, WRITTEN_FOR)
            _warned.append(True)
        return False
    fetcher = getattr(consumer, "_fetcher", None)
    expected = getattr(Fetcher, "PartitionRecords", None)
    if (fetcher is None or expected is None or not hasattr(expected, "_unpack_records")
            or getattr(fetcher, "PartitionRecords", None) is not expected):
        log.warning("kafka-python's fetcher is not the one expected; reading records the usual way")
        return False
    fetcher.PartitionRecords = LightPartitionRecords
    return True
