"""POST /api/v1/imports/{kind} for every kind of event: the template (headers, drop-downs, English field
names), a list filled into it recorded whole (and reaching the summary), a list with one bad row recording
nothing and naming the row and column, a re-sent list recording nothing twice, and the permission matrix
and scope applied as the single-event endpoints apply them."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from services.registration import store as registration_store
from services.support import store as support_store
from tests.support.system import System
from tests.support.write_checks import EN, engine, error_of, leaves_no_trace, register, shared_system

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class World:
    system: System
    commune: dict[str, str]
    district: dict[str, str]
    bank: dict[str, str]
    business: dict[str, str]
    people: list[str]  # registered in TX-XUANHOA, not yet decided


@pytest.fixture(scope="module")
def world(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("import-kinds")) as system:
        commune = system.key("union", "TX-XUANHOA", agency="doan-xa-xuan-hoa")
        district = system.key("union", "TX", agency="huyen-doan-tho-xuan")
        people = [register(system, commune, full_name=f"Lê Văn Nhập {i}") for i in range(3)]
        yield World(system, commune, district, system.key("bank", "TH", agency="nhcsxh-thanh-hoa"),
                    system.key("business", "TX", agency="hiep-hoi-dn-tho-xuan"), people)


def filled_template(client: FlaskClient, kind: str, key: dict[str, str], rows: list[dict[str, Any]]) -> bytes:
    """The kind's template as downloaded, with `rows` (keyed by Vietnamese header) typed into its list."""
    reply = client.get(f"/api/v1/imports/{kind}/template.xlsx", headers=key)
    assert reply.status_code == 200 and reply.mimetype == XLSX, reply.data[:200]
    workbook = openpyxl.load_workbook(io.BytesIO(reply.data))
    sheet = workbook["Danh sách"]
    headers = [str(c.value).removesuffix(" *") for c in sheet[1]]
    assert headers[:3] == ["STT", "Mã đoàn viên", "Họ và tên"], headers
    for number, row in enumerate(rows, start=2):
        assert set(row) <= set(headers), (set(row) - set(headers), headers)
        for index, header in enumerate(headers, start=1):
            sheet.cell(row=number, column=index, value=number - 1 if header == "STT" else row.get(header))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_csv(content: bytes) -> bytes:
    """The same list saved as CSV UTF-8 (dates as dd/mm/yyyy text), as a person re-saving it would."""
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Danh sách"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for values in sheet.iter_rows(values_only=True):
        writer.writerow([v.strftime("%d/%m/%Y") if isinstance(v, date) else ("" if v is None else v)
                         for v in values])
    return buffer.getvalue().encode("utf-8-sig")


def upload(client: FlaskClient, kind: str, key: dict[str, str], content: bytes,
           filename: str = "ds.xlsx") -> TestResponse:
    return client.post(f"/api/v1/imports/{kind}", headers=key, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(content), filename)})


def event_count(system: System, service: str, event_type: str) -> int:
    table = (registration_store if service == "registration" else support_store).events
    with engine(system, service).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(table.c.type == event_type))
                   .scalar_one())


def imports_whole(world: World, service: str, kind: str, key: dict[str, str], rows: list[dict[str, Any]],
                  bad: tuple[dict[str, Any], str, str], event_type: str) -> dict[str, Any]:
    """One kind through its whole cycle; `bad`: a row, the column the report must name, a word of its message."""
    system = world.system
    client: FlaskClient = getattr(system, service)
    bad_row, bad_column, bad_words = bad
    refused = filled_template(client, kind, key, [*rows, bad_row])
    with leaves_no_trace(system):
        reply = upload(client, kind, key, refused)
    error = error_of(reply, 422, "import_rejected")
    assert error["failing_rows"] == 1, error
    (problem,) = error["rows"]
    assert (problem["row"], problem["column"]) == (len(rows) + 2, bad_column), problem
    assert bad_words in problem["message"], problem

    before = event_count(system, service, event_type)
    content = filled_template(client, kind, key, rows)
    reply = upload(client, kind, key, content)
    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    assert (body["kind"], body["rows"], body["new"], body["already_recorded"]) == (kind, len(rows), len(rows), 0)
    assert [e["row"] for e in body["events"]] == list(range(2, len(rows) + 2))
    assert event_count(system, service, event_type) == before + len(rows)

    with leaves_no_trace(system):  # the same list again, re-saved as CSV: nothing twice
        again = upload(client, kind, key, as_csv(content), "ds.csv")
        assert again.status_code == 200, again.get_json()
    assert (again.get_json()["new"], again.get_json()["already_recorded"]) == (0, len(rows))
    assert [e["event_id"] for e in again.get_json()["events"]] == [e["event_id"] for e in body["events"]]
    return body  # type: ignore[no-any-return]


