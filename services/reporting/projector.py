"""Applies delivered events to a read-model generation, inside the consumer's transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from services.reporting.domain import Fact, contributions
from services.reporting.store import ReadModel, active_generation, read_model
from shared.db import upsert
from shared.messaging.consumer import ConsumerLoop, Delivery

CHUNK = 500
Key = tuple[str, str, date]  # org_unit, metric, day


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]


def row_to_fact(row: Any) -> Fact:
    recorded_at = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
    return Fact(row.event_id, row.type, row.participant_id, row.org_unit, row.occurred_on, recorded_at,
                json.loads(row.data))


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else str(v) if k.endswith("_id") and v else v)
            for k, v in data.items()}


class Projection:
    """The reporting projection of one generation."""

    def __init__(self, model: ReadModel) -> None:
        self.model = model

    def apply_batch(self, conn: Connection, deliveries: list[Delivery]) -> None:
        """Store new events, then recompute the contributions of every participant they touch."""
        m = self.model
        batch: dict[str, Delivery] = {}
        for delivery in deliveries:
            batch.setdefault(delivery.envelope.event_id, delivery)
        known: set[str] = set()
        for ids in _chunks(list(batch)):
            known.update(conn.execute(select(m.events.c.event_id).where(m.events.c.event_id.in_(ids))).scalars())
        fresh = [d for event_id, d in batch.items() if event_id not in known]
        if not fresh:
            return
        conn.execute(insert(m.events), [{
            "event_id": d.envelope.event_id, "participant_id": d.envelope.participant_id,
            "type": d.envelope.type, "version": d.envelope.version, "org_unit": d.envelope.org_unit,
            "occurred_on": d.envelope.occurred_on, "recorded_at": d.envelope.recorded_at,
            "source_agency": d.envelope.source.agency, "source_key_id": d.envelope.source.key_id,
            "service": d.envelope.service, "data": json.dumps(jsonable(d.data), ensure_ascii=False),
        } for d in fresh])
        self.recompute(conn, sorted({d.envelope.participant_id for d in fresh}))
        self.count(conn, "events_applied", len(fresh))

    def record_dead_letters(self, conn: Connection, reasons: list[str]) -> None:
        self.count(conn, "dead_letters", len(reasons))

    def count(self, conn: Connection, name: str, amount: int) -> None:
        stats = self.model.stats
        upsert(conn, stats, {"name": name, "value": amount}, keys=["name"],
               update={"value": stats.c.value + amount})

    def recompute(self, conn: Connection, participant_ids: list[str]) -> None:
        m = self.model
        facts: dict[str, list[Fact]] = defaultdict(list)
        old: dict[tuple[str, Key], int] = {}
        for ids in _chunks(participant_ids):
            for row in conn.execute(select(m.events).where(m.events.c.participant_id.in_(ids))):
                facts[row.participant_id].append(row_to_fact(row))
            for row in conn.execute(select(m.contributions).where(m.contributions.c.participant_id.in_(ids))):
                old[(row.participant_id, (row.org_unit, row.metric, row.day))] = row.amount
        new: dict[tuple[str, Key], int] = {}
        for participant_id in participant_ids:
            for key, amount in contributions(facts[participant_id]).items():
                new[(participant_id, key)] = amount
        if old == new:
            return
        delta: dict[Key, int] = defaultdict(int)
        for (_pid, key), amount in old.items():
            delta[key] -= amount
        for (_pid, key), amount in new.items():
            delta[key] += amount
        # only participants whose contributions changed are rewritten
        changed = {pid for (pid, key) in old.keys() | new.keys() if old.get((pid, key)) != new.get((pid, key))}
        for ids in _chunks(sorted(changed)):
            conn.execute(delete(m.contributions).where(m.contributions.c.participant_id.in_(ids)))
        rows = [{"participant_id": pid, "org_unit": unit, "metric": metric, "day": day, "amount": amount}
                for (pid, (unit, metric, day)), amount in new.items() if pid in changed]
        if rows:
            conn.execute(insert(m.contributions), rows)
        self.add_sums(conn, delta)

    def add_sums(self, conn: Connection, delta: dict[Key, int]) -> None:
        monthly: dict[Key, int] = defaultdict(int)
        for (unit, metric, day), amount in delta.items():
            if amount:
                monthly[(unit, metric, day.replace(day=1))] += amount
        for table, sums in ((self.model.daily, delta), (self.model.monthly, monthly)):
            for (unit, metric, day), amount in sums.items():
                if amount:
                    upsert(conn, table, {"org_unit": unit, "metric": metric, "day": day, "amount": amount},
                           keys=["org_unit", "metric", "day"], update={"amount": table.c.amount + amount})


class LiveProjection:
    """The consumer process's projection: follows the active generation, so that after a rebuild's
    swap it continues in the new tables from the offsets the rebuild stored."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        with engine.connect() as conn:
            generation = active_generation(conn)
        self.projection = Projection(read_model(generation))
        self.projection.model.create(engine)

    def before_poll(self, loop: ConsumerLoop) -> None:
        with self._engine.connect() as conn:
            generation = active_generation(conn)
        if generation != self.projection.model.generation:
            self.projection = Projection(read_model(generation))
            loop.rename(self.projection.model.consumer_name)

    def apply_batch(self, conn: Connection, deliveries: list[Delivery]) -> None:
        self.projection.apply_batch(conn, deliveries)

    def record_dead_letters(self, conn: Connection, reasons: list[str]) -> None:
        self.projection.record_dead_letters(conn, reasons)
