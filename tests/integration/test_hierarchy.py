"""The effective-dated hierarchy end to end: a history from 2017, the 2025 reform recorded through the API
(merges, a split, a move, a dissolved district), and every figure hand-computed under both groupings; the
change endpoint's refusals; the hierarchy of a date before and after."""

from __future__ import annotations

from typing import Any

from shared.config import DEFAULT_ORG_UNITS
from shared.orgunits import load
from tests.integration.test_reporting import fund, selected_participant
from tests.support.system import System, settings

TX_OTHERS = [u.code for u in load(DEFAULT_ORG_UNITS).children("TX") if u.code not in ("TX-XUANHOA", "TX-XUANLAI")]
REFORM = {"effective_on": "2025-07-01", "decision": "Nghị quyết 1/2025 (minh họa)", "changes": [
    {"kind": "create", "code": "C1", "name": "Xã Thọ Xuân", "level": "commune", "parent": "TH"},
    {"kind": "create", "code": "C2", "name": "Xã Hợp Thành", "level": "commune", "parent": "TH"},
    {"kind": "create", "code": "C3", "name": "Xã Lam Sơn", "level": "commune", "parent": "TH"},
    {"kind": "dissolve", "code": "TX"},  # listed first: applied after the merges that empty it
    {"kind": "merge", "from": ["TX-XUANHOA", "TX-XUANLAI"], "into": "C1"},
    {"kind": "merge", "from": TX_OTHERS, "into": "C3"},
    {"kind": "split", "code": "TS-HOPTHANH", "into": ["C2", "C3"], "default_successor": "C2"},
    {"kind": "move", "code": "YD-DINHTAN", "parent": "TH"},
]}


def funding(system: System, code: str, as_of: str, headers: dict[str, str], hierarchy: str = "as_of",
            path: str = "summary") -> dict[str, Any]:
    reply = system.reporting.get(f"/api/v1/{path}/{code}?as_of={as_of}&hierarchy={hierarchy}", headers=headers)
    assert reply.status_code == 200, reply.json
    body = reply.json
    return {"total": body["totals"]["funding_vnd"], "registered": body["totals"]["registered"],
            **{c["org_unit"]["code"]: c["totals"]["funding_vnd"] for c in body["children"]}}


def test_history_across_the_reform(tmp_path: Any, bootstrap: str, database_template: str | None) -> None:
    system = System(settings(tmp_path, bootstrap, database_template, TIENPHONG_HIERARCHY_REFRESH_SECONDS="0"))
    try:
        check_history(system)
    finally:
        system.close()


