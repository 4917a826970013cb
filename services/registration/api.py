"""Registration's HTTP endpoints: parse, call a handler, answer."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import Engine, func, select

from services.registration import handlers, schemas
from services.registration.domain import Participant
from services.registration.store import event_store, participant_list
from shared.access_web import current_principal, require_scope
from shared.events import Envelope, read_data
from shared.i18n import bilingual
from shared.orgunits import OrgTree
from shared.retraction import retract
from shared.rules import is_issued_id
from shared.web import ApiError, doc, json_body
from shared.write_api import Writer

WRITE_RESPONSES = {201: "recorded", 400: "malformed JSON", 401: "no valid key", 403: "not allowed",
                   404: "unknown participant", 409: "conflict", 413: "body over 1 MiB",
                   415: "not JSON", 422: "invalid field", 429: "rate limited"}
LIST_STATUSES = ("registered", "selected", "rejected")
MAX_PAGE, MAX_PAGE_SIZE = 1_000_000, 500


def blueprint(writer: Writer, engine: Engine, tree: OrgTree) -> Blueprint:
    bp = Blueprint("registration", __name__, url_prefix="/api/v1")

    @bp.post("/participants")
    @doc("Register a branch secretary and the model idea (participant.registered)",
         body=schemas.RegistrationBody, responses=WRITE_RESPONSES, response_schema=schemas.RecordedReply,
         tags=["participants"])
    def register() -> Response:
        body = json_body(schemas.RegistrationBody())
        return writer.execute(lambda uow, ctx: handlers.register(body, uow, ctx))

    @bp.post("/participants/<participant_id>/decisions")
    @doc("The district selects (with a sector) or rejects a participant", body=schemas.DecisionBody,
         responses=WRITE_RESPONSES, response_schema=schemas.RecordedReply, tags=["participants"])
    def decide(participant_id: str) -> Response:
        body = json_body(schemas.DecisionBody())
        return writer.execute(lambda uow, ctx: handlers.decide(participant_id, body, uow, ctx))

    @bp.post("/participants/<participant_id>/evaluations")
    @doc("Periodic evaluation of a model", body=schemas.EvaluationBody, responses=WRITE_RESPONSES,
         response_schema=schemas.RecordedReply, tags=["participants"])
    def evaluate(participant_id: str) -> Response:
        body = json_body(schemas.EvaluationBody())
        return writer.execute(lambda uow, ctx: handlers.evaluate(participant_id, body, uow, ctx))

    @bp.post("/participants/<participant_id>/commendations")
    @doc("Commendation of a participant", body=schemas.CommendationBody, responses=WRITE_RESPONSES,
         response_schema=schemas.RecordedReply, tags=["participants"])
    def commend(participant_id: str) -> Response:
        body = json_body(schemas.CommendationBody())
        return writer.execute(lambda uow, ctx: handlers.commend(participant_id, body, uow, ctx))

    @bp.post("/participants/<participant_id>/replications")
    @doc("Another youth replicates the participant's model", body=schemas.ReplicationBody,
         responses=WRITE_RESPONSES, response_schema=schemas.RecordedReply, tags=["participants"])
    def replicate(participant_id: str) -> Response:
        body = json_body(schemas.ReplicationBody())
        return writer.execute(lambda uow, ctx: handlers.replicate(participant_id, body, uow, ctx))

    @bp.post("/events/<event_id>/retraction")
    @doc("Retract an event this service recorded (event.retracted)", body=schemas.RetractionBody,
         responses=WRITE_RESPONSES | {404: "unknown event"}, response_schema=schemas.RecordedReply,
         tags=["events"])
    def retraction(event_id: str) -> Response:
        body = json_body(schemas.RetractionBody())

        def handle(uow, ctx):  # type: ignore[no-untyped-def]
            reply = retract(event_id, body, uow, ctx)
            handlers.refresh_list_entry(uow, reply.body["participant_id"])
            return reply

        return writer.execute(handle)

    @bp.get("/participants/<participant_id>")
    @doc("Current state of a participant, from its events", response_schema=schemas.ParticipantReply,
         responses={200: "participant", 401: "no valid key", 403: "out of scope", 404: "unknown"},
         tags=["participants"])
    def show(participant_id: str) -> Response:
        stream: list[Envelope] = []
        if is_issued_id(participant_id):
            with engine.connect() as conn:
                stream = event_store.stream(conn, participant_id)
        participant = Participant.rebuild(participant_id, stream, [read_data(e) for e in stream])
        if not participant.exists:
            raise ApiError(404, "unknown_participant", participant_id=participant_id)
        require_scope(tree, participant.org_unit)
        return jsonify(handlers.describe(participant))

    @bp.get("/participants")
    @doc("Participants within the key's scope, filtered and paginated",
         params=[{"name": n, "in": "query", "required": False, "schema": {"type": t}}
                 for n, t in (("org_unit", "string"), ("status", "string"), ("page", "integer"),
                              ("page_size", "integer"))],
         responses={200: "a page of participants", 401: "no valid key", 403: "out of scope",
                    422: "bad filter"}, tags=["participants"])
    def listing() -> Response:
        principal = current_principal()
        org_unit = request.args.get("org_unit", principal.scope)
        if org_unit not in tree:
            raise ApiError(422, "validation_failed", fields={"org_unit": bilingual(
                "Không có đơn vị này.", "No such org unit.")})
        require_scope(tree, org_unit)
        page, page_size = _int_arg("page", 1, MAX_PAGE), _int_arg("page_size", 50, MAX_PAGE_SIZE)
        where: list[Any] = [participant_list.c.org_unit.in_(sorted(tree.descendants(org_unit)))]
        status = request.args.get("status")
        if status:
            if status not in LIST_STATUSES:
                raise ApiError(422, "validation_failed", fields={"status": bilingual(
                    f"Phải là một trong: {', '.join(LIST_STATUSES)}.", f"Must be one of: {', '.join(LIST_STATUSES)}.")})
            where.append(participant_list.c.status == status)
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(participant_list).where(*where)).scalar_one()
            rows = conn.execute(select(participant_list).where(*where)
                                .order_by(participant_list.c.registered_on, participant_list.c.participant_id)
                                .limit(page_size).offset((page - 1) * page_size)).mappings().all()
        items = [dict(row) | {"registered_on": row["registered_on"].isoformat()} for row in rows]
        return jsonify({"items": items, "page": page, "page_size": page_size, "total": total})

    return bp


def _int_arg(name: str, default: int, maximum: int) -> int:
    """A positive whole number from the query string; bounded, because the database's integers are."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw) or not 1 <= int(raw) <= maximum:
        raise ApiError(422, "validation_failed", fields={name: bilingual(
            f"Phải là số nguyên từ 1 đến {maximum}.", f"Must be a whole number from 1 to {maximum}.")})
    return int(raw)
