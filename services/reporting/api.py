"""Reporting's HTTP endpoints: org units, summaries, period reports, provenance, timelines, exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import Engine, select

from services.reporting import exports, provenance, schemas
from services.reporting.domain import Fact, live_facts
from services.reporting.hierarchy_reads import HIERARCHY, Hierarchies
from services.reporting.history import row_to_fact
from services.reporting.params import MAX_LISTED, invalid, parse_date, parse_limit
from services.reporting.reads import Models as Models  # dashboard_api reads it from here
from services.reporting.reads import Reads
from services.reporting.store import consumer_offsets, of_participants
from services.reporting.targets import Targets
from shared.access_web import current_principal
from shared.grouping import grouping
from shared.orgunits import OrgTree
from shared.web import ApiError, doc, lang, streamed_json

READ_RESPONSES = {200: "OK", 401: "no valid key", 403: "out of scope", 404: "unknown org unit",
                  422: "bad parameter"}
AS_OF = {"name": "as_of", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}}
KNOWN_AT = {"name": "known_at", "in": "query", "required": False,
            "schema": {"type": "string", "format": "date-time"}}
PERIOD = {"name": "period", "in": "query", "required": True, "schema": {"type": "string"},
          "description": "2017-10 (month), 2018-H1 (half year) or 2018 (year)"}


def made() -> exports.Made:
    principal = current_principal()
    return exports.Made(principal.name or principal.agency, datetime.now(UTC))


def file_response(rows: exports.Export, fmt: str, name: str) -> Response:
    if fmt == "csv":
        return Response(exports.to_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(exports.to_xlsx(rows, name),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


def blueprint(engine: Engine, reader: Engine, tree: OrgTree, targets: Targets,
              end_offsets: Callable[[], dict[tuple[str, int], int]], hierarchies: Hierarchies) -> Blueprint:
    bp = Blueprint("reporting", __name__, url_prefix="/api/v1")
    reads = Reads(engine, reader, tree, targets, hierarchies)
    models = reads.models
    summary_body, report_body = reads.summary_body, reads.report_body

    @bp.get("/summary/<org_code>")
    @doc("Summary of an org unit as of a date (as known at a moment), one row per child unit",
         responses=READ_RESPONSES, response_schema=schemas.SUMMARY, params=[AS_OF, KNOWN_AT, HIERARCHY],
         tags=["summaries"])
    def summary(org_code: str) -> Response:
        return jsonify(summary_body(org_code))

    @bp.get("/summary/<org_code>.csv")
    @doc("The summary as CSV (children as rows, a totals row)", responses=READ_RESPONSES,
         params=[AS_OF, KNOWN_AT, HIERARCHY], tags=["exports"])
    def summary_csv(org_code: str) -> Response:
        body = summary_body(org_code, year_before=True)
        return file_response(exports.summary_rows(body, lang(), made()), "csv", f"tong-hop-{org_code}-{body['as_of']}")

    @bp.get("/summary/<org_code>.xlsx")
    @doc("The summary as XLSX (children as rows, a totals row)", responses=READ_RESPONSES,
         params=[AS_OF, KNOWN_AT, HIERARCHY], tags=["exports"])
    def summary_xlsx(org_code: str) -> Response:
        body = summary_body(org_code, year_before=True)
        return file_response(exports.summary_rows(body, lang(), made()), "xlsx", f"tong-hop-{org_code}-{body['as_of']}")

    @bp.get("/summary/<org_code>/events")
    @doc("The events behind one figure of a summary, with the agency that posted each and the participant's "
         "registered name; `count` is how many there are, `limit` keeps only the latest in business order",
         responses=READ_RESPONSES, response_schema=schemas.EVENTS_BEHIND, tags=["summaries"],
         params=[AS_OF, HIERARCHY, {"name": "metric", "in": "query", "required": True, "schema": {"type": "string"}},
                 {"name": "limit", "in": "query", "required": False,
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LISTED}}])
    def summary_events(org_code: str) -> Response:
        metric = request.args.get("metric", "")
        if metric not in provenance.METRIC_EVENT_TYPES:
            raise invalid("metric", "Chỉ số không hợp lệ: " + ", ".join(provenance.METRIC_EVENT_TYPES),
                           "Unknown metric; one of: " + ", ".join(provenance.METRIC_EVENT_TYPES))
        as_of = parse_date("as_of", date.today())
        grouped = hierarchies.grouping(org_code, as_of)
        limit = parse_limit()
        model = models.current()
        with reader.connect() as conn:
            listed = provenance.events_behind(conn, model, grouped, org_code, metric, as_of, limit)
        head = {"org_unit": org_code, "metric": metric, "as_of": as_of.isoformat(), "count": listed.total}
        return Response(streamed_json(head, "events", listed.shaped()), mimetype="application/json")

    @bp.get("/reports/<org_code>")
    @doc("Period report (month, half year, year) beside the previous period", responses=READ_RESPONSES,
         response_schema=schemas.REPORT, params=[PERIOD, KNOWN_AT, HIERARCHY], tags=["reports"])
    def report(org_code: str) -> Response:
        return jsonify(report_body(org_code))

    @bp.get("/reports/<org_code>.csv")
    @doc("The period report as CSV", responses=READ_RESPONSES, params=[PERIOD, KNOWN_AT, HIERARCHY], tags=["exports"])
    def report_csv(org_code: str) -> Response:
        body = report_body(org_code)
        return file_response(exports.report_rows(body, lang(), made()), "csv",
                             f"bao-cao-{org_code}-{body['period']['code']}")

    @bp.get("/reports/<org_code>.xlsx")
    @doc("The period report as XLSX", responses=READ_RESPONSES, params=[PERIOD, KNOWN_AT, HIERARCHY], tags=["exports"])
    def report_xlsx(org_code: str) -> Response:
        body = report_body(org_code)
        return file_response(exports.report_rows(body, lang(), made()), "xlsx",
                             f"bao-cao-{org_code}-{body['period']['code']}")

    @bp.get("/participants/<participant_id>/timeline")
    @doc("Every event of one participant in business order, retracted ones marked",
         responses=READ_RESPONSES, response_schema=schemas.TIMELINE, tags=["participants"])
    def timeline(participant_id: str) -> Response:
        events = models.current().events
        with reader.connect() as conn:
            rows = list(conn.execute(select(events).where(of_participants(events, [participant_id]))).all())
        if not rows:
            raise ApiError(404, "unknown_participant", participant_id=participant_id)
        facts = [row_to_fact(r) for r in rows]
        registration = [f for f in live_facts(facts) if f.type == "participant.registered"]
        first = registration[-1] if registration else facts[0]
        hierarchy = hierarchies.current()
        # in scope where the participant was registered, in the hierarchy of that day or of today
        if not any(grouping(hierarchy, day).within(first.org_unit, current_principal().scope)
                   for day in (first.occurred_on, date.today())):
            raise ApiError(403, "out_of_scope")
        return jsonify(timeline_body(participant_id, rows, facts))

    @bp.get("/projection")
    @doc("Events applied, offsets and lag per partition", responses={200: "OK", 401: "no valid key"},
         response_schema=schemas.PROJECTION, tags=["operations"])
    def projection() -> Response:
        model = models.current()
        with reader.connect() as conn:
            stored = conn.execute(select(consumer_offsets)
                                  .where(consumer_offsets.c.consumer == model.consumer_name)).all()
            counters = dict(conn.execute(select(model.stats.c.name, model.stats.c.value)).all())
        try:
            ends, kafka_error = end_offsets(), None
        except Exception as exc:  # noqa: BLE001 - the read model still answers without Kafka
            ends, kafka_error = {}, f"{type(exc).__name__}: {exc}"
        positions = {(r.topic, r.partition): r.next_offset for r in stored}
        partitions = []
        for key in sorted(set(positions) | set(ends)):
            position, end = positions.get(key, 0), ends.get(key)
            partitions.append({"topic": key[0], "partition": key[1], "offset": position, "end_offset": end,
                               "lag": None if end is None else max(0, end - position)})
        return jsonify({"generation": model.generation, "events_applied": int(counters.get("events_applied", 0)),
                        "dead_letters": int(counters.get("dead_letters", 0)), "partitions": partitions,
                        "lag": sum(p["lag"] or 0 for p in partitions), "kafka_error": kafka_error})

    return bp


def timeline_body(participant_id: str, rows: list[Any], facts: list[Fact]) -> dict[str, Any]:
    by_id = {r.event_id: r for r in rows}
    retracted_by = {str(f.data.get("retracted_event_id")): f.event_id for f in facts
                    if f.type == "event.retracted"}
    return {"participant_id": participant_id, "events": [{
        "event_id": f.event_id, "type": f.type, "occurred_on": f.occurred_on.isoformat(),
        "recorded_at": f.recorded_at.isoformat(), "org_unit": f.org_unit,
        "source": {"agency": by_id[f.event_id].source_agency, "key_id": by_id[f.event_id].source_key_id},
        "service": by_id[f.event_id].service, "data": f.data,
        "retracted": f.event_id in retracted_by, "retracted_by": retracted_by.get(f.event_id),
    } for f in sorted(facts, key=Fact.order)]}
