"""Pure parts of the write side, without I/O: names, ids, ages, input hygiene, the aggregate rebuilt
from events (retractions included), the write retry, and the v1 -> v2 upcaster."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import pytest
from marshmallow import ValidationError, fields

from services.registration import domain
from services.registration.schemas import RegistrationBody
from services.support.domain import RegistrationFact, view_of
from shared.events import Envelope, Source, new_identity, read_data
from shared.events.types import upcast_registered_v1_v2
from shared.eventstore import ConcurrentWrite, StoredReply
from shared.rules import RequestBody, RuleViolation, age_on, clean_name, identity_name, is_issued_id
from shared.writes import WRITE_ATTEMPTS, Idempotency, Reply, run_write

PID = "6f1d9c1e-1d2b-4c7e-9a55-0c7b1f2e3d4a"


def test_names_are_stored_nfc_with_spacing_tidied() -> None:
    nfd = unicodedata.normalize("NFD", "  Lê   Văn\tAn ")
    assert clean_name(nfd) == "Lê Văn An" and unicodedata.is_normalized("NFC", clean_name(nfd))


def test_identity_ignores_case_and_spacing_but_keeps_diacritics() -> None:
    variants = ("Lê Văn An", "lê  văn an", "LÊ VĂN AN", unicodedata.normalize("NFD", "LÊ VĂN an"))
    same = {identity_name(n) for n in variants}
    assert len(same) == 1
    assert identity_name("Le Van An") not in same and identity_name("Lê Văn Ân") not in same
    assert identity_name("Đặng Thị Ánh") == identity_name("đặng thị ánh")


def test_only_canonical_uuids_are_ids() -> None:
    assert is_issued_id(PID)
    for odd in (PID.upper(), "{" + PID + "}", "urn:uuid:" + PID, PID.replace("-", ""), "", "\x00", "x" * 36):
        assert not is_issued_id(odd), odd


@pytest.mark.parametrize(("birth", "day", "age"), [
    ("2001-06-10", "2017-06-10", 16), ("2001-06-11", "2017-06-10", 15), ("1981-06-11", "2017-06-10", 35),
    ("1981-06-10", "2017-06-10", 36), ("2000-02-29", "2016-02-28", 15), ("2000-02-29", "2016-02-29", 16),
    ("2000-02-29", "2017-02-28", 16), ("2000-02-29", "2017-03-01", 17)])
def test_age_on_a_day(birth: str, day: str, age: int) -> None:
    assert age_on(date.fromisoformat(birth), date.fromisoformat(day)) == age


class Sample(RequestBody):
    name = fields.String(required=True)
    day = fields.Date(required=True)
    flag = fields.Boolean(load_default=None, allow_none=True)


def test_request_bodies_are_nfc_and_strict_about_dates_and_booleans() -> None:
    loaded = Sample().load({"name": unicodedata.normalize("NFD", "Hồ Thị Xuân"), "day": "2017-06-10", "flag": False})
    assert loaded == {"name": "Hồ Thị Xuân", "day": date(2017, 6, 10), "flag": False}
    assert Sample().load({"name": " a\tb\nc\r\u200b\x00", "day": "2017-06-10"})["name"] == "a b c"
    for bad, field in (({"day": "20170610"}, "day"), ({"day": "2017-W23-6"}, "day"), ({"day": "2017-06-10\n"}, "day"),
                       ({"flag": "yes"}, "flag"), ({"flag": 1}, "flag"), ({"flag": "true"}, "flag"),
                       ({"name": "\u200b"}, "name"), ({"name": "\ud800"}, "name"), ({"name": "\x7f"}, "name"),
                       ({"day": "0001-01-01"}, "day"), ({"day": "9999-12-31"}, "day"),
                       ({"\ud800": 1}, "_schema"), ({"k\x00": 1}, "_schema")):
        with pytest.raises(ValidationError) as raised:
            Sample().load({"name": "A", "day": "2017-06-10"} | bad)
        assert field in raised.value.messages, (bad, raised.value.messages)


def test_the_registration_body_refuses_loose_booleans() -> None:
    body = {"full_name": "A", "birth_date": "1995-01-01", "gender": "male", "org_unit": "X", "branch_name": "B",
            "branch_kind": "residential", "model_name": "M", "registered_on": "2017-06-10"}
    assert RegistrationBody().load(body | {"has_existing_model": True})["has_existing_model"] is True
    with pytest.raises(ValidationError):
        RegistrationBody().load(body | {"has_existing_model": "yes"})


def envelope(event_type: str, sequence: int, data: dict[str, Any], event_id: str | None = None,
             version: int = 1) -> Envelope:
    extra = new_identity() | ({"event_id": event_id} if event_id else {})
    return Envelope(type=event_type, version=version, participant_id=PID, org_unit="TX-XUANHOA",
                    occurred_on=date(2017, 6, 10), source=Source("a", "k"), data=data, sequence=sequence, **extra)


REGISTERED = {"full_name": "Lê Văn An", "birth_date": "1995-02-03", "gender": "male", "branch_name": "B",
              "branch_kind": "residential", "model_name": "M", "has_existing_model": True,
              "registered_on": "2017-06-10"}
REG_ID, SEL_ID = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"


def rebuild(events: list[Envelope]) -> domain.Participant:
    return domain.Participant.rebuild(PID, events, [read_data(e) for e in events])


def retraction_of(event_id: str, event_type: str, sequence: int) -> Envelope:
    return envelope("event.retracted", sequence, {"retracted_event_id": event_id, "retracted_type": event_type,
                                                  "reason": "sai", "retracted_on": "2017-08-01"})


def test_a_retracted_selection_leaves_a_registered_participant_who_may_be_decided_again() -> None:
    events = [envelope("participant.registered", 1, REGISTERED, REG_ID, version=2),
              envelope("participant.selected", 2, {"sector": "crops", "decided_on": "2017-07-01"}, SEL_ID),
              retraction_of(SEL_ID, "participant.selected", 3)]
    participant = rebuild(events)
    assert (participant.status, participant.sector, participant.version) == ("registered", None, 3)
    domain.check_decision(participant, {"decision": "rejected", "decided_on": date(2017, 8, 2)},
                          date(2018, 1, 1), date(2017, 1, 1))


def test_nothing_after_a_retracted_registration_brings_the_participant_back() -> None:
    events = [envelope("participant.registered", 1, REGISTERED, REG_ID, version=2),
              envelope("participant.selected", 2, {"sector": "crops", "decided_on": "2017-07-01"}, SEL_ID),
              envelope("participant.evaluated", 3, {"evaluated_on": "2018-01-01", "status": "successful"}),
              retraction_of(REG_ID, "participant.registered", 4)]
    participant = rebuild(events)
    assert not participant.exists and participant.org_unit == "" and participant.evaluations == []
    with pytest.raises(RuleViolation) as raised:
        domain.require_registered(participant)
    assert raised.value.status == 404


def test_support_view_forgets_a_retracted_registration_and_a_retracted_selection() -> None:
    def fact(event_id: str, event_type: str, data: dict[str, Any], day: str) -> RegistrationFact:
        return RegistrationFact(event_id, event_type, "TX-XUANHOA", date.fromisoformat(day),
                                f"{day}T00:00:00+00:00", data)

    registered = fact(REG_ID, "participant.registered", REGISTERED, "2017-06-10")
    chosen = fact(SEL_ID, "participant.selected", {"sector": "crops"}, "2017-07-01")
    assert view_of(PID, [registered, chosen]).status == "selected"  # type: ignore[union-attr]
    undo_selection = fact("r1", "event.retracted", {"retracted_event_id": SEL_ID}, "2017-08-01")
    assert view_of(PID, [registered, chosen, undo_selection]).status == "registered"  # type: ignore[union-attr]
    undo_registration = fact("r2", "event.retracted", {"retracted_event_id": REG_ID}, "2017-08-01")
    assert view_of(PID, [registered, chosen, undo_registration]) is None


def test_v1_registration_is_upcast_to_v2() -> None:
    v1 = {k: v for k, v in REGISTERED.items() if k not in ("full_name", "has_existing_model")} | {"name": "Lê Thị Hoa"}
    upgraded = upcast_registered_v1_v2(v1)
    assert "name" not in upgraded and upgraded["full_name"] == "Lê Thị Hoa" and upgraded["has_existing_model"] is False
    data = read_data(envelope("participant.registered", 1, v1, version=1))
    assert data["full_name"] == "Lê Thị Hoa" and data["has_existing_model"] is False
    assert data["registered_on"] == date(2017, 6, 10)


# --- run_write --------------------------------------------------------------------------------

class FakeStore:
    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], StoredReply] = {}

    def stored_reply(self, _conn: Any, key_id: str, key: str) -> StoredReply | None:
        return self.replies.get((key_id, key))

    def claim(self, _conn: Any, key_id: str, key: str, request_hash: str) -> None:
        pass

    def complete(self, _conn: Any, key_id: str, key: str, status: int, body: dict[str, Any]) -> None:
        self.replies[(key_id, key)] = StoredReply("h", status, body)


class FakeUnitOfWork:
    def __init__(self, store: FakeStore, log: list[str]) -> None:
        self.store, self.conn, self._log = store, None, log

    def __enter__(self) -> FakeUnitOfWork:
        self._log.append("begin")
        return self

    def __exit__(self, *exc: object) -> None:
        self._log.append("end")

    def commit(self) -> None:
        self._log.append("commit")


def test_a_write_that_lost_its_stream_slot_runs_again() -> None:
    store, log, calls = FakeStore(), [], []

    def handler(_uow: Any) -> Reply:
        calls.append(1)
        if len(calls) == 1:
            raise ConcurrentWrite(PID)
        return Reply(201, {"event_id": "e"})

    reply = run_write(lambda: FakeUnitOfWork(store, log), handler, Idempotency("k", "key", "h"),  # type: ignore[arg-type,return-value]
                      lambda stored: Reply(stored.status, stored.body))
    assert reply.status == 201 and len(calls) == 2
    assert log == ["begin", "end", "begin", "commit", "end"]  # the first attempt rolled back, the second committed
    assert store.replies[("k", "key")].status == 201


def test_a_write_that_keeps_losing_gives_up() -> None:
    log: list[str] = []

    def handler(_uow: Any) -> Reply:
        raise ConcurrentWrite(PID)

    with pytest.raises(ConcurrentWrite):
        run_write(lambda: FakeUnitOfWork(FakeStore(), log), handler, None,  # type: ignore[arg-type,return-value]
                  lambda stored: Reply(stored.status, stored.body))
    assert log.count("begin") == WRITE_ATTEMPTS and "commit" not in log
