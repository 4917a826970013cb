"""Versioned event schemas: a participant.registered v1 (June 2017 list: `name`, no `has_existing_model`)
kept in the event store and on Kafka is read back through upcast_registered_v1_v2, by registration's
aggregate and by support's consumer."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from services.registration.store import event_store, outbox
from services.support.store import registration_facts
from shared.events import Envelope, Source, new_identity
from shared.events.types import ParticipantRegistered
from shared.messaging.outbox import enqueue
from shared.messaging.topics import REGISTRATION_EVENTS
from tests.support.system import System
from tests.support.write_checks import decide, engine, shared_system, stored_events

P = "/api/v1/participants"
V1_DATA = {
    "name": "Lê Thị Hoa", "birth_date": "1992-05-05", "gender": "female", "phone": None,
    "branch_name": "Chi đoàn thôn Bắc", "branch_kind": "residential", "model_name": "Trồng dưa lưới",
    "model_description": None, "registered_on": "2017-06-15",
}


@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("versions")) as running:
        yield running


def record_v1_registration(system: System) -> Envelope:
    """What the 2017 code wrote: a v1 event in the store and its outbox row, in one transaction."""
    envelope = Envelope(type="participant.registered", version=1, participant_id=str(uuid.uuid4()),
                        org_unit="TX-XUANTIN", occurred_on=date(2017, 6, 15),
                        source=Source("doan-xa-xuan-tin", "legacy-key"), data=dict(V1_DATA), sequence=1,
                        service="registration", **new_identity())
    with engine(system, "registration").begin() as conn:
        event_store.append(conn, [envelope])
        enqueue(conn, outbox, system.configs["registration"].topic(REGISTRATION_EVENTS), envelope)
    return envelope


def test_the_current_version_is_2_with_an_upcaster_from_1() -> None:
    assert ParticipantRegistered.VERSION == 2


def test_a_v1_registration_in_the_store_is_read_through_the_upcaster(system: System) -> None:
    district = system.key("union", "TX")
    v1 = record_v1_registration(system)
    [stored] = stored_events(system, "registration", v1.participant_id)
    assert stored.version == 1 and json.loads(stored.data) == V1_DATA  # stored as written, never rewritten

    shown = system.registration.get(f"{P}/{v1.participant_id}", headers=district)
    assert shown.status_code == 200, shown.json
    participant = shown.json
    assert participant["full_name"] == "Lê Thị Hoa" and participant["status"] == "registered"
    registration = participant["registration"]
    assert registration["full_name"] == "Lê Thị Hoa" and "name" not in registration
    assert registration["has_existing_model"] is False  # unknown in v1: no existing model
    assert registration["model_name"] == "Trồng dưa lưới" and registration["registered_on"] == "2017-06-15"

    # The aggregate rebuilt from a v1 event takes new events as usual.
    decision = decide(system, district, v1.participant_id, sector="crops")
    assert decision.status_code == 201, decision.json
    assert [(e.type, e.version, e.sequence) for e in stored_events(system, "registration", v1.participant_id)] == [
        ("participant.registered", 1, 1), ("participant.selected", 1, 2)]
    assert system.registration.get(f"{P}/{v1.participant_id}", headers=district).json["status"] == "selected"


def test_a_v1_registration_on_kafka_reaches_support_through_the_upcaster(system: System) -> None:
    district = system.key("union", "TX")
    v1 = record_v1_registration(system)
    assert decide(system, district, v1.participant_id, sector="crops").status_code == 201
    system.publish()
    system.drain("support")
    with engine(system, "support").connect() as conn:
        facts = {row.type: row for row in conn.execute(
            select(registration_facts).where(registration_facts.c.participant_id == v1.participant_id))}
    registered = json.loads(facts["participant.registered"].data)
    assert registered["full_name"] == "Lê Thị Hoa" and registered["has_existing_model"] is False
    assert "name" not in registered
    training = system.support.post(f"{P}/{v1.participant_id}/trainings", headers=district,
                                   json={"trained_on": "2017-07-15", "course": "Kỹ thuật trồng", "kind": "course"})
    assert training.status_code == 201, training.json
