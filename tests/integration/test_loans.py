"""Loans followed to repayment, through the real services, broker and database: a hand-computed portfolio
(loans from three sources in two districts, repayments one of them retracted, a write-off, a grant that is
no loan) compared to GET /api/v1/loans at several dates, PAR30 on either side of a classification, the
loans' events projected in reverse order, every refusal rule over HTTP, and who sees a person's loan."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import docx
import openpyxl
import pytest

from services.reporting.loans_read import loans_in
from services.reporting.projector import Projection
from services.reporting.store import read_model
from services.support.store import event_store
from shared.events import encode
from shared.events.rawcheck import read_event
from shared.messaging.consumer import Delivery
from shared.orgunits import load
from tests.support.system import System
from tests.support.write_checks import EN, engine, leaves_no_trace, refused, selected, shared_system

M = 1_000_000
P = "/api/v1/participants"


@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    # the reads learn of an org-unit change at once (the merger at the end)
    with shared_system(bootstrap, tmp_path_factory.mktemp("loans"), TIENPHONG_HIERARCHY_REFRESH_SECONDS="0") as running:
        yield running


@pytest.fixture(scope="module")
def keys(system: System) -> dict[str, dict[str, str]]:
    return {"union_tx": system.key("union", "TX", agency="huyen-doan-tho-xuan"),
            "union_ts": system.key("union", "TS", agency="huyen-doan-trieu-son"),
            "vbsp": system.key("bank", "TH", agency="vbsp-thanh-hoa"),
            "vbsp_ts": system.key("bank", "TS", agency="vbsp-thanh-hoa"),
            "agribank": system.key("bank", "TH", agency="agribank"),
            "business": system.key("business", "TH", agency="hiep-hoi-dn"),
            "viewer": system.key("viewer", "TH", agency="tinh-doan")}


def post(system: System, headers: dict[str, str], path: str, body: dict[str, Any], status: int = 201,
         **extra: str) -> str:
    reply = system.support.post(path, headers=headers | extra, json=body)
    assert reply.status_code == status, reply.get_json()
    return str(reply.get_json()["event_id"])


def fund(system: System, headers: dict[str, str], participant_id: str, day: str, source: str, amount: int,
         term: int | None = None) -> str:
    body: dict[str, Any] = {"disbursed_on": day, "source": source, "amount_vnd": amount}
    if term is not None:
        body["term_months"] = term
    return post(system, headers, f"{P}/{participant_id}/fundings", body)


def repay(system: System, headers: dict[str, str], loan: str, day: str, principal: int, interest: int = 0) -> str:
    return post(system, headers, f"/api/v1/loans/{loan}/repayments",
                {"paid_on": day, "principal_vnd": principal, "interest_vnd": interest})


def classify(system: System, headers: dict[str, str], loan: str, day: str, days: int, status: str | None = None
             ) -> str:
    body: dict[str, Any] = {"classified_on": day, "days_past_due": days}
    if status:
        body["status"] = status
    return post(system, headers, f"/api/v1/loans/{loan}/classifications", body)


@pytest.fixture(scope="module")
def book(system: System, keys: dict[str, dict[str, str]]) -> dict[str, str]:
    """The portfolio the expectations below are computed from by hand."""
    p1 = selected(system, keys["union_tx"], org_unit="TX-XUANHOA")
    p2 = selected(system, keys["union_tx"], org_unit="TX-XUANLAI")
    p3 = selected(system, keys["union_ts"], org_unit="TS-TTTRIEUSON")
    b = {"p1": p1, "p2": p2, "p3": p3}
    b["l1"] = fund(system, keys["vbsp"], p1, "2017-09-01", "vbsp", 100 * M, 36)
    b["l4"] = fund(system, keys["vbsp"], p1, "2018-01-10", "vbsp", 50 * M)  # no term, a lending source: a loan
    b["l2"] = fund(system, keys["agribank"], p2, "2017-10-01", "commercial_bank", 200 * M, 24)
    b["grant"] = fund(system, keys["vbsp"], p2, "2017-10-05", "enterprise", 30 * M)  # no term: a grant
    b["l3"] = fund(system, keys["union_ts"], p3, "2017-11-01", "youth_union_120", 40 * M, 24)
    b["r1"] = repay(system, keys["vbsp"], b["l1"], "2017-12-01", 10 * M, 1 * M)
    b["r2"] = repay(system, keys["vbsp"], b["l1"], "2018-03-01", 20 * M, 1_500_000)
    b["r3"] = repay(system, keys["vbsp"], b["l1"], "2018-06-01", 5 * M)
    b["c1"] = classify(system, keys["vbsp"], b["l1"], "2018-02-01", 45)
    b["c2"] = classify(system, keys["vbsp"], b["l1"], "2018-07-01", 0, "current")
    b["c3"] = classify(system, keys["agribank"], b["l2"], "2018-04-01", 100, "overdue")
    b["r4"] = repay(system, keys["agribank"], b["l2"], "2018-05-01", 50 * M, 4 * M)
    b["c4"] = classify(system, keys["union_ts"], b["l3"], "2018-01-15", 10)
    b["c5"] = classify(system, keys["vbsp"], b["l4"], "2018-09-01", 200, "written_off")
    system.sync()
    b["before_retraction"] = datetime.now(UTC).isoformat()  # R2 recorded, its retraction not yet
    time.sleep(0.01)
    post(system, keys["vbsp"], f"/api/v1/events/{b['r2']}/retraction", {"reason": "Nhập trùng"})
    system.sync()
    return b


def figures(loans: int, active: int, disbursed: int, outstanding: int, repaid: tuple[int, int], written_off: int,
            buckets: tuple[tuple[int, int], tuple[int, int], tuple[int, int]], par30: float | None
            ) -> dict[str, Any]:
    at_risk = buckets[1][1] + buckets[2][1]
    return {"loans": loans, "active_loans": active, "disbursed_vnd": disbursed, "outstanding_vnd": outstanding,
            "repaid_principal_vnd": repaid[0], "repaid_interest_vnd": repaid[1], "written_off_vnd": written_off,
            "at_risk_30_vnd": at_risk, "par30": par30,
            "overdue": {name: {"loans": n, "outstanding_vnd": v}
                        for name, (n, v) in zip(("1_30", "31_90", "over_90"), buckets, strict=True)}}


NONE = ((0, 0), (0, 0), (0, 0))
# TH as of each date, by hand: L1 vbsp 100 (R1 10+1, R2 retracted, R3 5; 45 dpd from 1/2/2018, current from
# 1/7), L4 vbsp 50 (written off 1/9/2018), L2 bank 200 (100 dpd from 1/4/2018; R4 50+4 on 1/5), L3 120-fund 40
# (10 dpd from 15/1/2018); the grant counts nowhere.
EXPECTED = {
    "2017-08-31": figures(0, 0, 0, 0, (0, 0), 0, NONE, None),
    "2018-01-31": figures(4, 4, 390 * M, 380 * M, (10 * M, 1 * M), 0, ((1, 40 * M), (0, 0), (0, 0)), 0.0),
    "2018-03-31": figures(4, 4, 390 * M, 380 * M, (10 * M, 1 * M), 0, ((1, 40 * M), (1, 90 * M), (0, 0)), 0.2368),
    "2018-04-01": figures(4, 4, 390 * M, 380 * M, (10 * M, 1 * M), 0, ((1, 40 * M), (1, 90 * M), (1, 200 * M)),
                          0.7632),
    "2018-07-31": figures(4, 4, 390 * M, 325 * M, (65 * M, 5 * M), 0, ((1, 40 * M), (0, 0), (1, 150 * M)), 0.4615),
    "2018-09-30": figures(4, 3, 390 * M, 275 * M, (65 * M, 5 * M), 50 * M, ((1, 40 * M), (0, 0), (1, 150 * M)),
                          0.5455),
}


def portfolio(system: System, headers: dict[str, str], code: str, as_of: str, **params: str) -> dict[str, Any]:
    reply = system.reporting.get(f"/api/v1/loans/{code}", headers=headers,
                                 query_string={"as_of": as_of, **params})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()  # type: ignore[no-any-return]


def test_the_portfolio_is_the_hand_computed_one_at_every_date(
        system: System, keys: dict[str, dict[str, str]], book: dict[str, str]) -> None:
    for as_of, expected in EXPECTED.items():
        body = portfolio(system, keys["viewer"], "TH", as_of)
        assert body["totals"] == expected, as_of
        assert body["details"] == "none" and "follow_up" not in body and "loans" not in body
    body = portfolio(system, keys["viewer"], "TH", "2018-09-30")
    children = {c["org_unit"]["code"]: c["totals"] for c in body["children"]}
    assert children["TX"]["outstanding_vnd"] == 235 * M and children["TX"]["written_off_vnd"] == 50 * M
    assert children["TS"]["outstanding_vnd"] == 40 * M and children["TS"]["par30"] == 0.0
    assert children["YD"]["loans"] == 0 and children["YD"]["par30"] is None
    by_source = body["by_source"]
    assert set(by_source) == {"vbsp", "commercial_bank", "youth_union_120"}  # the grant is no loan
    assert (by_source["vbsp"]["outstanding_vnd"], by_source["vbsp"]["written_off_vnd"]) == (85 * M, 50 * M)
    assert by_source["commercial_bank"]["par30"] == 1.0 and by_source["youth_union_120"]["par30"] == 0.0
    tx = portfolio(system, keys["union_tx"], "TX", "2018-09-30")
    communes = {c["org_unit"]["code"]: c["totals"] for c in tx["children"]}
    assert communes["TX-XUANHOA"]["outstanding_vnd"] == 85 * M and communes["TX-XUANLAI"]["outstanding_vnd"] == 150 * M
    assert tx["totals"]["loans"] == 3
    # the period report's loans line: the first half of 2018
    report = system.reporting.get("/api/v1/reports/TH", headers=keys["viewer"], query_string={"period": "2018-H1"})
    loans = report.get_json()["loans"]
    assert loans["in_period"] == {"loans": 1, "disbursed_vnd": 50 * M, "repaid_principal_vnd": 55 * M,
                                  "repaid_interest_vnd": 4 * M, "written_off_vnd": 0}
    assert (loans["at_end"]["outstanding_vnd"], loans["at_end"]["par30"]) == (325 * M, 0.7231)
    document = docx.Document(io.BytesIO(system.reporting.get(
        "/api/v1/reports/TH.docx", headers=keys["viewer"], query_string={"period": "2018-H1"}).data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert ("trong kỳ thu nợ gốc 55.000.000 đồng, lãi 4.000.000 đồng. Đến ngày 30/06/2018 dư nợ gốc 325.000.000 đồng"
            " (4 khoản vay), nợ quá hạn trên 30 ngày chiếm 72,3 % dư nợ (PAR30).") in text, text


def test_a_past_portfolio_and_report_read_as_known_then(
        system: System, keys: dict[str, dict[str, str]], book: dict[str, str]) -> None:
    """Before R2 (20 M principal, 1.5 M interest on 1/3/2018) was retracted, the system counted it: read as
    known at that moment, the portfolio and the report's loans line count it still; read now, they do not."""
    then = {"known_at": book["before_retraction"]}
    body = portfolio(system, keys["viewer"], "TH", "2018-07-31", **then)
    assert body["known_at"] and body["totals"]["outstanding_vnd"] == 305 * M
    assert (body["totals"]["repaid_principal_vnd"], body["totals"]["repaid_interest_vnd"]) == (85 * M, 6_500_000)
    assert body["totals"]["par30"] == 0.4918  # 150 of 305 more than 30 days past due
    assert portfolio(system, keys["viewer"], "TH", "2018-07-31")["totals"] == EXPECTED["2018-07-31"]
    # before anything was recorded, there were no loans at all
    assert portfolio(system, keys["viewer"], "TH", "2018-07-31", known_at="2017-01-02T00:00:00+07:00"
                     )["totals"]["loans"] == 0
    report = system.reporting.get("/api/v1/reports/TH", headers=keys["viewer"],
                                  query_string={"period": "2018-H1", **then}).get_json()
    assert report["loans"]["in_period"]["repaid_principal_vnd"] == 75 * M
    assert report["loans"]["at_end"]["outstanding_vnd"] == 305 * M


