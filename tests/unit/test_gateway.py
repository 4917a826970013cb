"""The gateway's routing table and its answers when a service is away (tienphong/gateway.py), in process."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from tests.support.broker import free_port
from tienphong.gateway import Gateway, backends, route


@pytest.mark.parametrize(("method", "path", "service", "target"), [
    ("POST", "/api/v1/participants", "registration", "/api/v1/participants"),
    ("GET", "/api/v1/participants", "registration", "/api/v1/participants"),
    ("GET", "/api/v1/participants/abc", "registration", "/api/v1/participants/abc"),
    ("POST", "/api/v1/participants/abc/decisions", "registration", "/api/v1/participants/abc/decisions"),
    ("POST", "/api/v1/participants/abc/replications", "registration", "/api/v1/participants/abc/replications"),
    ("POST", "/api/v1/participants/abc/fundings", "support", "/api/v1/participants/abc/fundings"),
    ("POST", "/api/v1/participants/abc/trainings", "support", "/api/v1/participants/abc/trainings"),
    ("GET", "/api/v1/participants/abc/timeline", "reporting", "/api/v1/participants/abc/timeline"),
    ("POST", "/api/v1/loans/e1/repayments", "support", "/api/v1/loans/e1/repayments"),
    ("GET", "/api/v1/loans/TX", "reporting", "/api/v1/loans/TX"),
    ("POST", "/api/v1/imports/fundings", "support", "/api/v1/imports/fundings"),
    ("GET", "/api/v1/imports/decisions/template.xlsx", "registration", "/api/v1/imports/decisions/template.xlsx"),
    ("POST", "/api/v1/imports", "registration", "/api/v1/imports"),
    ("POST", "/api/v1/org-units/changes", "registration", "/api/v1/org-units/changes"),
    ("GET", "/api/v1/org-units", "reporting", "/api/v1/org-units"),
    ("GET", "/api/v1/summary/TX", "reporting", "/api/v1/summary/TX"),
    ("POST", "/support/api/v1/events/e1/retraction", "support", "/api/v1/events/e1/retraction"),
    ("GET", "/registration/api/v1/openapi.json", "registration", "/api/v1/openapi.json"),
    ("GET", "/dashboard/TX", "reporting", "/dashboard/TX"),
    ("GET", "/forms/", "reporting", "/forms/"),
    ("POST", "/login", "reporting", "/login"),
])
def test_each_path_reaches_the_service_that_owns_it(method: str, path: str, service: str, target: str) -> None:
    assert route(method, path) == (service, target)


def test_a_service_away_answers_in_the_contract_shape() -> None:
    away = {service: f"http://127.0.0.1:{free_port()}" for service in ("registration", "support", "reporting")}
    client = Client(Gateway(away))
    reply = client.post("/api/v1/participants", json={"full_name": "x"}, headers={"Accept-Language": "en"})
    assert reply.status_code == 502 and reply.headers["Retry-After"] == "5"
    assert reply.json == {"error": {"code": "service_unavailable", "fields": {},
                                    "message": "The service is unreachable for now; please retry later."}}
    retraction = client.post("/api/v1/events/e1/retraction", json={"reason": "sai"})
    assert retraction.status_code == 502 and "không truy cập được" in retraction.json["error"]["message"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503


def test_backends_come_from_the_environment() -> None:
    assert backends({"TIENPHONG_SUPPORT_URL": "http://support:8002", "TIENPHONG_REPORTING_PORT": "9003"}) == {
        "registration": "http://127.0.0.1:8001", "support": "http://support:8002",
        "reporting": "http://127.0.0.1:9003"}
