"""Following the plan over real Kafka: targets set and changed with history, alerts against a hand-built history,
figure definitions; báo cáo documents (DOCX read with python-docx, PDF with pypdf) and exports with title rows
compared with the JSON report."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from docx import Document as DocxDocument
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.support.system import System, registration_body, settings


class History:
    """Posts a hand-built history through the write APIs."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.union, self.bank = system.key("union", "TX"), system.key("bank", "TH")

    def person(self, name: str, unit: str, phone: str, selected_on: str | None = "2017-06-30") -> str:
        s = self.system
        reply = s.registration.post("/api/v1/participants", headers=self.union, json=registration_body(
            full_name=name, org_unit=unit, phone=phone, registered_on="2017-06-10"))
        assert reply.status_code == 201, reply.json
        pid = str(reply.json["participant_id"])
        if selected_on:
            self.post("registration", pid, "decisions", decision="selected", sector="livestock", decided_on=selected_on)
        return pid

    def post(self, service: str, pid: str, what: str, **body: Any) -> None:
        client = self.system.registration if service == "registration" else self.system.support
        key = self.bank if what == "fundings" else self.union
        reply = client.post(f"/api/v1/participants/{pid}/{what}", headers=key, json=body)
        assert reply.status_code == 201, (what, reply.json)

    def train(self, pid: str, day: str) -> None:
        self.post("support", pid, "trainings", trained_on=day, course="Khởi nghiệp", kind="course")

    def fund(self, pid: str, day: str, amount: int) -> None:
        self.post("support", pid, "fundings", disbursed_on=day, source="vbsp", amount_vnd=amount)

    def evaluate(self, pid: str, day: str, status: str) -> None:
        self.post("registration", pid, "evaluations", evaluated_on=day, status=status, jobs_created=2)


def build(system: System) -> dict[str, str]:
    h = History(system)
    people = {"done": h.person("Lê Văn An", "TX-XUANHOA", "0912000001"),
              "idle": h.person("Trịnh Thị Bình", "TX-THOLAP", "0912000002"),
              "stale": h.person("Hoàng Văn Cường", "TX-XUANHOA", "0912000003"),
              "recent": h.person("Mai Thu Trang", "TX-THOLAP", "0912000004", selected_on="2018-05-02")}
    system.sync()  # support knows them
    h.train(people["done"], "2017-07-15")
    h.fund(people["done"], "2017-08-01", 30_000_000)
    h.evaluate(people["done"], "2018-05-01", "successful")
    h.train(people["stale"], "2017-07-10")
    h.fund(people["stale"], "2017-09-01", 50_000_000)
    h.evaluate(people["stale"], "2017-10-01", "on_track")
    h.fund(people["recent"], "2018-06-01", 20_000_000)
    system.sync()
    return people


def test_targets_alerts_documents_and_exports(tmp_path: Path, bootstrap: str, database_template: str | None) -> None:
    """One history, set up once: targets and alerts on it first, then documents and exports (after one more
    participant, funded in this half year and in the same half of the year before), then both across a change
    of the hierarchy."""
    system = System(settings(tmp_path, bootstrap, database_template, TIENPHONG_HIERARCHY_REFRESH_SECONDS="0"))
    try:
        people = build(system)
        check_targets_and_alerts(system, people)
        more = check_documents_and_exports(system)
        check_after_a_merge(system, more)
    finally:
        system.close()


def check_after_a_merge(system: System, more: str) -> None:
    """Xuân Lai merged into a new commune from July 2018: its participant's alert and its report are the new
    commune's."""
    admin, viewer = system.key("admin", "TH"), system.key("viewer", "TX")
    reply = system.registration.post("/api/v1/org-units/changes", headers=admin, json={
        "effective_on": "2018-07-01", "decision": "Nghị quyết 1/NQ", "changes": [
            {"kind": "create", "code": "TX-XUANMOI", "name": "Xuân Mới", "level": "commune", "parent": "TX"},
            {"kind": "merge", "from": ["TX-XUANLAI"], "into": "TX-XUANMOI"}]})
    assert reply.status_code == 201, reply.json
    system.sync()
    alerts = system.reporting.get("/api/v1/alerts/TX-XUANMOI?as_of=2018-09-30", headers=viewer).json
    assert [a["participant"]["id"] for a in alerts["alerts"] if a["kind"] == "selected_idle"] == [more]
    document = system.reporting.get("/api/v1/reports/TX-XUANMOI.docx?period=2018-H2", headers=viewer)
    assert document.status_code == 200
    text, tables = _docx_text(document.data)
    assert "BCH ĐOÀN XÃ XUÂN MỚI" in tables[0][0][0] and "Lũy kế: Được vay vốn: 1 người" in text
    target = {"successful_models": 1, "effective_on": "2018-07-01", "due_on": "2018-12-31"}
    assert system.reporting.post("/api/v1/targets/TX-XUANMOI", headers=admin, json=target).status_code == 201
    early = system.reporting.post("/api/v1/targets/TX-XUANMOI", headers=admin, json=target | {
        "effective_on": "2018-01-01"})
    assert early.status_code == 404  # not a unit yet then
    listed = system.reporting.get("/api/v1/targets/TX?as_of=2018-09-30", headers=viewer).json
    assert next(u for u in listed["units"] if u["org_unit"]["code"] == "TX-XUANMOI")["successful_models"] == 1


