"""Edges of the HTTP answers (issue 31): a chunked body over the limit is 413; 405 carries Allow; 429 and its
Retry-After are in the OpenAPI documents of every keyed endpoint and answered as documented; every response
of every service carries the security headers (pages with their content security policy); CSV cells that
a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
import yaml

from services.reporting.app import create_app
from services.reporting.exports import to_csv, to_xlsx
from shared.config import from_env
from shared.security_headers import HEADERS
from tests.integration.test_access_login import PASSWORD, login
from tests.support.openapi_cases import conformance_problem, operations
from tests.support.system import System, registration_body
from tests.support.write_checks import error_of

MIB = 1024 * 1024
PARTICIPANT = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


def test_a_chunked_body_over_the_limit_is_413_and_one_within_it_is_read(system: System) -> None:
    key = system.key("union", "TX")
    chunked = {"Transfer-Encoding": "chunked", "Content-Type": "application/json"} | key
    # as gunicorn hands over a chunked body: no length, a stream it ends itself
    terminated = {"wsgi.input_terminated": True, "CONTENT_LENGTH": ""}
    too_large = system.support.post(f"/api/v1/participants/{PARTICIPANT}/trainings", headers=chunked,
                                    input_stream=io.BytesIO(b'{"course": "' + b"x" * 10 * MIB + b'"}'),
                                    environ_overrides=terminated)
    error_of(too_large, 413, "payload_too_large")
    within = system.registration.post("/api/v1/participants", headers=chunked, environ_overrides=terminated,
                                      input_stream=io.BytesIO(json.dumps(registration_body()).encode()))
    assert within.status_code == 201, within.get_json()


def test_405_names_the_allowed_methods(system: System) -> None:
    key = system.key("admin", "TH")
    for client, path, allowed in ((system.reporting, "/api/v1/org-units", {"GET", "HEAD", "OPTIONS"}),
                                  (system.registration, "/api/v1/participants", {"GET", "HEAD", "OPTIONS", "POST"}),
                                  (system.support, f"/api/v1/participants/{PARTICIPANT}/trainings",
                                   {"POST", "OPTIONS"}),
                                  (system.support, "/healthz", {"GET", "HEAD", "OPTIONS"})):
        reply = client.open(path, method="DELETE", headers=key)
        error_of(reply, 405, "method_not_allowed")
        assert set(reply.headers["Allow"].replace(" ", "").split(",")) == allowed, reply.headers


def test_429_is_documented_everywhere_it_can_happen_and_answered_as_documented(
        system: System, env: dict[str, str]) -> None:
    for service in ("registration", "support", "reporting"):
        document = getattr(system, service).get("/api/v1/openapi.json").get_json()
        for op in operations(document):
            if op.spec.get("security"):
                assert "Retry-After" in op.spec["responses"]["429"]["headers"], op.name
                assert "401" in op.spec["responses"], op.name
    app = create_app(from_env("reporting", env | {"TIENPHONG_RATE_LIMIT_PER_MINUTE": "6"}))  # a burst of 1
    client, key = app.test_client(), system.key("viewer", "TH")
    document = client.get("/api/v1/openapi.json").get_json()
    summary = next(op for op in operations(document) if op.path == "/api/v1/summary/{org_code}")
    replies = [client.get("/api/v1/summary/TX?as_of=2018-12-31", headers=key) for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 429, 429]
    for reply in replies:
        assert conformance_problem(summary, document, reply.status_code, reply.content_type or "",
                                   dict(reply.headers), reply.get_data()) is None
    assert int(replies[1].headers["Retry-After"]) >= 1


def secured(reply_headers: dict[str, str], what: str) -> None:
    for name, value in HEADERS.items():
        if name == "Content-Security-Policy":
            assert "frame-ancestors 'none'" in reply_headers.get(name, ""), (what, reply_headers)
        else:
            assert reply_headers.get(name) == value, (what, name, reply_headers)


def test_every_response_carries_the_security_headers(system: System) -> None:
    viewer = system.key("viewer", "TH")
    for service in ("registration", "support", "reporting"):
        client = getattr(system, service)
        for method, path, headers in (("GET", "/healthz", {}), ("GET", "/readyz", {}), ("GET", "/metrics", {}),
                                      ("GET", "/api/v1/openapi.json", {}), ("GET", "/api/v1/nowhere", viewer),
                                      ("GET", "/nowhere", {}), ("DELETE", "/healthz", {}),
                                      ("GET", f"/api/v1/participants/{PARTICIPANT}", viewer),
                                      ("POST", f"/api/v1/participants/{PARTICIPANT}/trainings", {}),
                                      ("GET", "/api/v1/org-units", viewer)):
            reply = client.open(path, method=method, headers=headers)
            secured(dict(reply.headers), f"{service} {method} {path} {reply.status_code}")
    system.access.create_user("lan", PASSWORD, "TX", "viewer")
    client = system.reporting
    for path in ("/login", "/dashboard/", "/dashboard/static/common.js", "/dashboard/static/dashboard.css",
                 "/dashboard/static/vendor/chart.umd.js", "/dashboard/static/favicon.svg", "/dashboard/TX"):
        secured(dict(client.get(path).headers), f"signed out {path}")
    assert login(client, "lan").status_code == 303
    for path, status in (("/dashboard/TX", 200), ("/dashboard/TX-XUANHOA", 200), ("/dashboard/NOWHERE", 404),
                         ("/dashboard/TH", 403), (f"/dashboard/participant/{PARTICIPANT}", 404)):
        page = client.get(path)
        assert page.status_code == status and page.mimetype == "text/html", (path, page.status_code)
        secured(dict(page.headers), f"signed in {path}")
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, policy
    login_page = client.get("/login")
    assert "default-src 'none'" in login_page.headers["Content-Security-Policy"]


# --- CSV ------------------------------------------------------------------------------------------

DANGEROUS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "\n=1",
             "\uff1d1+1", "=cmd|'/c calc'!A1", "Xã bình thường", "", "1-2"]


def spreadsheet_of_csv(content: bytes) -> openpyxl.Workbook:
    """The CSV opened as a spreadsheet program opens it: every cell's text typed in, so text starting with
    '=' becomes a formula (openpyxl marks it data type 'f')."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))):
        sheet.append([cell.lstrip("\t\r\n").replace("\uff1d", "=") if cell[:1] != "'" else cell for cell in row])
    return workbook