def test_every_kind_imports_whole_refuses_whole_and_never_twice(world: World) -> None:
    system, (first, second, third) = world.system, world.people
    district, bank = world.district, world.bank
    imports_whole(world, "registration", "decisions", district, [
        {"Mã đoàn viên": first, "Quyết định": "Lựa chọn", "Nhóm ngành nghề": "Chăn nuôi", "Ngày quyết định":
         date(2017, 7, 1)},
        {"Mã đoàn viên": second, "Họ và tên": "Lê Văn Nhập 1", "Quyết định": "lựa chọn",
         "Nhóm ngành nghề": "trade_services", "Ngày quyết định": "02/07/2017"},
    ], ({"Mã đoàn viên": third, "Quyết định": "Lựa chọn", "Ngày quyết định": date(2017, 7, 1)},
        "Nhóm ngành nghề", "nhóm ngành nghề"), "participant.selected")
    shown = system.registration.get(f"/api/v1/participants/{second}", headers=district).get_json()
    assert (shown["status"], shown["sector"]) == ("selected", "trade_services")

    imports_whole(world, "registration", "evaluations", district, [
        {"Mã đoàn viên": first, "Ngày đánh giá": date(2018, 6, 30), "Kết quả đánh giá": "Thành công",
         "Doanh thu (đồng)": 120_000_000, "Lợi nhuận (đồng)": "-5.000.000", "Số việc làm tạo ra": 3},
        {"Mã đoàn viên": second, "Ngày đánh giá": date(2018, 6, 30), "Kết quả đánh giá": "Đúng tiến độ"},
    ], ({"Mã đoàn viên": third, "Ngày đánh giá": date(2018, 6, 30), "Kết quả đánh giá": "Thành công"},
        "Mã đoàn viên", "chưa được lựa chọn"), "participant.evaluated")
    imports_whole(world, "registration", "commendations", district, [
        {"Mã đoàn viên": first, "Ngày tuyên dương": date(2018, 12, 20), "Hình thức tuyên dương": "Giấy khen"},
    ], ({"Mã đoàn viên": second, "Ngày tuyên dương": date(2099, 1, 1), "Hình thức tuyên dương": "Giấy khen"},
        "Ngày tuyên dương", "tương lai"), "participant.commended")
    imports_whole(world, "registration", "replications", world.commune, [
        {"Mã đoàn viên": first, "Ngày nhân rộng": date(2018, 9, 15), "Họ tên thanh niên nhân rộng": "Trần Thị Bình",
         "Mã xã/thị trấn": "Xuân Hòa"},
    ], ({"Mã đoàn viên": first, "Ngày nhân rộng": date(2018, 9, 15), "Họ tên thanh niên nhân rộng": "Hà Văn C",
         "Mã xã/thị trấn": "TX-XUANLAI"}, "Mã xã/thị trấn", "phạm vi"), "model.replicated")

    system.publish()
    system.drain("support")  # support learns of the selections
    imports_whole(world, "support", "trainings", district, [
        {"Mã đoàn viên": first, "Ngày tập huấn": date(2017, 7, 20), "Tên lớp/chuyến tham quan": "Khởi sự",
         "Hình thức": "Tập huấn", "Số giờ": 16},
        {"Mã đoàn viên": second, "Ngày tập huấn": "20/07/2017", "Tên lớp/chuyến tham quan": "Khởi sự",
         "Hình thức": "Tập huấn"},
    ], ({"Mã đoàn viên": second, "Ngày tập huấn": date(2017, 7, 21), "Tên lớp/chuyến tham quan": "Tham quan",
         "Hình thức": "Du lịch"}, "Hình thức", "Tập huấn hoặc Tham quan học tập"), "participant.trained")
    roster = openpyxl.load_workbook(io.BytesIO(system.support.get(
        "/api/v1/imports/fundings/template.xlsx", headers=bank).data))["Đoàn viên"]
    assert sorted(r[:3] for r in roster.iter_rows(min_row=2, values_only=True)) == sorted(
        [(first, "Lê Văn Nhập 0", "TX-XUANHOA"), (second, "Lê Văn Nhập 1", "TX-XUANHOA")]), "the selected only"
    imports_whole(world, "support", "fundings", bank, [
        {"Mã đoàn viên": first, "Ngày giải ngân": date(2017, 9, 15), "Nguồn vốn": "NH Chính sách xã hội",
         "Số tiền (đồng)": 50_000_000, "Thời hạn (tháng)": 36},
        {"Mã đoàn viên": second, "Ngày giải ngân": date(2017, 9, 15), "Nguồn vốn": "NH Chính sách xã hội",
         "Số tiền (đồng)": "130.000.000", "Xác nhận số liệu": "Có"},  # above VBSP's usual ceiling
    ], ({"Mã đoàn viên": third, "Ngày giải ngân": date(2017, 9, 15), "Nguồn vốn": "NH Chính sách xã hội",
         "Số tiền (đồng)": 1.5}, "Số tiền (đồng)", "số nguyên"), "participant.funded")
    unconfirmed = filled_template(system.support, "fundings", bank, [
        {"Mã đoàn viên": second, "Ngày giải ngân": date(2017, 9, 16), "Nguồn vốn": "NH Chính sách xã hội",
         "Số tiền (đồng)": 130_000_000, "Thời hạn (tháng)": 150}])
    with leaves_no_trace(system):
        error = error_of(upload(system.support, "fundings", bank, unconfirmed), 422, "import_rejected")
    assert {(p["column"], p["code"]) for p in error["rows"]} == {
        ("Số tiền (đồng)", "confirmation_required"), ("Thời hạn (tháng)", "confirmation_required")}, error
    assert "ghi Có ở cột 'Xác nhận số liệu'" in error["rows"][0]["message"]
    imports_whole(world, "support", "supports", world.business, [
        {"Mã đoàn viên": second, "Ngày hỗ trợ": date(2017, 11, 10), "Hình thức hỗ trợ": "Hội chợ"},
    ], ({"Mã đoàn viên": "không-phải-mã", "Ngày hỗ trợ": date(2017, 11, 10), "Hình thức hỗ trợ": "Hội chợ"},
        "Mã đoàn viên", "Không tìm thấy"), "participant.supported")

    system.sync()
    totals = system.reporting.get("/api/v1/summary/TX?as_of=2019-01-01", headers=district).get_json()["totals"]
    assert {k: totals[k] for k in ("selected", "evaluated", "successful", "commended", "replications", "trained",
                                   "funded", "supported", "funding_vnd")} == {
        "selected": 2, "evaluated": 2, "successful": 1, "commended": 1, "replications": 1, "trained": 2,
        "funded": 2, "supported": 1, "funding_vnd": 180_000_000}


