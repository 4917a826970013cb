"""POST /api/v1/imports and the template: good lists (XLSX and CSV) are recorded whole, re-sending one
records nothing new, a list with any bad row records nothing and names every bad row with its column and
a Vietnamese message, and bad files get a clear 4xx in the error shape, never a 500."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest
from werkzeug.test import TestResponse

from services.registration.import_layout import COLUMNS
from shared.imports.layout import ROW_NUMBER_HEADER
from tests.support.system import System
from tests.support.write_checks import EN, error_of, leaves_no_trace, shared_system, trace

IMPORTS = "/api/v1/imports"
HEADERS = [ROW_NUMBER_HEADER, *(c.header for c in COLUMNS)]


# --- files as communes make them ------------------------------------------------------------------

def person(**cells: Any) -> dict[str, Any]:
    """One row of the list, keyed by Vietnamese header, with cell values as Excel holds them."""
    tag = uuid.uuid4().hex[:8]  # one name and phone per person: a phone shared in a district is a likely duplicate
    row: dict[str, Any] = {
        "Họ và tên": f"Nguyễn Văn {tag}", "Ngày sinh": date(1995, 2, 3), "Giới tính": "Nam",
        "Số điện thoại": f"09{int(tag, 16) % 10**8:08d}", "Mã xã/thị trấn": "TX-XUANHOA",
        "Tên chi đoàn": "Chi đoàn thôn Đông",
        "Loại chi đoàn": "Khu dân cư", "Tên mô hình": "Nuôi gà đồi thả vườn", "Mô tả mô hình": "500 con gà",
        "Đã có mô hình": "Có", "Ngày đăng ký": "10/06/2017",
    }
    row.update(cells)
    return row


def xlsx_file(rows: list[dict[str, Any]], headers: list[str] | None = None, title: str | None = None,
              formulas: dict[tuple[int, str], str] | None = None) -> bytes:
    """A workbook with the list on its first sheet; `formulas` puts a formula in (row index, header)."""
    headers = headers or HEADERS
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Danh sách"
    if title:
        sheet.append([title])
    sheet.append(headers)
    for index, row in enumerate(rows, start=1):
        values = [index if h == ROW_NUMBER_HEADER else row.get(h) for h in headers]
        for (formula_row, header), formula in (formulas or {}).items():
            if formula_row == index - 1:
                values[headers.index(header)] = formula
        sheet.append(values)
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, date | datetime):
                cell.number_format = "DD/MM/YYYY"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(rows: list[dict[str, Any]], headers: list[str] | None = None, delimiter: str = ",",
             bom: bool = True) -> bytes:
    headers = headers or HEADERS
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    for index, row in enumerate(rows, start=1):
        values = [index if h == ROW_NUMBER_HEADER else row.get(h) for h in headers]
        writer.writerow([v.strftime("%d/%m/%Y") if isinstance(v, date) else ("" if v is None else v)
                         for v in values])
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()


def upload(system: System, headers: dict[str, str], content: bytes, filename: str = "danh-sach.xlsx",
           **form: str) -> TestResponse:
    return system.registration.post(IMPORTS, headers=headers, content_type="multipart/form-data",
                                    data={"file": (io.BytesIO(content), filename), **form})


def problems(reply: TestResponse) -> list[dict[str, Any]]:
    error = error_of(reply, 422, "import_rejected")
    assert error["failing_rows"] == len({p["row"] for p in error["rows"]})
    return list(error["rows"])


def problem_at(listed: list[dict[str, Any]], row: int, column: str) -> dict[str, Any]:
    found = [p for p in listed if p["row"] == row and p["column"] == column]
    assert found, (row, column, listed)
    assert found[0]["message"], found
    return found[0]


# --- fixtures ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("imports")) as running:
        yield running


@pytest.fixture(scope="module")
def commune(system: System) -> dict[str, str]:
    return system.key("union", "TX-XUANHOA", agency="doan-xa-xuan-hoa")


@pytest.fixture(scope="module")
def district(system: System) -> dict[str, str]:
    return system.key("union", "TX", agency="huyen-doan-tho-xuan")


# --- the template -----------------------------------------------------------------------------------

def test_the_template_has_vietnamese_headers_notes_and_the_communes_in_scope(
        system: System, commune: dict[str, str], district: dict[str, str]) -> None:
    reply = system.registration.get(f"{IMPORTS}/template.xlsx", headers=district)
    assert reply.status_code == 200
    assert reply.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in reply.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(reply.data))
    assert workbook.sheetnames == ["Danh sách", "Hướng dẫn", "Đơn vị"]
    sheet = workbook["Danh sách"]
    headers = [c.value for c in sheet[1]]
    assert headers[0] == "STT" and "Họ và tên *" in headers and "Ngày sinh *" in headers
    assert "Số điện thoại" in headers and "Ngày đăng ký *" in headers
    assert sheet.max_row == 1, "no example row where it could be imported by mistake"
    date_column = sheet.cell(row=1, column=headers.index("Ngày sinh *") + 1).column_letter
    assert sheet.column_dimensions[date_column].number_format == "DD/MM/YYYY"
    notes = [str(c.value) for row in workbook["Hướng dẫn"].iter_rows() for c in row if c.value]
    assert any("dd/mm/yyyy" in n for n in notes) and "Lê Văn An" in notes
    units = [row[0].value for row in workbook["Đơn vị"].iter_rows(min_row=2)]
    assert "TX-XUANHOA" in units and "TX-THOLAP" in units and "TS-DANLUC" not in units

    only_own = openpyxl.load_workbook(io.BytesIO(system.registration.get(
        f"{IMPORTS}/template.xlsx", headers=commune).data))
    assert [row[0].value for row in only_own["Đơn vị"].iter_rows(min_row=2)] == ["TX-XUANHOA"]
    error_of(system.registration.get(f"{IMPORTS}/template.xlsx"), 401, "unauthorized")


def test_the_filled_in_template_imports(system: System, district: dict[str, str]) -> None:
    template = openpyxl.load_workbook(io.BytesIO(system.registration.get(
        f"{IMPORTS}/template.xlsx", headers=district).data))
    sheet = template["Danh sách"]
    row = person()
    for index, header in enumerate(c.value for c in sheet[1]):
        sheet.cell(row=2, column=index + 1, value=row.get(str(header).rstrip(" *"), 1))
    buffer = io.BytesIO()
    template.save(buffer)
    reply = upload(system, district, buffer.getvalue())
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["new"] == 1


# --- good files ---------------------------------------------------------------------------------------

def test_a_good_list_is_recorded_whole_with_dates_typed_either_way(
        system: System, commune: dict[str, str]) -> None:
    rows = [person(**{"Ngày sinh": date(1995, 2, 3), "Ngày đăng ký": date(2017, 6, 12)}),
            person(**{"Ngày sinh": "03/02/1996", "Ngày đăng ký": "21/06/2017", "Giới tính": "Nữ",
                      "Số điện thoại": 912345679, "Đã có mô hình": "Không", "Mô tả mô hình": None}),
            person(**{"Ngày sinh": datetime(1990, 12, 31), "Mã xã/thị trấn": "Xuân Hòa", "Giới tính": "nam",
                      "Loại chi đoàn": "khu dân cư", "Đã có mô hình": True})]
    system.publish()
    before = trace(system)
    reply = upload(system, commune, xlsx_file(rows))
    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    assert (body["rows"], body["new"], body["already_registered"]) == (3, 3, 0)
    assert [p["row"] for p in body["participants"]] == [2, 3, 4]
    assert all(p["status"] == "registered" and p["event_id"] for p in body["participants"])
    after = trace(system)
    assert after["registration.events"] == before["registration.events"] + 3
    assert after["registration.outbox"] == before["registration.outbox"] + 3
    assert system.publish() == 3

    shown = [system.registration.get(f"/api/v1/participants/{p['participant_id']}", headers=commune).get_json()
             for p in body["participants"]]
    first, second, third = (s["registration"] for s in shown)
    assert (first["birth_date"], first["registered_on"], first["gender"]) == ("1995-02-03", "2017-06-12", "male")
    assert (second["birth_date"], second["registered_on"], second["gender"]) == ("1996-02-03", "2017-06-21", "female")
    assert second["phone"] == "0912345679" and second["has_existing_model"] is False
    assert second["model_description"] is None
    assert third["birth_date"] == "1990-12-31" and third["has_existing_model"] is True
    assert shown[2]["org_unit"] == "TX-XUANHOA" and third["branch_kind"] == "residential"
    assert shown[0]["full_name"] == rows[0]["Họ và tên"]


def test_re_sending_a_list_records_nothing_new(system: System, commune: dict[str, str]) -> None:
    rows = [person(), person()]
    content = xlsx_file(rows)
    first = upload(system, commune, content)
    assert first.status_code == 201, first.get_json()
    ids = [p["participant_id"] for p in first.get_json()["participants"]]
    with leaves_no_trace(system):
        again = upload(system, commune, content)
        assert again.status_code == 200, again.get_json()
    body = again.get_json()
    assert (body["new"], body["already_registered"]) == (0, 2)
    assert body["message"] == "0 người mới, 2 người đã đăng ký trước đó"
    assert [p["participant_id"] for p in body["participants"]] == ids
    assert {p["status"] for p in body["participants"]} == {"already_registered"}
    # the same people typed differently (spacing, case) are still the same people
    retyped = [dict(r, **{"Họ và tên": "  " + r["Họ và tên"].upper() + " "}) for r in rows]
    with leaves_no_trace(system):
        assert upload(system, commune, csv_file(retyped), "ds.csv").get_json()["already_registered"] == 2
    # a list that grew: only the new person is recorded
    grown = upload(system, commune, xlsx_file([*rows, person()]))
    assert grown.status_code == 201
    assert (grown.get_json()["new"], grown.get_json()["already_registered"]) == (1, 2)
    assert grown.get_json()["message"] == "1 người mới, 2 người đã đăng ký trước đó"


def test_csv_with_or_without_bom_comma_or_semicolon_and_the_unit_of_the_whole_file(
        system: System, district: dict[str, str]) -> None:
    headers = [h for h in HEADERS if h != "Mã xã/thị trấn"]
    for options in ({"bom": True}, {"bom": False}, {"delimiter": ";"}, {"delimiter": "\t", "bom": False}):
        content = csv_file([person(), person()], headers=headers, **options)  # type: ignore[arg-type]
        reply = upload(system, district, content, "ds.csv", org_unit="TX-THOLAP")
        assert reply.status_code == 201, (options, reply.get_json())
        assert reply.get_json()["new"] == 2
        participant = reply.get_json()["participants"][0]["participant_id"]
        shown = system.registration.get(f"/api/v1/participants/{participant}", headers=district).get_json()
        assert shown["org_unit"] == "TX-THOLAP"
    # UTF-16 "Unicode Text" as Excel saves it
    content = csv_file([person()], delimiter="\t", bom=False).decode().encode("utf-16")
    assert upload(system, district, content, "ds.txt").status_code == 201
    # a title line above the header row is skipped; rows keep the numbers the spreadsheet shows
    reply = upload(system, district, xlsx_file([person()], title="DANH SÁCH ĐĂNG KÝ XÃ XUÂN HÒA"))
    assert reply.status_code == 201 and reply.get_json()["participants"][0]["row"] == 3


# --- all or nothing, and the row-level report ------------------------------------------------------------

def test_one_bad_row_and_nothing_is_recorded(system: System, commune: dict[str, str]) -> None:
    rows = [person(), person(), person(**{"Ngày sinh": "31/02/1995"}), person()]
    with leaves_no_trace(system):
        reply = upload(system, commune, xlsx_file(rows))
    listed = problems(reply)
    assert len(listed) == 1
    problem = problem_at(listed, 4, "Ngày sinh")
    assert problem["field"] == "birth_date"
    assert problem["message"].startswith("Ngày không hợp lệ: '31/02/1995'")
    error = reply.get_json()["error"]
    assert error["message"].startswith("Tệp có 1 dòng lỗi; chưa dòng nào được ghi nhận")
    # none of the good rows exists: the corrected file registers all four
    rows[2]["Ngày sinh"] = "28/02/1995"
    fixed = upload(system, commune, xlsx_file(rows))
    assert fixed.status_code == 201 and fixed.get_json()["new"] == 4


def test_every_failing_row_is_listed_with_its_column_and_a_vietnamese_message(
        system: System, commune: dict[str, str]) -> None:
    twin = person()
    rows = [
        person(),                                                             # row 2: fine
        person(**{"Ngày sinh": date(1975, 1, 1)}),                            # 3: too old (rule)
        person(**{"Loại chi đoàn": "Trường học"}),                            # 4: not eligible (rule)
        person(**{"Mã xã/thị trấn": "TX-KHONGCO"}),                           # 5: unknown commune (rule)
        person(**{"Ngày đăng ký": "01/06/2031"}),                             # 6: in the future (rule)
        person(**{"Họ và tên": None, "Giới tính": "Nam giới"}),               # 7: two cells at once
        person(**{"Đã có mô hình": "chưa"}),                                  # 8: not Có/Không
        twin,                                                                 # 9: fine
        dict(twin),                                                           # 10: same person as row 9
        person(**{"Mã xã/thị trấn": "TX-XUANLAI"}),                           # 11: outside the key's scope
        person(**{"Tên mô hình": "x" * 201}),                                 # 12: too long (schema)
        person(),                                                             # 13: formula below
        person(**{"Ngày đăng ký": "2016-12-31"}),                             # 14: before the program
    ]
    content = xlsx_file(rows, formulas={(11, "Tên chi đoàn"): "=B2&\"x\""})
    with leaves_no_trace(system):
        reply = upload(system, commune, content)
    listed = problems(reply)
    assert reply.get_json()["error"]["failing_rows"] == 11
    assert "Tuổi vào ngày đăng ký phải từ 16 đến 35" in problem_at(listed, 3, "Ngày sinh")["message"]
    assert "địa bàn dân cư" in problem_at(listed, 4, "Loại chi đoàn")["message"]
    assert "xã/thị trấn" in problem_at(listed, 5, "Mã xã/thị trấn")["message"]
    assert "tương lai" in problem_at(listed, 6, "Ngày đăng ký")["message"]
    assert problem_at(listed, 7, "Họ và tên")["message"] == "Ô này không được để trống."
    assert problem_at(listed, 7, "Giới tính")["message"] == "Phải là Nam, Nữ hoặc Khác."
    assert problem_at(listed, 8, "Đã có mô hình")["message"] == "Phải là Có hoặc Không."
    assert problem_at(listed, 10, "Họ và tên")["message"].startswith("Trùng với dòng 9")
    assert problem_at(listed, 11, "Mã xã/thị trấn")["code"] == "out_of_scope"
    assert problem_at(listed, 12, "Tên mô hình")["message"] == "Độ dài phải từ 1 đến 200 ký tự."
    assert "công thức" in problem_at(listed, 13, "Tên chi đoàn")["message"]
    assert "trước ngày bắt đầu chương trình 01/01/2017" in problem_at(listed, 14, "Ngày đăng ký")["message"]
    assert not [p for p in listed if p["row"] in (2, 9)]
    assert [p["row"] for p in listed] == sorted(p["row"] for p in listed)

    english = system.registration.post(
        IMPORTS, headers=commune | EN, content_type="multipart/form-data",
        data={"file": (io.BytesIO(content), "ds.xlsx")})
    listed_en = problems(english)
    assert "Age on the registration date must be 16-35" in problem_at(listed_en, 3, "Ngày sinh")["message"]
    assert english.get_json()["error"]["message"].startswith("11 row(s) of the file are invalid")


def test_a_person_already_registered_through_the_api_counts_as_already_registered(
        system: System, commune: dict[str, str]) -> None:
    row = person()
    single = system.registration.post("/api/v1/participants", headers=commune, json={
        "full_name": row["Họ và tên"], "birth_date": "1995-02-03", "gender": "male", "org_unit": "TX-XUANHOA",
        "branch_name": "Chi đoàn thôn Đông", "branch_kind": "residential", "model_name": "Nuôi gà",
        "has_existing_model": True, "registered_on": "2017-06-10"})
    assert single.status_code == 201
    reply = upload(system, commune, xlsx_file([row, person()]))
    assert reply.status_code == 201
    outcomes = reply.get_json()["participants"]
    assert outcomes[0] == {"row": 2, "participant_id": single.get_json()["participant_id"],
                           "status": "already_registered"}
    assert outcomes[1]["status"] == "registered"


# --- bad files ------------------------------------------------------------------------------------------

def zip_bomb() -> bytes:
    """A valid workbook plus one part that expands from a few kB to 40 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_file([person()]))) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for entry in source.infolist():
            bomb.writestr(entry, source.read(entry))
        bomb.writestr("xl/media/image1.png", b"\0" * (40 * 1024 * 1024))
    return buffer.getvalue()


