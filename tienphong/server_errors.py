"""gunicorn's own answers (a request it refuses before any application sees it: an over-long URL 414, too
many or too long headers 431, a malformed request line 400) in the contract's JSON error shape with the
security headers, instead of its HTML page. gunicorn writes them all through `gunicorn.util.write_error`;
`install()` (from gunicorn_conf.py, in the master, so every forked worker has it) puts this writer there."""

from __future__ import annotations

import json
import socket
from typing import Any

from shared import i18n
from shared.security_headers import HEADERS

CODES = {400: "bad_request", 403: "forbidden", 414: "uri_too_long", 417: "bad_request",
         431: "headers_too_large", 500: "internal_error", 501: "not_implemented"}


def error_reply(status: int, reason: str) -> bytes:
    """The whole HTTP/1.1 answer. The request was not read, so its language is unknown: Vietnamese, the
    default of every answer."""
    code = CODES.get(status, "bad_request" if status < 500 else "internal_error")
    body = json.dumps({"error": {"code": code, "message": i18n.message(code, "vi"), "fields": {}}},
                      ensure_ascii=False).encode()
    head = [f"HTTP/1.1 {status} {reason}", "Connection: close", "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(body)}", *(f"{name}: {value}" for name, value in HEADERS.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    from gunicorn import util

    # `mesg` (gunicorn's detail, the offending request line or header) is logged by gunicorn, not echoed
    util.write_nonblock(sock, error_reply(status_int, reason))


def install() -> None:
    from gunicorn import util

    patched: Any = write_json_error
    util.write_error = patched
