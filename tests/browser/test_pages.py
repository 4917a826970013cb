"""The dashboard's pages over HTTP without a browser (in-process services): login required, scope,
headers, assets shipped with the project, and every word the scripts ask for present in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from flask.testing import FlaskClient

from services.reporting.dashboard import CSP, TEXTS_FILE, texts
from services.reporting.reports import activity
from tests.support.system import System

STATIC = Path(__file__).resolve().parents[2] / "services" / "reporting" / "static"
SCRIPTS = ("common.js", "org.js", "org-panels.js", "org-report.js", "org-alerts.js", "participant.js", "loans.js")
PASSWORD = "mat-khau-thu-nghiem-2017"


def sign_in(client: FlaskClient, username: str) -> None:
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    reply = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert reply.status_code == 303, reply.get_data(as_text=True)


def test_pages_need_a_session_and_stay_in_scope(system: System) -> None:
    system.access.create_user("huyen-doan-tho-xuan", PASSWORD, "TX", "viewer")
    client = system.reporting
    reply = client.get("/dashboard/TX?as_of=2018-01-31&period=2018")
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/login?next=/dashboard/TX%3Fas_of%3D2018-01-31%26period%3D2018"
    assert client.get("/dashboard/participant/abc").status_code == 303

    sign_in(client, "huyen-doan-tho-xuan")
    page = client.get("/dashboard/TX")
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == CSP and "'unsafe-inline'" not in CSP
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert '<html lang="vi">' in html and "Thọ Xuân" in html and "Các bước của chương trình" in html
    assert "<script>" not in html  # nothing inline: the CSP would block it
    assert client.get("/dashboard/").headers["Location"] == "/dashboard/TX"

    forbidden = client.get("/dashboard/TH")
    assert forbidden.status_code == 403 and "nằm ngoài phạm vi" in forbidden.get_data(as_text=True)
    assert client.get("/dashboard/TS-DANLUC?lang=en").status_code == 403
    assert "outside your account" in client.get("/dashboard/TS").get_data(as_text=True)  # English remembered
    assert client.get("/dashboard/NOWHERE").status_code == 404
    assert client.get("/dashboard/participant/no-such-person").status_code == 404
    # the API answers the same session, within the same scope
    assert client.get("/api/v1/summary/TX").status_code == 200
    assert client.get("/api/v1/summary/TH").status_code == 403
    assert "Dư nợ và thu hồi vốn vay" in html and client.get("/api/v1/loans/TX").get_json()["details"] == "none"


def test_assets_are_shipped_with_the_service(system: System) -> None:
    client = system.reporting
    chart = client.get("/dashboard/static/vendor/chart.umd.js")
    assert chart.status_code == 200 and "javascript" in chart.headers["Content-Type"]
    assert b"Chart.js v4" in chart.data[:200]
    assert (STATIC / "vendor" / "chart.js-LICENSE.md").read_text().startswith("The MIT License")
    for name in (*SCRIPTS, "dashboard.css", "favicon.svg"):
        assert client.get(f"/dashboard/static/{name}").status_code == 200, name


def test_every_word_the_scripts_use_exists_in_both_languages() -> None:
    with open(TEXTS_FILE, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    assert all(isinstance(pair, list) and len(pair) == 2 and all(pair) for pair in raw.values())
    vi, en = texts("vi"), texts("en")
    scripts = "".join((STATIC / name).read_text(encoding="utf-8") for name in SCRIPTS)
    used = {key for key in re.findall(r'\bt\("([a-z_.]+)"', scripts) if not key.endswith(".")}
    assert used and used <= set(vi) and used <= set(en), sorted(used - set(vi))
    # t("report." + key): every figure of a period report's activity
    assert all(f"report.{key}" in vi for key in activity({}, {}) if key != "funding_by_source")
    # names of codes the scripts look up by group: every sector, source and event type of DOMAIN.md
    for group, codes in {
        "sector": ["crops", "livestock", "aquaculture", "forestry", "food_processing", "handicraft", "trade_services",
                   "tourism", "industry_construction", "other"],
        "source": ["vbsp", "youth_union_120", "provincial_youth_credit", "commercial_bank", "enterprise", "other"],
        "event": ["participant.registered", "participant.selected", "participant.rejected", "participant.trained",
                  "participant.funded", "participant.supported", "participant.evaluated", "participant.commended",
                  "model.replicated", "event.retracted"],
    }.items():
        assert all(f"{group}.{code}" in vi for code in codes), group