def test_templates_have_drop_downs_and_english_field_names(world: World) -> None:
    reply = world.system.support.get("/api/v1/imports/fundings/template.xlsx?lang=en", headers=world.bank)
    sheet = openpyxl.load_workbook(io.BytesIO(reply.data))["Danh sách"]
    assert [c.value for c in sheet[1]][:5] == ["STT", "participant_id *", "full_name", "disbursed_on *", "source *"]
    lists = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert any("NH Chính sách xã hội" in f and "Quỹ 120 Trung ương Đoàn" in f for f in lists), lists
    decisions = world.system.registration.get("/api/v1/imports/decisions/template.xlsx", headers=world.district)
    lists = [v.formula1 for v in openpyxl.load_workbook(io.BytesIO(decisions.data))["Danh sách"]
             .data_validations.dataValidation]
    assert any("Chăn nuôi" in f for f in lists) and any("Không lựa chọn" in f for f in lists), lists
    roster = openpyxl.load_workbook(io.BytesIO(decisions.data))["Đoàn viên"]
    assert [c.value for c in roster[1]] == ["Mã đoàn viên", "Họ và tên", "Mã xã/thị trấn", "Tình trạng",
                                            "Nhóm ngành nghề"]
    listed = {r[0]: r[1] for r in roster.iter_rows(min_row=2, values_only=True)}
    assert {listed.get(p) for p in world.people} == {f"Lê Văn Nhập {i}" for i in range(3)}, listed


