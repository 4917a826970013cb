"""Races on one participant and Idempotency-Key retries, on SQLite and PostgreSQL.

Where the database lets two transactions overlap (PostgreSQL), a barrier inside the write makes both
read the stream before either appends, so the unique (participant_id, sequence) index really decides.
SQLite's writers queue at BEGIN IMMEDIATE, so there the same tests check the serialized outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from services.registration.store import event_store as registration_events
from services.support.store import event_store as support_events
from shared.eventstore import ConcurrentWrite, EventStore
from tests.support.databases import backend
from tests.support.system import System
from tests.support.write_checks import (
    error_of,
    leaves_no_trace,
    refused,
    register,
    selected,
    shared_system,
    someone,
    stored_events,
)

P = "/api/v1/participants"
OVERLAP = backend() == "postgresql"


@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("concurrency")) as running:
        yield running


@pytest.fixture(scope="module")
def district(system: System) -> dict[str, str]:
    return system.key("union", "TX", agency="huyen-doan-tho-xuan")


def at_once(app: Flask, requests: list[tuple[str, dict[str, str], dict[str, Any]]]) -> list[Any]:
    """Send the requests from as many threads, each with its own client, released together."""
    start = threading.Barrier(len(requests))
    replies: list[Any] = [None] * len(requests)

    def send(index: int) -> None:
        path, headers, body = requests[index]
        client = app.test_client()
        start.wait(timeout=30)
        replies[index] = client.post(path, headers=headers, json=body)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(r is not None for r in replies), "a request did not finish"
    return replies


class Overlap:
    """Wraps one EventStore method: the first call of each of `parties` threads waits for the others
    (only where transactions can overlap); counts the ConcurrentWrite the database then raises."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, store: EventStore, method: str, parties: int) -> None:
        self.conflicts = 0
        self._barrier = threading.Barrier(parties)
        self._seen: set[int] = set()
        self._lock = threading.Lock()
        original: Callable[..., Any] = getattr(store, method)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                first = threading.get_ident() not in self._seen
                self._seen.add(threading.get_ident())
            if first and OVERLAP:
                self._barrier.wait(timeout=30)
            try:
                return original(*args, **kwargs)
            except ConcurrentWrite:
                with self._lock:
                    self.conflicts += 1
                raise

        monkeypatch.setattr(store, method, wrapped)


