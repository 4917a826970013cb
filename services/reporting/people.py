"""Reads the data-entry forms need: who is signed in and which forms they may use (/api/v1/me), the
participants of a unit to pick from (/api/v1/directory/{org_code}), and the caller's own recent entries
(/api/v1/my-entries). Reporting owns the read side; the writes still go to registration and support."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import orjson
from flask import Blueprint, Response, jsonify, request
from sqlalchemy import Engine, desc, select

from services.reporting.dashboard import chosen_language
from services.reporting.domain import Fact, live_facts
from services.reporting.history import row_to_fact
from services.reporting.store import active_generation, of_participants, read_model, registered_in
from shared.access_web import current_principal, require_scope
from shared.orgunits import OrgTree
from shared.permissions import may_post
from shared.sessions import csrf_token, signed_in
from shared.text import fold_text
from shared.web import ApiError, doc

if TYPE_CHECKING:
    from services.reporting.hierarchy_reads import Hierarchies

# form -> (event types it posts, owning service, path below /api/v1; {id} is the participant or event)
FORMS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "registration": (("participant.registered",), "registration", "/participants"),
    "decision": (("participant.selected", "participant.rejected"), "registration", "/participants/{id}/decisions"),
    "training": (("participant.trained",), "support", "/participants/{id}/trainings"),
    "funding": (("participant.funded",), "support", "/participants/{id}/fundings"),
    "support": (("participant.supported",), "support", "/participants/{id}/supports"),
    "evaluation": (("participant.evaluated",), "registration", "/participants/{id}/evaluations"),
    "commendation": (("participant.commended",), "registration", "/participants/{id}/commendations"),
    "replication": (("model.replicated",), "registration", "/participants/{id}/replications"),
    # on a loan its agency made ({loan}: the funding's event id, from GET /participants/{id}/loans)
    "repayment": (("loan.repaid",), "support", "/loans/{loan}/repayments"),
    "classification": (("loan.classified",), "support", "/loans/{loan}/classifications"),
}
# a union key funds from the "120" fund only (shared.permissions); a bank key from every source
FUNDING_SOURCES_BY_KIND = {"union": ["youth_union_120"]}
MAX_LISTED = 5000
RECENT = 50
CHUNK = 500  # participant ids per look-up through the participant_key index
# what a directory entry needs (its name and status); a retraction may cancel either
DIRECTORY_TYPES = ("participant.registered", "participant.selected", "participant.rejected", "event.retracted")


def allowed_forms(tree: OrgTree, kind: str, scope: str, agency: str | None = None) -> list[str]:
    """The forms whose events a principal of `kind` at `scope` may post (funding: from some source; a loan's
    events: on the loans its agency made, so only an account bound to an agency that may lend)."""
    def may(event: str) -> bool:
        return may_post(tree, kind, scope, event, funding_source="youth_union_120", agency=agency,
                        lender_agency=agency)
    return [form for form, (events, _, _) in FORMS.items() if any(may(e) for e in events)]


def directory_entry(registration: Fact, facts: list[Fact], name_of: dict[str, str]) -> dict[str, Any]:
    decisions = [f.type for f in facts if f.type in ("participant.selected", "participant.rejected")]
    data = registration.data
    return {"participant_id": registration.participant_id, "full_name": data.get("full_name"),
            "birth_date": data.get("birth_date"), "phone": data.get("phone"), "org_unit": registration.org_unit,
            "org_unit_name": name_of.get(registration.org_unit, registration.org_unit),
            "status": decisions[-1].split(".")[1] if decisions else "registered"}


def blueprint(reader: Engine, first_version: OrgTree, hierarchies: Hierarchies | None = None) -> Blueprint:
    bp = Blueprint("people", __name__, url_prefix="/api/v1")

    def tree_of(code: str) -> OrgTree:
        """Today's hierarchy (a new commune of the 2025 reform is known, with its former communes below it);
        for a unit that has ended, the one of its last day, so its accounts keep their forms for its history."""
        return first_version if hierarchies is None else hierarchies.unit_grouping(code, hierarchies.today())

    def names(tree: OrgTree) -> dict[str, str]:
        return {u.code: u.name for u in first_version} | {u.code: u.name for u in tree}

    def events_table() -> Any:
        with reader.connect() as conn:
            return read_model(active_generation(conn)).events

    @bp.get("/me")
    @doc("Who is calling, and the forms they may use (a signed-in person also gets the session's CSRF token "
         "for X-CSRF-Token, and `lang`: the language they last chose, on the dashboard or in the forms; "
         "`?lang=vi|en` records a new choice)",
         params=[{"name": "lang", "in": "query", "required": False,
                  "schema": {"type": "string", "enum": ["vi", "en"]}}],
         tags=["forms"])
    def me() -> Response:
        principal = current_principal()
        person = signed_in()
        tree = tree_of(principal.scope)
        unit = tree.get(principal.scope) or first_version.get(principal.scope)
        body: dict[str, Any] = {
            "username": principal.name if person else None, "key_id": principal.key_id,
            "agency": principal.agency, "kind": principal.kind, "scope": principal.scope,
            "scope_name": unit.name if unit else principal.scope,
            "forms": allowed_forms(tree, principal.kind, principal.scope, principal.agency),
            "paths": {form: {"service": service, "path": path} for form, (_, service, path) in FORMS.items()},
            "funding_sources": FUNDING_SOURCES_BY_KIND.get(principal.kind),
            "may_retract": principal.kind in ("union", "bank", "business", "admin"),
        }
        if person is not None and person.key_id == principal.key_id:
            # one language for the person's dashboard and forms: ?lang= remembers a choice, as the dashboard's
            # pages do; null until one was made
            body["lang"] = chosen_language()
            body["csrf_token"] = csrf_token()
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/directory/<org_code>")
    @doc("Participants registered in a unit or below, to pick from: name, birth date, phone, commune, status. "
         "`q` filters on name, phone or commune, accents and case ignored ('nguyen van a' finds 'Nguyễn Văn A')",
         params=[{"name": "q", "in": "query", "required": False, "schema": {"type": "string"}}],
         responses={200: "OK", 403: "out of scope", 404: "unknown org unit"}, tags=["forms"])
    def directory(org_code: str) -> Response:
        tree = tree_of(org_code)
        if org_code not in tree:
            raise ApiError(404, "unknown_org_unit", org_code=org_code)
        require_scope(tree, org_code)
        words = fold_text(request.args.get("q", "")[:200]).split()
        events = events_table()
        units, name_of = sorted(tree.descendants(org_code)), names(tree)
        with reader.connect() as conn:
            registered = conn.execute(select(events.c.participant_id, events.c.org_unit, events.c.data)
                                      .where(registered_in(events, units))).all()
        wanted: list[str] = []
        for row in registered:
            data = orjson.loads(row.data)
            haystack = fold_text(f"{data.get('full_name')} {data.get('phone')} {name_of.get(row.org_unit, '')}")
            if all(word in haystack for word in words) and row.participant_id not in wanted:
                wanted.append(row.participant_id)
        truncated = len(wanted) > MAX_LISTED
        by_participant: dict[str, list[Fact]] = defaultdict(list)
        with reader.connect() as conn:
            for start in range(0, min(len(wanted), MAX_LISTED), CHUNK):
                chunk = wanted[start:start + CHUNK]
                for row in conn.execute(select(events).where(of_participants(events, chunk),
                                                             events.c.type.in_(DIRECTORY_TYPES))):
                    by_participant[row.participant_id].append(row_to_fact(row))
        items = []
        for facts in by_participant.values():
            live = live_facts(facts)
            registrations = [f for f in live if f.type == "participant.registered"]
            if registrations and tree.within(registrations[-1].org_unit, org_code):
                items.append(directory_entry(registrations[-1], live, name_of))
        items.sort(key=lambda item: (str(item["full_name"]), item["participant_id"]))
        return jsonify({"org_unit": org_code, "items": items, "truncated": truncated})

    @bp.get("/my-entries")
    @doc("The caller's own most recent events (by the key or account that posted them), newest first, each "
         "with whether it has been retracted", tags=["forms"])
    def my_entries() -> Response:
        principal = current_principal()
        events = events_table()
        with reader.connect() as conn:
            rows = conn.execute(select(events).where(events.c.source_key_id == principal.key_id)
                                .order_by(desc(events.c.recorded_at)).limit(RECENT)).all()
            ids = sorted({r.participant_id for r in rows})
            related = [row_to_fact(r) for r in conn.execute(select(events).where(of_participants(events, ids)))]
        retracted = {str(f.data.get("retracted_event_id")) for f in related if f.type == "event.retracted"}
        names = {f.participant_id: f.data.get("full_name") for f in related if f.type == "participant.registered"}
        return jsonify({"items": [{
            "event_id": r.event_id, "type": r.type, "participant_id": r.participant_id,
            "full_name": names.get(r.participant_id), "occurred_on": r.occurred_on.isoformat(),
            "recorded_at": row_to_fact(r).recorded_at.isoformat(), "service": r.service,
            "retracted": r.event_id in retracted} for r in rows]})

    return bp
