"""Applies a batch of delivered events to the read models, inside the consumer's transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from services.reporting.domain import Fact, contributions
from services.reporting.store import contributions as contrib_table
from services.reporting.store import daily, events, stats
from shared.db import upsert
from shared.messaging.consumer import Delivery

CHUNK = 500


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]


def row_to_fact(row: Any) -> Fact:
    recorded_at = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
    return Fact(row.event_id, row.type, row.participant_id, row.org_unit, row.occurred_on, recorded_at,
                json.loads(row.data))


def apply_batch(conn: Connection, deliveries: list[Delivery]) -> None:
    """Store new events, then recompute the contributions of every participant they touch."""
    batch: dict[str, Delivery] = {}
    for delivery in deliveries:
        batch.setdefault(delivery.envelope.event_id, delivery)
    known: set[str] = set()
    for ids in _chunks(list(batch)):
        known.update(conn.execute(select(events.c.event_id).where(events.c.event_id.in_(ids))).scalars())
    fresh = [d for event_id, d in batch.items() if event_id not in known]
    if not fresh:
        return
    conn.execute(insert(events), [{
        "event_id": d.envelope.event_id, "participant_id": d.envelope.participant_id, "type": d.envelope.type,
        "version": d.envelope.version, "org_unit": d.envelope.org_unit, "occurred_on": d.envelope.occurred_on,
        "recorded_at": d.envelope.recorded_at, "source_agency": d.envelope.source.agency,
        "source_key_id": d.envelope.source.key_id, "service": d.envelope.service,
        # the payload as upcast to the current version, so readers never see an old shape
        "data": json.dumps(_jsonable(d.data), ensure_ascii=False),
    } for d in fresh])
    recompute(conn, sorted({d.envelope.participant_id for d in fresh}))
    upsert(conn, stats, {"name": "events_applied", "value": len(fresh)}, keys=["name"],
           update={"value": stats.c.value + len(fresh)})


def recompute(conn: Connection, participant_ids: list[str]) -> None:
    facts: dict[str, list[Fact]] = defaultdict(list)
    old: dict[tuple[str, str, str, Any], int] = {}
    for ids in _chunks(participant_ids):
        for row in conn.execute(select(events).where(events.c.participant_id.in_(ids))):
            facts[row.participant_id].append(row_to_fact(row))
        for row in conn.execute(select(contrib_table).where(contrib_table.c.participant_id.in_(ids))):
            old[(row.participant_id, row.org_unit, row.metric, row.day)] = row.amount
    new: dict[tuple[str, str, str, Any], int] = {}
    for participant_id in participant_ids:
        for (unit, metric, day), amount in contributions(facts[participant_id]).items():
            new[(participant_id, unit, metric, day)] = amount
    if old == new:
        return
    delta: dict[tuple[str, str, Any], int] = defaultdict(int)
    for (_pid, unit, metric, day), amount in old.items():
        delta[(unit, metric, day)] -= amount
    for (_pid, unit, metric, day), amount in new.items():
        delta[(unit, metric, day)] += amount
    for ids in _chunks(participant_ids):
        conn.execute(delete(contrib_table).where(contrib_table.c.participant_id.in_(ids)))
    if new:
        conn.execute(insert(contrib_table), [
            {"participant_id": pid, "org_unit": unit, "metric": metric, "day": day, "amount": amount}
            for (pid, unit, metric, day), amount in new.items()])
    for (unit, metric, day), amount in delta.items():
        if amount:
            upsert(conn, daily, {"org_unit": unit, "metric": metric, "day": day, "amount": amount},
                   keys=["org_unit", "metric", "day"], update={"amount": daily.c.amount + amount})


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else str(v) if k.endswith("_id") and v else v)
            for k, v in data.items()}