def test_who_sees_a_persons_loan(system: System, keys: dict[str, dict[str, str]], book: dict[str, str]) -> None:
    union = portfolio(system, keys["union_tx"], "TX", "2018-09-30", lines="true")
    assert union["details"] == "all"
    # L2 overdue and not classified for 182 days; L1 classified 91 days ago; L4 written off: no visit
    assert [(e["funding_event_id"], e["reasons"]) for e in union["follow_up"]] == [
        (book["l2"], ["overdue", "not_classified"]), (book["l1"], ["not_classified"])]
    assert union["follow_up"][1]["participant_name"].startswith("Nguyễn Thị Mai")
    assert union["follow_up"][1]["org_unit_name"] == "Xuân Hòa"
    assert {e["funding_event_id"] for e in union["loans"]} == {book["l1"], book["l2"], book["l4"]}
    vbsp = portfolio(system, keys["vbsp"], "TH", "2018-09-30", lines="true")
    assert vbsp["details"] == "own" and vbsp["totals"] == EXPECTED["2018-09-30"]  # aggregates: every loan
    assert [e["funding_event_id"] for e in vbsp["follow_up"]] == [book["l1"]]
    assert {e["funding_event_id"] for e in vbsp["loans"]} == {book["l1"], book["l4"]}
    agribank = portfolio(system, keys["agribank"], "TH", "2018-09-30")
    assert [e["funding_event_id"] for e in agribank["follow_up"]] == [book["l2"]]
    business = portfolio(system, keys["business"], "TH", "2018-09-30", lines="true")
    assert business["details"] == "none" and "follow_up" not in business and "loans" not in business
    assert system.reporting.get("/api/v1/loans/TH", headers=keys["union_ts"]).status_code == 403
    assert system.reporting.get("/api/v1/loans/NOPE", headers=keys["viewer"]).status_code == 404
    assert system.reporting.get("/api/v1/loans/TH?as_of=2018-13-01", headers=keys["viewer"]).status_code == 422


