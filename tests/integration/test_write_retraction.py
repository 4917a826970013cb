"""Retraction in both write services: a new event.retracted, the original never edited; twice is 409;
only the posting agency or an admin; and what a retraction undoes (a decision, a registration),
down to support's view fed from Kafka."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.system import System
from tests.support.write_checks import (
    decide,
    error_of,
    refused,
    register,
    selected,
    shared_system,
    someone,
    stored_events,
)

P = "/api/v1/participants"


def retraction(event_id: str) -> str:
    return f"/api/v1/events/{event_id}/retraction"


@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("retraction")) as running:
        yield running


@pytest.fixture(scope="module")
def keys(system: System) -> dict[str, dict[str, str]]:
    return {
        "district": system.key("union", "TX", agency="huyen-doan-tho-xuan"),
        "district_2": system.key("union", "TX", agency="huyen-doan-tho-xuan"),  # same agency, second key
        "other_union": system.key("union", "TX", agency="doan-khoi-co-quan"),
        "bank": system.key("bank", "TH", agency="vbsp-thanh-hoa"),
        "other_bank": system.key("bank", "TH", agency="agribank-thanh-hoa"),
        "admin": system.key("admin", "TH", agency="ban-quan-tri"),
        "admin_ts": system.key("admin", "TS", agency="ban-quan-tri-trieu-son"),
    }


def evaluate(system: System, headers: dict[str, str], participant_id: str) -> str:
    reply = system.registration.post(f"{P}/{participant_id}/evaluations", headers=headers,
                                     json={"evaluated_on": "2018-06-30", "status": "successful", "jobs_created": 4})
    assert reply.status_code == 201, reply.json
    return str(reply.json["event_id"])


def test_a_retraction_is_a_new_event_and_the_original_is_untouched(
        system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = selected(system, keys["district"])
    event_id = evaluate(system, keys["district"], participant_id)
    before = {e.event_id: tuple(e) for e in stored_events(system, "registration", participant_id)}
    system.publish()
    reply = system.registration.post(retraction(event_id), headers=keys["district"],
                                     json={"reason": "Nhập nhầm kết quả đánh giá"})
    assert reply.status_code == 201, reply.json
    assert reply.json["type"] == "event.retracted" and reply.json["retracted_event_id"] == event_id
    assert reply.json["participant_id"] == participant_id
    after = stored_events(system, "registration", participant_id)
    assert {e.event_id: tuple(e) for e in after[:-1]} == before  # nothing edited, nothing removed
    retracted = after[-1]
    assert (retracted.event_id, retracted.type, retracted.sequence) == (reply.json["event_id"], "event.retracted",
                                                                        len(before) + 1)
    data = json.loads(retracted.data)
    assert data["retracted_event_id"] == event_id and data["retracted_type"] == "participant.evaluated"
    assert data["reason"] == "Nhập nhầm kết quả đánh giá" and data["retracted_on"]
    assert system.publish() == 1
    shown = system.registration.get(f"{P}/{participant_id}", headers=keys["district"]).json
    assert shown["evaluations"] == [] and shown["version"] == len(after)


def test_retracting_twice_or_retracting_a_retraction_is_409(system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = selected(system, keys["district"])
    event_id = evaluate(system, keys["district"], participant_id)
    first = system.registration.post(retraction(event_id), headers=keys["district"], json={"reason": "Sai"})
    assert first.status_code == 201
    for headers in (keys["district"], keys["admin"]):
        error = refused(system, system.registration, "POST", retraction(event_id), headers, 409, "already_retracted",
                        vi="đã được thu hồi", en="already retracted", json={"reason": "Lần hai"})
        assert error["retraction_event_id"] == first.json["event_id"]
    refused(system, system.registration, "POST", retraction(first.json["event_id"]), keys["admin"], 409,
            "not_retractable", vi="thu hồi một lệnh thu hồi", en="cannot itself be retracted",
            json={"reason": "Hoàn tác"})


def test_only_the_posting_agency_or_an_admin_in_scope_may_retract(
        system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = selected(system, keys["district"])
    events = [evaluate(system, keys["district"], participant_id) for _ in range(3)]
    for key in ("other_union", "bank"):
        refused(system, system.registration, "POST", retraction(events[0]), keys[key], 403, "forbidden",
                vi="không có quyền", en="may not perform", json={"reason": "Không phải của tôi"})
    refused(system, system.registration, "POST", retraction(events[0]), keys["admin_ts"], 403, "out_of_scope",
            json={"reason": "Ngoài phạm vi"})
    assert system.registration.post(retraction(events[0]), headers=keys["district_2"],
                                    json={"reason": "Cùng đơn vị, khóa khác"}).status_code == 201
    assert system.registration.post(retraction(events[1]), headers=keys["admin"],
                                    json={"reason": "Quản trị thu hồi"}).status_code == 201
    shown = system.registration.get(f"{P}/{participant_id}", headers=keys["district"]).json
    assert [e["event_id"] for e in shown["evaluations"]] == [events[2]]


def test_retracting_a_selection_lets_the_district_decide_again(
        system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = register(system, keys["district"])
    selection = decide(system, keys["district"], participant_id, sector="crops")
    assert selection.status_code == 201
    assert decide(system, keys["district"], participant_id, "rejected").status_code == 409
    undone = system.registration.post(retraction(selection.json["event_id"]), headers=keys["district"],
                                      json={"reason": "Chọn nhầm người"})
    assert undone.status_code == 201
    shown = system.registration.get(f"{P}/{participant_id}", headers=keys["district"]).json
    assert shown["status"] == "registered" and shown["sector"] is None
    listed = system.registration.get(f"{P}?status=registered&page_size=500", headers=keys["district"]).json
    assert participant_id in [p["participant_id"] for p in listed["items"]]
    again = decide(system, keys["district"], participant_id, "rejected", reason="Không đủ điều kiện")
    assert again.status_code == 201, again.json
    shown = system.registration.get(f"{P}/{participant_id}", headers=keys["district"]).json
    assert shown["status"] == "rejected"
    listed = system.registration.get(f"{P}?status=rejected&page_size=500", headers=keys["district"]).json
    assert participant_id in [p["participant_id"] for p in listed["items"]]


def test_retracting_a_registration_removes_the_participant_and_frees_the_identity(
        system: System, keys: dict[str, dict[str, str]]) -> None:
    person = someone(full_name="Vũ Đức Thắng", birth_date="1993-03-03")
    first = system.registration.post(P, headers=keys["district"], json=person)
    participant_id = first.json["participant_id"]
    assert decide(system, keys["district"], participant_id).status_code == 201
    system.publish()
    system.drain("support")
    training = {"trained_on": "2017-07-15", "course": "Khởi nghiệp", "kind": "course"}
    assert system.support.post(f"{P}/{participant_id}/trainings", headers=keys["district"],
                               json=training).status_code == 201

    undone = system.registration.post(retraction(first.json["event_id"]), headers=keys["district"],
                                      json={"reason": "Đăng ký trùng, người này đã chuyển đi"})
    assert undone.status_code == 201, undone.json
    refused(system, system.registration, "GET", f"{P}/{participant_id}", keys["district"], 404,
            "unknown_participant")
    listed = system.registration.get(f"{P}?page_size=500", headers=keys["district"]).json
    assert participant_id not in [p["participant_id"] for p in listed["items"]]
    refused(system, system.registration, "POST", f"{P}/{participant_id}/evaluations", keys["district"], 404,
            "unknown_participant", json={"evaluated_on": "2018-06-30", "status": "on_track"})
    again = system.registration.post(P, headers=keys["district"], json=person)
    assert again.status_code == 201, again.json
    assert again.json["participant_id"] != participant_id

    # Support learns it from Kafka: the participant is gone from its view too.
    system.publish()
    system.drain("support")
    error = error_of(system.support.post(f"{P}/{participant_id}/trainings", headers=keys["district"],
                                         json=training), 404, "unknown_participant")
    assert error["retry_after_seconds"] == 2


def test_support_learns_a_retracted_selection_from_kafka(system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = register(system, keys["district"])
    selection = decide(system, keys["district"], participant_id)
    system.publish()
    system.drain("support")
    funding = {"disbursed_on": "2017-09-01", "source": "vbsp", "amount_vnd": 40_000_000}
    assert system.support.post(f"{P}/{participant_id}/fundings", headers=keys["bank"], json=funding).status_code == 201
    assert system.registration.post(retraction(selection.json["event_id"]), headers=keys["district"],
                                    json={"reason": "Chọn nhầm"}).status_code == 201
    system.publish()
    system.drain("support")
    reply = system.support.post(f"{P}/{participant_id}/fundings", headers=keys["bank"], json=funding)
    assert error_of(reply, 409, "not_selected")["status"] == "registered"


def test_support_retracts_its_own_events_only(system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = selected(system, keys["district"])
    path = f"{P}/{participant_id}/fundings"
    body = {"disbursed_on": "2017-09-01", "source": "vbsp", "amount_vnd": 25_000_000}
    fundings = [system.support.post(path, headers=keys["bank"], json=body).json["event_id"] for _ in range(2)]
    refused(system, system.support, "POST", retraction(fundings[0]), keys["other_bank"], 403, "forbidden",
            vi="không có quyền", en="may not perform", json={"reason": "Không phải của tôi"})
    reply = system.support.post(retraction(fundings[0]), headers=keys["bank"], json={"reason": "Giải ngân trùng"})
    assert reply.status_code == 201 and reply.json["retracted_event_id"] == fundings[0]
    refused(system, system.support, "POST", retraction(fundings[0]), keys["bank"], 409, "already_retracted",
            vi="đã được thu hồi", en="already retracted", json={"reason": "Lần hai"})
    assert system.support.post(retraction(fundings[1]), headers=keys["admin"],
                               json={"reason": "Quản trị"}).status_code == 201
    events = stored_events(system, "support", participant_id)
    assert [e.type for e in events] == ["participant.funded"] * 2 + ["event.retracted"] * 2
    # A registration event is not support's to retract, nor a support event registration's.
    decision = next(e for e in stored_events(system, "registration", participant_id)
                    if e.type == "participant.selected")
    refused(system, system.support, "POST", retraction(decision.event_id), keys["admin"], 404, "unknown_event",
            json={"reason": "Sai dịch vụ"})
    refused(system, system.registration, "POST", retraction(fundings[1]), keys["admin"], 404, "unknown_event",
            json={"reason": "Sai dịch vụ"})
