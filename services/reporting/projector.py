"""Applies delivered events to a read-model generation, inside the consumer's transaction.

Per batch: each touched participant's tally (from a bounded in-memory cache, else derived from its
stored events) turns most new events into changes of its contributions (domain.advance); the others
are recomputed from all its facts (domain.contributions). The changes are rolled up and added to the
sums (sums.py), and the new events appended in one statement (event_rows.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from operator import itemgetter
from typing import Any

import msgspec
import orjson
from sqlalchemy import Connection, Engine, select

from services.reporting import store
from services.reporting.domain import Change, Fact, Tally, advance, contributions, tally_of
from services.reporting.event_rows import EVENT_COLUMNS, event_rows, sqlite_times
from services.reporting.history import fact_columns, facts_of
from services.reporting.loans import LOAN_COLUMNS, loans_of_rows
from services.reporting.store import (
    ReadModel,
    active_generation,
    of_participants,
    participant_key,
    participant_keys,
    read_model,
)
from services.reporting.sums import Sums
from services.reporting.tallies import Tallies
from shared.bulk import bulk_insert
from shared.db import upsert_many
from shared.events.types import HIERARCHY_STREAM
from shared.hierarchy_store import store_delivered
from shared.messaging.consumer import ConsumerLoop, Delivery
from shared.orgunits import OrgTree

DEFAULT_CACHE = 100_000  # participants whose tally is kept in memory
Row = tuple[Any, ...]


def _fact(d: Delivery) -> Fact:
    e = d.envelope
    return Fact(e.event_id, e.type, e.participant_id, e.org_unit, e.occurred_on, e.recorded_at, d.data)


def _by_participant(deliveries: list[Delivery]) -> dict[str, list[Delivery]]:
    groups: dict[str, list[Delivery]] = {}
    for d in deliveries:
        group = groups.get(d.envelope.participant_id)
        if group is None:
            groups[d.envelope.participant_id] = [d]
        else:
            group.append(d)
    return groups


class Projection:
    """The reporting projection of one generation."""

    def __init__(self, model: ReadModel, tree: OrgTree, cache_size: int = DEFAULT_CACHE) -> None:
        self.model = model
        self.tallies = Tallies(cache_size)
        # True while the cache knows every participant the events table has (this projection started on an
        # empty table and has forgotten nothing): then a participant not in the cache is new, not unread.
        self._complete: bool | None = None
        # When it does not (another process applied some of these partitions before a rebalance handed them
        # over, or a batch failed): the participant keys the events table held then. Only participants with
        # one of them are read back; the others are new, or stored since by this projection and cached
        # (while nothing is evicted). Reading back every participant not cached instead took the process
        # that joined a group second through all of its participants' events again.
        self._stored_keys: set[int] = set()
        self.sums = Sums(tree)

    def forget(self, fresh: bool = False) -> None:
        """Drop the cache (the database stays the truth): after a failed batch or a rebalance. `fresh`:
        nothing was applied yet from the partitions this projection now reads, so none of their
        participants is in the events table."""
        self.tallies.clear()
        self._complete = True if fresh else None  # None: known again at the next batch
        self._stored_keys = set()

    def apply_batch(self, conn: Connection, deliveries: list[Delivery]) -> None:
        self.prepare(conn, deliveries)(conn)

    def prepare(self, conn: Connection, deliveries: list[Delivery]) -> Callable[[Connection], None]:
        """Everything a batch needs but the writes, returned as a function that writes it. Reads only this
        projection's participants (no other consumer writes them), so the consumer may run this before
        taking the database's write lock, which several consumer processes then hold only to write.
        Cached tallies change in place here: if the batch then fails, the consumer calls forget()."""
        groups = _by_participant(deliveries)
        # the hierarchy's changes are no participant's: kept for the reads (shared.hierarchy_store)
        hierarchy_changes = groups.pop(HIERARCHY_STREAM, None)
        tallies, stored = self._tallies(conn, list(groups))
        sqlite = conn.dialect.name == "sqlite"
        keys = dict(zip(groups, participant_keys(list(groups)), strict=True))
        changes: list[Change] = []
        rows, slow = self._advance(groups, tallies, keys, sqlite, changes)
        if slow:
            rows.extend(self._recompute(conn, slow, groups, tallies, stored, changes, sqlite, keys))
        # in participant order: consecutive inserts land on neighbouring pages of the participant index
        rows.sort(key=itemgetter(2))
        daily, halves = self.sums.roll_up(changes)
        model = self.model
        loan_rows = loans_of_rows(rows)

        def write(conn: Connection) -> None:
            if hierarchy_changes:
                store_delivered(conn, store.org_unit_changes, hierarchy_changes)
            if rows:
                bulk_insert(conn, model.events, EVENT_COLUMNS, rows)
                bulk_insert(conn, model.loans, LOAN_COLUMNS, loan_rows)
                self.sums.write(conn, model, daily, halves)
                self.count(conn, "events_applied", len(rows))

        # Cached (and made recent) before the writes, outside the write lock that other consumer processes
        # wait for: if the batch then fails, the consumer calls forget(), which drops them with the rest.
        self.tallies.put(tallies, {pid: tallies[pid] for pid in stored})  # stored: the participants not cached
        return write

    def _tallies(self, conn: Connection, participant_ids: list[str]) -> tuple[dict[str, Tally], dict[str, list[Fact]]]:
        """The tally of each participant, and the stored facts of those not cached (read back only when the
        events table may hold some)."""
        tallies: dict[str, Tally] = {}
        missing: list[str] = []
        get = self.tallies.get
        for participant_id in participant_ids:
            tally = get(participant_id)
            if tally is None:
                missing.append(participant_id)
            else:
                tallies[participant_id] = tally
        if self._complete is None:
            events = self.model.events
            self._complete = conn.execute(select(events.c.event_id).limit(1)).first() is None
            if not self._complete:
                self._stored_keys = set(conn.execute(select(events.c.participant_key).distinct()).scalars())
        stored: dict[str, list[Fact]]
        if self.tallies.evicted:
            stored = self._stored_facts(conn, missing)
        else:
            stored = {pid: [] for pid in missing}
            if not self._complete:
                stored_keys = self._stored_keys
                stored.update(self._stored_facts(conn, [pid for pid in missing if participant_key(pid) in stored_keys]))
        tallies.update((pid, tally_of(facts) if facts else Tally()) for pid, facts in stored.items())
        return tallies, stored

    @staticmethod
    def _advance(groups: dict[str, list[Delivery]], tallies: dict[str, Tally], keys: dict[str, int], sqlite: bool,
                 changes: list[Change]) -> tuple[list[Row], list[str]]:
        """The fast pass: each participant's events taken by its tally (`advance`), their changes appended to
        `changes` and their events table rows made in the same walk. Returns the rows and the participants
        whose events need all their facts (`_recompute`), none of whose changes or rows are kept."""
        # on SQLite, each event's recording time and day as the text the table stores (the times of a batch
        # formatted at once, in the order of the loop below); PostgreSQL takes the envelope's own objects
        next_time = iter(sqlite_times([d.envelope.recorded_at for group in groups.values() for d in group])
                         if sqlite else ()).__next__
        days: dict[date, str] = {}
        raw, dumps = msgspec.Raw, orjson.dumps
        rows: list[Row] = []
        append_row = rows.append
        slow: list[str] = []
        for participant_id, group in groups.items():
            tally = tallies[participant_id]
            key = keys[participant_id]
            mark, row_mark = len(changes), len(rows)
            for d in group:
                e = d.envelope
                if not advance(tally, e, d.data, changes):
                    del changes[mark:]  # this participant's other facts of the batch are recomputed
                    del rows[row_mark:]
                    if sqlite:
                        for _ in range(len(group) - group.index(d)):
                            next_time()  # the times of this one and the rest of the group
                    slow.append(participant_id)
                    break
                if sqlite:
                    day = days.get(e.occurred_on)
                    if day is None:
                        day = days[e.occurred_on] = e.occurred_on.isoformat()
                    recorded = next_time()
                else:
                    day, recorded = e.occurred_on, e.recorded_at
                # the same row as event_rows makes (EVENT_COLUMNS), inline: a call per event cost more.
                # The payload's text as it came (a RawEnvelope's, from read_events), else encoded (dates and
                # UUIDs in payloads, read by schema, as text)
                data = e.data  # type: ignore[attr-defined]  # both kinds of envelope have one
                append_row((e.event_id, participant_id, key, e.type, e.org_unit, day, recorded, e.source.agency,
                            e.source.key_id, e.service,
                            str(data, "utf-8") if type(data) is raw else dumps(d.data).decode()))
        return rows, slow

    def _recompute(self, conn: Connection, slow: list[str], groups: dict[str, list[Delivery]],
                   tallies: dict[str, Tally], stored: dict[str, list[Fact]], changes: list[Change], sqlite: bool,
                   keys: dict[str, int]) -> list[Row]:
        """The slow pass: contributions of `slow` participants recomputed from all their facts, before and
        after the batch; their changes appended to `changes`, their new events' rows returned."""
        stored.update(self._stored_facts(conn, [pid for pid in slow if pid not in stored]))
        fresh: list[Delivery] = []
        for participant_id in slow:
            before = stored[participant_id]
            known = {f.event_id for f in before}
            new = {d.envelope.event_id: d for d in groups[participant_id] if d.envelope.event_id not in known}
            after = before + [_fact(d) for d in new.values()]
            # replaced even when nothing is new: the cached one may hold some of this batch's facts
            tallies[participant_id] = tally_of(after)
            if not new:
                continue  # a redelivery: already applied
            fresh.extend(new.values())
            old, now = contributions(before), contributions(after)
            for change in old.keys() | now.keys():
                if amount := now.get(change, 0) - old.get(change, 0):
                    changes.append((*change, amount))
        return event_rows(fresh, sqlite, keys)

    def _stored_facts(self, conn: Connection, participant_ids: list[str]) -> dict[str, list[Fact]]:
        e = self.model.events
        facts: dict[str, list[Fact]] = {pid: [] for pid in participant_ids}
        half = store.CHUNK // 2  # read at call time: tests shrink it
        for i in range(0, len(participant_ids), half):
            rows = conn.execute(select(*fact_columns(e)).where(of_participants(e, participant_ids[i:i + half])))
            for fact in facts_of(rows):
                facts[fact.participant_id].append(fact)
        return facts

    def record_dead_letters(self, conn: Connection, reasons: list[str]) -> None:
        self.count(conn, "dead_letters", len(reasons))

    def count(self, conn: Connection, name: str, amount: int) -> None:
        upsert_many(conn, self.model.stats, [{"name": name, "value": amount}], keys=["name"], add=["value"])


