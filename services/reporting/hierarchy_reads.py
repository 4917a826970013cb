"""How every read finds the hierarchy it groups history by: `hierarchy=as_of` (default: the units valid on the
read's date) or `hierarchy=current` (history restated onto today's units), and GET /api/v1/org-units."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, request

from services.reporting import schemas
from shared.access_web import current_principal, require_scope
from shared.grouping import Grouping, grouping
from shared.hierarchy import Hierarchy
from shared.hierarchy_store import HierarchySource
from shared.web import ApiError, doc

MODES = ("as_of", "current")
HIERARCHY = {"name": "hierarchy", "in": "query", "required": False,
             "schema": {"type": "string", "enum": list(MODES), "default": "as_of"},
             "description": "as_of: group history by the units valid on the read's date; current: restate it onto "
                            "today's units (merged and split units counted in their successors)"}
AS_OF = {"name": "as_of", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
         "description": "the hierarchy valid on that date (default: today)"}


def parse_mode() -> str:
    mode = request.args.get("hierarchy") or "as_of"
    if mode not in MODES:
        raise ApiError(422, "validation_failed", fields={
            "hierarchy": "hierarchy phải là as_of hoặc current.||hierarchy must be as_of or current."})
    return mode


class Hierarchies:
    """The reads' one way to the hierarchy (built once per change, shared.hierarchy_store)."""

    def __init__(self, source: HierarchySource, today: Callable[[], date] = date.today) -> None:
        self.source = source
        self.today = today

    def current(self) -> Hierarchy:
        return self.source.current()

    def grouping(self, code: str, day: date, mode: str | None = None) -> Grouping:
        """The grouping a read of `code` on `day` uses (the request's `hierarchy`: the units of `day`, or of
        today). A unit that had ended by then (a dissolved district) is read as it was on its last day: its
        former units and their participants, with their events up to `day`. 404 for a unit not created yet
        (or never), 403 outside the caller's scope in that same hierarchy."""
        at = self.today() if (mode or parse_mode()) == "current" else day
        chosen = self.unit_grouping(code, at)
        if code not in chosen:
            span = self.current().span(code)
            if span is None:
                raise ApiError(404, "unknown_org_unit", org_code=code)
            raise ApiError(404, "org_unit_not_valid", org_code=code, day=at.isoformat(),
                           valid_from=span[0].isoformat(), extra={"valid_from": span[0].isoformat()})
        require_scope(chosen, code)
        return chosen

    def unit_grouping(self, code: str | None, day: date) -> Grouping:
        """The hierarchy of `day`; for a unit that had ended by then, the one of its last day (without it
        the unit is not in the answer)."""
        hierarchy = self.current()
        chosen = grouping(hierarchy, day)
        span = hierarchy.span(code) if code is not None and code not in chosen else None
        if span is not None and span[1] is not None and day > span[1]:
            return grouping(hierarchy, span[1])
        return chosen

    def former(self, code: str, day: date) -> dict[str, Any]:
        """What a read's body says of a unit that had ended by the day its hierarchy is taken from."""
        at = self.today() if parse_mode() == "current" else day
        span = self.current().span(code)
        if span is None or span[1] is None or at <= span[1]:
            return {}
        return {"former_unit": {"valid_from": span[0].isoformat(), "valid_to": span[1].isoformat()}}


def blueprint(hierarchies: Hierarchies, parse_date: Callable[[str, date], date]) -> Blueprint:
    bp = Blueprint("org_units", __name__, url_prefix="/api/v1")

    @bp.get("/org-units")
    @doc("The hierarchy valid on a date (default today), the units in the key's scope: each with its validity "
         "(valid_from, valid_to: null while it holds) and its parent that day",
         responses={200: "OK", 401: "no valid key", 422: "bad parameter"}, response_schema=schemas.ORG_UNITS,
         params=[AS_OF], tags=["org units"])
    def org_units() -> Response:
        day = parse_date("as_of", hierarchies.today())
        hierarchy = hierarchies.current()
        below = grouping(hierarchy, day).descendants(current_principal().scope)
        return jsonify([u.as_dict() for u in hierarchy.units_at(day) if u.code in below])

    return bp