def test_events_projected_in_reverse_order_give_the_same_loans(system: System, book: dict[str, str]) -> None:
    """A repayment, a classification, a retraction can reach the consumer before their funding."""
    config = system.configs["reporting"]
    tree = load(config.org_units_file)
    reporting = engine(system, "reporting")
    with engine(system, "support").connect() as conn:
        stream = event_store.stream(conn, book["p1"]) + event_store.stream(conn, book["p2"])
    model = read_model(90)
    model.create(reporting)
    projection = Projection(model, tree)
    for i, envelope in enumerate(reversed(stream)):  # one event a batch, the funding last
        with reporting.begin() as conn:
            projection.apply_batch(conn, [Delivery("t", 0, i, *read_event(encode(envelope)))])
    with reporting.connect() as conn:
        live = read_model(1)
        reversed_loans, loans = loans_in(conn, model, tree.descendants("TX")), loans_in(conn, live, {"TX-XUANHOA",
                                                                                                     "TX-XUANLAI"})
    assert set(reversed_loans) == set(loans) == {book["l1"], book["l2"], book["l4"]}
    for day in EXPECTED:
        as_of = date.fromisoformat(day)
        for loan_id, loan in loans.items():
            if loan.disbursed_on <= as_of:
                assert reversed_loans[loan_id].position(as_of) == loan.position(as_of), (loan_id, day)
    model.drop(reporting)


