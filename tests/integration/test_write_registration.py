"""Registration's endpoints end to end: every write, the participant read from its events, the list
with its filters, pages and scope, and name normalization (NFC storage, duplicates)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator

import pytest

from tests.support.system import System
from tests.support.write_checks import (
    decide,
    error_of,
    refused,
    register,
    shared_system,
    someone,
    stored_events,
)

P = "/api/v1/participants"


@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("registration")) as running:
        yield running


@pytest.fixture(scope="module")
def commune(system: System) -> dict[str, str]:
    return system.key("union", "TX-XUANHOA", agency="doan-xa-xuan-hoa")


@pytest.fixture(scope="module")
def district(system: System) -> dict[str, str]:
    return system.key("union", "TX", agency="huyen-doan-tho-xuan")


def test_registration_answers_ids_and_the_participant_reads_back_from_its_events(
        system: System, commune: dict[str, str]) -> None:
    body = someone(phone=None, model_description=None)
    reply = system.registration.post(P, headers=commune, json=body)
    assert reply.status_code == 201, reply.json
    created = reply.json
    assert created["type"] == "participant.registered"
    assert created["event_id"] and created["participant_id"]

    shown = system.registration.get(f"{P}/{created['participant_id']}", headers=commune)
    assert shown.status_code == 200, shown.json
    participant = shown.json
    assert participant["participant_id"] == created["participant_id"]
    assert participant["status"] == "registered" and participant["sector"] is None
    assert participant["org_unit"] == "TX-XUANHOA" and participant["full_name"] == body["full_name"]
    assert participant["version"] == 1
    registration = participant["registration"]
    for name in ("birth_date", "gender", "branch_name", "branch_kind", "model_name", "has_existing_model",
                 "registered_on"):
        assert registration[name] == body[name], name
    assert participant["evaluations"] == participant["commendations"] == participant["replications"] == []
    [event] = stored_events(system, "registration", created["participant_id"])
    assert (event.event_id, event.type, event.version, event.sequence) == (
        created["event_id"], "participant.registered", 2, 1)


def test_whole_lifecycle_in_registration(system: System, commune: dict[str, str], district: dict[str, str]) -> None:
    system.publish()
    participant_id = register(system, commune)
    decision = decide(system, district, participant_id, sector="handicraft", reason="Mô hình khả thi")
    assert decision.status_code == 201 and decision.json["type"] == "participant.selected"
    steps = [
        ("evaluations", {"evaluated_on": "2018-06-30", "status": "on_track", "revenue_vnd": 120_000_000,
                         "profit_vnd": -5_000_000, "jobs_created": 3, "note": "Sơ kết 6 tháng"},
         "participant.evaluated"),
        ("evaluations", {"evaluated_on": "2018-11-30", "status": "successful"}, "participant.evaluated"),
        ("commendations", {"commended_on": "2018-12-20", "title": "Bí thư Chi đoàn tiên phong",
                           "issued_by": "Tỉnh Đoàn Thanh Hóa"}, "participant.commended"),
        ("replications", {"replicated_on": "2018-09-01", "youth_name": "Phạm Văn Hùng", "org_unit": "TX-XUANLAI",
                          "note": "Nuôi gà theo mô hình"}, "model.replicated"),
    ]
    event_ids = []
    for path, body, event_type in steps:
        reply = system.registration.post(f"{P}/{participant_id}/{path}", headers=district, json=body)
        assert reply.status_code == 201, (path, reply.json)
        assert reply.json["type"] == event_type and reply.json["participant_id"] == participant_id
        event_ids.append(reply.json["event_id"])

    participant = system.registration.get(f"{P}/{participant_id}", headers=district).json
    assert participant["status"] == "selected" and participant["sector"] == "handicraft"
    assert [e["event_id"] for e in participant["evaluations"]] == event_ids[:2]
    assert participant["evaluations"][0]["profit_vnd"] == -5_000_000
    assert participant["commendations"][0]["title"] == "Bí thư Chi đoàn tiên phong"
    assert participant["replications"][0]["youth_name"] == "Phạm Văn Hùng"
    assert participant["version"] == 6
    events = stored_events(system, "registration", participant_id)
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5, 6]
    assert system.publish() == 6  # the registration too: every event reaches Kafka through the outbox


def test_a_rejection_needs_no_sector_and_closes_the_follow_ups(
        system: System, commune: dict[str, str], district: dict[str, str]) -> None:
    participant_id = register(system, commune)
    reply = decide(system, district, participant_id, "rejected", sector="crops", reason="Chưa đủ điều kiện")
    assert reply.status_code == 201 and reply.json["type"] == "participant.rejected"
    participant = system.registration.get(f"{P}/{participant_id}", headers=district).json
    assert participant["status"] == "rejected" and participant["sector"] is None
    [_, event] = stored_events(system, "registration", participant_id)
    assert "sector" not in json.loads(event.data)


def test_names_are_stored_nfc_whatever_the_keyboard_sent(system: System, commune: dict[str, str]) -> None:
    nfc = "Lê Thị Hằng Nguyệt"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    model = unicodedata.normalize("NFD", "Trồng nấm rơm")
    reply = system.registration.post(P, headers=commune, json=someone(full_name=nfd, model_name=model))
    assert reply.status_code == 201, reply.json
    participant_id = reply.json["participant_id"]
    shown = system.registration.get(f"{P}/{participant_id}", headers=commune).json
    assert shown["full_name"] == nfc and unicodedata.is_normalized("NFC", shown["full_name"])
    assert shown["registration"]["model_name"] == "Trồng nấm rơm"
    [event] = stored_events(system, "registration", participant_id)
    assert json.loads(event.data)["full_name"] == nfc
    listed = system.registration.get(f"{P}?org_unit=TX-XUANHOA&page_size=500", headers=commune).json["items"]
    assert [p["full_name"] for p in listed if p["participant_id"] == participant_id] == [nfc]
    # The same person typed in NFC is a duplicate of the NFD registration.
    again = system.registration.post(P, headers=commune, json=someone(full_name=nfc))
    assert error_of(again, 409, "duplicate_participant", "full_name")["participant_id"] == participant_id


def test_duplicates_ignore_case_and_spacing_but_not_diacritics(
        system: System, commune: dict[str, str], district: dict[str, str]) -> None:
    person = {"birth_date": "1994-04-04", "org_unit": "TX-XUANHOA"}
    first = system.registration.post(P, headers=commune, json=someone(full_name="Lê Văn An", **person))
    assert first.status_code == 201, first.json
    existing = first.json["participant_id"]
    for variant in ("lê  văn an", "  LÊ VĂN AN ", "Lê\tVăn\u00a0An", unicodedata.normalize("NFD", "LÊ văn An")):
        error = refused(system, system.registration, "POST", P, commune, 409, "duplicate_participant", "full_name",
                        vi="đã được đăng ký", en="already registered", json=someone(full_name=variant, **person))
        assert error["participant_id"] == existing, variant
    for other in ({"full_name": "Le Van An"}, {"full_name": "Lê Văn Ân"},
                  {"full_name": "Lê Văn An", "birth_date": "1994-04-05"},
                  {"full_name": "Lê Văn An", "org_unit": "TX-XUANLAI"}):
        # not the same person as typed; a likely one (tests/integration/test_write_checks_likely.py) once confirmed
        body = someone(**(person | other)) | {"confirm_not_duplicate": True}
        reply = system.registration.post(P, headers=district, json=body)
        assert reply.status_code == 201, (other, reply.json)
        assert reply.json["participant_id"] != existing
    shown = system.registration.get(f"{P}/{existing}", headers=commune).json
    assert shown["full_name"] == "Lê Văn An"  # as given (NFC, spacing tidied), not case-folded


def test_get_participant_unknown_out_of_scope_and_unauthenticated(
        system: System, commune: dict[str, str]) -> None:
    participant_id = register(system, commune)
    other_commune = system.key("union", "TX-XUANLAI")
    other_district = system.key("viewer", "TS")
    province = system.key("viewer", "TH")
    assert system.registration.get(f"{P}/{participant_id}", headers=province).status_code == 200
    for headers in (other_commune, other_district):
        refused(system, system.registration, "GET", f"{P}/{participant_id}", headers, 403, "out_of_scope",
                vi="phạm vi", en="scope")
    for unknown in ("1b4e28ba-2fa1-11d2-883f-0016d3cca427", "not-a-uuid", "%00",
                    "1B4E28BA-2FA1-11D2-883F-0016D3CCA427"):
        refused(system, system.registration, "GET", f"{P}/{unknown}", province, 404, "unknown_participant",
                vi="Không tìm thấy", en="No participant")
    refused(system, system.registration, "GET", f"{P}/{participant_id}", {}, 401, "unauthorized",
            vi="khóa truy cập", en="access key")
    refused(system, system.registration, "GET", f"{P}/{participant_id}", {"Authorization": "Bearer tp_x_y"}, 401,
            "unauthorized")


def test_list_filters_by_org_unit_and_status_pages_and_stays_in_scope(
        system: System, district: dict[str, str]) -> None:
    lap = system.key("union", "TX-XUANLAP")
    minh = system.key("union", "TX-XUANMINH")
    lap_ids = [register(system, lap, org_unit="TX-XUANLAP", registered_on=f"2017-06-{day:02d}")
               for day in (11, 12, 13, 14, 15)]
    minh_ids = [register(system, minh, org_unit="TX-XUANMINH") for _ in range(2)]
    assert decide(system, district, lap_ids[0]).status_code == 201
    assert decide(system, district, lap_ids[1], "rejected").status_code == 201

    def listing(headers: dict[str, str], query: str) -> dict[str, object]:
        reply = system.registration.get(f"{P}?{query}", headers=headers)
        assert reply.status_code == 200, reply.json
        return reply.json  # type: ignore[no-any-return]

    everything = listing(lap, "")  # default: the key's own scope
    assert everything["total"] == 5 and [p["participant_id"] for p in everything["items"]] == lap_ids
    item = everything["items"][0]
    assert item["status"] == "selected" and item["sector"] == "livestock" and item["org_unit"] == "TX-XUANLAP"
    assert item["registered_on"] == "2017-06-11" and item["full_name"]
    assert [p["participant_id"] for p in listing(lap, "status=selected")["items"]] == [lap_ids[0]]
    assert [p["participant_id"] for p in listing(lap, "status=rejected")["items"]] == [lap_ids[1]]
    assert [p["participant_id"] for p in listing(lap, "status=registered")["items"]] == lap_ids[2:]

    first = listing(lap, "page_size=2")
    second = listing(lap, "page_size=2&page=2")
    third = listing(lap, "page_size=2&page=3")
    assert (first["page"], first["page_size"], first["total"]) == (1, 2, 5)
    paged = [p["participant_id"] for page in (first, second, third) for p in page["items"]]  # type: ignore[attr-defined]
    assert paged == lap_ids
    assert listing(lap, "page_size=2&page=4")["items"] == []

    both = {p["participant_id"] for p in listing(district, "page_size=500")["items"]}  # type: ignore[attr-defined]
    assert set(lap_ids + minh_ids) <= both
    only_minh = listing(district, "org_unit=TX-XUANMINH")
    assert [p["participant_id"] for p in only_minh["items"]] == sorted(minh_ids)  # same day: by id
    assert listing(district, "org_unit=TX-BACLUONG")["total"] == 0

    # Scope: a commune key sees nothing of another commune, and may not ask for its parent.
    for query in ("org_unit=TX-XUANMINH", "org_unit=TX", "org_unit=TH"):
        refused(system, system.registration, "GET", f"{P}?{query}", lap, 403, "out_of_scope")
    refused(system, system.registration, "GET", f"{P}?org_unit=NOWHERE", district, 422, "validation_failed",
            "org_unit", vi="Không có đơn vị", en="No such org unit")
    refused(system, system.registration, "GET", f"{P}?status=withdrawn", district, 422, "validation_failed",
            "status", vi="Phải là một trong", en="Must be one of")
    for query, field in (("page=0", "page"), ("page=-1", "page"), ("page=abc", "page"), ("page=1.5", "page"),
                         ("page=99999999999999999999", "page"), ("page_size=0", "page_size"),
                         ("page_size=501", "page_size"), ("page_size=%00", "page_size")):
        refused(system, system.registration, "GET", f"{P}?{query}", district, 422, "validation_failed", field,
                vi="số nguyên", en="whole number")
    refused(system, system.registration, "GET", f"{P}?status=%00", district, 422, "validation_failed", "status")
    refused(system, system.registration, "GET", P, {}, 401, "unauthorized")


def test_every_write_endpoint_is_refused_without_a_key(system: System, commune: dict[str, str]) -> None:
    participant_id = register(system, commune)
    for path in (P, f"{P}/{participant_id}/decisions", f"{P}/{participant_id}/evaluations",
                 f"{P}/{participant_id}/commendations", f"{P}/{participant_id}/replications",
                 f"/api/v1/events/{participant_id}/retraction"):
        refused(system, system.registration, "POST", path, {}, 401, "unauthorized", json={})