class LiveProjection:
    """The consumer process's projection: follows the active generation, so that after a rebuild's
    swap it continues in the new tables from the offsets the rebuild stored."""

    def __init__(self, engine: Engine, tree: OrgTree, cache_size: int = DEFAULT_CACHE,
                 reader: Engine | None = None) -> None:
        # the generation is read before every poll: on SQLite, through a writer's engine that read would
        # take the write lock (BEGIN IMMEDIATE) and wait for the other consumer processes' batches
        self._reader = reader or engine
        self._tree = tree
        self._cache_size = cache_size
        with engine.connect() as conn:
            generation = active_generation(conn)
        self.projection = Projection(read_model(generation), tree, cache_size)
        self.projection.model.create(engine)

    def before_poll(self, loop: ConsumerLoop) -> None:
        with self._reader.connect() as conn:
            generation = active_generation(conn)
        if generation != self.projection.model.generation:
            self.projection = Projection(read_model(generation), self._tree, self._cache_size)
            loop.rename(self.projection.model.consumer_name)

    def apply_batch(self, conn: Connection, deliveries: list[Delivery]) -> None:
        self.projection.apply_batch(conn, deliveries)

    def prepare(self, conn: Connection, deliveries: list[Delivery]) -> Callable[[Connection], None]:
        return self.projection.prepare(conn, deliveries)

    def record_dead_letters(self, conn: Connection, reasons: list[str]) -> None:
        self.projection.record_dead_letters(conn, reasons)

    def forget(self, fresh: bool = False) -> None:
        self.projection.forget(fresh)