def check_targets_and_alerts(system: System, people: dict[str, str]) -> None:
    viewer, admin = system.key("viewer", "TX"), system.key("admin", "TH")
    get = system.reporting.get

    # definitions say which figures are cumulative and which within the period
    definitions = get("/api/v1/definitions", headers=viewer).json
    assert {d["key"]: d["scope"] for d in definitions["cumulative"]}["selected"] == "cumulative"
    assert {d["key"]: d["scope"] for d in definitions["in_period"]}["selections"] == "in_period"
    assert all(d["definition"]["vi"] and d["definition"]["en"] for d in definitions["in_period"])

    # targets: the default of 10 per district; a commune has none until an admin sets one
    summary = get("/api/v1/summary/TX?as_of=2018-06-30", headers=viewer).json
    assert summary["target"]["successful_models"] == 10 and summary["target"]["achieved"] == 1
    assert summary["target"]["status"] == "not_reached" and summary["target"]["missing"] == 9
    assert summary["target"]["expected_by_as_of"] == 10 * 545 // 729  # 2017-01-01 .. 2018-12-31
    assert summary["target"]["status_text"]["vi"] == "chưa đạt"
    xuanhoa = next(c for c in summary["children"] if c["org_unit"]["code"] == "TX-XUANHOA")
    assert xuanhoa["target"]["status"] == "no_target"

    target = {"successful_models": 2, "effective_on": "2017-06-01", "start_on": "2017-06-01", "due_on": "2018-06-30"}
    refused = system.reporting.post("/api/v1/targets/TX-XUANHOA", headers=viewer, json=target)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    for bad in ({**target, "successful_models": -1}, {**target, "due_on": "2017-01-01"}, {**target, "x": 1},
                {**target, "successful_models": "2"}):
        reply = system.reporting.post("/api/v1/targets/TX-XUANHOA", headers=admin, json=bad)
        assert reply.status_code == 422 and reply.json["error"]["fields"], (bad, reply.json)
    assert system.reporting.post("/api/v1/targets/NOPE", headers=admin, json=target).status_code == 404
    assert system.reporting.post("/api/v1/targets/TX-XUANHOA", headers=admin, data="{").status_code in (400, 415)
    first = system.reporting.post("/api/v1/targets/TX-XUANHOA", headers=admin, json=target)
    assert first.status_code == 201, first.json
    first_half = get("/api/v1/reports/TX?period=2018-H1", headers=viewer).json
    set_then = first.json["set_at"]
    # changed from July on: the first half's report keeps the old target, the second half's has the new one
    changed = system.reporting.post("/api/v1/targets/TX-XUANHOA", headers=admin, json={
        "successful_models": 5, "effective_on": "2018-07-01", "start_on": "2018-07-01", "due_on": "2018-12-31"})
    assert changed.status_code == 201
    resent = system.reporting.post("/api/v1/targets/TX-XUANHOA", headers=admin | {"Idempotency-Key": "t-1"}, json={
        "successful_models": 5, "effective_on": "2018-07-01", "start_on": "2018-07-01", "due_on": "2018-12-31"})
    assert resent.status_code == 200 and resent.json == changed.json  # a retried request adds no history row
    again = get("/api/v1/reports/TX?period=2018-H1", headers=viewer).json
    assert again == first_half
    child = next(c for c in again["children"] if c["org_unit"]["code"] == "TX-XUANHOA")
    assert child["target"]["successful_models"] == 2 and child["target"]["status"] == "not_reached"
    assert child["target"]["missing"] == 1 and child["target"]["source"] == "set"
    later = get("/api/v1/reports/TX?period=2018-H2", headers=viewer).json
    child = next(c for c in later["children"] if c["org_unit"]["code"] == "TX-XUANHOA")
    assert child["target"]["successful_models"] == 5 and child["target"]["missing"] == 4
    # as known before any target was set: none
    before = get("/api/v1/reports/TX?period=2018-H1&known_at=2018-01-01T00:00:00Z", headers=viewer).json
    child = next(c for c in before["children"] if c["org_unit"]["code"] == "TX-XUANHOA")
    assert child["target"]["status"] == "no_target"
    known = get(f"/api/v1/reports/TX?period=2018-H2&known_at={set_then.replace('+00:00', 'Z')}", headers=viewer).json
    assert next(c for c in known["children"] if c["org_unit"]["code"] == "TX-XUANHOA")["target"][
        "successful_models"] == 2
    listed = get("/api/v1/targets/TX?as_of=2018-09-30", headers=viewer).json
    xuanhoa = next(u for u in listed["units"] if u["org_unit"]["code"] == "TX-XUANHOA")
    assert xuanhoa["successful_models"] == 5 and [r["successful_models"] for r in xuanhoa["history"]] == [2, 5]

    # alerts against the hand-built history
    reply = get("/api/v1/alerts/TX?as_of=2018-06-30", headers=viewer)
    assert reply.status_code == 200, reply.json
    body = reply.json
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for alert in body["alerts"]:
        by_kind.setdefault(alert["kind"], []).append(alert)
    assert sorted(a["org_unit"]["code"] for a in by_kind["behind_target"]) == ["TX", "TX-XUANHOA"]
    assert "chậm" in by_kind["behind_target"][0]["reason"]["vi"]
    idle = by_kind["selected_idle"]
    assert [a["participant"]["id"] for a in idle] == [people["idle"]]
    assert idle[0]["missing"] == ["training", "funding"] and "Trịnh Thị Bình" in idle[0]["reason"]["vi"]
    assert idle[0]["links"]["timeline"] == f"/api/v1/participants/{people['idle']}/timeline"
    stale = by_kind["funded_unevaluated"]
    assert [a["participant"]["id"] for a in stale] == [people["stale"]]
    assert stale[0]["last_evaluated_on"] == "2017-10-01"
    assert body["counts"] == {"behind_target": 2, "selected_idle": 1, "funded_unevaluated": 1}
    # later, the recent one is idle too (not trained), and the one evaluated in May is still fine
    later_alerts = get("/api/v1/alerts/TX?as_of=2018-09-30", headers=viewer).json
    idle_later = {a["participant"]["id"] for a in later_alerts["alerts"] if a["kind"] == "selected_idle"}
    assert idle_later == {people["idle"], people["recent"]}
    units_only = get("/api/v1/alerts/TX?as_of=2018-06-30&kind=behind_target", headers=viewer).json
    assert units_only["counts"] == {"behind_target": 2, "selected_idle": 0, "funded_unevaluated": 0}
    assert get("/api/v1/alerts/TX?kind=late", headers=viewer).status_code == 422
    assert get("/api/v1/alerts/TS", headers=viewer).status_code == 403
    assert get("/api/v1/alerts/TX?as_of=2018-13-01", headers=viewer).status_code == 422


