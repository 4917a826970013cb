"""GET /api/v1/loans/{org_code}: the loan portfolio of a unit as of a date, and, for the readers who may see a
person's loan (union officers in scope, the lending bank for its own loans), the loans to follow up."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import Engine, select

from services.reporting.api import AS_OF, KNOWN_AT, READ_RESPONSES
from services.reporting.hierarchy_reads import HIERARCHY, Hierarchies, parse_mode
from services.reporting.loans import BUCKETS, follow_up_reasons, line, portfolio
from services.reporting.loans_read import loans_in, names_of
from services.reporting.params import parse_date, parse_known_at
from services.reporting.reads import Models
from services.reporting.store import of_participants
from shared.access_web import current_principal, require_scope
from shared.auth import Principal
from shared.grouping import grouping as grouping_of
from shared.loans import Loan
from shared.orgunits import OrgTree
from shared.web import ApiError, doc

INTEGER, TEXT, DAY = {"type": "integer"}, {"type": "string"}, {"type": "string", "format": "date"}
NULLABLE_TEXT = {"type": "string", "nullable": True}
_BUCKET = {"type": "object", "required": ["loans", "outstanding_vnd"],
           "properties": {"loans": INTEGER, "outstanding_vnd": INTEGER}}
_AMOUNTS = ("disbursed_vnd", "outstanding_vnd", "repaid_principal_vnd", "repaid_interest_vnd", "written_off_vnd",
            "at_risk_30_vnd")
FIGURES = {"type": "object", "required": ["loans", "active_loans", *_AMOUNTS, "overdue", "par30"], "properties": {
    "loans": INTEGER, "active_loans": INTEGER, **dict.fromkeys(_AMOUNTS, INTEGER),
    "overdue": {"type": "object", "required": [b[0] for b in BUCKETS], "properties": {b[0]: _BUCKET for b in BUCKETS}},
    "par30": {"type": "number", "nullable": True,
              "description": "outstanding of loans more than 30 days past due / total outstanding (null: none)"}}}
LINE = {"type": "object", "properties": {
    "funding_event_id": TEXT, "participant_id": TEXT, "participant_name": NULLABLE_TEXT, "org_unit": TEXT,
    "org_unit_name": TEXT,
    "source": TEXT, "lender_agency": TEXT, "lender": NULLABLE_TEXT, "disbursed_on": DAY, "amount_vnd": INTEGER,
    "term_months": {"type": "integer", "nullable": True}, "maturity": {"type": "string", "nullable": True},
    **{k: INTEGER for k in ("outstanding_vnd", "repaid_principal_vnd", "repaid_interest_vnd", "written_off_vnd",
                            "days_past_due")},
    "status": TEXT, "classified_on": {"type": "string", "nullable": True},
    "reasons": {"type": "array", "items": {"type": "string", "enum": ["overdue", "restructured", "not_classified",
                                                                      "past_maturity"]}}}}
UNIT = {"type": "object", "required": ["code", "name", "level"],
        "properties": {"code": TEXT, "name": TEXT, "level": TEXT}}
PORTFOLIO = {"type": "object", "required": ["org_unit", "as_of", "totals", "by_source", "children", "details"],
             "properties": {
                 "org_unit": UNIT, "as_of": DAY, "totals": FIGURES,
                 "by_source": {"type": "object", "additionalProperties": FIGURES},
                 "children": {"type": "array", "items": {"type": "object", "required": ["org_unit", "totals"],
                                                         "properties": {"org_unit": UNIT, "totals": FIGURES}}},
                 "hierarchy": {"type": "string", "enum": ["as_of", "current"]},
                 "known_at": {"type": "string", "format": "date-time",
                              "description": "with `known_at`: the portfolio as the system knew it then"},
                 "details": {"type": "string", "enum": ["all", "own", "none"],
                             "description": "whose loans this reader sees one by one"},
                 "follow_up": {"type": "array", "items": LINE,
                               "description": "loans needing a visit (detail readers only)"},
                 "loans": {"type": "array", "items": LINE, "description": "every loan, with `lines=true`"}}}
LINES = {"name": "lines", "in": "query", "required": False, "schema": {"type": "boolean"},
         "description": "`true`: every loan one by one (detail readers only)"}


def details_for(principal: Principal) -> str:
    """A person's loan is seen by the union officers in scope, and by the bank that lent it."""
    return {"union": "all", "bank": "own"}.get(principal.kind, "none")