def entity_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_file([person()]))) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                        + data.split(b"?>", 1)[-1])
            bomb.writestr(entry, data)
    return buffer.getvalue()


def not_a_workbook_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "xin chào")
    return buffer.getvalue()


BAD_FILES = [
    ("png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, 415, "not_a_spreadsheet"),
    ("pdf-ish binary", b"%PDF-1.4\n\x00\x01\x02binary", 415, "not_a_spreadsheet"),
    ("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, 415, "unsupported_file"),
    ("zip that is no workbook", not_a_workbook_zip(), 415, "not_a_spreadsheet"),
    ("truncated xlsx", xlsx_file([person()])[:2000], 415, "not_a_spreadsheet"),
    ("zip bomb", zip_bomb(), 413, "file_too_large"),
    ("xml entity bomb", entity_bomb(), 415, "not_a_spreadsheet"),
    ("latin-1 csv", "Họ và tên,Ngày sinh\nLê,01/01/1990\n".encode("cp1258", errors="replace") + b"\xe9\xff",
     415, "not_utf8"),
    ("empty", b"", 422, "empty_file"),
    ("blank lines", b"\n\n  \n", 422, "empty_file"),
    ("wrong headers", csv_file([person()], headers=["Tên", "Tuổi", "Địa chỉ"]), 422, "wrong_headers"),
    ("a column missing", csv_file([person()], headers=[h for h in HEADERS if h != "Ngày sinh"]), 422,
     "wrong_headers"),
    ("header only", csv_file([]), 422, "no_rows"),
    ("5,001 rows", csv_file([person()] * 5_001, headers=["Họ và tên", "Giới tính", "Mã xã/thị trấn"]),
     413, "too_many_rows"),
    ("100,000 rows", ",".join(HEADERS).encode() + b"\n" + b"x\n" * 100_000, 413, "too_many_rows"),
    ("unclosed quote", ",".join(HEADERS).encode() + '\n"Lê Văn,'.encode() + b"x" * 200_000, 422, "bad_csv"),
]


@pytest.mark.parametrize(("content", "status", "code"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_files_get_a_clear_answer_and_leave_no_trace(
        system: System, commune: dict[str, str], content: bytes, status: int, code: str) -> None:
    with leaves_no_trace(system):
        vi = error_of(upload(system, commune, content), status, code, "file")
        en = error_of(system.registration.post(IMPORTS, headers=commune | EN, content_type="multipart/form-data",
                                               data={"file": (io.BytesIO(content), "f")}), status, code, "file")
    assert vi["message"] != en["message"]


def test_wrong_headers_are_named(system: System, commune: dict[str, str]) -> None:
    headers = [h if h != "Ngày sinh" else "Ngay sinh nhat" for h in HEADERS]
    error = error_of(upload(system, commune, xlsx_file([person()], headers=headers)), 422, "wrong_headers")
    assert "thiếu cột: Ngày sinh" in error["message"] and "Ngay sinh nhat" in error["message"]


def test_a_body_over_1_mib_is_413(system: System, commune: dict[str, str]) -> None:
    with leaves_no_trace(system):
        error_of(upload(system, commune, b"a" * (1024 * 1024 + 10)), 413, "payload_too_large")


def test_requests_that_are_not_an_upload(system: System, commune: dict[str, str]) -> None:
    with leaves_no_trace(system):
        error_of(system.registration.post(IMPORTS, headers=commune, json={"file": "x"}), 415,
                 "unsupported_media_type")
        error_of(system.registration.post(IMPORTS, headers=commune, content_type="multipart/form-data",
                                          data={"org_unit": "TX-XUANHOA"}), 422, "validation_failed", "file")
        error_of(upload(system, commune, csv_file([person()]), org_unit="TX-KHONGCO"), 422, "validation_failed",
                 "org_unit")
        error_of(system.registration.post(IMPORTS, headers=commune, data=b"--x\r\nbroken",
                                          content_type="multipart/form-data; boundary=x"), 422,
                 "validation_failed", "file")
        error_of(upload(system, {}, csv_file([person()])), 401, "unauthorized")


def test_only_keys_that_may_register_may_import(system: System, commune: dict[str, str]) -> None:
    content = csv_file([person()])
    with leaves_no_trace(system):
        for kind, scope in (("viewer", "TH"), ("bank", "TH"), ("business", "TX")):
            error_of(upload(system, system.key(kind, scope), content), 403, "forbidden")
        error_of(upload(system, commune, content, org_unit="TX-XUANLAI"), 403, "out_of_scope")
        error_of(upload(system, commune, content, org_unit="TX"), 403, "out_of_scope")


def test_an_idempotency_key_replays_the_first_answer(system: System, commune: dict[str, str]) -> None:
    content = xlsx_file([person()])
    key = {"Idempotency-Key": f"import-{uuid.uuid4()}"}
    first = upload(system, commune | key, content)
    assert first.status_code == 201
    with leaves_no_trace(system):
        again = upload(system, commune | key, content, "renamed.xlsx")
        assert again.status_code == 201 and again.get_json() == first.get_json()
        assert again.headers["Idempotent-Replayed"] == "true"
        error_of(upload(system, commune | key, xlsx_file([person()])), 409, "idempotency_key_reused",
                 "Idempotency-Key")
        error_of(upload(system, commune | {"Idempotency-Key": "có dấu"}, content), 422, "validation_failed",
                 "Idempotency-Key")


def test_the_import_is_in_the_openapi_document(system: System) -> None:
    paths = system.registration.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/v1/imports"] and "get" in paths["/api/v1/imports/template.xlsx"]
