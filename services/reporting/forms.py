"""The data-entry web app at /forms/: static files only (an installable app shell with its service worker),
served by reporting beside the dashboards and reached through the gateway's one address. Everything a
person sees is drawn by forms_static/app.js from /api/v1/me, so the shell can be cached for offline use
and holds nobody's data; the writes go to registration and support through the gateway."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, redirect, send_from_directory
from werkzeug.wrappers import Response as WerkzeugResponse

from shared.auth import WRITING_KINDS
from shared.sessions import signed_in

STATIC = Path(__file__).resolve().parent / "forms_static"
# scripts, styles, the manifest and the worker from this origin only; nothing inline
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "manifest-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
FILES = {"app.js", "page.js", "send.js", "form.js", "pickers.js", "queue.js", "texts.js", "fields.js", "sw.js",
         "forms.css", "manifest.webmanifest", "icon.svg"}


def _served(name: str) -> Response:
    response = send_from_directory(STATIC, name, max_age=0)
    response.headers["Content-Security-Policy"] = CSP
    # revalidated on every load while online (the worker keeps its own copy for offline use)
    response.headers["Cache-Control"] = "no-cache"
    if name == "manifest.webmanifest":
        response.headers["Content-Type"] = "application/manifest+json"
    if name == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/forms/"
    return response


def blueprint() -> Blueprint:
    bp = Blueprint("forms", __name__)

    @bp.get("/")
    def home() -> WerkzeugResponse:
        """The one address: a person who records lands on the forms, one who only reads on their dashboard
        (signing in first, then back here to be sent on)."""
        person = signed_in()
        if person is None:
            return redirect("/login?next=/", 303)
        return redirect("/forms/" if person.kind in WRITING_KINDS else f"/dashboard/{person.scope}", 303)

    @bp.get("/forms")
    def forms_no_slash() -> WerkzeugResponse:
        return redirect("/forms/", 303)

    @bp.get("/forms/")
    def shell() -> Response:
        return _served("index.html")

    @bp.get("/forms/<name>")
    def asset(name: str) -> Response:
        if name not in FILES:
            abort(404)
        return _served(name)

    return bp