def formulas(workbook: openpyxl.Workbook) -> list[str]:
    return [str(cell.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
            if cell.data_type == "f"]


def test_the_csv_and_xlsx_writers_neutralise_formulas() -> None:
    rows: list[list[object]] = [["Đơn vị", "Số"], *[[name, -5] for name in DANGEROUS]]
    read_back = list(csv.reader(io.StringIO(to_csv(rows).decode("utf-8-sig"))))
    assert [r[0] for r in read_back[1:]] == ["'" + n if n and n[0] in "=+-@\t\r\n\uff1d" else n for n in DANGEROUS]
    assert all(r[1] == "-5" for r in read_back[1:])  # numbers stay numbers, negative ones too
    assert formulas(spreadsheet_of_csv(to_csv(rows))) == []
    assert formulas(openpyxl.load_workbook(io.BytesIO(to_xlsx(rows, "x")))) == []
    # the check itself sees a formula where one is written unguarded
    assert formulas(spreadsheet_of_csv(b"=1+1,x\r\n")) == ["=1+1"]


@pytest.fixture
def hostile_units(env: dict[str, str], tmp_path: Path) -> System:
    names = [n for n in DANGEROUS if n.strip()]
    tree = [{"code": "TH", "name": "=1+2", "level": "province", "children": [
        {"code": f"C{i}", "name": name, "level": "commune"} for i, name in enumerate(names)]}]
    path = tmp_path / "org_units.yaml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    return System(env | {"TIENPHONG_ORG_UNITS_FILE": str(path)})


def test_exported_csv_files_run_no_formula(hostile_units: System) -> None:
    viewer = hostile_units.key("viewer", "TH")
    try:
        for path in ("/api/v1/summary/TH.csv?as_of=2018-12-31", "/api/v1/reports/TH.csv?period=2018",
                     "/api/v1/summary/TH.xlsx?as_of=2018-12-31", "/api/v1/reports/TH.xlsx?period=2018"):
            reply = hostile_units.reporting.get(path, headers=viewer)
            assert reply.status_code == 200, (path, reply.get_data()[:300])
            content = reply.get_data()
            workbook = (spreadsheet_of_csv(content) if path.split("?")[0].endswith(".csv")
                        else openpyxl.load_workbook(io.BytesIO(content)))
            assert formulas(workbook) == [], path
            cells = [str(c.value) for s in workbook.worksheets for r in s.iter_rows() for c in r]
            assert "'@SUM(A1:A2)" in cells and "Xã bình thường" in cells, cells
    finally:
        hostile_units.close()


def test_a_doubled_slash_is_no_route_in_the_error_shape_not_an_html_redirect(system: System) -> None:
    # found by tests/integration/test_openapi_properties.py: an org code of "/metrics" made a 308 HTML page
    viewer = system.key("viewer", "TH")
    # (a path starting "//" is a host to Flask's test client, not a path; tests/e2e sends those over HTTP)
    for path in ("/api/v1/summary//metrics/events?metric=funded", "/api/v1//org-units", "/healthz//"):
        reply = system.reporting.get(path, headers=viewer)
        error_of(reply, 404, "not_found")