def test_every_refusal_says_why(system: System, keys: dict[str, dict[str, str]], book: dict[str, str]) -> None:
    s, loans = system.support, "/api/v1/loans"
    vbsp, agribank = keys["vbsp"], keys["agribank"]
    repayment = {"paid_on": "2018-08-01", "principal_vnd": 1 * M}
    refused(system, s, "POST", f"{loans}/{uuid.uuid4()}/repayments", vbsp, 404, "unknown_loan", json=repayment)
    refused(system, s, "POST", f"{loans}/not-an-id/classifications", vbsp, 404, "unknown_loan",
            json={"classified_on": "2018-08-01", "days_past_due": 0})
    refused(system, s, "POST", f"{loans}/{book['grant']}/repayments", vbsp, 422, "not_a_loan", json=repayment,
            en="not a loan")
    # the retracted repayment of 20 no longer counts: 85 is owed on L1
    error = refused(system, s, "POST", f"{loans}/{book['l1']}/repayments", vbsp, 409, "exceeds_outstanding",
                    "principal_vnd", json={"paid_on": "2018-08-01", "principal_vnd": 85 * M + 1})
    assert error["outstanding_vnd"] == 85 * M
    refused(system, s, "POST", f"{loans}/{book['l2']}/repayments", agribank, 422, "validation_failed", "paid_on",
            json={"paid_on": "2017-09-30", "principal_vnd": 1 * M}, en="before the disbursement")
    refused(system, s, "POST", f"{loans}/{book['l2']}/classifications", agribank, 422, "validation_failed",
            "classified_on", json={"classified_on": "2017-09-30", "days_past_due": 0})
    refused(system, s, "POST", f"{loans}/{book['l4']}/repayments", vbsp, 409, "loan_written_off", json=repayment,
            en="written off")
    refused(system, s, "POST", f"{loans}/{book['l4']}/classifications", vbsp, 409, "loan_written_off",
            json={"classified_on": "2018-10-01", "days_past_due": 0})
    refused(system, s, "POST", f"{loans}/{book['l1']}/classifications", vbsp, 409, "outstanding_remains", "status",
            json={"classified_on": "2018-10-01", "days_past_due": 0, "status": "closed"})
    refused(system, s, "POST", f"{loans}/{book['l1']}/classifications", vbsp, 422, "validation_failed", "status",
            json={"classified_on": "2018-10-01", "days_past_due": 5, "status": "current"})
    refused(system, s, "POST", f"{loans}/{book['l1']}/classifications", vbsp, 422, "validation_failed",
            "days_past_due", json={"classified_on": "2018-10-01", "days_past_due": -1})
    refused(system, s, "POST", f"{loans}/{book['l1']}/repayments", vbsp, 422, "validation_failed", "principal_vnd",
            json={"paid_on": "2018-08-01", "principal_vnd": 0})
    # a loan repaid in full and closed, after the dates above (the portfolio's figures stay as computed)
    closed = fund(system, vbsp, book["p3"], "2018-10-01", "vbsp", 10 * M, 12)
    repay(system, vbsp, closed, "2018-10-15", 10 * M, 200_000)
    classify(system, vbsp, closed, "2018-10-20", 0, "closed")
    refused(system, s, "POST", f"{loans}/{closed}/repayments", vbsp, 409, "loan_closed", json=repayment,
            en="closed")
    gone = fund(system, vbsp, book["p3"], "2018-10-02", "vbsp", 5 * M, 12)
    post(system, vbsp, f"/api/v1/events/{gone}/retraction", {"reason": "Nhập nhầm"})
    refused(system, s, "POST", f"{loans}/{gone}/repayments", vbsp, 409, "funding_retracted",
            json={"paid_on": "2018-10-15", "principal_vnd": 1 * M})
    # only the lender posts, within its scope; unions only for the 120-fund loans they made
    body = {"paid_on": "2018-08-01", "principal_vnd": 1 * M}
    for headers, code in ((agribank, "forbidden"), (keys["union_tx"], "forbidden"), (keys["business"], "forbidden"),
                          (keys["viewer"], "forbidden"), (keys["vbsp_ts"], "out_of_scope")):
        refused(system, s, "POST", f"{loans}/{book['l1']}/repayments", headers, 403, code, json=body)
    refused(system, s, "POST", f"{loans}/{book['l3']}/repayments", vbsp, 403, "forbidden", json=body)


