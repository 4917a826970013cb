"""Reads shaped for a page view: the monthly trend of a unit in one request (GET /api/v1/series/{org_code})."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import Engine

from services.reporting import schemas, series
from services.reporting.api import READ_RESPONSES, Models
from services.reporting.hierarchy_reads import HIERARCHY, Hierarchies
from shared import date_bounds
from shared.access_web import require_scope
from shared.orgunits import OrgTree
from shared.web import ApiError, doc

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
MONTH_SCHEMA = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}
FROM = {"name": "from", "in": "query", "required": False, "schema": MONTH_SCHEMA,
        "description": "first month (YYYY-MM); default: the unit's first month with an event"}
TO = {"name": "to", "in": "query", "required": False, "schema": MONTH_SCHEMA,
      "description": "last month (YYYY-MM); default: the unit's latest month with an event"}


def _invalid(name: str, vi: str, en: str) -> ApiError:
    return ApiError(422, "validation_failed", fields={name: f"{vi}||{en}"})


def parse_month(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    match = MONTH.fullmatch(raw)
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise _invalid(name, "Tháng không hợp lệ (định dạng YYYY-MM).", "Invalid month (YYYY-MM).")
    month = date(int(match[1]), int(match[2]), 1)
    if not date_bounds.within(month):
        raise ApiError(422, "validation_failed", fields={name: date_bounds.out_of_range_message()})
    return month


def series_range(asked_from: date | None, asked_to: date | None, active: tuple[date, date] | None,
                 today: date) -> tuple[date, date]:
    """The months a series covers: those asked for; a missing end, the unit's active range (first to latest
    month with an event; the current month when it has none), never crossing the end that was given."""
    start, end = active if active is not None else (today, today)
    first = asked_from or (min(start, asked_to) if asked_to else start)
    last = asked_to or max(end, first)
    first, last = first.replace(day=1), last.replace(day=1)
    if first > last:
        raise _invalid("to", "Tháng cuối phải không trước tháng đầu.", "`to` must not be before `from`.")
    if len(series.months(first, last)) > series.MAX_MONTHS:
        raise _invalid("to", f"Tối đa {series.MAX_MONTHS} tháng.", f"At most {series.MAX_MONTHS} months.")
    return first, last


def known_unit(tree: OrgTree, code: str) -> None:
    """404 for a unit the hierarchy does not hold, 403 outside the caller's scope (as every read answers)."""
    if code not in tree:
        raise ApiError(404, "unknown_org_unit", org_code=code)
    require_scope(tree, code)


def blueprint(engine: Engine, reader: Engine, hierarchies: Hierarchies) -> Blueprint:
    bp = Blueprint("dashboard_api", __name__, url_prefix="/api/v1")
    models = Models(engine, reader)

    @bp.get("/series/<org_code>")
    @doc("The unit's totals at the end of every month of a range, for a trend in one request (default: the "
         "unit's active range, first to latest month with an event)", responses=READ_RESPONSES,
         response_schema=schemas.SERIES, params=[FROM, TO, HIERARCHY], tags=["summaries"])
    def series_view(org_code: str) -> Response:
        asked_from, asked_to = parse_month("from"), parse_month("to")
        # months are grouped by the units valid at the series' end (hierarchy=as_of), or today's (current)
        end = asked_to.replace(day=28) if asked_to else date.today()
        tree = hierarchies.grouping(org_code, min(end, date.today()))
        cover = tree.cover(org_code)
        model = models.current()
        with reader.connect() as conn:
            active = series.active_range(conn, model, cover)
            first, last = series_range(asked_from, asked_to, active, date.today())
            points = series.month_ends(conn, model, cover, first, last)
        unit = tree.get(org_code)
        assert unit is not None
        return jsonify({"org_unit": {"code": unit.code, "name": unit.name, "level": unit.level},
                        "from": points[0]["month"], "to": points[-1]["month"],
                        "active": None if active is None else {"first": active[0].isoformat(),
                                                               "last": active[1].isoformat()},
                        "points": points})

    return bp