def test_the_permission_matrix_and_scope_as_for_single_events(world: World) -> None:
    system, first = world.system, world.people[0]
    viewer, outside = system.key("viewer", "TH"), system.key("union", "TS", agency="huyen-doan-trieu-son")
    decision = filled_template(system.registration, "decisions", world.district, [
        {"Mã đoàn viên": first, "Quyết định": "Không lựa chọn", "Ngày quyết định": date(2017, 7, 1)}])
    funding = filled_template(system.support, "fundings", world.bank, [
        {"Mã đoàn viên": first, "Ngày giải ngân": date(2017, 9, 16), "Nguồn vốn": "NH Chính sách xã hội",
         "Số tiền (đồng)": 1_000_000}])
    with leaves_no_trace(system):
        for key in (world.bank, world.business, viewer, world.commune):  # decisions: a district union's
            error_of(upload(system.registration, "decisions", key, decision), 403, "forbidden")
        for key in (world.business, viewer):
            error_of(upload(system.support, "fundings", key, funding), 403, "forbidden")
        error_of(upload(system.support, "trainings", world.bank, funding), 403, "forbidden")
        # a union key may import fundings, but only from the "120" fund: the row says which is refused
        error = error_of(upload(system.support, "fundings", world.district, funding), 422, "import_rejected")
        assert [(p["column"], p["code"]) for p in error["rows"]] == [("Nguồn vốn", "forbidden")]
        # another district's union: the participant is outside its scope
        reply = system.registration.post("/api/v1/imports/decisions", headers=outside | EN,
                                         content_type="multipart/form-data",
                                         data={"file": (io.BytesIO(decision), "ds.xlsx")})
        error = error_of(reply, 422, "import_rejected")
        assert [(p["column"], p["code"]) for p in error["rows"]] == [("Mã đoàn viên", "out_of_scope")]
        assert error["message"].startswith("1 row(s) of the file are invalid")
        # lists of events may be larger than the services' 1 MiB body limit, up to 4 MiB
        line = f"{uuid.UUID(int=0)},17/11/2017,Hội chợ,{'x' * 3000}\n"
        big = ("Mã đoàn viên,Ngày hỗ trợ,Hình thức hỗ trợ,Nội dung\n" + line * 500).encode()
        error = error_of(upload(system.support, "supports", world.business, big, "ds.csv"), 422, "import_rejected")
        assert error["failing_rows"] == 500 and len(big) > 1024 * 1024
        error_of(upload(system.support, "supports", world.business, big * 3, "ds.csv"), 413, "payload_too_large",
                 "file")
    paths = system.support.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/imports/fundings", "/api/v1/imports/trainings/template.xlsx"} <= set(paths)


def test_the_participants_kind_is_the_registration_import(world: World) -> None:
    template = world.system.registration.get("/api/v1/imports/participants/template.xlsx", headers=world.commune)
    headers = [c.value for c in openpyxl.load_workbook(io.BytesIO(template.data))["Danh sách"][1]]
    assert "Họ và tên *" in headers and "Mã đoàn viên *" not in headers
    error_of(upload(world.system.registration, "participants", world.bank, b"x"), 403, "forbidden")