def test_two_decisions_at_once_give_one_201_and_one_409(
        system: System, district: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    participant_id = register(system, district)
    system.publish()
    overlap = Overlap(monkeypatch, registration_events, "append", 2)
    replies = at_once(system.apps["registration"], [
        (f"{P}/{participant_id}/decisions", district,
         {"decision": "selected", "sector": "tourism", "decided_on": "2017-07-01"}),
        (f"{P}/{participant_id}/decisions", district,
         {"decision": "rejected", "reason": "Trùng lặp", "decided_on": "2017-07-02"}),
    ])
    assert sorted(r.status_code for r in replies) == [201, 409], [r.json for r in replies]
    winner = next(r for r in replies if r.status_code == 201)
    loser = next(r for r in replies if r.status_code == 409)
    # The loser ran again on the new stream and met the real rule, naming the decision that won.
    error = error_of(loser, 409, "already_decided", "decision")
    assert error["decision_event_id"] == winner.json["event_id"]
    assert overlap.conflicts == (1 if OVERLAP else 0)
    decisions = [e for e in stored_events(system, "registration", participant_id)
                 if e.type in ("participant.selected", "participant.rejected")]
    assert [e.event_id for e in decisions] == [winner.json["event_id"]]
    assert system.publish() == 1
    shown = system.registration.get(f"{P}/{participant_id}", headers=district).json
    assert shown["status"] == winner.json["type"].split(".")[1] and shown["version"] == 2


def test_a_stampede_of_decisions_records_one(system: System, district: dict[str, str]) -> None:
    participant_id = register(system, district)
    body = {"decision": "selected", "sector": "crops", "decided_on": "2017-07-01"}
    replies = at_once(system.apps["registration"], [(f"{P}/{participant_id}/decisions", district, body)] * 8)
    assert sorted(r.status_code for r in replies) == [201] + [409] * 7, [r.json for r in replies]
    for reply in replies:
        if reply.status_code == 409:
            assert error_of(reply, 409, reply.json["error"]["code"])["code"] in ("already_decided",
                                                                                  "concurrent_write")
    assert [e.type for e in stored_events(system, "registration", participant_id)] == [
        "participant.registered", "participant.selected"]


def test_the_same_person_registered_at_once_is_one_participant(system: System, district: dict[str, str]) -> None:
    body = someone(full_name="Hoàng Thị Lan Anh", birth_date="1990-10-10")
    replies = at_once(system.apps["registration"], [(P, district, body)] * 6)
    assert sorted(r.status_code for r in replies) == [201] + [409] * 5, [r.json for r in replies]
    winner = next(r for r in replies if r.status_code == 201).json["participant_id"]
    for reply in replies:
        if reply.status_code == 409:
            assert error_of(reply, 409, "duplicate_participant", "full_name")["participant_id"] == winner


def test_independent_events_at_once_are_all_recorded(
        system: System, district: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Two trainings posted together both fit: the one that lost the sequence slot runs again."""
    participant_id = selected(system, district)
    overlap = Overlap(monkeypatch, support_events, "append", 2)
    replies = at_once(system.apps["support"], [
        (f"{P}/{participant_id}/trainings", district,
         {"trained_on": "2017-07-20", "course": course, "kind": "course"})
        for course in ("Kỹ năng khởi nghiệp", "Chuyển giao kỹ thuật chăn nuôi")])
    assert [r.status_code for r in replies] == [201, 201], [r.json for r in replies]
    assert overlap.conflicts == (1 if OVERLAP else 0)
    events = stored_events(system, "support", participant_id)
    assert [e.sequence for e in events] == [1, 2]
    assert {e.event_id for e in events} == {r.json["event_id"] for r in replies}


def test_an_idempotent_retry_answers_the_first_reply_and_records_nothing(
        system: System, district: dict[str, str]) -> None:
    headers = district | {"Idempotency-Key": "dang-ky-2017-06-10-001"}
    body = someone()
    first = system.registration.post(P, headers=headers, json=body)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    with leaves_no_trace(system):
        for _ in range(3):
            again = system.registration.post(P, headers=headers, json=body)
            assert (again.status_code, again.json) == (201, first.json)
            assert again.headers["Idempotent-Replayed"] == "true"
    # The key belongs to the API key that used it: another agency's same key is its own request.
    other = system.key("union", "TX", agency="another-agency") | {"Idempotency-Key": "dang-ky-2017-06-10-001"}
    assert error_of(system.registration.post(P, headers=other, json=body), 409, "duplicate_participant")


def test_a_retry_serialized_differently_is_the_same_request(system: System, district: dict[str, str]) -> None:
    participant_id = register(system, district)
    headers = district | {"Idempotency-Key": "quyet-dinh-json"}
    path = f"{P}/{participant_id}/decisions"
    first = system.registration.post(path, headers=headers, data='{"decision":"selected","sector":"crops",'
                                     '"decided_on":"2017-07-01"}', content_type="application/json")
    assert first.status_code == 201, first.json
    with leaves_no_trace(system):
        again = system.registration.post(path, headers=headers, content_type="application/json; charset=utf-8",
                                         data='{\n  "decided_on": "2017-07-01",\n  "sector": "crops",\n'
                                              '  "decision": "selected"\n}')
        assert (again.status_code, again.json) == (201, first.json)


def test_an_idempotency_key_reused_for_another_request_is_409(system: System, district: dict[str, str]) -> None:
    participant_id = selected(system, district)
    headers = district | {"Idempotency-Key": "tap-huan-07-2017"}
    path = f"{P}/{participant_id}/trainings"
    body = {"trained_on": "2017-07-15", "course": "Khởi nghiệp", "kind": "course"}
    assert system.support.post(path, headers=headers, json=body).status_code == 201
    for other_path, other_body in ((path, body | {"hours": 8}), (path, body | {"course": "Khác"}),
                                   (f"{P}/{participant_id}/supports", {"supported_on": "2017-10-01",
                                                                       "kind": "forum"})):
        refused(system, system.support, "POST", other_path, headers, 409, "idempotency_key_reused",
                "Idempotency-Key", vi="đã dùng cho một yêu cầu khác", en="used for a different request",
                json=other_body)


def test_a_refused_request_does_not_use_up_its_key(system: System, district: dict[str, str]) -> None:
    participant_id = register(system, district, registered_on="2017-06-10")
    headers = district | {"Idempotency-Key": "quyet-dinh-01"}
    path = f"{P}/{participant_id}/decisions"
    early = {"decision": "selected", "sector": "crops", "decided_on": "2017-06-01"}
    for _ in range(2):
        refused(system, system.registration, "POST", path, headers, 422, "validation_failed", "decided_on",
                json=early)
    fixed = system.registration.post(path, headers=headers, json=early | {"decided_on": "2017-07-01"})
    assert fixed.status_code == 201, fixed.json


def test_twin_requests_with_one_key_get_one_identical_reply(
        system: System, district: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    body = someone()
    headers = district | {"Idempotency-Key": "twin-registration"}
    system.publish()
    overlap = Overlap(monkeypatch, registration_events, "claim", 2)
    replies = at_once(system.apps["registration"], [(P, headers, body), (P, headers, body)])
    assert [r.status_code for r in replies] == [201, 201], [r.json for r in replies]
    assert replies[0].json == replies[1].json
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in replies) == ["", "true"]
    assert overlap.conflicts == (1 if OVERLAP else 0)
    assert len(stored_events(system, "registration", replies[0].json["participant_id"])) == 1
    assert system.publish() == 1


def test_twin_decisions_with_one_key_record_one_decision(
        system: System, district: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    participant_id = register(system, district)
    headers = district | {"Idempotency-Key": "twin-decision"}
    overlap = Overlap(monkeypatch, registration_events, "claim", 2)
    body = {"decision": "selected", "sector": "aquaculture", "decided_on": "2017-07-01"}
    replies = at_once(system.apps["registration"], [(f"{P}/{participant_id}/decisions", headers, body)] * 2)
    assert [r.status_code for r in replies] == [201, 201] and replies[0].json == replies[1].json
    assert overlap.conflicts == (1 if OVERLAP else 0)
    assert len(stored_events(system, "registration", participant_id)) == 2
