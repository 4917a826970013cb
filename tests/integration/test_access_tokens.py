"""Agency keys on the three running services: revocation and expiry reach every service within seconds,
malformed tokens are 401 (never 500), the per-key rate limit, and no secret in the logs."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import update
from werkzeug.test import TestResponse

from shared.auth import api_keys
from shared.logging import RedactingFilter
from tests.support.system import System, registration_body, settings
from tienphong import cli

T = TypeVar("T")
ACCEPTED = {"registration": 200, "support": 422, "reporting": 200}
REFUSED = {"registration": 401, "support": 401, "reporting": 401}
UNKNOWN_PARTICIPANT = "00000000-0000-4000-8000-000000000000"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(system: System, service: str, headers: dict[str, str]) -> TestResponse:
    """One request to a service; past authentication support answers 422 (the body is empty)."""
    if service == "support":
        return system.support.post(f"/api/v1/participants/{UNKNOWN_PARTICIPANT}/trainings", headers=headers,
                                   json={})
    if service == "registration":
        return system.registration.get("/api/v1/participants?org_unit=TX", headers=headers)
    return system.reporting.get("/api/v1/org-units", headers=headers)


def probe(system: System, headers: dict[str, str]) -> dict[str, int]:
    return {service: call(system, service, headers).status_code for service in ACCEPTED}


def poll(observe: Callable[[], T], until: Callable[[T], bool], seconds: float = 15.0) -> T:
    """Observe until the condition holds or the deadline passes; the caller asserts on the last value."""
    deadline = time.monotonic() + seconds
    value = observe()
    while not until(value) and time.monotonic() < deadline:
        time.sleep(0.2)
        value = observe()
    return value


def use_env(monkeypatch: pytest.MonkeyPatch, system: System) -> None:
    for name, value in system.env.items():
        monkeypatch.setenv(name, value)


def create_with_cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert cli.main(["keys", "create", *args]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_revocation_reaches_every_service_within_seconds(system: System, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    use_env(monkeypatch, system)
    token = create_with_cli(capsys, "--agency", "huyen-doan-tho-xuan", "--kind", "union", "--scope", "TX")
    key_id = token.split("_")[1]
    assert probe(system, bearer(token)) == ACCEPTED  # every service now holds the key in its cache
    assert cli.main(["keys", "revoke", key_id]) == 0  # another process: the services' caches are not told
    assert poll(lambda: probe(system, bearer(token)), lambda seen: seen == REFUSED) == REFUSED
    assert probe(system, bearer(token)) == REFUSED
    assert cli.main(["keys", "revoke", key_id]) == 1  # already revoked
    capsys.readouterr()
    assert cli.main(["keys", "list"]) == 0
    assert f"{key_id}\thuyen-doan-tho-xuan\tunion\tTX\trevoked" in capsys.readouterr().out


def test_expired_keys_are_refused(system: System, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    use_env(monkeypatch, system)
    lasting = create_with_cli(capsys, "--agency", "ngan-hang", "--kind", "bank", "--scope", "TH",
                              "--expires-in-days", "30")
    assert probe(system, bearer(lasting)) == ACCEPTED
    assert cli.main(["keys", "create", "--agency", "x", "--kind", "bank", "--scope", "TH",
                     "--expires", "2017-01-01"]) == 2  # in the past: refused, nothing made
    capsys.readouterr()
    assert cli.main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "active until" in listing and "\tx\t" not in listing

    # a key that runs out while the services hold it in their caches
    key_id, token = system.access.create_key("doan-xa", "union", "TX", expires_at=datetime.now(UTC) + timedelta(days=1))
    assert probe(system, bearer(token)) == ACCEPTED
    with system.access.engine.begin() as conn:  # as if a day went by
        conn.execute(update(api_keys).where(api_keys.c.key_id == key_id)
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert poll(lambda: probe(system, bearer(token)), lambda seen: seen == REFUSED) == REFUSED

    _, stale = system.access.create_key("doan-xa", "union", "TX", expires_at=datetime.now(UTC) - timedelta(minutes=1))
    assert probe(system, bearer(stale)) == REFUSED


def test_malformed_tokens_are_401_never_500(system: System) -> None:
    while True:  # a key id of digits only (hex, 1 in ~280) reads the same in upper case: that case needs a letter
        _, token = system.access.create_key("doan-xa", "union", "TX")
        key_id, secret = token[3:].split("_", 1)
        if key_id.upper() != key_id:
            break
    _, other = system.access.create_key("ngan-hang", "bank", "TX")
    headers: dict[str, dict[str, str]] = {
        "no header": {},
        "empty": {"Authorization": ""},
        "scheme only": {"Authorization": "Bearer"},
        "scheme and space": {"Authorization": "Bearer "},
        "prefix only": {"Authorization": "Bearer tp_"},
        "no key id": {"Authorization": f"Bearer tp__{secret}"},
        "no secret": {"Authorization": f"Bearer tp_{key_id}_"},
        "key id only": {"Authorization": f"Bearer tp_{key_id}"},
        "short secret": {"Authorization": f"Bearer tp_{key_id}_{secret[:-1]}"},
        "longer secret": {"Authorization": f"Bearer {token}A"},
        "another key's secret": {"Authorization": f"Bearer tp_{key_id}_{other.split('_', 2)[2]}"},
        "upper-case key id": {"Authorization": f"Bearer tp_{key_id.upper()}_{secret}"},
        "unknown key id": {"Authorization": f"Bearer tp_{'0' * 12}_{secret}"},
        "trailing words": {"Authorization": f"Bearer {token} extra"},
        "huge": {"Authorization": "Bearer tp_" + "a" * 20000},
        "huge key id": {"Authorization": f"Bearer tp_{'ab' * 5000}_{secret}"},
        "sql": {"Authorization": f"Bearer tp_0'; DROP TABLE api_keys; --_{secret}"},
        "latin-1": {"Authorization": "Bearer tp_é_ñññññññññññññññññññ"},
        "nul": {"Authorization": f"Bearer tp_{key_id}\x00_{secret}"},
        "no scheme": {"Authorization": token},
        "basic": {"Authorization": "Basic " + base64.b64encode(b"user:password").decode()},
        "other scheme": {"Authorization": f"Token {token}"},
    }
    seen = {}
    for label, header in headers.items():
        for service in ACCEPTED:
            reply = call(system, service, header)
            body = reply.json or {}
            seen[label, service] = (reply.status_code, body.get("error", {}).get("code"),
                                    reply.headers.get("WWW-Authenticate", "").startswith("Bearer"))
    assert seen == {cell: (401, "unauthorized", True) for cell in seen}
    assert probe(system, bearer(token)) == ACCEPTED  # the well-formed token itself still works


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path, bootstrap: str,
                                                 database_template: str | None) -> None:
    system = System(settings(tmp_path, bootstrap, database_template, TIENPHONG_RATE_LIMIT_PER_MINUTE="1"))
    try:
        runaway, calm = system.key("union", "TX", "runaway-script"), system.key("viewer", "TX", "calm-reader")
        for client, path in ((system.reporting, "/api/v1/org-units"),
                             (system.registration, "/api/v1/participants?org_unit=TX")):
            assert client.get(path, headers=runaway).status_code == 200
            limited = client.get(path, headers=runaway)
            assert limited.status_code == 429, limited.json
            assert limited.json["error"]["code"] == "rate_limited"
            assert 1 <= int(limited.headers["Retry-After"]) <= 60
            assert client.get(path, headers=calm).status_code == 200  # one key's budget starves no other
    finally:
        system.close()


def test_secrets_never_reach_the_logs(system: System, caplog: pytest.LogCaptureFixture,
                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    caplog.handler.addFilter(RedactingFilter())  # as on every handler in production (gunicorn_conf, setup())
    caplog.set_level(logging.WARNING, logger="kafka")  # as shared.logging.setup leaves it
    caplog.set_level(logging.DEBUG)  # after: this one also sets the capturing handler's level
    use_env(monkeypatch, system)
    password = "mật khẩu 'đủ dài' 2017"
    token = create_with_cli(capsys, "--agency", "doan-xa", "--kind", "union", "--scope", "TX")
    key_id, secret = token[3:].split("_", 1)
    registered = system.registration.post("/api/v1/participants", headers=bearer(token),
                                          json=registration_body(phone="0912 345 678"))
    assert registered.status_code == 201, registered.json
    system.sync()
    assert system.reporting.get("/api/v1/org-units", headers=bearer(token[:-3] + "xyz")).status_code == 401
    system.access.create_user("thu", password, "TX", "viewer")
    form = system.reporting.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    assert system.reporting.post("/login", data={"username": "thu", "password": password,
                                                 "csrf_token": form}).status_code == 303
    # what a careless line anywhere might write: the handler's filter still catches it
    careless = logging.getLogger("tienphong.anywhere")
    careless.info("calling support with Authorization: Bearer %s", token)
    careless.warning("payload %s", {"phone": "0912345678", "password": password, "token": token})
    try:
        raise RuntimeError(f"upstream refused {token} for +84 912 345 678")
    except RuntimeError:
        careless.exception("call failed")

    text = caplog.text
    for leaked in (secret, "0912345678", "0912 345 678", "912 345 678", password, "đủ dài"):
        assert leaked not in text, leaked
    assert f"refused GET /api/v1/org-units: no valid credentials (key {key_id})" in text
    assert f"tp_{key_id}_***" in text and "091****678" in text and "+8491****678" in text
    assert "RuntimeError" in text and "login thu from" in text
