"""Reporting's HTTP endpoints: org units, summaries, timelines, projection status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import Engine, select

from services.reporting import queries
from services.reporting.domain import Fact, live_facts
from services.reporting.projector import row_to_fact
from services.reporting.store import consumer_offsets, events, stats
from services.reporting.targets import Targets
from shared.access_web import current_principal, require_scope
from shared.orgunits import OrgTree
from shared.web import ApiError, doc

READ_RESPONSES = {200: "OK", 401: "no valid key", 403: "out of scope", 404: "unknown org unit",
                  422: "bad parameter"}
AS_OF = {"name": "as_of", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}}


def parse_date(name: str, default: date) -> date:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(422, "validation_failed",
                       fields={name: "Ngày không hợp lệ (định dạng YYYY-MM-DD).||Invalid date (YYYY-MM-DD)."}) from None


def blueprint(engine: Engine, tree: OrgTree, targets: Targets,
              end_offsets: Callable[[], dict[tuple[str, int], int]]) -> Blueprint:
    bp = Blueprint("reporting", __name__, url_prefix="/api/v1")

    def known_unit(code: str) -> None:
        if code not in tree:
            raise ApiError(404, "unknown_org_unit", org_code=code)
        require_scope(tree, code)

    @bp.get("/org-units")
    @doc("Every org unit in the key's scope", responses=READ_RESPONSES, tags=["org units"])
    def org_units() -> Response:
        scope = current_principal().scope
        below = tree.descendants(scope)
        return jsonify([u.as_dict() for u in tree if u.code in below])

    @bp.get("/summary/<org_code>")
    @doc("Summary of an org unit as of a date, one row per child unit", responses=READ_RESPONSES,
         params=[AS_OF], tags=["summaries"])
    def summary(org_code: str) -> Response:
        known_unit(org_code)
        as_of = parse_date("as_of", date.today())
        with engine.connect() as conn:
            return jsonify(queries.summary(conn, tree, targets, org_code, as_of))

    @bp.get("/participants/<participant_id>/timeline")
    @doc("Every event of one participant in business order, retracted ones marked",
         responses=READ_RESPONSES, tags=["participants"])
    def timeline(participant_id: str) -> Response:
        with engine.connect() as conn:
            rows = list(conn.execute(select(events).where(events.c.participant_id == participant_id)).all())
        if not rows:
            raise ApiError(404, "unknown_participant", participant_id=participant_id)
        facts = [row_to_fact(r) for r in rows]
        live = live_facts(facts)
        registration = [f for f in live if f.type == "participant.registered"]
        require_scope(tree, registration[-1].org_unit if registration else rows[0].org_unit)
        return jsonify(timeline_body(participant_id, rows, facts))

    @bp.get("/projection")
    @doc("Events applied, offsets and lag per partition", responses={200: "OK", 401: "no valid key"},
         tags=["operations"])
    def projection() -> Response:
        with engine.connect() as conn:
            stored = conn.execute(select(consumer_offsets)).all()
            applied = conn.execute(select(stats.c.value).where(stats.c.name == "events_applied")).scalar()
        try:
            ends = end_offsets()
            kafka_error = None
        except Exception as exc:  # noqa: BLE001 - the read model still answers without Kafka
            ends, kafka_error = {}, f"{type(exc).__name__}: {exc}"
        partitions = []
        positions = {(r.topic, r.partition): r.next_offset for r in stored}
        for key in sorted(set(positions) | set(ends)):
            position, end = positions.get(key, 0), ends.get(key)
            partitions.append({"topic": key[0], "partition": key[1], "offset": position, "end_offset": end,
                               "lag": None if end is None else max(0, end - position)})
        return jsonify({"events_applied": int(applied or 0), "partitions": partitions,
                        "lag": sum(p["lag"] or 0 for p in partitions), "kafka_error": kafka_error})

    return bp


def timeline_body(participant_id: str, rows: list[Any], facts: list[Fact]) -> dict[str, Any]:
    by_id = {r.event_id: r for r in rows}
    retracted_by = {str(f.data.get("retracted_event_id")): f.event_id for f in facts if f.type == "event.retracted"}
    ordered = sorted(facts, key=Fact.order)
    return {"participant_id": participant_id, "events": [{
        "event_id": f.event_id, "type": f.type, "occurred_on": f.occurred_on.isoformat(),
        "recorded_at": f.recorded_at.isoformat(), "org_unit": f.org_unit,
        "source": {"agency": by_id[f.event_id].source_agency, "key_id": by_id[f.event_id].source_key_id},
        "service": by_id[f.event_id].service, "data": f.data,
        "retracted": f.event_id in retracted_by, "retracted_by": retracted_by.get(f.event_id),
    } for f in ordered]}


