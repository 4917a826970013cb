"""Headers every response of every service carries (JSON, files, pages, errors): a browser never sniffs a
type, never frames a page, never sends a path to another site. A page that sets its own stricter policy
(the dashboard, the login page) keeps it; anything else gets one that loads nothing at all."""

from __future__ import annotations

from flask import Flask, Response

# JSON, files and error answers load nothing: the strictest policy, which also forbids framing
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # for browsers that predate CSP's frame-ancestors
    "Content-Security-Policy": DEFAULT_CSP,
}


def secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        if name not in response.headers:
            response.headers[name] = value
    return response


def install_security_headers(app: Flask) -> None:
    app.after_request(secure)