def _docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    document = DocxDocument(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    return text, tables


def check_documents_and_exports(system: System) -> str:
    h = History(system)
    more = h.person("Đỗ Thị Hằng", "TX-XUANLAI", "0912000005", selected_on="2018-02-01")
    system.sync()
    h.fund(more, "2018-03-01", 1_234_567)
    h.fund(more, "2017-06-20", 7_000_000)  # the same half of the year before
    system.sync()
    viewer = system.key("viewer", "TX", agency="huyen-doan-tho-xuan")
    get = system.reporting.get
    report = get("/api/v1/reports/TX?period=2018-H1", headers=viewer).json
    assert report["same_period_last_year"]["period"]["code"] == "2017-H1"
    assert report["same_period_last_year"]["in_period"]["funding_vnd"] == 7_000_000
    p = report["in_period"]
    assert p["funding_vnd"] == 20_000_000 + 1_234_567 and p["fundings"] == 2

    reply = get("/api/v1/reports/TX.docx?period=2018-H1&dated=2018-07-05", headers=viewer)
    assert reply.status_code == 200, reply.data[:300]
    assert reply.headers["Content-Disposition"] == 'attachment; filename="bao-cao-TX-2018-H1.docx"'
    text, tables = _docx_text(reply.data)
    head = tables[0]
    assert "ĐOÀN TNCS HỒ CHÍ MINH" in head[0][1] and "Thọ Xuân, ngày 05 tháng 7 năm 2018" in head[0][1]
    assert "BCH HUYỆN ĐOÀN THỌ XUÂN" in head[0][0] and "Số: …-BC/HĐTX" in head[0][0]
    assert "BÁO CÁO" in text and "6 tháng đầu năm 2018" in text
    assert (f"Trong 6 tháng đầu năm 2018, toàn huyện có {p['selections']} Bí thư Chi đoàn được lựa chọn" in text)
    assert f"{p['fundings']} lượt giải ngân vốn vay với tổng số 21.234.567 đồng" in text
    # funding sources by their Vietnamese names, never their codes ("vbsp: …")
    assert "Theo nguồn vốn (trong kỳ): " in text and all(f"{s}:" not in text for s in p["funding_by_source"]), text
    children = next(t for t in tables if t[0][0] == "Đơn vị")
    by_name = {row[0]: row for row in children[1:]}
    for child in report["children"]:
        row = by_name[child["org_unit"]["name"]]
        assert row[4] == f"{child['in_period']['funding_vnd']:,}".replace(",", "."), row
        assert row[6] == str(child["cumulative"]["successful"])
    assert by_name["Tổng cộng"][3] == str(p["fundings"]) and by_name["Tổng cộng"][8] == "chưa đạt"
    compared = next(t for t in tables if t[0][0] == "Chỉ số")
    funding = next(r for r in compared if r[0] == "Vốn giải ngân")
    assert funding[1:] == ["21.234.567", f"{report['previous']['in_period']['funding_vnd']:,}".replace(",", "."),
                           "7.000.000"]
    signature = tables[-1]
    assert "Nơi nhận:" in signature[0][0] and "TM. BAN THƯỜNG VỤ" in signature[0][1]
    assert "Lê Trọng Quý" in signature[0][1]  # shared/data/report_headers.yaml

    pdf = get("/api/v1/reports/TX.pdf?period=2018-H1&dated=2018-07-05", headers=viewer)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    fonts = {str(font["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].get_object().values()}
    assert all("DejaVuSerif" in f for f in fonts), fonts  # embedded, not a base-14 font without Vietnamese
    pdf_text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for phrase in ("ĐOÀN TNCS HỒ CHÍ MINH", "Thọ Xuân, ngày 05 tháng 7 năm 2018", "BÁO CÁO",
                   "tổng số 21.234.567 đồng", "TM. BAN THƯỜNG VỤ", "Xuân Lai", "Nơi nhận"):
        assert phrase in pdf_text, phrase
    # a month and a year, at a commune and at the province
    for path in ("TX-XUANLAI.pdf?period=2018-03", "TX-XUANLAI.docx?period=2018"):
        assert get(f"/api/v1/reports/{path}", headers=viewer).status_code == 200, path
    commune, _ = _docx_text(get("/api/v1/reports/TX-XUANLAI.docx?period=2018-03", headers=viewer).data)
    assert "toàn xã có 0 Bí thư Chi đoàn" in commune and "tổng số 1.234.567 đồng" in commune
    then, _ = _docx_text(get("/api/v1/reports/TX.docx?period=2018-H1&known_at=2018-01-01T00:00:00Z",
                             headers=viewer).data)
    assert "Số liệu theo dữ liệu đã ghi nhận đến thời điểm 2018-01-01" in then and "tổng số 0 đồng" in then
    assert get("/api/v1/reports/TH.docx?period=2018", headers=viewer).status_code == 403
    assert get("/api/v1/reports/TX.pdf?period=2018-H3", headers=viewer).status_code == 422

    # exports stand alone: title rows, comparisons, definitions
    rows = list(csv.reader(io.StringIO(get("/api/v1/reports/TX.csv?period=2018-H1", headers=viewer)
                                       .data.decode("utf-8-sig"))))
    titled = {r[0]: r[1] for r in rows[1:rows.index([])]}  # the title rows, up to the first empty one
    assert rows[0][0].startswith("BÁO CÁO") and titled["Đơn vị"] == "Thọ Xuân (TX)"
    assert titled["Kỳ báo cáo"].startswith("6 tháng đầu năm 2018") and titled["Số liệu đến ngày"] == "2018-06-30"
    assert titled["Người lập"] == "huyen-doan-tho-xuan" and titled["Lập lúc"].endswith("(UTC+7)")
    compared_row = next(r for r in rows if r and r[0] == "Vốn giải ngân (đồng)" and len(r) == 4)
    assert compared_row[1:] == [str(p["funding_vnd"]), str(report["previous"]["in_period"]["funding_vnd"]), "7000000"]
    assert any(r and r[0] == "Định nghĩa các chỉ số" for r in rows)
    assert any(len(r) == 3 and r[0] == "Đăng ký mới" and "trong kỳ" in r[2] for r in rows)
    sheet = load_workbook(io.BytesIO(get("/api/v1/summary/TX.xlsx?as_of=2018-06-30", headers=viewer).data)).active
    assert sheet is not None
    values = [list(r) for r in sheet.values]
    assert values[0][0].startswith("TỔNG HỢP") and sheet.cell(1, 1).font.b
    total = next(r for r in values if r[0] == "Tổng cộng")
    assert total[-3:] == [10, 1, "chưa đạt"]
    assert any(r[0] == "Mô hình thành công" and "lũy kế" in str(r[1]) for r in values)
    compared_funded = next(r for r in values if r[0] == "Được vay vốn" and isinstance(r[1], int))
    assert compared_funded[:3] == ["Được vay vốn", 4, 1]  # as of 2018-06-30, and a year earlier
    return more
