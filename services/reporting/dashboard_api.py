"""Reads shaped for a page view: the monthly trend of a unit in one request (GET /api/v1/series/{org_code}),
and everything else a dashboard page shows in one more (GET /api/v1/dashboard/{org_code})."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, Response, jsonify, request

from services.reporting import dashboard_view, schemas, series
from services.reporting.api import AS_OF, KNOWN_AT, READ_RESPONSES
from services.reporting.hierarchy_reads import HIERARCHY, parse_mode
from services.reporting.params import parse_date, parse_known_at, parse_period_arg
from services.reporting.periods import Period, parse_period
from services.reporting.reads import Reads
from shared import date_bounds
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


def parse_filters() -> dashboard_view.Filters:
    chosen: dict[str, str | None] = {}
    for name, choices in dashboard_view.Filters.CHOICES.items():
        raw = request.args.get(name) or None
        if raw is not None and raw not in choices:
            raise _invalid(name, "Giá trị không hợp lệ; một trong: " + ", ".join(choices),
                           "Unknown value; one of: " + ", ".join(choices))
        chosen[name] = raw
    return dashboard_view.Filters(**chosen)


def latest_active_month(active: tuple[date, date] | None, as_of: date) -> Period:
    """The month of the latest event on or before `as_of` (the landing view's period), else `as_of`'s."""
    day = min(active[1], as_of) if active is not None else as_of
    return parse_period(f"{day.year:04d}-{day.month:02d}")


FILTER_PARAMS = [{"name": name, "in": "query", "required": False, "schema": {"type": "string", "enum": list(choices)}}
                 for name, choices in dashboard_view.Filters.CHOICES.items()]
OPTIONAL_PERIOD = {"name": "period", "in": "query", "required": False, "schema": {"type": "string"},
                   "description": "2017-10, 2018-H1 or 2018; default: the month of the unit's latest event by as_of"}


def blueprint(reads: Reads) -> Blueprint:
    bp = Blueprint("dashboard_api", __name__, url_prefix="/api/v1")
    models, reader, hierarchies = reads.models, reads.reader, reads.hierarchies
    assert hierarchies is not None  # the composition root gives the reads the effective-dated hierarchy

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

    @bp.get("/dashboard/<org_code>")
    @doc("One dashboard page view in one answer: the summary as of a date, the period report (as corrected, or as "
         "known at `known_at`) with the previous period and the same period last year, every unit's target status, "
         "a commune's participants; optionally only the participants of a sector, funding source or status",
         responses=READ_RESPONSES, response_schema=schemas.DASHBOARD,
         params=[AS_OF, OPTIONAL_PERIOD, KNOWN_AT, *FILTER_PARAMS, HIERARCHY], tags=["summaries"])
    def page_view(org_code: str) -> Response:
        as_of, known_at, filters = parse_date("as_of", date.today()), parse_known_at(), parse_filters()
        asked_period = parse_period_arg() if request.args.get("period") else None
        tree = hierarchies.grouping(org_code, as_of)  # the units valid on as_of (hierarchy=as_of), 404 / 403
        model = models.current()
        unit = tree.get(org_code)
        listed = unit is not None and (unit.level == "commune" or not tree.children(org_code))  # who to list
        with reader.connect() as conn:
            active = series.active_range(conn, model, tree.cover(org_code))
            period = asked_period or latest_active_month(active, as_of)
            targets = reads.targets_in(conn, known_at)  # the targets set by then, when asked as known then
            body = dashboard_view.page_view(conn, model, tree, targets, org_code, as_of, period, known_at, filters,
                                            listed)
        return jsonify(body | {"hierarchy": parse_mode()})

    return bp