def test_a_repeated_repayment_with_its_key_is_recorded_once(
        system: System, keys: dict[str, dict[str, str]], book: dict[str, str]) -> None:
    path = f"/api/v1/loans/{book['l3']}/repayments"
    body = {"paid_on": "2018-10-05", "principal_vnd": 2 * M, "interest_vnd": 100_000}
    headers = keys["union_ts"] | {"Idempotency-Key": "sao-ke-2018-10-05-1"}
    first = system.support.post(path, headers=headers, json=body)
    assert first.status_code == 201 and first.get_json()["funding_event_id"] == book["l3"]
    with leaves_no_trace(system):
        again = system.support.post(path, headers=headers | EN, json=body)
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert again.headers["Idempotent-Replayed"] == "true"


def repayment_list(system: System, key: dict[str, str], rows: list[dict[str, Any]]) -> bytes:
    """The repayments template as downloaded, with `rows` (by Vietnamese header) typed into its list."""
    reply = system.support.get("/api/v1/imports/repayments/template.xlsx", headers=key)
    assert reply.status_code == 200, reply.data[:200]
    workbook = openpyxl.load_workbook(io.BytesIO(reply.data))
    sheet = workbook["Danh sách"]
    headers = [str(c.value).removesuffix(" *") for c in sheet[1]]
    for number, row in enumerate(rows, start=2):
        for index, header in enumerate(headers, start=1):
            sheet.cell(row=number, column=index, value=number - 1 if header == "STT" else row.get(header))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_banks_repayment_list_is_imported_whole_and_once(
        system: System, keys: dict[str, dict[str, str]], book: dict[str, str]) -> None:
    def upload(key: dict[str, str], content: bytes) -> Any:
        return system.support.post("/api/v1/imports/repayments", headers=key, content_type="multipart/form-data",
                                   data={"file": (io.BytesIO(content), "sao-ke.xlsx")})

    rows = [{"Mã khoản vay": book["l1"], "Ngày trả": date(2018, 10, 10), "Tiền gốc (đồng)": 5 * M,
             "Tiền lãi (đồng)": 200_000},
            {"Mã khoản vay": book["l1"], "Ngày trả": date(2018, 11, 10), "Tiền gốc (đồng)": 5 * M}]
    too_much = {"Mã khoản vay": book["l1"], "Ngày trả": date(2018, 12, 10), "Tiền gốc (đồng)": 76 * M}  # 75 left
    with leaves_no_trace(system):
        refused_list = upload(keys["vbsp"], repayment_list(system, keys["vbsp"], [*rows, too_much]))
        assert refused_list.status_code == 422, refused_list.get_json()
        (problem,) = refused_list.get_json()["error"]["rows"]
        assert (problem["row"], problem["column"], problem["code"]) == (4, "Tiền gốc (đồng)", "exceeds_outstanding")
        other_bank = upload(keys["agribank"], repayment_list(system, keys["agribank"], rows))
        assert other_bank.status_code == 422 and other_bank.get_json()["error"]["rows"][0]["code"] == "forbidden"
        assert upload(keys["business"], repayment_list(system, keys["vbsp"], rows)).status_code == 403
    content = repayment_list(system, keys["vbsp"], rows)
    first = upload(keys["vbsp"], content)
    assert first.status_code == 201 and first.get_json()["new"] == 2, first.get_json()
    with leaves_no_trace(system):
        again = upload(keys["vbsp"], content)
    assert again.status_code == 200 and again.get_json()["already_recorded"] == 2
    system.sync()
    assert portfolio(system, keys["viewer"], "TX-XUANHOA", "2018-11-30")["totals"]["outstanding_vnd"] == 75 * M


