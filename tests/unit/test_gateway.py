"""The gateway's routing table and its answers when a service is away (tienphong/gateway.py), in process."""

from __future__ import annotations

import io
import json
import threading

import pytest
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.test import Client
from werkzeug.wsgi import get_input_stream

from shared.sessions import client_address, gateway_token
from tests.support.broker import free_port
from tienphong.gateway import Gateway, backends, route

SECRET = "a-secret-key-of-the-services-0123456789"


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
    client = Client(Gateway(away, SECRET))
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


def _echo(name: str):  # type: ignore[no-untyped-def]
    """A stand-in service: answers what it received (method, path, query, some headers, body size)."""
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        body = get_input_stream(environ).read()  # as gunicorn does: Content-Length bytes, or de-chunked
        if environ["PATH_INFO"].endswith("/retraction") and name == "registration":
            start_response("404 NOT FOUND", [("Content-Type", "application/json")])
            return [b'{"error": {"code": "unknown_event", "message": "", "fields": {}}}']
        if environ["PATH_INFO"] == "/big":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return (b"x" * 65536 for _ in range(32))  # 2 MiB in pieces, no Content-Length
        answer = json.dumps({"service": name, "method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"],
                             "query": environ.get("QUERY_STRING"), "size": len(body),
                             "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
                             "csrf": environ.get("HTTP_X_CSRF_TOKEN"), "host": environ.get("HTTP_HOST"),
                             "vouched": environ.get("HTTP_X_TIENPHONG_GATEWAY") == gateway_token(SECRET)}).encode()
        start_response("201 CREATED", [("Content-Type", "application/json"), ("Set-Cookie", "a=1"),
                                       ("Set-Cookie", "b=2")])
        return [answer]
    return app


def test_bodies_headers_and_the_retraction_go_through() -> None:
    servers = {name: make_server("127.0.0.1", 0, _echo(name), threaded=True)
               for name in ("registration", "support", "reporting")}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        gateway = Client(Gateway({name: f"http://127.0.0.1:{s.server_port}" for name, s in servers.items()}, SECRET))
        upload = b"y" * (3 * 1024 * 1024 + 7)
        reply = gateway.post("/api/v1/imports/fundings?dry=1", data=upload, environ_base={"REMOTE_ADDR": "10.0.0.9"},
                             headers={"X-CSRF-Token": "t", "X-Forwarded-For": "1.2.3.4", "Connection": "close"})
        assert reply.status_code == 201
        assert reply.json == {"service": "support", "method": "POST", "path": "/api/v1/imports/fundings",
                              "query": "dry=1", "size": len(upload), "forwarded_for": "10.0.0.9", "csrf": "t",
                              "host": f"127.0.0.1:{servers['support'].server_port}", "vouched": True}
        assert reply.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
        chunked = gateway.post("/api/v1/participants", input_stream=io.BytesIO(b"z" * 100_000),
                               headers={"Transfer-Encoding": "chunked"})
        assert chunked.json["service"] == "registration" and chunked.json["size"] == 100_000
        assert len(gateway.get("/big").get_data()) == 32 * 65536
        retraction = gateway.post("/api/v1/events/e1/retraction", json={"reason": "sai"})
        assert retraction.json["service"] == "support" and retraction.json["size"] == len(b'{"reason": "sai"}')
    finally:
        for server in servers.values():
            server.shutdown()


def test_only_the_gateway_says_who_the_client_is() -> None:
    """Login attempts are counted per client address: through the gateway its X-Forwarded-For, vouched for
    with a token only the holders of the secret key can make; anyone else's X-Forwarded-For is ignored."""
    app = Flask("t")
    app.secret_key = SECRET
    vouched = {"X-Forwarded-For": "203.0.113.7", "X-Tienphong-Gateway": gateway_token(SECRET)}
    forged = {"X-Forwarded-For": "203.0.113.7", "X-Tienphong-Gateway": gateway_token("another-key")}
    for headers, seen in ((vouched, "203.0.113.7"), (forged, "10.1.1.1"), ({"X-Forwarded-For": "203.0.113.7"},
                                                                          "10.1.1.1")):
        with app.test_request_context("/login", headers=headers, environ_base={"REMOTE_ADDR": "10.1.1.1"}):
            assert client_address() == seen