def blueprint(engine: Engine, reader: Engine, first: OrgTree, hierarchies: Hierarchies | None = None) -> Blueprint:
    """`first`: the org-units file, the grouping when no hierarchy changes are known (`hierarchies`)."""
    bp = Blueprint("loans", __name__, url_prefix="/api/v1")
    models = Models(engine, reader)

    def grouping(code: str, day: date) -> OrgTree:
        """The units a read of `code` on `day` groups loans by (hierarchy=as_of|current), 404 / 403 in it."""
        if hierarchies is not None:
            return hierarchies.grouping(code, day)
        if code not in first:
            raise ApiError(404, "unknown_org_unit", org_code=code)
        require_scope(first, code)
        return first

    @bp.get("/loans/<org_code>")
    @doc("Loan portfolio of an org unit as of a date: outstanding principal, repaid, overdue by age, PAR30, per "
         "source and per child unit; the loans to follow up for union officers and the lending bank",
         responses=READ_RESPONSES, response_schema=PORTFOLIO, params=[AS_OF, KNOWN_AT, HIERARCHY, LINES],
         tags=["loans"])
    def loans(org_code: str) -> Response:
        as_of, known_at = parse_date("as_of", date.today()), parse_known_at()
        tree = grouping(org_code, as_of)
        principal = current_principal()
        model = models.current()
        with reader.connect() as conn:
            found = loans_in(conn, model, tree.descendants(org_code), known_at)
            body = portfolio_body(tree, org_code, as_of, list(found.values()))
            if known_at is not None:
                body["known_at"] = known_at.isoformat()
            details = details_for(principal)
            body["details"], body["hierarchy"] = details, parse_mode()
            if details != "none":
                shown = [loan for loan in found.values() if loan.disbursed_on <= as_of
                         and (details == "all" or loan.lender_agency == principal.agency)]
                body.update(detail_lines(shown, as_of, names_of(conn, model, sorted(
                    {loan.funding.participant_id for loan in shown})), request.args.get("lines") == "true", tree))
        return jsonify(body)

    @bp.get("/participants/<participant_id>/loans")
    @doc("One participant's loans as of today, for the readers who may see them one by one (union officers in "
         "scope: all; a bank: its own), each with its outstanding principal and latest classification: what "
         "the forms' loan picker shows", responses=READ_RESPONSES,
         response_schema={"type": "object", "properties": {"participant_id": TEXT, "participant_name": NULLABLE_TEXT,
                                                           "loans": {"type": "array", "items": LINE}}},
         tags=["loans"])
    def participant_loans(participant_id: str) -> Response:
        principal = current_principal()
        details = details_for(principal)
        if details == "none":
            raise ApiError(403, "forbidden")
        model = models.current()
        events = model.events
        today = date.today()
        with reader.connect() as conn:
            units = {row.org_unit for row in conn.execute(select(events.c.org_unit, events.c.type).where(
                of_participants(events, [participant_id])))}
            if not units:
                raise ApiError(404, "unknown_participant", participant_id=participant_id)
            found = [loan for loan in loans_in(conn, model, units).values()
                     if loan.funding.participant_id == participant_id
                     and (details == "all" or loan.lender_agency == principal.agency)]
            name = names_of(conn, model, [participant_id]).get(participant_id)

        def in_scope(unit: str, day: date) -> bool:
            # as the timeline: in the caller's scope in the hierarchy of that day or of today
            if hierarchies is None:
                return first.within(unit, principal.scope)
            hierarchy = hierarchies.current()
            return any(grouping_of(hierarchy, d).within(unit, principal.scope) for d in (day, today))
        shown = [loan for loan in found if in_scope(loan.funding.org_unit, loan.disbursed_on)]
        if found and not shown:
            raise ApiError(403, "out_of_scope")
        lines = [line(loan, loan.position(today), name) for loan in shown]
        lines.sort(key=lambda e: (e["disbursed_on"], e["funding_event_id"]))
        return jsonify({"participant_id": participant_id, "participant_name": name, "loans": lines})

    return bp


def portfolio_body(tree: OrgTree, org_code: str, as_of: date, loans: list[Loan]) -> dict[str, Any]:
    child_of: dict[str, str] = {}
    children = tree.children(org_code)
    for child in children:
        child_of.update(dict.fromkeys(tree.descendants(child.code), child.code))
    totals, by_source, by_child = portfolio(loans, as_of, child_of.get)
    empty = portfolio([], as_of, child_of.get)[0]
    unit = tree.get(org_code)
    assert unit is not None
    return {"org_unit": _unit(unit.code, tree), "as_of": as_of.isoformat(), "totals": totals, "by_source": by_source,
            "children": [{"org_unit": _unit(c.code, tree), "totals": by_child.get(c.code, empty)} for c in children]}


def _unit(code: str, tree: OrgTree) -> dict[str, str]:
    unit = tree.get(code)
    assert unit is not None
    return {"code": unit.code, "name": unit.name, "level": unit.level}


def detail_lines(loans: list[Loan], as_of: date, names: dict[str, str], every: bool,
                 tree: OrgTree | None = None) -> dict[str, Any]:
    """The follow-up list (most days past due, then most owed, first) and, when asked, every loan; each with
    the name of its unit in `tree` (the unit it is grouped in, for a former one)."""
    follow_up, lines = [], []
    for loan in loans:
        p = loan.position(as_of)
        reasons = follow_up_reasons(loan, p, as_of)
        entry = {**line(loan, p, names.get(loan.funding.participant_id)), "reasons": reasons}
        if tree is not None:
            # the first of the loan's unit and what it became that is a unit of the tree
            unit = next((u for code in tree.ancestors(loan.funding.org_unit) if (u := tree.get(code))), None)
            entry["org_unit_name"] = unit.name if unit else loan.funding.org_unit
        if reasons:
            follow_up.append(entry)
        if every:
            lines.append(entry)
    follow_up.sort(key=lambda e: (-e["days_past_due"], -e["outstanding_vnd"], e["funding_event_id"]))
    lines.sort(key=lambda e: (e["org_unit"], e["disbursed_on"], e["funding_event_id"]))
    return {"follow_up": follow_up, **({"loans": lines} if every else {})}