def test_loans_follow_their_communes_through_a_merger(
        system: System, keys: dict[str, dict[str, str]], book: dict[str, str]) -> None:
    """Xuân Hòa and Xuân Lai merged into a new commune from 2019: the loans recorded in either count in it from
    then on (and with hierarchy=current before), and a repayment after the merger is still the lender's."""
    admin = system.key("admin", "TH", agency="tinh-doan")
    change = {"effective_on": "2019-01-01", "decision": "Nghị quyết số 01/NQ-TEST",
              "changes": [{"kind": "create", "code": "TX-XUANMOI", "name": "Xuân Mới", "level": "commune",
                           "parent": "TX"},
                          {"kind": "merge", "from": ["TX-XUANHOA", "TX-XUANLAI"], "into": "TX-XUANMOI"}]}
    reply = system.registration.post("/api/v1/org-units/changes", headers=admin, json=change)
    assert reply.status_code == 201, reply.get_json()
    system.sync()
    repay(system, keys["vbsp"], book["l1"], "2019-02-01", 5 * M)
    system.sync()
    # L1: 85 less the imported 10, less 5; L2: 150
    assert portfolio(system, keys["viewer"], "TX-XUANMOI", "2019-02-28")["totals"]["outstanding_vnd"] == 220 * M
    assert portfolio(system, keys["viewer"], "TX-XUANMOI", "2018-09-30",
                     hierarchy="current")["totals"]["outstanding_vnd"] == 235 * M
    assert portfolio(system, keys["viewer"], "TX-XUANHOA", "2018-09-30")["totals"]["outstanding_vnd"] == 85 * M
    tx = portfolio(system, keys["viewer"], "TX", "2019-02-28")
    assert {c["org_unit"]["code"]: c["totals"]["outstanding_vnd"] for c in tx["children"]}["TX-XUANMOI"] == 220 * M
    union = portfolio(system, keys["union_tx"], "TX-XUANMOI", "2019-02-28")
    assert {(e["org_unit"], e["org_unit_name"]) for e in union["follow_up"]} == {
        ("TX-XUANHOA", "Xuân Mới"), ("TX-XUANLAI", "Xuân Mới")}  # recorded there, now in the new commune
