"""Every rule of API.md's list, on every endpoint it applies to: the contract's status and error shape,
the field named, Vietnamese by default and English with Accept-Language: en, and nothing recorded.
Also who may post what (the permission matrix): 401 and 403."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.support.system import System
from tests.support.write_checks import decide, refused, register, selected, shared_system, someone

P = "/api/v1/participants"


def future() -> str:
    """Two days ahead: still in the future when a run crosses midnight between this and the request."""
    return (date.today() + timedelta(days=2)).isoformat()


def today() -> str:
    return date.today().isoformat()


@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("rules")) as running:
        yield running


@pytest.fixture(scope="module")
def keys(system: System) -> dict[str, dict[str, str]]:
    return {
        "commune": system.key("union", "TX-XUANHOA", agency="doan-xa-xuan-hoa"),
        "district": system.key("union", "TX", agency="huyen-doan-tho-xuan"),
        "other_district": system.key("union", "TS", agency="huyen-doan-trieu-son"),
        "province": system.key("union", "TH", agency="tinh-doan"),
        "bank": system.key("bank", "TH", agency="vbsp"),
        "business": system.key("business", "TX", agency="hiep-hoi-dn"),
        "viewer": system.key("viewer", "TH", agency="tinh-doan-viewer"),
        "admin": system.key("admin", "TH", agency="ban-quan-tri"),
    }


# Each participant endpoint: (service, path suffix, key name, valid body, its date field).
FOLLOW_UPS: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("registration", "evaluations", "district", {"evaluated_on": "2018-06-30", "status": "successful"},
     "evaluated_on"),
    ("registration", "commendations", "district", {"commended_on": "2018-12-20", "title": "Tiên phong"},
     "commended_on"),
    ("registration", "replications", "commune",
     {"replicated_on": "2018-09-01", "youth_name": "Đỗ Văn Bình", "org_unit": "TX-XUANHOA"}, "replicated_on"),
    ("support", "trainings", "district", {"trained_on": "2017-07-15", "course": "Khởi nghiệp", "kind": "study_visit"},
     "trained_on"),
    ("support", "fundings", "bank", {"disbursed_on": "2017-09-01", "source": "provincial_youth_credit",
                                     "amount_vnd": 30_000_000}, "disbursed_on"),
    ("support", "supports", "business", {"supported_on": "2017-10-01", "kind": "food_safety"}, "supported_on"),
]


def client_of(system: System, service: str) -> Any:
    return system.registration if service == "registration" else system.support


def test_the_registration_org_unit_must_be_a_commune_of_the_hierarchy(
        system: System, keys: dict[str, dict[str, str]]) -> None:
    for org_unit in ("TX", "TH", "NOWHERE", "tx-xuanhoa"):
        refused(system, system.registration, "POST", P, keys["province"], 422, "validation_failed", "org_unit",
                vi="xã/thị trấn", en="commune-level", json=someone(org_unit=org_unit))
    assert register(system, keys["province"], org_unit="YD-DINHTAN")


def test_only_residential_branch_secretaries_are_eligible(system: System, keys: dict[str, dict[str, str]]) -> None:
    for kind in ("school", "enterprise", "other"):
        refused(system, system.registration, "POST", P, keys["commune"], 422, "validation_failed", "branch_kind",
                vi="khối địa bàn dân cư", en="residential", json=someone(branch_kind=kind))


def test_age_is_16_to_35_on_the_registration_date(system: System, keys: dict[str, dict[str, str]]) -> None:
    on = "2017-06-10"
    # 16th birthday on the day: in; one day short of it: out. 35 until the day before the 36th birthday.
    for birth in ("2001-06-10", "1981-06-11", "1982-01-01"):
        assert register(system, keys["commune"], birth_date=birth, registered_on=on)
    for birth, age in (("2001-06-11", "15"), ("1981-06-10", "36"), ("1950-01-01", "67"), ("2017-06-10", "0"),
                       ("2018-01-01", "-1")):
        refused(system, system.registration, "POST", P, keys["commune"], 422, "validation_failed", "birth_date",
                vi=f"từ 16 đến 35 (hiện là {age})", en=f"must be 16-35 (it is {age})",
                json=someone(birth_date=birth, registered_on=on))


def test_the_same_person_twice_is_409_with_the_existing_participant(
        system: System, keys: dict[str, dict[str, str]]) -> None:
    existing = register(system, keys["commune"], full_name="Trịnh Thị Bình", birth_date="1996-09-09")
    error = refused(system, system.registration, "POST", P, keys["district"], 409, "duplicate_participant",
                    "full_name", vi="đã được đăng ký", en="already registered",
                    json=someone(full_name="trịnh  thị BÌNH", birth_date="1996-09-09"))
    assert error["participant_id"] == existing


def test_an_unknown_participant_is_404_everywhere(system: System, keys: dict[str, dict[str, str]]) -> None:
    nobody = "0d4c5e7a-9d6b-4f6e-8a8e-3f0b7c1d2e3f"
    refused(system, system.registration, "GET", f"{P}/{nobody}", keys["viewer"], 404, "unknown_participant",
            vi="Không tìm thấy đoàn viên", en="No participant")
    refused(system, system.registration, "POST", f"{P}/{nobody}/decisions", keys["district"], 404,
            "unknown_participant", vi="Không tìm thấy đoàn viên", en="No such participant",
            json={"decision": "rejected", "decided_on": "2017-07-01"})
    for service, path, key, body, _ in FOLLOW_UPS:
        refused(system, client_of(system, service), "POST", f"{P}/{nobody}/{path}", keys[key], 404,
                "unknown_participant", vi="Không tìm thấy đoàn viên", en="No such participant", json=body)
    for service in ("registration", "support"):
        refused(system, client_of(system, service), "POST", f"/api/v1/events/{nobody}/retraction", keys["admin"],
                404, "unknown_event", vi="Không tìm thấy sự kiện", en="no such event", json={"reason": "x"})


def test_a_second_decision_is_409_naming_the_first(system: System, keys: dict[str, dict[str, str]]) -> None:
    for first in ("selected", "rejected"):
        participant_id = register(system, keys["commune"])
        decision = decide(system, keys["district"], participant_id, first)
        assert decision.status_code == 201
        for second in ("selected", "rejected"):
            error = refused(system, system.registration, "POST", f"{P}/{participant_id}/decisions",
                            keys["district"], 409, "already_decided", "decision", vi="đã có quyết định",
                            en="already been decided",
                            json={"decision": second, "sector": "crops", "decided_on": "2017-07-02"})
            assert error["decision_event_id"] == decision.json["event_id"]


def test_a_selection_needs_its_sector(system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = register(system, keys["commune"])
    for body in ({"decision": "selected", "decided_on": "2017-07-01"},
                 {"decision": "selected", "sector": None, "decided_on": "2017-07-01"}):
        refused(system, system.registration, "POST", f"{P}/{participant_id}/decisions", keys["district"], 422,
                "validation_failed", "sector", vi="nhóm ngành nghề", en="needs its sector", json=body)
    for sector in ("crops", "livestock", "aquaculture", "forestry", "food_processing", "handicraft",
                   "trade_services", "tourism", "industry_construction", "other"):
        assert decide(system, keys["district"], register(system, keys["commune"]), sector=sector).status_code == 201


def test_follow_ups_need_a_selected_participant(system: System, keys: dict[str, dict[str, str]]) -> None:
    registered = register(system, keys["commune"])
    rejected = register(system, keys["commune"])
    assert decide(system, keys["district"], rejected, "rejected").status_code == 201
    system.publish()
    system.drain("support")
    for participant_id, status in ((registered, "registered"), (rejected, "rejected")):
        for service, path, key, body, _ in FOLLOW_UPS:
            error = refused(system, client_of(system, service), "POST", f"{P}/{participant_id}/{path}", keys[key],
                            409, "not_selected", vi="chưa được lựa chọn", en="not been selected", json=body)
            assert error["status"] == status


def test_dates_may_not_be_in_the_future_nor_before_the_program_start(
        system: System, keys: dict[str, dict[str, str]]) -> None:
    for day, vi, en in ((future(), "tương lai", "future"), ("2016-12-31", "01/01/2017", "2017-01-01"),
                        ("1999-01-01", "bắt đầu chương trình", "program start")):
        refused(system, system.registration, "POST", P, keys["commune"], 422, "validation_failed", "registered_on",
                vi=vi, en=en, json=someone(registered_on=day))
    participant_id = selected(system, keys["district"], keys["commune"], registered_on="2017-01-01")
    waiting = register(system, keys["commune"], registered_on="2017-01-01")
    for day, vi, en in ((future(), "tương lai", "future"), ("2016-12-31", "01/01/2017", "2017-01-01")):
        refused(system, system.registration, "POST", f"{P}/{waiting}/decisions", keys["district"], 422,
                "validation_failed", "decided_on", vi=vi, en=en,
                json={"decision": "selected", "sector": "crops", "decided_on": day})
        for service, path, key, body, field in FOLLOW_UPS:
            refused(system, client_of(system, service), "POST", f"{P}/{participant_id}/{path}", keys[key], 422,
                    "validation_failed", field, vi=vi, en=en, json=body | {field: day})
    # The first and the last day are in.
    assert register(system, keys["commune"], registered_on=today())
    for service, path, key, body, field in FOLLOW_UPS:
        for day in ("2017-01-01", today()):
            reply = client_of(system, service).post(f"{P}/{participant_id}/{path}", headers=keys[key],
                                                    json=body | {field: day})
            assert reply.status_code == 201, (path, day, reply.json)


def test_nothing_happens_to_a_participant_before_its_registration(
        system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = register(system, keys["commune"], registered_on="2017-06-10")
    refused(system, system.registration, "POST", f"{P}/{participant_id}/decisions", keys["district"], 422,
            "validation_failed", "decided_on", vi="trước ngày đăng ký", en="before registration",
            json={"decision": "selected", "sector": "crops", "decided_on": "2017-06-09"})
    assert decide(system, keys["district"], participant_id, decided_on="2017-06-10").status_code == 201
    system.publish()
    system.drain("support")
    for service, path, key, body, field in FOLLOW_UPS:
        refused(system, client_of(system, service), "POST", f"{P}/{participant_id}/{path}", keys[key], 422,
                "validation_failed", field, vi="trước ngày đăng ký", en="before registration",
                json=body | {field: "2017-06-09"})


def test_amounts_are_whole_vnd_above_0_up_to_10_to_the_12(system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = selected(system, keys["district"], keys["commune"])
    path = f"{P}/{participant_id}/fundings"
    body = {"disbursed_on": "2017-09-01", "source": "vbsp"}
    in_range = ("khoảng 1 đến 1000000000000", "greater than or equal to 1 and less than or equal to 1000000000000")
    for amount, vi, en in ((0, *in_range), (10**12 + 1, *in_range), (-5, *in_range),
                           (2.5, "số nguyên", "Not a valid integer"), ("1000", "số nguyên", "Not a valid integer")):
        refused(system, system.support, "POST", path, keys["bank"], 422, "validation_failed", "amount_vnd",
                vi=vi, en=en, json=body | {"amount_vnd": amount})
    for amount in (1, 10**12):  # the contract's bounds; 10^12 is implausible, so confirmed (shared.plausibility)
        reply = system.support.post(path, headers=keys["bank"], json=body | {"amount_vnd": amount,
                                                                           "confirmed_implausible": True})
        assert reply.status_code == 201, reply.json


def test_who_may_post_what(system: System, keys: dict[str, dict[str, str]]) -> None:
    participant_id = selected(system, keys["district"], keys["commune"])
    forbidden = ("không có quyền", "may not perform")
    out = ("ngoài phạm vi", "outside this key's scope")
    cases: list[tuple[str, str, str, dict[str, Any], str, tuple[str, str]]] = [
        ("registration", P, "bank", someone(), "forbidden", forbidden),
        ("registration", P, "viewer", someone(), "forbidden", forbidden),
        ("registration", P, "admin", someone(), "forbidden", forbidden),
        ("registration", P, "other_district", someone(), "out_of_scope", out),
        ("registration", f"{P}/{participant_id}/decisions", "commune",
         {"decision": "rejected", "decided_on": "2017-07-01"}, "forbidden", forbidden),
        ("registration", f"{P}/{participant_id}/decisions", "other_district",
         {"decision": "rejected", "decided_on": "2017-07-01"}, "out_of_scope", out),
        ("registration", f"{P}/{participant_id}/evaluations", "commune", FOLLOW_UPS[0][3], "forbidden", forbidden),
        ("registration", f"{P}/{participant_id}/commendations", "commune", FOLLOW_UPS[1][3], "forbidden", forbidden),
        ("registration", f"{P}/{participant_id}/replications", "bank", FOLLOW_UPS[2][3], "forbidden", forbidden),
        ("registration", f"{P}/{participant_id}/replications", "other_district", FOLLOW_UPS[2][3], "out_of_scope",
         out),
        ("support", f"{P}/{participant_id}/trainings", "business", FOLLOW_UPS[3][3], "forbidden", forbidden),
        ("support", f"{P}/{participant_id}/trainings", "other_district", FOLLOW_UPS[3][3], "out_of_scope", out),
        ("support", f"{P}/{participant_id}/fundings", "commune", FOLLOW_UPS[4][3], "forbidden", forbidden),
        ("support", f"{P}/{participant_id}/fundings", "business", FOLLOW_UPS[4][3], "forbidden", forbidden),
        ("support", f"{P}/{participant_id}/supports", "bank", FOLLOW_UPS[5][3], "forbidden", forbidden),
        ("support", f"{P}/{participant_id}/supports", "viewer", FOLLOW_UPS[5][3], "forbidden", forbidden),
    ]
    for service, path, key, body, code, (vi, en) in cases:
        refused(system, client_of(system, service), "POST", path, keys[key], 403, code, vi=vi, en=en, json=body)
    # What the matrix allows: a union may fund from the Youth Union's "120" fund only; a province union
    # decides, evaluates and commends; a union posts business supports too.
    allowed: list[tuple[str, str, str, dict[str, Any]]] = [
        ("support", "fundings", "commune", {"disbursed_on": "2017-09-01", "source": "youth_union_120",
                                            "amount_vnd": 20_000_000}),
        ("support", "supports", "commune", FOLLOW_UPS[5][3]),
        ("support", "trainings", "commune", FOLLOW_UPS[3][3]),
        ("registration", "evaluations", "province", FOLLOW_UPS[0][3]),
        ("registration", "commendations", "province", FOLLOW_UPS[1][3]),
    ]
    for service, path, key, body in allowed:
        reply = client_of(system, service).post(f"{P}/{participant_id}/{path}", headers=keys[key], json=body)
        assert reply.status_code == 201, (path, key, reply.json)
    for source in ("vbsp", "commercial_bank", "enterprise", "other"):
        refused(system, system.support, "POST", f"{P}/{participant_id}/fundings", keys["commune"], 403,
                "forbidden", json={"disbursed_on": "2017-09-01", "source": source, "amount_vnd": 1})
        reply = system.support.post(f"{P}/{participant_id}/fundings", headers=keys["bank"],
                                    json={"disbursed_on": "2017-09-01", "source": source, "amount_vnd": 1})
        assert reply.status_code == 201, reply.json

