"""Support's view of participants, fed by registration's events from Kafka."""

from __future__ import annotations

import json
import time
from datetime import UTC
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select

from services.support.domain import REGISTRATION_TYPES, KnownParticipant, RegistrationFact, view_of
from services.support.store import known_participants, org_unit_changes, registration_facts
from shared.db import upsert
from shared.events.types import OrgUnitChanged
from shared.hierarchy_store import store_delivered
from shared.messaging.consumer import Delivery
from shared.rules import is_issued_id


def apply_batch(conn: Connection, deliveries: list[Delivery]) -> None:
    changes = [d for d in deliveries if d.envelope.type == OrgUnitChanged.TYPE]
    if changes:  # the hierarchy's changes, for scope checks (shared.hierarchy_store)
        store_delivered(conn, org_unit_changes, changes)
    relevant = {d.envelope.event_id: d for d in deliveries if d.envelope.type in REGISTRATION_TYPES}
    if not relevant:
        return
    known = set(conn.execute(select(registration_facts.c.event_id)
                             .where(registration_facts.c.event_id.in_(list(relevant)))).scalars())
    fresh = [d for event_id, d in relevant.items() if event_id not in known]
    if not fresh:
        return
    conn.execute(insert(registration_facts), [{
        "event_id": d.envelope.event_id, "participant_id": d.envelope.participant_id, "type": d.envelope.type,
        "org_unit": d.envelope.org_unit, "occurred_on": d.envelope.occurred_on,
        "recorded_at": d.envelope.recorded_at,
        "data": str(d.envelope.data, "utf-8"),  # the payload's JSON at its type's current version, as it came
    } for d in fresh])
    for participant_id in sorted({d.envelope.participant_id for d in fresh}):
        rows = conn.execute(select(registration_facts)
                            .where(registration_facts.c.participant_id == participant_id)).all()
        view = view_of(participant_id, [_fact(r) for r in rows])
        if view is None:
            conn.execute(delete(known_participants).where(known_participants.c.participant_id == participant_id))
        else:
            upsert(conn, known_participants, {"participant_id": participant_id, "org_unit": view.org_unit,
                                              "status": view.status, "registered_on": view.registered_on,
                                              "sector": view.sector}, keys=["participant_id"])


def _fact(row: Any) -> RegistrationFact:
    recorded_at = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
    return RegistrationFact(row.event_id, row.type, row.org_unit, row.occurred_on, recorded_at.isoformat(),
                            json.loads(row.data))


# built once: a statement built per call costs more Python than the look-up itself
_FIND = select(known_participants).where(known_participants.c.participant_id == bindparam("participant_id"))


def find(conn: Connection, participant_id: str) -> KnownParticipant | None:
    row = conn.execute(_FIND, {"participant_id": participant_id}).first()
    if row is None:
        return None
    return KnownParticipant(row.participant_id, row.org_unit, row.status, row.registered_on, row.sector)


def find_many(conn: Connection, participant_ids: list[str]) -> dict[str, KnownParticipant]:
    """`find` for many at once (an import's rows); ids registration never issues are not looked up."""
    wanted = sorted({p for p in participant_ids if is_issued_id(p)})
    found: dict[str, KnownParticipant] = {}
    for start in range(0, len(wanted), 500):
        for row in conn.execute(select(known_participants)
                                .where(known_participants.c.participant_id.in_(wanted[start:start + 500]))):
            found[row.participant_id] = KnownParticipant(row.participant_id, row.org_unit, row.status,
                                                         row.registered_on, row.sector)
    return found


def selected_in(conn: Connection, units: list[str], limit: int) -> list[tuple[str, str, str, Any]]:
    """(id, registered name, org unit, registration date) of the selected participants of `units`: what a list
    of trainings, fundings or supports may name."""
    rows = conn.execute(select(known_participants.c.participant_id, known_participants.c.org_unit,
                               known_participants.c.registered_on, registration_facts.c.data)
                        .join(registration_facts, (registration_facts.c.participant_id
                                                   == known_participants.c.participant_id)
                              & (registration_facts.c.type == "participant.registered"))
                        .where(known_participants.c.status == "selected", known_participants.c.org_unit.in_(units))
                        .order_by(known_participants.c.org_unit, known_participants.c.participant_id)
                        .limit(limit)).all()
    named = {r.participant_id: (r.participant_id, str(json.loads(r.data).get("full_name", "")), r.org_unit,
                                r.registered_on) for r in rows}  # a registration retracted and made again: one row
    return sorted(named.values(), key=lambda p: (p[2], p[1]))


def wait_until_decided(engine: Engine, participant_id: str, seconds: float) -> None:
    """Give the view a moment to catch up with a registration or decision made just before this
    request (registration publishes through Kafka; a fraction of a second is usual). A participant
    already decided on (selected or rejected) has nothing to wait for."""
    deadline = time.monotonic() + seconds
    while True:
        with engine.connect() as conn:
            known = find(conn, participant_id)
        if (known is not None and known.status != "registered") or time.monotonic() >= deadline:
            return
        time.sleep(0.1)
