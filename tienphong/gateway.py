"""One address for people: a small reverse proxy in front of the three services (`tienphong gateway`).

Pages (login, dashboards, forms) and reads go to reporting; each write goes to the service that owns its
event, through that service's own /api/v1, by path (ROUTES). `/registration/...`, `/support/...` and
`/reporting/...` reach one service explicitly (the prefix is dropped): the forms retract an event at the
service its timeline names. Bodies are streamed both ways; a backend that is down or too slow answers in
the contract's error shape (502/504), never a hang. A plain WSGI callable, served by gunicorn's threads."""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from shared.config import SERVICE_PORTS, from_env, service_port
from shared.i18n import language
from shared.sessions import GATEWAY_HEADER, gateway_token, secret_key

log = logging.getLogger("tienphong.gateway")

GATEWAY_PORT = 8000
CHUNK = 64 * 1024
CONNECT_SECONDS = 5.0
READ_SECONDS = 120.0  # an all-or-nothing import of a long list takes seconds; a hung backend is cut off
# hop-by-hop headers (RFC 9110 7.6.1), and Expect (gunicorn answered the client's 100-continue already):
# never forwarded
HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                 "transfer-encoding", "upgrade", "expect"})
_ID = r"[^/]+"
# (method or None for any, path pattern below /api/v1, service); first match wins, else reporting
ROUTES: list[tuple[str | None, re.Pattern[str], str]] = [
    (None, re.compile(rf"/participants/{_ID}/(trainings|fundings|supports)"), "support"),
    (None, re.compile(rf"/participants/{_ID}/(decisions|evaluations|commendations|replications)"), "registration"),
    (None, re.compile(r"/participants"), "registration"),
    (None, re.compile(rf"/participants/{_ID}"), "registration"),
    (None, re.compile(rf"/loans/{_ID}/(repayments|classifications)"), "support"),
    (None, re.compile(r"/org-units/changes"), "registration"),
    (None, re.compile(r"/imports/(trainings|fundings|supports|repayments)(/.*)?"), "support"),
    (None, re.compile(r"/imports(/.*)?"), "registration"),
    # both write services retract their own events: registration first, support when registration has
    # no such event (see _retraction_fallback)
    ("POST", re.compile(rf"/events/{_ID}/retraction"), "registration"),
]
RETRACTION = re.compile(rf"/api/v1/events/{_ID}/retraction")
PREFIXES = tuple(f"/{service}/" for service in SERVICE_PORTS)


def gateway_port(env: dict[str, str] | None = None) -> int:
    return int((env if env is not None else os.environ).get("TIENPHONG_GATEWAY_PORT", GATEWAY_PORT))


def backends(environment: dict[str, str] | None = None) -> dict[str, str]:
    """Each service's base URL: TIENPHONG_<SERVICE>_URL (compose), else 127.0.0.1 on its port."""
    env = dict(os.environ if environment is None else environment)
    named = {"registration": env.get("TIENPHONG_REGISTRATION_URL"), "support": env.get("TIENPHONG_SUPPORT_URL"),
             "reporting": env.get("TIENPHONG_REPORTING_URL")}
    return {service: named.get(service) or f"http://127.0.0.1:{service_port(service, env)}"
            for service in SERVICE_PORTS}


def route(method: str, path: str) -> tuple[str, str]:
    """(service, path as the service sees it) for a request to the gateway."""
    for prefix in PREFIXES:
        if path.startswith(prefix):
            return prefix.strip("/"), path[len(prefix) - 1:]
    if path.startswith("/api/v1/"):
        rest = path[len("/api/v1"):]
        for wanted, pattern, service in ROUTES:
            if (wanted is None or wanted == method) and pattern.fullmatch(rest):
                return service, path
    return "reporting", path


def _error(start_response: Any, status: str, code: str, vi: str, en: str, environ: dict[str, Any],
           headers: list[tuple[str, str]] | None = None, fields: dict[str, str] | None = None) -> list[bytes]:
    message = en if language(environ.get("HTTP_ACCEPT_LANGUAGE")) == "en" else vi
    body = json.dumps({"error": {"code": code, "message": message, "fields": fields or {}}},
                      ensure_ascii=False).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store"), *(headers or [])])
    return [body]


def _request_headers(environ: dict[str, Any], token: str) -> dict[str, str]:
    headers = {key[5:].replace("_", "-").title(): str(value) for key, value in environ.items()
               if key.startswith("HTTP_") and key[5:].replace("_", "-").lower() not in HOP}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").title()] = environ[key]
    headers.pop("Host", None)
    headers["X-Forwarded-Host"] = environ.get("HTTP_HOST", "")
    headers["X-Forwarded-Proto"] = environ.get("wsgi.url_scheme", "http")
    # the gateway's own peer, not whatever the client claims: a forged X-Forwarded-For goes no further
    headers["X-Forwarded-For"] = environ.get("REMOTE_ADDR", "")
    headers[GATEWAY_HEADER] = token  # vouches for X-Forwarded-For (shared.sessions.client_address)
    return headers


