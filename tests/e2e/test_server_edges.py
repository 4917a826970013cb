"""The edges of the HTTP server (gunicorn, as in production): a chunked body over the limit is a 413, and
what gunicorn refuses itself (an over-long URL, too large headers, a malformed request line) comes back in
the contract's JSON error shape with the security headers, never an HTML page."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from shared.auth import AccessStore
from shared.config import from_env
from shared.db import make_engine
from shared.security_headers import HEADERS
from tests.support.broker import free_port
from tienphong.supervisor import wait_ready

MIB = 1024 * 1024


@pytest.fixture
def support_url(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """The support service alone under gunicorn (`tienphong serve support`)."""
    subprocess.run([sys.executable, "-m", "tienphong.cli", "migrate"], env=os.environ | env, check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    log_path = tmp_path / "support.log"
    with open(log_path, "wb") as log:
        child = subprocess.Popen([sys.executable, "-m", "tienphong.cli", "serve", "support"],
                                 env=os.environ | env | {"PORT": str(port)}, stdout=log, stderr=subprocess.STDOUT)
        try:
            assert wait_ready(f"http://127.0.0.1:{port}/healthz", 60), log_path.read_text()
            yield f"http://127.0.0.1:{port}"
        finally:
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def raw_exchange(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (no client library would send these requests), read the whole answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def contract_error(status: int, headers: dict[str, str], body: bytes, expected: int, code: str) -> None:
    assert status == expected, (status, body[:300])
    assert headers["content-type"].startswith("application/json"), headers
    error = json.loads(body)["error"]
    assert error["code"] == code and error["message"] and error["fields"] == {}, error
    for name, value in HEADERS.items():
        assert headers[name.lower()] == value, (name, headers)


def test_a_chunked_body_over_the_limit_is_413(support_url: str, env: dict[str, str]) -> None:
    access = AccessStore(make_engine(from_env("access", env).access_url))
    _, token = access.create_key("huyen-doan", "union", "TX")

    def body() -> Iterator[bytes]:  # no Content-Length: requests sends it chunked
        yield b'{"course": "'
        for _ in range(10):
            yield b"x" * MIB
        yield b'"}'

    reply = requests.post(f"{support_url}/api/v1/participants/1b4e28ba-2fa1-11d2-883f-0016d3cca427/trainings",
                          data=body(), headers={"Authorization": f"Bearer {token}",
                                                "Content-Type": "application/json"}, timeout=30)
    assert reply.request.headers.get("Transfer-Encoding") == "chunked"
    assert reply.status_code == 413, reply.text[:300]
    assert reply.json()["error"]["code"] == "payload_too_large"


def test_what_gunicorn_refuses_comes_back_in_the_error_shape(support_url: str) -> None:
    long_path = "/api/v1/" + "a" * 9000
    contract_error(*raw_exchange(support_url, f"GET {long_path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()), 414,
                   "uri_too_long")
    many = "".join(f"X-Filler-{i}: {i}\r\n" for i in range(200))
    contract_error(*raw_exchange(support_url, f"GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode()), 431,
                   "headers_too_large")
    contract_error(*raw_exchange(support_url, b"GARBAGE\r\n\r\n"), 400, "bad_request")
    contract_error(*raw_exchange(support_url, b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"), 400, "bad_request")
    # and the application's own answers carry the same headers
    reply = requests.get(f"{support_url}/healthz", timeout=10)
    assert reply.status_code == 200 and all(reply.headers[name] == value for name, value in HEADERS.items())
