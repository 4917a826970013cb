"""Applies delivered events to a read-model generation, inside the consumer's transaction.

Per batch: one read of the state rows of the participants it touches, their contributions recomputed
from all their facts (domain.contributions), and only the differences added to the daily and monthly
sums, each table written with one statement (executemany).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from services.reporting.domain import Fact, contributions
from services.reporting.store import ReadModel, active_generation, read_model
from shared.db import upsert_many
from shared.messaging.consumer import ConsumerLoop, Delivery

CHUNK = 900  # bound parameters per IN (...) query, under SQLite's limit
Key = tuple[str, str, date]  # org_unit, metric, day


def row_to_fact(row: Any) -> Fact:
    recorded_at = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
    return Fact(row.event_id, row.type, row.participant_id, row.org_unit, row.occurred_on, recorded_at,
                json.loads(row.data))


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else str(v) if k.endswith("_id") and v else v)
            for k, v in data.items()}


def _fact_to_json(f: Fact) -> list[Any]:
    return [f.event_id, f.type, f.org_unit, f.occurred_on.isoformat(), f.recorded_at.isoformat(), f.data]


def _fact_from_json(participant_id: str, item: list[Any]) -> Fact:
    return Fact(item[0], item[1], participant_id, item[2], date.fromisoformat(item[3]),
                datetime.fromisoformat(item[4]), item[5])


class Projection:
    """The reporting projection of one generation."""

    def __init__(self, model: ReadModel) -> None:
        self.model = model

    def apply_batch(self, conn: Connection, deliveries: list[Delivery]) -> None:
        m = self.model
        incoming: dict[str, dict[str, Delivery]] = defaultdict(dict)
        for d in deliveries:
            incoming[d.envelope.participant_id].setdefault(d.envelope.event_id, d)
        states = self._load_states(conn, list(incoming))
        fresh: list[Delivery] = []
        state_rows: list[dict[str, Any]] = []
        delta: dict[Key, int] = defaultdict(int)
        for participant_id, by_id in incoming.items():
            facts, old = states.get(participant_id, ([], {}))
            known = {f.event_id for f in facts}
            new_deliveries = [d for event_id, d in by_id.items() if event_id not in known]
            if not new_deliveries:
                continue  # a redelivery: already applied
            fresh.extend(new_deliveries)
            facts = facts + [Fact(d.envelope.event_id, d.envelope.type, participant_id, d.envelope.org_unit,
                                  d.envelope.occurred_on, d.envelope.recorded_at, jsonable(d.data))
                             for d in new_deliveries]
            new = contributions(facts)
            for key in old.keys() | new.keys():
                change = new.get(key, 0) - old.get(key, 0)
                if change:
                    delta[key] += change
            state_rows.append({
                "participant_id": participant_id,
                "facts": json.dumps([_fact_to_json(f) for f in facts], ensure_ascii=False),
                "contributions": json.dumps([[u, k, d.isoformat(), a] for (u, k, d), a in new.items()],
                                            ensure_ascii=False)})
        if not fresh:
            return
        conn.execute(insert(m.events), [{
            "event_id": d.envelope.event_id, "participant_id": d.envelope.participant_id,
            "type": d.envelope.type, "version": d.envelope.version, "org_unit": d.envelope.org_unit,
            "occurred_on": d.envelope.occurred_on, "recorded_at": d.envelope.recorded_at,
            "source_agency": d.envelope.source.agency, "source_key_id": d.envelope.source.key_id,
            "service": d.envelope.service, "data": json.dumps(jsonable(d.data), ensure_ascii=False),
        } for d in fresh])
        upsert_many(conn, m.participants, state_rows, keys=["participant_id"])
        self.add_sums(conn, delta)
        self.count(conn, "events_applied", len(fresh))

    def _load_states(self, conn: Connection, participant_ids: list[str]
                     ) -> dict[str, tuple[list[Fact], dict[Key, int]]]:
        table = self.model.participants
        states: dict[str, tuple[list[Fact], dict[Key, int]]] = {}
        for i in range(0, len(participant_ids), CHUNK):
            rows = conn.execute(select(table).where(table.c.participant_id.in_(participant_ids[i:i + CHUNK])))
            for row in rows:
                facts = [_fact_from_json(row.participant_id, item) for item in json.loads(row.facts)]
                old = {(u, k, date.fromisoformat(d)): a for u, k, d, a in json.loads(row.contributions)}
                states[row.participant_id] = (facts, old)
        return states

    def record_dead_letters(self, conn: Connection, reasons: list[str]) -> None:
        self.count(conn, "dead_letters", len(reasons))

    def count(self, conn: Connection, name: str, amount: int) -> None:
        upsert_many(conn, self.model.stats, [{"name": name, "value": amount}], keys=["name"], add=["value"])

    def add_sums(self, conn: Connection, delta: dict[Key, int]) -> None:
        monthly: dict[Key, int] = defaultdict(int)
        for (unit, metric, day), amount in delta.items():
            monthly[(unit, metric, day.replace(day=1))] += amount
        for table, sums in ((self.model.daily, delta), (self.model.monthly, monthly)):
            upsert_many(conn, table, [{"org_unit": u, "metric": k, "day": d, "amount": a}
                                      for (u, k, d), a in sums.items() if a],
                        keys=["org_unit", "metric", "day"], add=["amount"])


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