def check_history(system: System) -> None:
    admin, viewer, bank = system.key("admin", "TH"), system.key("viewer", "TH"), system.key("bank", "TH")
    union = system.key("union", "TH")
    tx_union = system.key("union", "TX")
    p1 = selected_participant(system, union)  # TX-XUANHOA
    p2 = selected_participant(system, union, full_name="Trịnh Thị Bình", org_unit="TX-XUANLAI")
    p3 = selected_participant(system, union, full_name="Lê Văn Cường", org_unit="TS-HOPTHANH")
    p4 = selected_participant(system, union, full_name="Hà Thị Dung", org_unit="YD-DINHTAN")
    system.sync()
    fund(system, bank, p1, "2018-03-01", 10_000_000)
    fund(system, bank, p2, "2018-05-01", 20_000_000)
    fund(system, bank, p3, "2018-06-01", 30_000_000)
    fund(system, bank, p4, "2018-07-01", 5_000_000)
    system.sync()
    report_before = system.reporting.get("/api/v1/reports/TH?period=2018", headers=viewer).json
    before_2018 = funding(system, "TH", "2018-12-31", viewer)
    assert before_2018 == {"total": 65_000_000, "registered": 4, "TX": 30_000_000, "TS": 30_000_000, "THH": 0,
                           "YD": 5_000_000}
    units_2018 = system.reporting.get("/api/v1/org-units?as_of=2018-01-01", headers=viewer).json

    # refusals: all or nothing, each change named
    def refused(body: dict[str, Any], headers: dict[str, str] = admin) -> dict[str, Any]:
        reply = system.registration.post("/api/v1/org-units/changes", headers=headers, json=body)
        assert reply.status_code == 422, reply.json
        return dict(reply.json["error"]["fields"])

    bad = {"effective_on": "2025-07-01", "decision": "x", "changes": [
        {"kind": "merge", "from": ["ZZ"], "into": "C9"},
        {"kind": "dissolve", "code": "TS"},
        {"kind": "rename", "code": "YD"},
        {"kind": "explode", "code": "YD"}]}
    fields = refused(bad)
    assert set(fields) == {"changes[0]", "changes[1]", "changes[2]", "changes[3]"}, fields
    assert "C9" in fields["changes[0]"] and "TS" in fields["changes[1]"]
    assert "Unknown org unit" in refused(bad, admin | {"Accept-Language": "en"})["changes[0]"]
    assert system.registration.post("/api/v1/org-units/changes", headers=union, json=REFORM).status_code == 403
    reply = system.registration.post("/api/v1/org-units/changes", headers=admin | {"Idempotency-Key": "reform"},
                                     json=REFORM)
    assert reply.status_code == 201, reply.json
    again = system.registration.post("/api/v1/org-units/changes", headers=admin | {"Idempotency-Key": "reform"},
                                     json=REFORM)
    assert again.status_code == 201 and again.json == reply.json
    assert system.registration.post(f"/api/v1/events/{reply.json['event_id']}/retraction", headers=admin,
                                    json={"reason": "x"}).status_code == 409  # undone by a new change only
    later = {"effective_on": "2025-08-01", "decision": "y", "changes": [
        {"kind": "merge", "from": ["THH-THIEUGIAO"], "into": "TX"},  # TX was dissolved
        {"kind": "move", "code": "C1", "parent": "TH"}]}
    assert "TX" in refused(later)["changes[0]"]
    early = {"effective_on": "2020-01-01", "decision": "z", "changes": [{"kind": "rename", "code": "C1", "name": "A"}]}
    assert "C1" in refused(early)["changes[0]"]  # before the unit existed
    # a change before the reform that would break it: the reform merges TX-XUANLAI, which this dissolves
    breaking = {"effective_on": "2020-01-01", "decision": "w", "changes": [
        {"kind": "dissolve", "code": "TX-XUANLAI"}]}
    assert "effective_on" in refused(breaking)

    # after the reform: a registration in a new commune, a funding of a participant of a merged one
    reply = system.registration.post("/api/v1/participants", headers=union, json={
        **registration_of("Phạm Văn Em", "C2", "2025-08-01")})
    assert reply.status_code == 201, reply.json
    old_unit = system.registration.post("/api/v1/participants", headers=union, json={
        **registration_of("Phạm Văn Giang", "TX-XUANHOA", "2025-08-01")})
    assert old_unit.status_code == 422, old_unit.json  # merged away that day
    system.sync()
    fund(system, bank, p1, "2025-09-01", 7_000_000)
    # the key of the dissolved district: its history yes, the new commune's events no
    gone = system.support.post(f"/api/v1/participants/{p1}/trainings", headers=tx_union, json={
        "trained_on": "2025-09-02", "course": "Kỹ thuật", "kind": "course"})
    assert gone.status_code == 403 and "2025-06-30" in gone.json["error"]["message"], gone.json  # says why
    assert system.support.post(f"/api/v1/participants/{p1}/trainings", headers=tx_union, json={
        "trained_on": "2024-09-02", "course": "Kỹ thuật", "kind": "course"}).status_code == 201
    # a key the admin moved to the new commune: its events from the change on, not before (C1 did not exist)
    key_id, token = system.access.create_key("doan-xa-c1", "union", "TX")
    assert system.access.rescope(key_id, "C1") == "TX"
    moved = {"Authorization": f"Bearer {token}"}
    for day, status in (("2025-09-03", 201), ("2024-09-03", 403)):
        assert system.support.post(f"/api/v1/participants/{p1}/trainings", headers=moved, json={
            "trained_on": day, "course": "Kỹ thuật", "kind": "course"}).status_code == status, day
    system.sync()

    # a report of 2018 reads the same after the change was recorded; and by default groups by 2018's units
    assert system.reporting.get("/api/v1/reports/TH?period=2018", headers=viewer).json == report_before
    assert funding(system, "TH", "2018-12-31", viewer) == before_2018
    assert {k: v for k, v in funding(system, "TX", "2018-12-31", tx_union).items() if v} == {
        "total": 30_000_000, "registered": 2, "TX-XUANHOA": 10_000_000, "TX-XUANLAI": 20_000_000}
    for code, commune in (("TS", "TS-HOPTHANH"), ("YD", "YD-DINHTAN")):  # every old commune's, exactly
        assert {k: v for k, v in funding(system, code, "2018-12-31", viewer).items() if v} == {
            "total": before_2018[code], "registered": 1, commune: before_2018[code]}
    # 2018 restated onto today's units: the same province total
    assert funding(system, "TH", "2018-12-31", viewer, "current") == {
        "total": 65_000_000, "registered": 4, "THH": 0, "YD": 0, "YD-DINHTAN": 5_000_000, "TS": 0,
        "C1": 30_000_000, "C2": 30_000_000, "C3": 0}
    assert funding(system, "C1", "2018-12-31", viewer, "current") == {
        "total": 30_000_000, "registered": 2}
    # 2026: the units valid then (= today's)
    now = {"total": 72_000_000, "registered": 5, "THH": 0, "YD": 0, "YD-DINHTAN": 5_000_000, "TS": 0,
           "C1": 37_000_000, "C2": 30_000_000, "C3": 0}
    assert funding(system, "TH", "2026-01-01", viewer) == now
    assert funding(system, "TH", "2026-01-01", viewer, "current") == now
    assert funding(system, "C2", "2026-01-01", viewer)["registered"] == 2
    # the dissolved district after its dissolution: its former communes, their participants' events since too
    former = system.reporting.get("/api/v1/summary/TX?as_of=2026-01-01", headers=tx_union)
    assert former.status_code == 200 and former.json["totals"]["funding_vnd"] == 37_000_000
    assert former.json["former_unit"] == {"valid_from": "2017-01-01", "valid_to": "2025-06-30"}
    assert {c["org_unit"]["code"] for c in former.json["children"]} == {"TX-XUANHOA", "TX-XUANLAI", *TX_OTHERS}
    # a unit read before it existed: 404 naming the day it starts
    early = system.reporting.get("/api/v1/summary/C1?as_of=2018-12-31", headers=viewer)
    assert early.status_code == 404 and early.json["error"]["code"] == "org_unit_not_valid"
    assert early.json["error"]["valid_from"] == "2025-07-01"
    assert system.reporting.get("/api/v1/summary/TH?hierarchy=x", headers=viewer).status_code == 422
    # the series restated too: its last point is the summary's
    series = system.reporting.get("/api/v1/series/C1?from=2018-01&to=2025-12", headers=viewer).json
    assert series["points"][-1]["totals"]["funding_vnd"] == 37_000_000
    assert series["points"][11]["totals"]["funding_vnd"] == 30_000_000

    # the hierarchy of a date, before and after
    # the same units as before the change was recorded, now knowing when the ended ones end
    known_2018 = system.reporting.get("/api/v1/org-units?as_of=2018-01-01", headers=viewer).json
    assert [u | {"valid_to": None} for u in known_2018] == units_2018
    assert {u["code"] for u in known_2018 if u["valid_to"]} == {"TX", "TS-HOPTHANH", "TX-XUANHOA", *TX_OTHERS,
                                                                 "TX-XUANLAI"}
    tx = next(u for u in known_2018 if u["code"] == "TX")
    assert tx == {"code": "TX", "name": "Thọ Xuân", "level": "district", "parent": "TH",
                  "valid_from": "2017-01-01", "valid_to": "2025-06-30"}
    after = {u["code"]: u for u in system.reporting.get("/api/v1/org-units?as_of=2026-01-01", headers=viewer).json}
    assert "TX" not in after and "TX-XUANHOA" not in after and "TS-HOPTHANH" not in after
    assert after["C1"]["valid_from"] == "2025-07-01" and after["C1"]["valid_to"] is None
    assert after["YD-DINHTAN"]["parent"] == "TH"
    assert system.reporting.get("/api/v1/org-units?as_of=2026-01-01", headers=tx_union).json == []

    # registration's list of a new commune: the participants of the communes merged into it, and its own
    listed = system.registration.get("/api/v1/participants?org_unit=C1", headers=viewer).json
    assert sorted(p["participant_id"] for p in listed["items"]) == sorted([p1, p2])
    assert system.registration.get(f"/api/v1/participants/{p1}", headers=moved).status_code == 200
    # the dashboard pages: a new commune today, the dissolved district as on its last day
    from tests.integration.test_access_login import PASSWORD, login
    system.access.create_user("lanh-dao", PASSWORD, "TH", "viewer")
    page = system.reporting.application.test_client()
    assert login(page, "lanh-dao").status_code in (302, 303)
    assert "Xã Thọ Xuân" in page.get("/dashboard/C1").get_data(as_text=True)
    early = page.get("/dashboard/C1?as_of=2018-12-31")  # before it existed: said so, with the restated view's link
    assert early.status_code == 404 and "01/07/2025" in early.get_data(as_text=True)
    assert "hierarchy=current" in early.get_data(as_text=True)
    assert page.get("/dashboard/C1?as_of=2018-12-31&hierarchy=current").status_code == 200
    district = page.get("/dashboard/TX").get_data(as_text=True)
    assert "Thọ Xuân" in district and "TX-XUANHOA" in district
    # the forms of a new commune's account: its name, the registration form, its former communes' people
    system.access.create_user("doan-xa-c1", PASSWORD, "C1", "viewer", "doan-xa-c1", "union")
    forms = system.reporting.application.test_client()
    assert login(forms, "doan-xa-c1").status_code in (302, 303)
    me = forms.get("/api/v1/me").json
    assert me["scope_name"] == "Xã Thọ Xuân" and "registration" in me["forms"], me
    people = forms.get("/api/v1/directory/C1").json["items"]
    assert sorted((p["participant_id"], p["org_unit_name"]) for p in people) == sorted(
        [(p1, "Xuân Hòa"), (p2, "Xuân Lai")])
    # a commune's list after the reform: the template offers the new communes, the file is recorded (kept last)
    template = system.registration.get("/api/v1/imports/template.xlsx", headers=union)
    assert template.status_code == 200 and b"C2" in _sheet_text(template.data)
    listed = imported(system, union, registration_of("Phạm Văn Hùng", "C2", "2025-08-02"))
    assert listed.status_code == 201, listed.json
    # a key of the dissolved district still imports its history (rows dated before the reform), not today's
    history = imported(system, tx_union, registration_of("Đỗ Văn Khoa", "TX-XUANHOA", "2018-04-02"))
    assert history.status_code == 201, history.json
    late = imported(system, tx_union, registration_of("Đỗ Văn Lâm", "TX-XUANHOA", "2025-08-02"))
    assert late.status_code in (403, 422), late.json


