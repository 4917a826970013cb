"""What a consumer loop is given: where it reads (`ConsumerSettings`) and what it does with each batch
(`BatchHandler`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from shared.events import UnreadableEvent
from shared.events.rawcheck import read_events
from shared.messaging.records import Delivery

# Reads each record's event into it (its envelope and data); returns the records that cannot be read, with why.
ReadRecords = Callable[[list[Delivery]], list[tuple[Delivery, UnreadableEvent]]]


ApplyBatch = Callable[[Connection, list[Delivery]], None]
# Optional first half of apply: reads and computes outside the write transaction, returns the writes.
PrepareBatch = Callable[[Connection, list[Delivery]], Callable[[Connection], None]]
# Called inside the batch's transaction with the reasons of the records sent to dead letters.
RecordDeadLetters = Callable[[Connection, list[str]], None]


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
    before_poll: Callable[[Any], None] | None = None  # given the ConsumerLoop
    record_dead_letters: RecordDeadLetters | None = None
    read: ReadRecords = read_events  # the one reader of events every consumer uses
    on_applied: Callable[[int], None] | None = None