def _body(environ: dict[str, Any]) -> Iterator[bytes]:
    stream = environ["wsgi.input"]
    while chunk := stream.read(CHUNK):
        yield chunk


class Gateway:
    def __init__(self, urls: dict[str, str], secret: str) -> None:
        self.urls = {service: urlsplit(url) for service, url in urls.items()}
        self.token = gateway_token(secret)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ["REQUEST_METHOD"]
        if path == "/healthz":
            return _plain(start_response, "200 OK", b"ok")
        if path == "/readyz":
            return self._ready(environ, start_response)
        service, target = route(method, path)
        query = environ.get("QUERY_STRING")
        full = f"{target}?{query}" if query else target
        if method == "POST" and RETRACTION.fullmatch(path):
            return self._retraction_fallback(environ, start_response, full)
        return self._forward(environ, start_response, service, method, full, _body(environ))

    def _connection(self, service: str) -> http.client.HTTPConnection:
        url = self.urls[service]
        cls = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        return cls(url.hostname or "127.0.0.1", url.port, timeout=CONNECT_SECONDS)

    def _send(self, environ: dict[str, Any], service: str, method: str, target: str,
              body: Iterable[bytes] | bytes) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        conn = self._connection(service)
        headers = _request_headers(environ, self.token)
        sent: Iterable[bytes] | bytes | None = body
        if isinstance(body, bytes):
            headers["Content-Length"] = str(len(body))
        elif "Content-Length" in headers:
            pass
        elif method in ("GET", "HEAD", "DELETE", "OPTIONS"):
            sent = None
        else:
            headers["Transfer-Encoding"] = "chunked"  # gunicorn de-chunked the client's; re-chunk as we go
        conn.connect()
        assert conn.sock is not None
        conn.sock.settimeout(READ_SECONDS)
        conn.request(method, target, body=sent, headers=headers,
                     encode_chunked=headers.get("Transfer-Encoding") == "chunked")
        return conn, conn.getresponse()

    def _forward(self, environ: dict[str, Any], start_response: Any, service: str, method: str, target: str,
                 body: Iterable[bytes] | bytes) -> Iterable[bytes]:
        try:
            conn, response = self._send(environ, service, method, target, body)
        except TimeoutError:
            log.warning("%s timed out on %s %s", service, method, target.split("?")[0])
            return _error(start_response, "504 Gateway Timeout", "gateway_timeout",
                          "Dịch vụ không trả lời kịp; vui lòng thử lại.", "The service did not answer in time; "
                          "please retry.", environ, [("Retry-After", "5")])
        except OSError as exc:
            log.warning("%s unreachable for %s %s: %s", service, method, target.split("?")[0], exc)
            return _error(start_response, "502 Bad Gateway", "service_unavailable",
                          "Dịch vụ tạm thời không truy cập được; vui lòng thử lại sau.",
                          "The service is unreachable for now; please retry later.", environ, [("Retry-After", "5")])
        return self._relay(start_response, conn, response)

    def _relay(self, start_response: Any, conn: http.client.HTTPConnection,
               response: http.client.HTTPResponse) -> Iterable[bytes]:
        headers = [(name, value) for name, value in response.getheaders() if name.lower() not in HOP]
        start_response(f"{response.status} {response.reason}", headers)

        def stream() -> Iterator[bytes]:
            try:
                while chunk := response.read1(CHUNK):
                    yield chunk
            except OSError as exc:  # the backend went away mid-answer: the client sees a cut-off body
                log.warning("answer cut off: %s", exc)
            finally:
                conn.close()

        return stream()

    def _retraction_fallback(self, environ: dict[str, Any], start_response: Any, target: str) -> Iterable[bytes]:
        """A retraction without a service prefix: registration's events first, else support's. The body
        (a reason, at most the services' 1 MiB) is read once and sent to each."""
        body = b"".join(_body(environ))
        try:
            conn, response = self._send(environ, "registration", "POST", target, body)
            if response.status != 404:
                return self._relay(start_response, conn, response)
            conn.close()
        except OSError:
            pass  # registration away: support may still own the event
        return self._forward(environ, start_response, "support", "POST", target, body)

    def _ready(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        away = []
        for service in self.urls:
            try:
                conn = self._connection(service)
                conn.request("GET", "/readyz")
                status = conn.getresponse().status
                conn.close()
            except OSError:
                status = 0
            if status != 200:
                away.append(service)
        if away:
            return _error(start_response, "503 Service Unavailable", "not_ready", "Chưa sẵn sàng: " + ", ".join(away),
                          "Not ready: " + ", ".join(away), environ, fields={s: "not ready" for s in away})
        # the services' own shape (shared/web.py readyz), so one probe reads every process alike
        body = json.dumps({"status": "ready", "service": "gateway", "checks": {s: "ok" for s in self.urls}}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                  ("Cache-Control", "no-store")])
        return [body]


def _plain(start_response: Any, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def create_app(env: dict[str, str] | None = None) -> Gateway:
    return Gateway(backends(env), secret_key(from_env("gateway", env)))