def _sheet_text(workbook: bytes) -> bytes:
    import io

    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True)
    return " ".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                    for c in row if c is not None).encode()


def imported(system: System, key: dict[str, str], body: dict[str, Any]) -> Any:
    """One registration sent as a CSV list (headers as the template's) for the body's org unit."""
    import csv
    import io

    from services.registration.import_layout import REGISTRATIONS
    columns = [c for c in REGISTRATIONS.columns if c.field in body]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([c.header for c in columns])
    writer.writerow([{True: "Có", False: "Không"}.get(body[c.field], body[c.field]) if isinstance(body[c.field], bool)
                     else body[c.field] for c in columns])
    return system.registration.post("/api/v1/imports", headers=key, content_type="multipart/form-data",
                                    data={"file": (io.BytesIO(text.getvalue().encode()), "danh-sach.csv"),
                                          "org_unit": body["org_unit"]})


def registration_of(name: str, org_unit: str, day: str) -> dict[str, Any]:
    from tests.support.system import registration_body
    return registration_body(full_name=name, org_unit=org_unit, registered_on=day)


def test_the_demo_records_its_illustrative_reform_once(system: System, tmp_path: Any) -> None:
    from tests.integration.test_demo_program import SystemTransport
    from tienphong import demo

    client = demo.Client(demo.demo_keys(tmp_path / "demo-keys.json", system.env), 2017, SystemTransport(system))
    assert demo.load_reform(client).endswith(" recorded")
    assert demo.load_reform(client).endswith("already recorded")
    system.sync()
    viewer = system.key("viewer", "TH")
    units = system.reporting.get("/api/v1/org-units?as_of=2025-07-01", headers=viewer).json
    assert [u["code"] for u in units if u["parent"] == "TH"] == [
        "TH-XTHOXUAN", "TH-XLAMSON", "TH-XXUANLAP", "TH-XTHOLAP", "TH-XNAMGIANG", "TH-XTRIEUSON", "TH-XHOPTIEN",
        "TH-XTHIEUHOA", "TH-XYENDINH"]
