"""The dashboard pages: GET /dashboard/{org_code} and /dashboard/participant/{id}, behind the login.

The server renders the page frame (names, breadcrumb, labels, scope checks); the page's scripts read
the figures from /api/v1 with the session cookie, so what the page shows is exactly what the API says,
and a live update is a re-read, never a second implementation of the figures."""

from __future__ import annotations

import logging
import time
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import yaml
from flask import (
    Blueprint,
    Response,
    after_this_request,
    make_response,
    redirect,
    render_template,
    request,
    session,
)
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as WerkzeugResponse

from services.reporting import definitions as figure_definitions
from services.reporting.domain import live_facts
from services.reporting.hierarchy_reads import Hierarchies
from services.reporting.history import row_to_fact
from services.reporting.series import active_range
from services.reporting.store import active_generation, of_participants, read_model
from shared.auth import AccessStore, Principal
from shared.config import Config
from shared.orgunits import OrgTree
from shared.sessions import csrf_token, signed_in

log = logging.getLogger("tienphong.dashboard")

HERE = Path(__file__).resolve().parent
TEXTS_FILE = HERE / "templates" / "dashboard" / "texts.yaml"
LANGUAGES = ("vi", "en")
LANG_KEY = "dashboard_lang"  # where the choice was kept before its cookie; still read
LANG_COOKIE = "tienphong_lang"
LANG_COOKIE_SECONDS = 365 * 24 * 3600
# The page loads its scripts, styles and the vendored chart library from this service only, and reads
# /api/v1 on the same origin: nothing inline, nothing from elsewhere.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@lru_cache(maxsize=1)
def _all_texts() -> dict[str, tuple[str, str]]:
    with open(TEXTS_FILE, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return {str(key): (str(pair[0]), str(pair[1])) for key, pair in raw.items()}


def texts(lang: str) -> dict[str, str]:
    """The dashboard's words in one language."""
    index = 1 if lang == "en" else 0
    return {key: pair[index] for key, pair in _all_texts().items()}


def definitions(lang: str) -> dict[str, str]:
    """What each figure means, by its key (a report's within-period figures as report.<key>): shown on hover and
    on tap, the same texts as GET /api/v1/definitions, the exports and the báo cáo documents."""
    return {**{key: d.text(lang) for key, d in figure_definitions.CUMULATIVE_BY_KEY.items()},
            **{f"report.{key}": d.text(lang) for key, d in figure_definitions.IN_PERIOD_BY_KEY.items()},
            **{key: d.text(lang) for key, d in figure_definitions.TARGET_BY_KEY.items()}}


def page_words(lang: str) -> dict[str, str]:
    """The page's words and its figures' definitions (as def.<key>), for the templates and the scripts."""
    return texts(lang) | {f"def.{key}": text for key, text in definitions(lang).items()}


def chosen_language() -> str | None:
    """The language the reader chose: ?lang=en|vi (then remembered), else the one remembered, else None.
    Remembered in a cookie of its own, which the forms read and set too (forms_static/page.js): in the session
    cookie, which every response re-sends, a request answered just after the choice undid it."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        if request.cookies.get(LANG_COOKIE) != chosen:
            secure = request.is_secure

            @after_this_request
            def _remember(response: Response) -> Response:
                response.set_cookie(LANG_COOKIE, chosen, max_age=LANG_COOKIE_SECONDS, samesite="Lax", secure=secure)
                return response
        return chosen
    remembered = request.cookies.get(LANG_COOKIE) or session.get(LANG_KEY)  # the session's: before the cookie
    return remembered if remembered in LANGUAGES else None


def page_language() -> str:
    """The page's language: the reader's choice (chosen_language), Vietnamese by default."""
    return chosen_language() or "vi"


def _login_redirect() -> WerkzeugResponse:
    target = request.full_path if request.query_string else request.path
    return redirect(f"/login?next={quote(target, safe='/')}", 303)


def _html(body: str, status: int = 200) -> Response:
    response = make_response(body, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def activity(engine: Engine, tree: OrgTree, code: str) -> tuple[date, date] | None:
    """The first and the latest day with any figure in the unit or below (of the units its figures are read
    from): the trend's range, the landing period."""
    try:
        with engine.connect() as conn:
            return active_range(conn, read_model(active_generation(conn)), tree.cover(code))
    except SQLAlchemyError:  # read model not created yet: nothing has happened
        return None


class AgencyNames:
    """Agencies by the names their keys were given (`tienphong keys create --name`), for the people who read
    who posted what; re-read every minute. An agency without a named key keeps its id."""

    def __init__(self, access: AccessStore | None, seconds: float = 60.0) -> None:
        self._access, self._seconds = access, seconds
        self._names: dict[str, str] = {}
        self._fresh_until = 0.0

    def __call__(self) -> dict[str, str]:
        if self._access is not None and time.monotonic() > self._fresh_until:
            names: dict[str, str] = {}
            try:
                for key in self._access.list_keys():  # oldest first: an agency's latest named key names it
                    if key.get("name"):
                        names[str(key["agency"])] = str(key["name"])
            except SQLAlchemyError:
                log.warning("agency names unavailable; ids shown meanwhile")
                return self._names
            self._names, self._fresh_until = names, time.monotonic() + self._seconds
        return self._names


def participant_unit(engine: Engine, participant_id: str) -> str | None:
    """The commune a participant is registered in (as the timeline's scope check decides), else None."""
    try:
        with engine.connect() as conn:
            events = read_model(active_generation(conn)).events
            rows = list(conn.execute(select(events).where(of_participants(events, [participant_id]))).all())
    except SQLAlchemyError:
        return None
    if not rows:
        return None
    registrations = [f for f in live_facts([row_to_fact(r) for r in rows]) if f.type == "participant.registered"]
    return registrations[-1].org_unit if registrations else str(rows[0].org_unit)


def blueprint(engine: Engine, first_version: OrgTree, config: Config, hierarchies: Hierarchies | None = None,
              access: AccessStore | None = None) -> Blueprint:
    bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates",
                   static_folder="static", static_url_path="/static")

    def tree_now() -> OrgTree:
        """The hierarchy of the page's as_of (today by default), as the reads group by (a dissolved unit's
        page: as on its last day); the org-units file's, when no changes are known."""
        if hierarchies is None:
            return first_version
        try:
            day = date.fromisoformat(request.args.get("as_of") or "")
        except ValueError:
            day = date.today()
        if request.args.get("hierarchy") == "current":  # history restated onto today's units, as the reads do
            day = hierarchies.today()
        return hierarchies.unit_grouping((request.view_args or {}).get("org_code"), day)

    def crumbs(code: str, principal: Principal) -> list[dict[str, str]]:
        """Ancestors the reader may open, from the top of their scope down to `code`."""
        tree = tree_now()
        chain = [tree.get(c) for c in reversed(tree.ancestors(code))]
        return [{"code": u.code, "name": u.name, "level": u.level} for u in chain
                if u is not None and tree.within(u.code, principal.scope)]

    agency_names = AgencyNames(access)

    def names(principal: Principal) -> dict[str, Any]:
        """Names, not ids, wherever the page shows who posted an event or where: agencies and the units the
        reader may see (sent with the page: no request for them)."""
        tree = tree_now()
        below = frozenset().union(*(t.descendants(principal.scope) for t in (tree, first_version)
                                    if principal.scope in t))
        units = {u.code: u.name for u in first_version if u.code in below}  # former units by their names too
        return {"agencies": agency_names(), "units": units | {u.code: u.name for u in tree if u.code in below}}

    def frame(principal: Principal, lang: str, **extra: Any) -> dict[str, Any]:
        words = page_words(lang)
        return {"lang": lang, "other_lang": "vi" if lang == "en" else "en", "t": words, "user": principal,
                "defs": definitions(lang),
                "csrf": csrf_token(), "today": date.today().isoformat(),
                "program_start": config.program_start.isoformat(), **extra}

    def message(principal: Principal, lang: str, status: int, title: str, text: str,
                link: tuple[str, str] | None = None) -> Response:
        return _html(render_template("dashboard/message.html", title=title, text=text, link=link, crumbs_link_last=True,
                                     **frame(principal, lang, crumbs=crumbs(principal.scope, principal))), status)

    def unit_label(code: str) -> str:
        unit = tree_now().get(code)
        return f"{unit.name} ({code})" if unit else code

    @bp.get("/")
    def home() -> WerkzeugResponse:
        principal = signed_in()
        if principal is None:
            return _login_redirect()
        return redirect(f"/dashboard/{principal.scope}", 303)

    @bp.get("/<org_code>")
    def org_page(org_code: str) -> WerkzeugResponse:
        principal = signed_in()
        if principal is None:
            return _login_redirect()
        lang = page_language()
        words = texts(lang)
        tree = tree_now()
        unit = tree.get(org_code)
        span = hierarchies.current().span(org_code) if unit is None and hierarchies is not None else None
        if unit is None and span is not None:  # a unit created later than the page's date (a 2025 commune in 2018)
            later = hierarchies.unit_grouping(org_code, span[0]).get(org_code) if hierarchies else None
            restated = f"/dashboard/{quote(org_code)}?" + urlencode(request.args.to_dict() | {"hierarchy": "current"})
            return message(principal, lang, 404, words["not_found"], words["not_yet_unit"].format(
                unit=later.name if later else org_code, valid_from=span[0].strftime("%d/%m/%Y")),
                (restated, words["see_restated"]))
        if unit is None:
            return message(principal, lang, 404, words["not_found"],
                           words["not_found_unit"].format(code=org_code))
        if not tree.within(org_code, principal.scope):
            log.info("dashboard %s refused to %s (scope %s)", org_code, principal.key_id, principal.scope)
            return message(principal, lang, 403, words["forbidden"],
                           words["forbidden_text"].format(unit=unit_label(org_code), scope=principal.scope))
        active = activity(engine, tree, org_code)
        page = {
            "org_unit": unit.as_dict(), "children": [c.as_dict() for c in tree.children(org_code)],
            "program_start": config.program_start.isoformat(), "lang": lang,
            "active": {"first": active[0].isoformat(), "last": active[1].isoformat()} if active else None,
            **names(principal),
        }
        return _html(render_template("dashboard/org.html", unit=unit, children=tree.children(org_code),
                                     page=page, **frame(principal, lang, crumbs=crumbs(org_code, principal))))

    @bp.get("/participant/<participant_id>")
    def participant_page(participant_id: str) -> WerkzeugResponse:
        principal = signed_in()
        if principal is None:
            return _login_redirect()
        lang = page_language()
        words = texts(lang)
        code = participant_unit(engine, participant_id)
        if code is None:
            return message(principal, lang, 404, words["not_found"],
                           words["not_found_participant"].format(id=participant_id))
        tree = tree_now()
        if not (tree.within(code, principal.scope) or first_version.within(code, principal.scope)):
            log.info("dashboard participant refused to %s (scope %s)", principal.key_id, principal.scope)
            return message(principal, lang, 403, words["forbidden"],
                           words["forbidden_text"].format(unit=unit_label(code), scope=principal.scope))
        unit = tree.get(code)
        page = {"participant_id": participant_id, "org_unit": unit.as_dict() if unit else None, "lang": lang,
                **names(principal)}
        return _html(render_template("dashboard/participant.html", unit=unit, page=page,
                                     **frame(principal, lang, crumbs=crumbs(code, principal))))

    return bp
