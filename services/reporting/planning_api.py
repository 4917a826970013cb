"""Reporting's endpoints for following the plan: figure definitions, targets (set by admins, with history)
and alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from services.reporting import alerts, definitions, schemas, target_store
from services.reporting.figures import grouped_metrics
from services.reporting.hierarchy_reads import HIERARCHY
from services.reporting.history import histories
from services.reporting.params import parse_date
from services.reporting.reads import Reads
from services.reporting.store import registered_in
from shared import date_bounds
from shared.access_web import current_principal
from shared.web import ApiError, doc, json_body

READ_RESPONSES = {200: "OK", 401: "no valid key", 403: "out of scope", 404: "unknown org unit",
                  422: "bad parameter"}
AS_OF = {"name": "as_of", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}}
KIND = {"name": "kind", "in": "query", "required": False, "schema": {"type": "string"},
        "description": "only these kinds, comma-separated: behind_target, selected_idle, funded_unevaluated"}


class TargetBody(Schema):
    successful_models = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1_000_000))
    effective_on = fields.Date()  # default: today
    start_on = fields.Date()  # default: the start of the phase running on effective_on
    due_on = fields.Date()  # default: the end of that phase
    note = fields.String(validate=validate.Length(max=500), allow_none=True)


def _bad(name: str, vi: str, en: str) -> ApiError:
    return ApiError(422, "validation_failed", fields={name: f"{vi}||{en}"})


def blueprint(reads: Reads, settings: alerts.Settings) -> Blueprint:
    bp = Blueprint("reporting_plan", __name__, url_prefix="/api/v1")

    @bp.get("/definitions")
    @doc("What every figure means (Vietnamese and English), and whether it is cumulative up to a date or "
         "within a period", responses={200: "OK", 401: "no valid key"}, response_schema=schemas.DEFINITIONS,
         tags=["reports"])
    def figure_definitions() -> Response:
        return jsonify(definitions.as_json())

    @bp.get("/targets/<org_code>")
    @doc("The unit's and its children's targets as of a date with their status, and every target set for "
         "them (history)", responses=READ_RESPONSES, response_schema=schemas.TARGETS, params=[AS_OF, HIERARCHY],
         tags=["targets"])
    def targets_of(org_code: str) -> Response:
        as_of = parse_date("as_of", date.today())
        tree = reads.grouping(org_code, as_of)  # the units of that day (404 / 403 in it)
        codes = [org_code, *(c.code for c in tree.children(org_code))]
        with reads.reader.connect() as conn:
            book = reads.targets_in(conn)
        units = []
        for code in codes:
            unit = tree.get(code)
            assert unit is not None
            goal = book.goal(tree, code, as_of)
            units.append({"org_unit": {"code": code, "name": unit.name, "level": unit.level},
                          "successful_models": goal.value, "expected_by_as_of": goal.expected,
                          "start_on": goal.start_on.isoformat() if goal.start_on else None,
                          "due_on": goal.due_on.isoformat() if goal.due_on else None, "source": goal.source,
                          "history": [r.as_dict() for r in book.rows if r.org_unit == code]})
        return jsonify({"org_unit": org_code, "as_of": as_of.isoformat(), "units": units})

    @bp.post("/targets/<org_code>")
    @doc("Set a unit's target of successful models from a date on (admin keys and accounts); earlier targets "
         "stay for the reports they were valid for", body=TargetBody,
         responses={201: "recorded", 200: "the unit's latest target sent again: nothing new recorded (so a retried "
                                          "request, with or without Idempotency-Key, never adds a second row)",
                    400: "bad JSON", 401: "no valid key", 403: "not an admin, or out of scope",
                    404: "unknown org unit", 415: "not JSON", 422: "invalid fields"}, tags=["targets"])
    def set_target(org_code: str) -> tuple[Response, int]:
        principal = current_principal()
        if principal.kind != "admin":
            raise ApiError(403, "forbidden")
        body = json_body(TargetBody())
        effective_on = body.get("effective_on") or date.today()
        if date_bounds.within(effective_on):
            reads.grouping(org_code, effective_on)  # a unit of that day, in scope (404 / 403)
        phase = reads.targets.phase_on(effective_on)
        start_on = body.get("start_on") or (phase.start if phase else None)
        due_on = body.get("due_on") or (phase.end if phase else None)
        for name, day in (("effective_on", effective_on), ("start_on", start_on), ("due_on", due_on)):
            if day is None:
                raise _bad(name, "Thiếu trường bắt buộc.", "Missing data for required field.")
            if not date_bounds.within(day):
                raise ApiError(422, "validation_failed", fields={name: date_bounds.out_of_range_message()})
        assert start_on is not None and due_on is not None
        if due_on <= start_on:
            raise _bad("due_on", "Hạn chỉ tiêu phải sau ngày bắt đầu.", "due_on must be after start_on.")
        with reads.engine.begin() as conn:
            row, added = target_store.add(conn, org_code, body["successful_models"], start_on, due_on, effective_on,
                                   principal.name or principal.agency or principal.key_id, body.get("note"))
        return jsonify(row.as_dict()), 201 if added else 200

    @bp.get("/alerts/<org_code>")
    @doc("Units behind the straight-line path to their target, selected participants neither trained nor "
         "funded after N months, funded participants with no evaluation in M months; each with its reason",
         responses=READ_RESPONSES, response_schema=schemas.ALERTS, params=[AS_OF, HIERARCHY, KIND],
         tags=["alerts"])
    def alerts_of(org_code: str) -> Response:
        as_of = parse_date("as_of", date.today())
        kinds = set(filter(None, request.args.get("kind", "").split(","))) or set(alerts.KINDS)
        if not kinds <= set(alerts.KINDS):
            raise _bad("kind", "Loại cảnh báo: " + ", ".join(alerts.KINDS), "kind: one of " + ", ".join(alerts.KINDS))
        return jsonify(alerts_body(reads, settings, org_code, as_of, kinds))

    return bp


def alerts_body(reads: Reads, settings: alerts.Settings, org_code: str, as_of: date,
                kinds: set[str] | frozenset[str] = frozenset(alerts.KINDS)) -> dict[str, Any]:
    """The alerts (of `kinds`) of `org_code` and the units below it as the hierarchy valid on `as_of` groups
    them (404/403 checked in it); a participant counts where that hierarchy puts their recorded unit."""
    tree = reads.grouping(org_code, as_of)
    recorded = tree.descendants(org_code)  # every recorded unit counted in it, former ones included
    shown = sorted((u.code for u in tree if u.code in recorded), key=lambda c: (tree.depth(c), c))
    names = {code: unit.name for code in recorded if (unit := tree.get(code) or reads.tree.get(code)) is not None}
    model = reads.models.current()
    found: list[dict[str, Any]] = []
    with reads.reader.connect() as conn:
        book = reads.targets_in(conn)
        figures = grouped_metrics(conn, model, tree, set(shown), [as_of])[as_of]
        for code in shown:
            unit = tree.get(code)
            assert unit is not None
            achieved = int(figures.get(code, {}).get("successful", 0))
            alert = alerts.unit_alert({"code": code, "name": unit.name, "level": unit.level},
                                      book.status(tree, code, as_of, achieved), as_of)
            if alert is not None:
                found.append(alert)
        e = model.events
        registered = select(e.c.participant_key).where(registered_in(e, sorted(recorded)))
        if kinds & {alerts.SELECTED_IDLE, alerts.FUNDED_UNEVALUATED}:  # reads every participant's history
            for history in histories(conn, model, e.c.participant_key.in_(registered),
                                     e.c.type.in_(alerts.NEEDED_TYPES)):
                found.extend(alerts.participant_alerts([f for f, _ in history], set(recorded), as_of, settings,
                                                       names))
    found = [a for a in found if a["kind"] in kinds]
    counts = {kind: sum(1 for a in found if a["kind"] == kind) for kind in alerts.KINDS}
    unit = tree.get(org_code)
    assert unit is not None
    return {"org_unit": {"code": org_code, "name": unit.name, "level": unit.level}, "as_of": as_of.isoformat(),
            "generated_at": datetime.now(UTC).isoformat(), "settings": settings.as_dict(), "counts": counts,
            "alerts": found}
