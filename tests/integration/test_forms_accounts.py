"""Accounts bound to an agency write with their session cookie and CSRF token, exactly what a key of that
agency, kind and scope may; readers and admins never write with a cookie; the forms' reads (me, directory,
my entries) answer within the account's scope. In-process services on the real broker and database."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.support.system import System, registration_body

PASSWORD = "mat-khau-thu-nghiem-2017"


def sign_in(system: System, username: str) -> str:
    """Signs in at reporting and hands the session cookie to every service (the gateway's one origin)."""
    form = system.reporting.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    reply = system.reporting.post("/login", data={"username": username, "password": PASSWORD,
                                                  "csrf_token": token.group(1)})
    assert reply.status_code == 303
    cookie = system.reporting.get_cookie("tienphong_session")
    assert cookie is not None
    for client in (system.registration, system.support):
        client.set_cookie("tienphong_session", cookie.value)
    me = system.reporting.get("/api/v1/me").get_json()
    return str(me["csrf_token"])


def post(client: FlaskClient, path: str, body: dict[str, object], csrf: str | None) -> tuple[int, dict[str, object]]:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    reply = client.post(f"/api/v1{path}", json=body, headers=headers)
    return reply.status_code, reply.get_json()


def test_bound_accounts_write_as_their_agency(system: System) -> None:
    access = system.access
    access.create_user("thu", PASSWORD, "TX-XUANHOA", "viewer", "doan-xa-tx-xuanhoa", "union")
    access.create_user("tin-dung", PASSWORD, "TH", "viewer", "nhcsxh-thanh-hoa", "bank")
    access.create_user("quan-tri", PASSWORD, "TH", "admin")
    with pytest.raises(ValueError, match="go together"):
        access.create_user("nua", PASSWORD, "TX", "viewer", agency="doan-xa")
    with pytest.raises(ValueError, match="role viewer"):
        access.create_user("sep", PASSWORD, "TX", "admin", "huyen-doan", "union")

    assert system.reporting.get("/").headers["Location"] == "/login?next=/"  # the one address asks who it is
    csrf = sign_in(system, "thu")
    assert system.reporting.get("/").headers["Location"] == "/forms/"  # a person who records: the forms
    me = system.reporting.get("/api/v1/me").get_json()
    # a union posts the repayments and classifications of the 120-fund loans it made itself
    assert me["forms"] == ["registration", "training", "funding", "support", "replication", "repayment",
                           "classification"]
    assert me["paths"]["repayment"] == {"service": "support", "path": "/loans/{loan}/repayments"}
    assert (me["kind"], me["agency"], me["scope"], me["funding_sources"]) == (
        "union", "doan-xa-tx-xuanhoa", "TX-XUANHOA", ["youth_union_120"])

    body = registration_body(full_name="Nguyễn Văn Ánh", phone="0987654321")
    assert post(system.registration, "/participants", body, None)[0] == 401  # a cookie alone only reads
    status, reply = post(system.registration, "/participants", body, csrf)
    assert status == 201, reply
    participant = str(reply["participant_id"])
    decision = {"decision": "selected", "sector": "livestock", "decided_on": "2017-07-01"}
    assert post(system.registration, f"/participants/{participant}/decisions", decision, csrf)[0] == 403
    outside = registration_body(org_unit="TX-XUANLAI", full_name="Ngoài Phạm Vi")
    status, reply = post(system.registration, "/participants", outside, csrf)
    assert status == 403 and reply["error"]["code"] == "out_of_scope"  # type: ignore[index]
    system.sync()

    # the picker's directory: accents, case and word order aside; commune and phone too
    def found(query: str) -> list[str]:
        reply = system.reporting.get(f"/api/v1/directory/TX-XUANHOA?q={query}")
        assert reply.status_code == 200
        return [item["full_name"] for item in reply.get_json()["items"]]
    assert found("nguyen van anh") == found("ANH nguyễn") == found("098765") == ["Nguyễn Văn Ánh"]
    assert "Nguyễn Văn Ánh" in found("xuan hoa")
    assert system.reporting.get("/api/v1/directory/TX").status_code == 403
    entries = system.reporting.get("/api/v1/my-entries").get_json()["items"]
    assert [(e["type"], e["full_name"], e["retracted"]) for e in entries] == [
        ("participant.registered", "Nguyễn Văn Ánh", False)]

    # the bank's account funds from any source and follows its loans, registers nobody; the admin account
    # writes nothing
    assert system.registration.post(f"/api/v1/participants/{participant}/decisions", json=decision,
                                    headers=system.key("union", "TX", "huyen-doan-tho-xuan")).status_code == 201
    system.sync()
    csrf = sign_in(system, "tin-dung")
    assert system.reporting.get("/api/v1/me").get_json()["forms"] == ["funding", "repayment", "classification"]
    assert post(system.registration, "/participants", registration_body(full_name="Không Được"), csrf)[0] == 403
    loan_body = {"source": "vbsp", "amount_vnd": 30_000_000, "disbursed_on": "2017-08-01", "term_months": 36}
    status, reply = post(system.support, f"/participants/{participant}/fundings", loan_body, csrf)
    assert status == 201, reply
    loan = str(reply["event_id"])
    status, reply = post(system.support, f"/loans/{loan}/repayments",
                         {"paid_on": "2018-02-01", "principal_vnd": 5_000_000}, csrf)
    assert status == 201, reply
    system.sync()
    # the forms' loan picker: the person's loans, as of today, for the lending bank
    picked = system.reporting.get(f"/api/v1/participants/{participant}/loans").get_json()
    assert [(x["funding_event_id"], x["participant_name"], x["outstanding_vnd"], x["lender_agency"])
            for x in picked["loans"]] == [(loan, "Nguyễn Văn Ánh", 25_000_000, "nhcsxh-thanh-hoa")]
    assert system.reporting.get("/api/v1/participants/nobody/loans").status_code == 404
    sign_in(system, "thu")  # the union officer in scope sees it too (its picker keeps its own loans)
    assert len(system.reporting.get(f"/api/v1/participants/{participant}/loans").get_json()["loans"]) == 1
    csrf = sign_in(system, "quan-tri")
    assert system.reporting.get("/api/v1/me").get_json()["forms"] == []
    assert system.reporting.get("/").headers["Location"] == "/dashboard/TH"  # one who only reads: the dashboard
    assert system.reporting.get(f"/api/v1/participants/{participant}/loans").status_code == 403
    event = str(entries[0]["event_id"])
    assert post(system.registration, f"/events/{event}/retraction", {"reason": "thử"}, csrf)[0] == 403


def test_one_language_for_a_persons_dashboard_and_forms(system: System) -> None:
    system.access.create_user("ngon-ngu", PASSWORD, "TX-XUANHOA", "viewer", "doan-xa-tx-xuanhoa", "union")
    sign_in(system, "ngon-ngu")
    assert system.reporting.get("/api/v1/me").get_json()["lang"] is None  # nothing chosen yet: Vietnamese
    # chosen in the forms: the dashboard speaks it too
    assert system.reporting.get("/api/v1/me?lang=en").get_json()["lang"] == "en"
    page = system.reporting.get("/dashboard/TX-XUANHOA").get_data(as_text=True)
    assert '<html lang="en"' in page
    # chosen on the dashboard: the forms take it up at their next look at who is signed in
    assert '<html lang="vi"' in system.reporting.get("/dashboard/TX-XUANHOA?lang=vi").get_data(as_text=True)
    assert system.reporting.get("/api/v1/me").get_json()["lang"] == "vi"
    assert system.reporting.get("/api/v1/me?lang=fr").get_json()["lang"] == "vi"  # not a language here: ignored
