"""The consumer loop's own reading of fetched record batches against kafka-python's: for any batches (keys or
none, values of any size or none, headers, timestamps far apart, compressed or not, old message formats,
a fetch starting inside a batch), the same offsets, keys and values, and the same position to fetch next."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka import TopicPartition
from kafka.consumer.fetcher import Fetcher
from kafka.errors import CorruptRecordError
from kafka.record.default_records import DefaultRecordBatch
from kafka.record.memory_records import MemoryRecords, MemoryRecordsBuilder

from shared.messaging.records import Delivery, LightPartitionRecords, read_v2_records

TP = TopicPartition("t.registration.events", 3)
record = st.tuples(
    st.integers(0, 10**9),  # timestamp delta from the batch's first
    st.one_of(st.none(), st.binary(max_size=40)),  # key
    # value; the long ones (3-byte lengths) built from a size, as hypothesis draws at most a few KiB per example
    st.one_of(st.none(), st.binary(max_size=300), st.integers(8_200, 70_000).map(lambda n: bytes([n % 251]) * n)),
    st.lists(st.tuples(st.text(max_size=8), st.one_of(st.none(), st.binary(max_size=20))), max_size=2),
)
# offsets a compaction left out before the batch: the builder writes offsets relative to 0 (a broker rebases
# them), so large ones also give multi-byte offset deltas
batch = st.tuples(st.sampled_from([2, 2, 2, 1, 0]), st.sampled_from([0, 0, 1]), st.sampled_from([0, 1, 3, 70_000]),
                  st.lists(record, min_size=1, max_size=12))


def built(batches: list[tuple[int, int, int, list[tuple[int, bytes | None, bytes | None, list]]]]) -> bytes:  # type: ignore[type-arg]
    out, offset = b"", 0
    for magic, compression, gap, records in batches:
        offset += gap
        builder = MemoryRecordsBuilder(magic=magic, compression_type=compression, batch_size=1 << 24, offset=offset)
        for delta, key, value, headers in records:
            if key is None and value is None:
                value = b""  # the old formats need one of them
            builder.append(1_700_000_000_000 + delta, key, value, headers if magic == 2 else [])
        builder.close()
        out += bytes(builder.buffer())
        offset += len(records)
    return out


def taken(cls: type, data: bytes, fetch_offset: int, step: int | None) -> tuple[list[Delivery], int, int]:
    part = cls(fetch_offset, TP, MemoryRecords(data))
    out: list[Delivery] = []
    while part:  # in takes of `step` records, as the fetcher hands out max_poll_records
        got = part.take(step)
        if not got:
            break
        out.extend(r if type(r) is Delivery else Delivery(r.topic, r.partition, r.offset, None, None, r.value,
                                                          key=r.key)
                   for r in got)
    return out, part.next_fetch_offset, part.leader_epoch


def batch_timestamps(data: bytes) -> dict[int, int]:
    """Each record's offset -> the timestamp a light record carries: its batch's latest (v2), its own before."""
    out: dict[int, int] = {}
    records = MemoryRecords(data)
    while (batch := records.next_batch()) is not None:
        for r in batch:
            out[r.offset] = batch.max_timestamp if batch.magic == 2 else (-1 if r.timestamp is None else r.timestamp)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(batch, min_size=1, max_size=4), st.integers(0, 30), st.sampled_from([None, 1, 3, 500]))
def test_light_records_equal_kafka_python_s(batches: list, skip: int, step: int | None) -> None:  # type: ignore[type-arg]
    data = built(batches)
    skip = skip if skip < 10 else skip + batches[0][2]  # sometimes inside the first batch
    expected, expected_next, expected_epoch = taken(Fetcher.PartitionRecords, data, skip, step)
    got, got_next, got_epoch = taken(LightPartitionRecords, data, skip, step)
    timestamps = batch_timestamps(data)
    assert [r.timestamp for r in got] == [timestamps[r.offset] for r in got]
    got = [msgspec.structs.replace(r, timestamp=-1) for r in got]
    assert got == expected
    assert (got_next, got_epoch) == (expected_next, expected_epoch)
    assert all(type(r) is Delivery for r in taken(LightPartitionRecords, data, 0, None)[0])


def v2_body(values: list[bytes]) -> tuple[bytes, int]:
    builder = MemoryRecordsBuilder(magic=2, compression_type=0, batch_size=1 << 20, offset=100)
    for value in values:
        builder.append(0, b"k", value, [])
    builder.close()
    batch = DefaultRecordBatch(bytes(builder.buffer()))
    assert batch.base_offset == 0  # offset deltas 100 and 101: two bytes each
    return bytes(batch._buffer), batch._pos


def test_a_batch_whose_bytes_do_not_add_up_is_refused_not_misread() -> None:
    body, start = v2_body([b"a" * 200, b"b" * 20])
    assert [(r.offset, r.value) for r in read_v2_records(body, start, 2, 0)] == [(100, b"a" * 200), (101, b"b" * 20)]
    with pytest.raises(CorruptRecordError):  # cut inside its last record
        read_v2_records(body[:-5], start, 2, 0)
    with pytest.raises(CorruptRecordError):  # more records than the batch says
        read_v2_records(body, start, 1, 0)
    with pytest.raises(CorruptRecordError):  # fewer
        read_v2_records(body, start, 3, 0)
    value_length = body.index(b"a" * 200) - 2  # the 2-byte varint before the value: 400, zigzag
    stretched = body[:value_length] + bytes([0xFE, 0x0F]) + body[value_length + 2:]  # 1023: past the record
    with pytest.raises(CorruptRecordError):
        read_v2_records(stretched, start, 2, 0)
