"""How the demo talks to the services: a transport (HTTP, or the Flask test clients in the tests) and a
client that retries what a running system asks it to retry (429, support's view catching up, a restart)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from shared.config import SERVICE_PORTS, service_port


class Transport(Protocol):
    def request(self, method: str, service: str, path: str, headers: dict[str, str],
                body: dict[str, Any] | None = None) -> tuple[int, Mapping[str, str], dict[str, Any]]: ...

    def wait(self, seconds: float) -> None:
        """Give the system time to catch up (support learns of selections from Kafka)."""


@dataclass
class HttpTransport:
    urls: dict[str, str] = field(default_factory=lambda: {
        service: f"http://127.0.0.1:{service_port(service)}" for service in SERVICE_PORTS})
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, service: str, path: str, headers: dict[str, str],
                body: dict[str, Any] | None = None) -> tuple[int, Mapping[str, str], dict[str, Any]]:
        response = self.session.request(method, f"{self.urls[service].rstrip('/')}/api/v1{path}", json=body,
                                        headers=headers, timeout=60)
        try:
            payload = response.json()
        except ValueError:
            payload = {"error": {"code": "not_json", "message": response.text[:300]}}
        return response.status_code, response.headers, payload if isinstance(payload, dict) else {"items": payload}

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)


class DemoError(RuntimeError):
    pass


@dataclass
class Client:
    tokens: dict[str, str]
    seed: int
    transport: Transport = field(default_factory=HttpTransport)

    def post(self, service: str, path: str, agency: str, body: dict[str, Any],
             idem: str) -> tuple[int, dict[str, Any], bool]:
        """(status, body, replayed). 409 is returned (the caller decides); other refusals raise."""
        headers = {"Authorization": f"Bearer {self.tokens[agency]}", "Idempotency-Key": idem}
        waited = 0.0
        failures = 0
        while True:
            try:
                status, reply_headers, reply = self.transport.request("POST", service, path, headers, body)
            except requests.RequestException as exc:
                status, reply_headers, reply = 599, {}, {"error": {"message": str(exc)}}
            retry_after = reply_headers.get("Retry-After")
            if status == 429:
                self.transport.wait(float(retry_after or 1))
                continue
            if status in (404, 409) and retry_after is not None and waited < 60:
                self.transport.wait(0.5)  # support's view has not caught up with registration yet
                waited += 0.5
                continue
            if status >= 500 and failures < 5:
                failures += 1
                self.transport.wait(0.5 * 2 ** failures)
                continue
            if status >= 300 and status != 409:
                raise DemoError(f"POST {service} {path}: {status} {json.dumps(reply, ensure_ascii=False)[:500]}")
            return status, reply, reply_headers.get("Idempotent-Replayed") == "true"

    def get(self, service: str, path: str, agency: str = "viewer") -> dict[str, Any]:
        status, _, reply = self.transport.request("GET", service, path,
                                                  {"Authorization": f"Bearer {self.tokens[agency]}"})
        if status != 200:
            raise DemoError(f"GET {service} {path}: {status} {reply}")
        return reply
