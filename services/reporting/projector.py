"""Applies delivered events to a read-model generation, inside the consumer's transaction.

Per batch: each touched participant's tally (from a bounded in-memory cache, else derived from its
stored events) turns most new events into changes of its contributions (domain.advance); the others
are recomputed from all its facts (domain.contributions). The changes are added to the daily figures and
the half-monthly running totals of its unit and every unit above (one row per unit and day, or half-month:
the touched rows read and rewritten once per batch), and the new events appended in one statement.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

import msgspec
import orjson
from sqlalchemy import Column, Connection, Engine, Table, select, text

from services.reporting.domain import Change, Fact, Tally, advance, contributions, tally_of
from services.reporting.store import (
    ReadModel,
    active_generation,
    of_participants,
    participant_key,
    participant_keys,
    read_model,
)
from shared.db import bulk_insert, bulk_put, upsert_many
from shared.messaging.consumer import ConsumerLoop, Delivery
from shared.orgunits import OrgTree

CHUNK = 900  # bound parameters per IN (...) query, under SQLite's limit
DEFAULT_CACHE = 100_000  # participants whose tally is kept in memory
UnitDay = tuple[str, date]  # org_unit, day (or a half-month's first day)
Amounts = dict[str, int]  # metric -> amount, the non-zero ones
HORIZON = "cumulative_horizon"  # stats row: the latest half-month (ordinal of its first day) with running totals
# in _event_rows' order. Not the envelope's version: the payload is stored at its type's current version
EVENT_COLUMNS = ("event_id", "participant_id", "participant_key", "type", "org_unit", "occurred_on", "recorded_at",
                 "source_agency", "source_key_id", "service", "data")


def row_to_fact(row: Any) -> Fact:
    recorded_at = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
    return Fact(row.event_id, row.type, row.participant_id, row.org_unit, row.occurred_on, recorded_at,
                orjson.loads(row.data))


def fact_columns(events: Table) -> list[Column[Any]]:
    """The columns `facts_of` reads, in its order."""
    return [events.c.event_id, events.c.type, events.c.participant_id, events.c.org_unit, events.c.occurred_on,
            events.c.recorded_at, events.c.data]


def facts_of(rows: Iterable[Sequence[Any]]) -> list[Fact]:
    """Facts from rows of `fact_columns` (by position: a Row's attributes cost twice the whole unpacking)."""
    loads = orjson.loads
    return [Fact(event_id, kind, participant_id, org_unit, occurred_on,
                 recorded_at if recorded_at.tzinfo else recorded_at.replace(tzinfo=UTC), loads(data))
            for event_id, kind, participant_id, org_unit, occurred_on, recorded_at, data, *_ in rows]


def sqlite_times(times: list[datetime]) -> list[str]:
    """UTC times as SQLAlchemy's SQLite DateTime writes them ('YYYY-MM-DD HH:MM:SS.ffffff'), which the
    readers compare as text. All of a batch's in one msgspec call (C): `isoformat` per time took 1.3 us
    of the ~30 the projection spends per event, this a quarter of that; and a batch whose times are all in UTC
    and all whole seconds, or all with a fraction (the usual cases), is rewritten as one text, without a
    step per time (1.5 us per event before)."""
    if not times:
        return []
    encoded = msgspec.json.encode(times).decode()  # ["2017-10-03T04:05:06.123456Z",...]
    n = len(times)
    if encoded.count("Z") == n:  # all in UTC: the only letters are T and Z, one of each per time
        fractions = encoded.count(".")
        if fractions == n or not fractions:
            return encoded[2:-2].replace("T", " ").replace("Z", "" if fractions else ".000000").split('","')
    out = encoded[2:-2].split('","')
    for i, formatted in enumerate(out):
        if len(formatted) == 27 and formatted[26] == "Z":  # 2017-10-03T04:05:06.123456Z
            out[i] = formatted[:10] + " " + formatted[11:26]
        elif len(formatted) == 20 and formatted[19] == "Z":  # no fraction: a whole second
            out[i] = formatted[:10] + " " + formatted[11:19] + ".000000"
        else:  # not in UTC (never, from an Envelope), or a form this does not expect
            moment = times[i]
            out[i] = (moment if moment.tzinfo is None else moment.astimezone(UTC)).isoformat(" ", "microseconds")[:26]
    return out


def horizon(conn: Connection, model: ReadModel) -> date | None:
    """The latest half-month (its first day) the running totals reach; None before any figure."""
    value = conn.execute(select(model.stats.c.value).where(model.stats.c.name == HORIZON)).scalar()
    return None if value is None else date.fromordinal(int(value))


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


# Running totals are kept through the end of each half-month (the 15th and the month's last day), each
# named by its first day: a figure at any date is then one row per figure plus at most 8 days of daily
# sums, and none at the month ends that periods end on.
def period_of(day: date) -> date:
    return day.replace(day=1 if day.day <= 15 else 16)


def next_period(start: date) -> date:
    return start.replace(day=16) if start.day == 1 else next_month(start)


def previous_period(start: date) -> date:
    return start.replace(day=1) if start.day == 16 else (start - timedelta(days=1)).replace(day=16)


def period_end(start: date) -> date:
    return next_period(start) - timedelta(days=1)


def _fact(d: Delivery) -> Fact:
    e = d.envelope
    return Fact(e.event_id, e.type, e.participant_id, e.org_unit, e.occurred_on, e.recorded_at, d.data)


class Tallies:
    """A bounded cache of participants' tallies (a few hundred bytes each), least recently used evicted first,
    so the consumer's memory stays flat however many participants the program has; the events table is the
    truth."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Tally] = OrderedDict()
        self.evicted = False
        # a participant's tally, or None; recency is refreshed when it is put. The dict's own method, called
        # once per participant of every batch: a method wrapping it cost a Python call each time
        self.get: Callable[[str], Tally | None] = self._items.get

    def put(self, tallies: dict[str, Tally], renewed: dict[str, Tally]) -> None:
        """Keeps a batch's `tallies`, of which `renewed` are new objects (the others are the cached ones,
        changed in place)."""
        items = self._items
        if len(items) + len(renewed) <= self.capacity * 3 // 4:
            # far from full, recency is not kept (new tallies go last, cached ones stay where they are):
            # refreshing it touched every cached participant of a batch (cache misses: 2.5 % of the
            # projection's time, py-spy); from three quarters full on it is, so that evictions go by recency
            items.update(renewed)
            return
        move_to_end = items.move_to_end
        for participant_id, tally in tallies.items():
            items[participant_id] = tally
            move_to_end(participant_id)
        while len(items) > self.capacity:
            items.popitem(last=False)
            self.evicted = True

    def clear(self) -> None:
        self._items.clear()
        self.evicted = False


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
        # contributions are made at communes; each is also added to every unit above, so that a summary
        # reads its own unit and its children only (a changed hierarchy is applied by a rebuild)
        chains = {u.code: tree.ancestors(u.code) for u in tree}
        self._parent = {code: chain[1] for code, chain in chains.items() if len(chain) > 1}
        self._depth = {code: len(chain) - 1 for code, chain in chains.items()}  # a unit not in the tree: 0
        self._levels = max(self._depth.values(), default=0) + 1

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
        groups: dict[str, list[Delivery]] = {}
        for d in deliveries:
            group = groups.get(d.envelope.participant_id)
            if group is None:
                groups[d.envelope.participant_id] = [d]
            else:
                group.append(d)
        cache = self.tallies
        tallies: dict[str, Tally] = {}
        missing: list[str] = []
        for participant_id in groups:
            tally = cache.get(participant_id)
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
        sqlite = conn.dialect.name == "sqlite"
        keys = dict(zip(groups, participant_keys(list(groups)), strict=True))
        # on SQLite, each event's recording time and day as the text the table stores (the times of a batch
        # formatted at once, in the order of the loop below); PostgreSQL takes the envelope's own objects
        next_time = iter(sqlite_times([d.envelope.recorded_at for group in groups.values() for d in group])
                         if sqlite else ()).__next__
        days: dict[date, str] = {}
        raw, dumps = msgspec.Raw, orjson.dumps
        changes: list[Change] = []
        event_rows: list[tuple[Any, ...]] = []
        append_row = event_rows.append
        slow: list[str] = []
        for participant_id, group in groups.items():
            # most facts change the figures in a way the tally alone tells; the events table's row of each is
            # made in the same pass (one walk over the batch, not two)
            tally = tallies[participant_id]
            key = keys[participant_id]
            mark, row_mark = len(changes), len(event_rows)
            for d in group:
                e = d.envelope
                if not advance(tally, e, d.data, changes):
                    del changes[mark:]  # this participant's other facts of the batch are recomputed below
                    del event_rows[row_mark:]
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
                # the same row as _event_rows makes (EVENT_COLUMNS), inline: a call per event cost more.
                # The payload's text as it came (a RawEnvelope's, from read_events), else encoded (dates and
                # UUIDs in payloads, read by schema, as text)
                data = e.data  # type: ignore[attr-defined]  # both kinds of envelope have one
                append_row((e.event_id, participant_id, key, e.type, e.org_unit, day, recorded, e.source.agency,
                            e.source.key_id, e.service,
                            str(data, "utf-8") if type(data) is raw else dumps(d.data).decode()))
        if slow:
            # the others: contributions recomputed from all their facts, before and after
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
            event_rows.extend(self._event_rows(fresh, sqlite, keys))
        # in participant order: consecutive inserts land on neighbouring pages of the participant index
        event_rows.sort(key=itemgetter(2))
        daily, halves = self._sum_changes(changes)

        def write(conn: Connection) -> None:
            if event_rows:
                self._insert_events(conn, event_rows)
                self._add_sums(conn, daily, halves)
                self.count(conn, "events_applied", len(event_rows))

        # Cached (and made recent) before the writes, outside the write lock that other consumer processes
        # wait for: if the batch then fails, the consumer calls forget(), which drops them with the rest.
        self.tallies.put(tallies, {pid: tallies[pid] for pid in stored})  # stored: the participants not cached
        return write

    def _stored_facts(self, conn: Connection, participant_ids: list[str]) -> dict[str, list[Fact]]:
        e = self.model.events
        facts: dict[str, list[Fact]] = {pid: [] for pid in participant_ids}
        for i in range(0, len(participant_ids), CHUNK // 2):
            rows = conn.execute(select(*fact_columns(e)).where(of_participants(e, participant_ids[i:i + CHUNK // 2])))
            for fact in facts_of(rows):
                facts[fact.participant_id].append(fact)
        return facts

    @staticmethod
    def _event_rows(fresh: list[Delivery], sqlite: bool, keys: dict[str, int]) -> list[tuple[Any, ...]]:
        """The events table's rows of `fresh` (events of recomputed participants), whose participants' keys
        are `keys`: the rows `prepare` makes inline for the others."""
        raw, dumps = msgspec.Raw, orjson.dumps
        days: dict[date, str] = {}
        rows: list[tuple[Any, ...]] = []
        recorded_at = [d.envelope.recorded_at for d in fresh]
        times: list[datetime] | list[str] = sqlite_times(recorded_at) if sqlite else recorded_at  # as prepare's
        for d, recorded in zip(fresh, times, strict=True):
            e = d.envelope
            key = keys[e.participant_id]
            day: date | str = e.occurred_on
            if sqlite:
                day = days.get(e.occurred_on) or days.setdefault(e.occurred_on, e.occurred_on.isoformat())
            # the payload's text as it came (a RawEnvelope's, from read_event), else encoded (dates and UUIDs
            # in payloads, read by schema, as text)
            data = e.data  # type: ignore[attr-defined]  # both kinds of envelope have one
            rows.append((e.event_id, e.participant_id, key, e.type, e.org_unit, day, recorded,
                         e.source.agency, e.source.key_id, e.service,
                         str(data, "utf-8") if type(data) is raw else dumps(d.data).decode()))
        return rows

    def _insert_events(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        bulk_insert(conn, self.model.events, EVENT_COLUMNS, rows)

    def record_dead_letters(self, conn: Connection, reasons: list[str]) -> None:
        self.count(conn, "dead_letters", len(reasons))

    def count(self, conn: Connection, name: str, amount: int) -> None:
        upsert_many(conn, self.model.stats, [{"name": name, "value": amount}], keys=["name"], add=["value"])

    def _sum_changes(self, changes: list[Change]) -> tuple[dict[UnitDay, Amounts], dict[UnitDay, Amounts]]:
        """The changes to the daily figures and to the half-month figures (by the half's first day) of each
        unit and every unit above it."""
        # by unit, then day: two lookups of keys whose hashes are cached, instead of a (unit, day) tuple made,
        # hashed and freed per change
        by_unit: dict[str, dict[date, Amounts]] = {}
        for unit, metric, day, amount in changes:
            days = by_unit.get(unit)
            if days is None:
                by_unit[unit] = {day: {metric: amount}}
                continue
            group = days.get(day)
            if group is None:
                days[day] = {metric: amount}
            else:
                group[metric] = group.get(metric, 0) + amount
        daily = {(unit, day): group for unit, days in by_unit.items() for day, group in days.items()}
        # each unit's sums added to its parent's, from the lowest units up: a commune's once, not once per unit
        # above it; then every unit's days to its half-months
        parent, depth = self._parent, self._depth
        by_level: list[list[UnitDay]] = [[] for _ in range(self._levels)]
        for key in daily:
            by_level[depth.get(key[0], 0)].append(key)
        for level in range(self._levels - 1, 0, -1):
            above = by_level[level - 1]
            for unit, day in by_level[level]:
                group = daily[(unit, day)]
                target = daily.get((parent[unit], day))
                if target is None:
                    daily[(parent[unit], day)] = dict(group)
                    above.append((parent[unit], day))
                else:
                    for metric, amount in group.items():
                        target[metric] = target.get(metric, 0) + amount
        halves: dict[UnitDay, Amounts] = {}
        periods: dict[date, date] = {}
        for (unit, day), group in daily.items():
            period = periods.get(day)
            if period is None:
                period = periods[day] = period_of(day)
            target = halves.get((unit, period))
            if target is None:
                halves[(unit, period)] = dict(group)
            else:
                for metric, amount in group.items():
                    target[metric] = target.get(metric, 0) + amount
        return daily, halves

    def _add_sums(self, conn: Connection, daily: dict[UnitDay, Amounts], halves: dict[UnitDay, Amounts]) -> None:
        if not daily:
            return  # nothing changed (then no half-month changed either)
        sqlite = conn.dialect.name == "sqlite"
        mark = "?" if sqlite else "%s"
        if not sqlite:
            # one batch at a time reads and rewrites the sums and moves the horizon (SQLite's write lock
            # already serializes batches)
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": self.model.cumulative.name})

        def day_value(d: date) -> date | str:
            return d.isoformat() if sqlite else d

        _add_amounts(conn, self.model.daily, "day", {(u, day_value(d)): a for (u, d), a in daily.items()})
        # running totals: a change in half-month h adds to every half-month from h to the horizon, which first
        # moves forward (copying its totals) when the batch reaches a later one
        latest_known = horizon(conn, self.model)
        latest = max(period for _, period in halves)
        cumulative = self.model.cumulative.name
        if latest_known is None:
            latest_known = latest
        while latest_known < latest:
            following = next_period(latest_known)
            conn.exec_driver_sql(
                f"INSERT INTO {cumulative} (org_unit, period, amounts)"
                f" SELECT org_unit, {mark}, amounts FROM {cumulative} WHERE period = {mark}",
                (day_value(following), day_value(latest_known)))
            latest_known = following
        upsert_many(conn, self.model.stats, [{"name": HORIZON, "value": latest_known.toordinal()}], keys=["name"])
        starts = [min(period for _, period in halves)]
        while starts[-1] < latest_known:
            starts.append(next_period(starts[-1]))
        index = {start: i for i, start in enumerate(starts)}
        values = [day_value(start) for start in starts]
        running: dict[tuple[str, date | str], Amounts] = {}
        for (unit, period), change in halves.items():
            for value in values[index[period]:]:
                target = running.get((unit, value))
                if target is None:
                    target = running[(unit, value)] = {}
                for metric, amount in change.items():
                    target[metric] = target.get(metric, 0) + amount
        _add_amounts(conn, self.model.cumulative, "period", running)


def _add_amounts(conn: Connection, table: Table, dated: str, changes: dict[tuple[str, Any], Amounts]) -> None:
    """Adds `changes` to the figures stored in `table` by (org_unit, `dated`): read, summed and written back
    (the caller holds the lock that serializes batches). Dates in the driver's form."""
    units = sorted({unit for unit, _ in changes})
    days = sorted({day for _, day in changes})
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    stored: dict[tuple[str, Any], str] = {}
    # units x days: a few more rows than needed, usually in one query
    for some_units in (units[i:i + CHUNK // 2] for i in range(0, len(units), CHUNK // 2)):
        for some_days in (days[i:i + CHUNK // 2] for i in range(0, len(days), CHUNK // 2)):
            stored.update(((unit, day), amounts) for unit, day, amounts in conn.exec_driver_sql(
                f"SELECT org_unit, {dated}, amounts FROM {table.name}"
                f" WHERE org_unit IN ({', '.join(mark for _ in some_units)})"
                f" AND {dated} IN ({', '.join(mark for _ in some_days)})", (*some_units, *some_days)))
    loads, dumps = orjson.loads, orjson.dumps
    rows = []
    for key, change in changes.items():
        before = stored.get(key)
        figures: Amounts = loads(before) if before else {}
        for metric, amount in change.items():
            value = figures.get(metric, 0) + amount
            if value:
                figures[metric] = value
            else:
                figures.pop(metric, None)
        if before is None and not figures:
            continue
        rows.append((*key, dumps(figures).decode()))
    rows.sort()  # in key order: neighbouring rows land on the same pages
    bulk_put(conn, table, ("org_unit", dated), "amounts", rows)


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
