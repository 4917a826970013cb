"""Support's endpoints: trainings, fundings, business supports for selected participants, and what a
client gets while support's view (fed from registration's Kafka events) lags behind registration:
404 / 409 with Retry-After, then 201 once the view has caught up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from services.support.store import known_participants, registration_facts
from shared.events.types import FUNDING_SOURCES, SUPPORT_KINDS
from tests.support.system import System
from tests.support.write_checks import (
    EN,
    decide,
    engine,
    error_of,
    leaves_no_trace,
    register,
    selected,
    shared_system,
    stored_events,
)

P = "/api/v1/participants"
TRAINING = {"trained_on": "2017-07-15", "course": "Kiến thức khởi sự doanh nghiệp", "kind": "course",
            "provider": "Huyện Đoàn và Phòng Nông nghiệp", "hours": 24}


@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("support")) as running:
        yield running


@pytest.fixture(scope="module")
def keys(system: System) -> dict[str, dict[str, str]]:
    return {"union": system.key("union", "TX", agency="huyen-doan-tho-xuan"),
            "bank": system.key("bank", "TH", agency="vbsp-thanh-hoa"),
            "business": system.key("business", "TX", agency="hiep-hoi-dn-tho-xuan"),
            "far_bank": system.key("bank", "TS", agency="vbsp-trieu-son")}


def test_trainings_fundings_and_supports_are_recorded(system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = selected(system, keys["union"])
    system.publish()
    posts = [("trainings", keys["union"], TRAINING, "participant.trained"),
             ("trainings", keys["union"], {"trained_on": "2017-08-20", "course": "Tham quan mô hình gà đồi",
                                           "kind": "study_visit"}, "participant.trained")]
    posts += [("fundings", keys["bank"], {"disbursed_on": "2017-09-05", "source": source, "amount_vnd": 50_000_000,
                                          "lender": "NH CSXH huyện Thọ Xuân", "term_months": 36},
               "participant.funded") for source in FUNDING_SOURCES]
    posts += [("fundings", keys["union"], {"disbursed_on": "2017-09-06", "source": "youth_union_120",
                                           "amount_vnd": 20_000_000}, "participant.funded")]
    posts += [("supports", keys["business"], {"supported_on": "2017-10-10", "kind": kind, "partner": "Công ty X",
                                              "description": "Bao tiêu sản phẩm"}, "participant.supported")
              for kind in SUPPORT_KINDS]
    posts += [("supports", keys["union"], {"supported_on": "2017-11-11", "kind": "forum"}, "participant.supported")]
    event_ids = []
    for path, headers, body, event_type in posts:
        reply = system.support.post(f"{P}/{participant_id}/{path}", headers=headers, json=body)
        assert reply.status_code == 201, (path, body, reply.json)
        assert reply.json["type"] == event_type and reply.json["participant_id"] == participant_id
        event_ids.append(reply.json["event_id"])
    events = stored_events(system, "support", participant_id)
    assert [e.event_id for e in events] == event_ids
    assert [e.sequence for e in events] == list(range(1, len(posts) + 1))
    assert {e.org_unit for e in events} == {"TX-XUANHOA"}  # the participant's unit, from support's view
    assert system.publish() == len(posts)


def test_out_of_scope_is_403(system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = selected(system, keys["union"])
    with leaves_no_trace(system):
        reply = system.support.post(f"{P}/{participant_id}/fundings", headers=keys["far_bank"],
                                    json={"disbursed_on": "2017-09-05", "source": "vbsp", "amount_vnd": 1_000_000})
        error_of(reply, 403, "out_of_scope")


def test_a_registration_not_yet_in_the_view_is_404_with_retry_after_then_201(
        system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = register(system, keys["union"])
    assert decide(system, keys["union"], participant_id).status_code == 201
    path = f"{P}/{participant_id}/trainings"
    system.publish()  # on Kafka, but support's consumer does not run: its view does not know the participant
    for headers, message in ((keys["union"], "thử lại sau vài giây"), (keys["union"] | EN, "retry in a few seconds")):
        with leaves_no_trace(system):
            reply = system.support.post(path, headers=headers, json=TRAINING)
            error = error_of(reply, 404, "unknown_participant")
        assert reply.headers["Retry-After"] == "2" and error["retry_after_seconds"] == 2
        assert message in error["message"]
    system.drain("support")
    reply = system.support.post(path, headers=keys["union"], json=TRAINING)
    assert reply.status_code == 201, reply.json
    assert "Retry-After" not in reply.headers


def test_a_selection_not_yet_in_the_view_is_409_with_retry_after_then_201(
        system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = register(system, keys["union"])
    system.publish()
    system.drain("support")  # the registration is known...
    assert decide(system, keys["union"], participant_id).status_code == 201  # ...the selection not yet
    path = f"{P}/{participant_id}/fundings"
    body = {"disbursed_on": "2017-09-05", "source": "vbsp", "amount_vnd": 30_000_000}
    with leaves_no_trace(system):
        reply = system.support.post(path, headers=keys["bank"], json=body)
        assert error_of(reply, 409, "not_selected")["status"] == "registered"
    assert reply.headers["Retry-After"] == "2"
    system.drain("support")
    reply = system.support.post(path, headers=keys["bank"], json=body)
    assert reply.status_code == 201, reply.json


def test_an_id_that_can_never_appear_gets_no_retry_after(system: System, keys: dict[str, dict[str, str]]) -> None:
    with leaves_no_trace(system):
        reply = system.support.post(f"{P}/not-an-id/trainings", headers=keys["union"], json=TRAINING)
        error = error_of(reply, 404, "unknown_participant")
    assert "Retry-After" not in reply.headers and "retry_after_seconds" not in error
    assert "thử lại" not in error["message"]


def test_a_rejected_participant_stays_refused(system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = register(system, keys["union"])
    assert decide(system, keys["union"], participant_id, "rejected").status_code == 201
    system.publish()
    system.drain("support")
    with leaves_no_trace(system):
        reply = system.support.post(f"{P}/{participant_id}/supports", headers=keys["business"],
                                    json={"supported_on": "2017-10-10", "kind": "mentoring"})
        assert error_of(reply, 409, "not_selected")["status"] == "rejected"


def test_the_view_ignores_redelivered_registration_events(system: System, keys: dict[str, dict[str, str]]) -> None:
    selected(system, keys["union"])

    def view_rows() -> tuple[int, int]:
        with engine(system, "support").connect() as conn:
            return (conn.execute(select(func.count()).select_from(registration_facts)).scalar_one(),
                    conn.execute(select(func.count()).select_from(known_participants)).scalar_one())

    before = view_rows()
    loop = system.consumer("support")
    for partition in loop.consumer.assignment():  # as after a crash before Kafka's own commit
        loop.consumer.seek_to_beginning(partition)
    loop.poll_once(timeout_ms=2000)
    system.drain("support")
    assert view_rows() == before
