"""Likely duplicates and plausibility checks over HTTP, on one system whose thresholds come from its
configuration: 409 likely_duplicate with the candidates (accent-insensitive name + birth date, or the phone, in
the same district), the pre-check read, 422 confirmation_required naming each figure, and each confirmation
recorded in the event and read by the projection."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.system import System, registration_body
from tests.support.write_checks import EN, decide, error_of, leaves_no_trace, shared_system, stored_events

P = "/api/v1/participants"
LIKELY = f"{P}/likely-duplicates"
# below the defaults (100 jobs, 100,000,000 VND for vbsp): a figure between the two shows the configuration won
CONFIGURED = {"TIENPHONG_PLAUSIBLE_JOBS_CREATED": "50", "TIENPHONG_FUNDING_CEILING_VBSP_VND": "40_000_000"}


@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("checks"), **CONFIGURED) as running:
        yield running


def person(**overrides: Any) -> dict[str, Any]:
    return registration_body(**{"full_name": "Nguyễn Văn Đức", "birth_date": "1995-02-03", "phone": "0912 345 678",
                                "org_unit": "TX-XUANHOA", **overrides})


def data_of(system: System, service: str, event_id: str, participant_id: str) -> dict[str, Any]:
    event = next(e for e in stored_events(system, service, participant_id) if e.event_id == event_id)
    return json.loads(event.data)  # type: ignore[no-any-return]


def upload(system: System, kind: str, key: dict[str, str], rows: list[str]) -> Any:
    return system.registration.post(f"/api/v1/imports/{kind}", headers=key, content_type="multipart/form-data",
                                    data={"file": (io.BytesIO("\n".join(rows).encode()), "danh-sach.csv")})


def test_likely_duplicates_are_shown_and_saved_only_when_confirmed(system: System) -> None:
    district, other_district = system.key("union", "TX"), system.key("union", "TS")
    xuan_lai = system.key("union", "TX-XUANLAI")
    first = system.registration.post(P, headers=district, json=person())
    assert first.status_code == 201, first.json
    first_id = first.json["participant_id"]

    # the form asks first: the neighbouring commune's key sees the candidate, masked, not its to open
    shown = system.registration.get(LIKELY, headers=xuan_lai, query_string={
        "name": "NGUYEN van  duc", "birth_date": "1995-02-03", "org_unit": "TX-XUANLAI"})
    assert shown.status_code == 200, shown.json
    assert shown.json["area"]["code"] == "TX"
    [candidate] = shown.json["candidates"]
    assert candidate["participant_id"] == first_id and candidate["full_name"] == "Nguyễn Văn Đức"
    assert (candidate["org_unit"], candidate["org_unit_name"]) == ("TX-XUANHOA", "Xuân Hòa")
    assert (candidate["birth_date"], candidate["registered_on"]) == ("1995-02-03", "2017-06-10")
    assert candidate["phone"] == "091****678" and candidate["matched_on"] == ["name_birth_date"]
    assert candidate["in_scope"] is False
    by_phone = system.registration.get(LIKELY, headers=district, query_string={
        "phone": "+84 912345678", "org_unit": "TX-XUANLAI"}).json["candidates"]
    assert [(c["participant_id"], c["matched_on"], c["in_scope"]) for c in by_phone] == [(first_id, ["phone"], True)]
    elsewhere = system.registration.get(LIKELY, headers=other_district, query_string={
        "name": "Nguyễn Văn Đức", "birth_date": "1995-02-03", "phone": "0912345678", "org_unit": "TS-DANLUC"})
    assert elsewhere.json["candidates"] == []
    nameless = {"org_unit": "TX-XUANLAI", "name": "Đức"}  # a name needs its birth date
    error_of(system.registration.get(LIKELY, headers=district, query_string=nameless), 422, "validation_failed")
    elsewhere_in_district = {"org_unit": "TX-XUANHOA", "phone": "0912345678"}
    error_of(system.registration.get(LIKELY, headers=xuan_lai, query_string=elsewhere_in_district), 403,
             "out_of_scope")

    # the same person typed without accents in the next commune, then with another name but the same phone
    unaccented = person(full_name="NGUYEN VAN DUC", phone="0987 000 111", org_unit="TX-XUANLAI")
    same_phone = person(full_name="Trần Thị Hoa", birth_date="1996-04-05", phone="+84912345678",
                        org_unit="TX-XUANLAI")
    with leaves_no_trace(system):
        by_name = error_of(system.registration.post(P, headers=district, json=unaccented), 409, "likely_duplicate",
                           "full_name")
        in_english = error_of(system.registration.post(P, headers=district | EN, json=same_phone), 409,
                              "likely_duplicate", "phone")
    assert [c["participant_id"] for c in by_name["candidates"]] == [first_id]
    assert set(by_name["fields"]) == {"full_name", "birth_date"} and "Nguyễn Văn Đức" in by_name["message"]
    assert in_english["candidates"][0]["matched_on"] == ["phone"] and "confirm_not_duplicate" in in_english["message"]
    assert in_english["message"] != by_name["message"]

    # confirmed: recorded, and the event says whom the person was confirmed not to be
    confirmed = system.registration.post(P, headers=district, json=unaccented | {"confirm_not_duplicate": True})
    assert confirmed.status_code == 201, confirmed.json
    data = data_of(system, "registration", confirmed.json["event_id"], confirmed.json["participant_id"])
    assert data["confirmed_not_duplicate_of"] == [first_id] and "confirm_not_duplicate" not in data
    # another district: no warning; the exact duplicate keeps its own answer
    assert system.registration.post(P, headers=other_district,
                                    json=person(org_unit="TS-DANLUC")).status_code == 201
    exact = error_of(system.registration.post(P, headers=district, json=person(phone="0900000001")), 409,
                     "duplicate_participant")
    assert exact["participant_id"] == first_id

    # an import: a likely duplicate, of someone registered or of an earlier row, is a row error (nothing recorded)
    rows = ["Họ và tên,Ngày sinh,Giới tính,Số điện thoại,Mã xã/thị trấn,Tên chi đoàn,Loại chi đoàn,Tên mô hình,"
            "Đã có mô hình,Ngày đăng ký"]
    for name, phone, commune in (("Nguyen Van Duc", "0977000222", "TX-XUANTIN"),
                                 ("Phạm Văn Bình", "0977000333", "TX-XUANTIN"),
                                 ("PHAM VAN BINH", "0977000444", "TX-XUANMINH")):
        born = "03/02/1995" if "Duc" in name else "01/01/1994"
        rows.append(f"{name},{born},Nam,{phone},{commune},Chi đoàn thôn 1,Khu dân cư,Nuôi ong,Có,12/06/2017")
    with leaves_no_trace(system):
        refused = upload(system, "participants", district, rows)
    problems = error_of(refused, 422, "import_rejected")["rows"]
    assert [(p["row"], p["code"], p["field"]) for p in problems] == [
        (2, "likely_duplicate", "full_name"), (4, "likely_duplicate", "full_name")], problems
    confirmed_rows = [rows[0] + ",Xác nhận không trùng"] + [row + ",Có" for row in rows[1:]]
    imported = upload(system, "participants", district, confirmed_rows)
    assert imported.status_code == 201 and imported.json["new"] == 3, imported.json

    # retracted, the first registration is nobody's likely duplicate any more
    retraction = system.registration.post(f"/api/v1/events/{first.json['event_id']}/retraction", headers=district,
                                          json={"reason": "Nhập nhầm"})
    assert retraction.status_code == 201, retraction.json
    assert system.registration.post(P, headers=district, json=same_phone).status_code == 201

    system.sync()  # the projection reads the new field
    viewer = system.key("viewer", "TH")
    assert system.reporting.get("/api/v1/summary/TX", headers=viewer).json["totals"]["registered"] == 5


def test_implausible_figures_need_a_confirmation_that_the_event_records(system: System) -> None:
    district, bank = system.key("union", "TX"), system.key("bank", "TH")
    registered = system.registration.post(P, headers=district, json=person(
        full_name="Lê Thị Lan", birth_date="1993-03-03", phone="0933333333", org_unit="TX-THOLAP"))
    assert registered.status_code == 201, registered.json
    participant_id = registered.json["participant_id"]
    assert decide(system, district, participant_id).status_code == 201
    system.publish()
    system.drain("support")

    evaluations = f"{P}/{participant_id}/evaluations"
    evaluation = {"evaluated_on": "2018-06-30", "status": "successful", "revenue_vnd": 80_000_000,
                  "profit_vnd": 90_000_000, "jobs_created": 60}  # 60: under the default 100, over the configured 50
    with leaves_no_trace(system):
        error = error_of(system.registration.post(evaluations, headers=district, json=evaluation), 422,
                         "confirmation_required", "jobs_created")
        english = error_of(system.registration.post(evaluations, headers=district | EN, json=evaluation), 422,
                           "confirmation_required", "profit_vnd")
        half = error_of(system.registration.post(evaluations, headers=district, json=evaluation | {
            "confirmed_implausible": ["jobs_created"]}), 422, "confirmation_required", "profit_vnd")
    assert error["confirmable"] == ["jobs_created", "profit_vnd"] and set(error["fields"]) == set(error["confirmable"])
    assert english["fields"]["profit_vnd"] == "Profit is above revenue." != error["fields"]["profit_vnd"]
    assert half["confirmable"] == ["profit_vnd"]
    recorded = system.registration.post(evaluations, headers=district, json=evaluation | {
        "confirmed_implausible": ["profit_vnd", "jobs_created"]})
    assert recorded.status_code == 201, recorded.json
    data = data_of(system, "registration", recorded.json["event_id"], participant_id)
    assert data["confirmed_implausible"] == ["jobs_created", "profit_vnd"] and data["jobs_created"] == 60

    # a list: the row is refused like the single write, and recorded once its confirmation column says so
    rows = ["Mã đoàn viên,Ngày đánh giá,Kết quả đánh giá,Số việc làm tạo ra\n"
            f"{participant_id},2018-07-31,Thành công,70"]
    with leaves_no_trace(system):
        [problem] = error_of(upload(system, "evaluations", district, rows), 422, "import_rejected")["rows"]
    assert (problem["code"], problem["field"]) == ("confirmation_required", "jobs_created"), problem
    confirmed_rows = [rows[0].replace("\n", ",Xác nhận số liệu\n") + ",Có"]
    assert upload(system, "evaluations", district, confirmed_rows).status_code == 201

    fundings = f"{P}/{participant_id}/fundings"
    funding = {"disbursed_on": "2017-09-01", "source": "vbsp", "amount_vnd": 50_000_000, "term_months": 36}
    with leaves_no_trace(system):
        error = error_of(system.support.post(fundings, headers=bank, json=funding), 422, "confirmation_required",
                         "amount_vnd")
    assert "40.000.000" in error["fields"]["amount_vnd"]
    funded = system.support.post(fundings, headers=bank, json=funding | {"confirmed_implausible": True})
    assert funded.status_code == 201, funded.json
    funded_data = data_of(system, "support", funded.json["event_id"], participant_id)
    assert funded_data["confirmed_implausible"] == ["amount_vnd"]
    usual = system.support.post(fundings, headers=bank, json=funding | {"amount_vnd": 30_000_000})
    assert usual.status_code == 201, usual.json
    assert "confirmed_implausible" not in data_of(system, "support", usual.json["event_id"], participant_id)

    system.sync()
    totals = system.reporting.get("/api/v1/summary/TX-THOLAP", headers=system.key("viewer", "TH")).json["totals"]
    assert (totals["jobs_created"], totals["funding_vnd"]) == (70, 80_000_000)  # the latest evaluation's


def test_the_district_is_the_one_of_the_registration_date(system: System) -> None:
    """A commune moved to another district brings its registrations with it (shared.grouping): from the move on,
    they are likely duplicates in the new district, no longer in the old one."""
    old, new = system.key("union", "TS"), system.key("union", "TX")
    before = person(full_name="Hồ Thị Vân", birth_date="1996-09-09", phone="0966666666", org_unit="TS-HOPTHANH")
    assert system.registration.post(P, headers=old, json=before).status_code == 201
    moved = system.registration.post("/api/v1/org-units/changes", headers=system.key("admin", "TH"), json={
        "effective_on": "2025-07-01", "decision": "Quyết định điều chỉnh địa giới (thử)",
        "changes": [{"kind": "move", "code": "TS-HOPTHANH", "parent": "TX"}]})
    assert moved.status_code == 201, moved.json
    again = person(full_name="HO THI VAN", birth_date="1996-09-09", phone="0911111111", registered_on="2025-08-01")
    error = error_of(system.registration.post(P, headers=new, json=again | {"org_unit": "TX-XUANHOA"}), 409,
                     "likely_duplicate")
    assert [c["org_unit"] for c in error["candidates"]] == ["TS-HOPTHANH"]
    found = system.registration.get(LIKELY, headers=new, query_string={
        "name": "Ho Thi Van", "birth_date": "1996-09-09", "org_unit": "TX-XUANLAI"}).json["candidates"]
    assert [c["org_unit"] for c in found] == ["TS-HOPTHANH"]
    assert system.registration.post(P, headers=old, json=again | {"org_unit": "TS-DANLUC"}).status_code == 201
