"""Registration's HTTP endpoints: parse, call a handler, answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema
from sqlalchemy import Engine, func, select

from services.registration import duplicates, handlers, likely, schemas
from services.registration.domain import Participant
from services.registration.store import event_store, participant_list
from shared.access_web import current_principal, require_scope
from shared.events import Envelope, read_data
from shared.i18n import bilingual
from shared.orgunits import OrgTree
from shared.retraction import retract
from shared.rules import is_issued_id
from shared.web import ApiError, doc, json_body
from shared.write_api import CONFIRMATION_REQUIRED, LANGUAGE_PARAM, RETRACTION_CHANGES, Writer, write_doc

WRITE_RESPONSES = {
    201: "recorded: event_id, type, participant_id", 400: "malformed JSON (bad_json)",
    401: "no valid key (unauthorized)",
    403: "the key's kind may not post this event (forbidden), or the unit is outside its scope (out_of_scope)",
    404: "unknown participant (unknown_participant)",
    409: "duplicate_participant (with the existing participant_id), likely_duplicate (error.candidates: who the "
         "person may be; send again with confirm_not_duplicate: true), already_decided (with decision_event_id), "
         "not_selected, idempotency_key_reused, concurrent_write",
    413: "body over 1 MiB (payload_too_large)", 415: "not application/json (unsupported_media_type)",
    422: "invalid or missing field, named in error.fields (validation_failed)" + CONFIRMATION_REQUIRED,
    429: "rate limited (Retry-After)"}
RETRACTION_RESPONSES = WRITE_RESPONSES | RETRACTION_CHANGES
READ_ERRORS = {401: "no valid key (unauthorized)", 403: "outside the key's scope (out_of_scope)",
               429: "rate limited (Retry-After)"}
LIST_STATUSES = ("registered", "selected", "rejected")
MAX_PAGE, MAX_PAGE_SIZE = 1_000_000, 500


def _write(summary: str, body: type[Schema], responses: dict[int, str] = WRITE_RESPONSES,
           tags: tuple[str, ...] = ("participants",)) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return write_doc(summary, body, schemas.RecordedReply, responses, list(tags))


def blueprint(writer: Writer, engine: Engine, tree: OrgTree) -> Blueprint:
    """`engine`: what the GETs read through (shared.service.request_reader); every write goes through `writer`."""
    bp = Blueprint("registration", __name__, url_prefix="/api/v1")

    @bp.post("/participants")
    @_write("Register a branch secretary and the model idea (participant.registered)", schemas.RegistrationBody)
    def register() -> Response:
        body = json_body(schemas.RegistrationBody())
        return writer.execute(lambda uow, ctx: handlers.register(body, uow, ctx))

    @bp.post("/participants/<participant_id>/decisions")
    @_write("The district selects (with a sector) or rejects a participant (participant.selected / "
            "participant.rejected)", schemas.DecisionBody)
    def decide(participant_id: str) -> Response:
        body = json_body(schemas.DecisionBody())
        return writer.execute(lambda uow, ctx: handlers.decide(participant_id, body, uow, ctx))

    @bp.post("/participants/<participant_id>/evaluations")
    @_write("Periodic evaluation of a model (participant.evaluated)", schemas.EvaluationBody)
    def evaluate(participant_id: str) -> Response:
        body = json_body(schemas.EvaluationBody())
        return writer.execute(lambda uow, ctx: handlers.evaluate(participant_id, body, uow, ctx))

    @bp.post("/participants/<participant_id>/commendations")
    @_write("Commendation of a participant (participant.commended)", schemas.CommendationBody)
    def commend(participant_id: str) -> Response:
        body = json_body(schemas.CommendationBody())
        return writer.execute(lambda uow, ctx: handlers.commend(participant_id, body, uow, ctx))

    @bp.post("/participants/<participant_id>/replications")
    @_write("Another youth replicates the participant's model (model.replicated)", schemas.ReplicationBody)
    def replicate(participant_id: str) -> Response:
        body = json_body(schemas.ReplicationBody())
        return writer.execute(lambda uow, ctx: handlers.replicate(participant_id, body, uow, ctx))

    @bp.post("/events/<event_id>/retraction")
    @_write("Retract an event this service recorded (event.retracted)", schemas.RetractionBody,
            RETRACTION_RESPONSES, ("events",))
    def retraction(event_id: str) -> Response:
        body = json_body(schemas.RetractionBody())

        def handle(uow, ctx):  # type: ignore[no-untyped-def]
            reply = retract(event_id, body, uow, ctx)
            handlers.refresh_list_entry(uow, reply.body["participant_id"])
            return reply

        return writer.execute(handle)

    @bp.get("/participants/likely-duplicates")
    @doc("Likely duplicates of a person about to be registered, in the district of org_unit (what a 409 "
         "likely_duplicate would name): a form asks before it submits",
         params=[{"name": "org_unit", "in": "query", "required": True, "schema": {"type": "string"},
                  "description": "the commune the person is registered in (or a unit above: its own area)"},
                 {"name": "name", "in": "query", "required": False, "schema": {"type": "string"},
                  "description": "full name; compared folded (case, spacing and tone marks ignored), with birth_date"},
                 {"name": "birth_date", "in": "query", "required": False,
                  "schema": {"type": "string", "format": "date"}},
                 {"name": "phone", "in": "query", "required": False, "schema": {"type": "string"}},
                 LANGUAGE_PARAM],
         response_schema=schemas.LikelyDuplicates,
         responses={200: "the candidates (maybe none)", 422: "unknown org_unit, bad birth_date, or neither name "
                    "with birth_date nor phone (validation_failed)", **READ_ERRORS}, tags=["participants"])
    def likely_duplicates() -> Response:
        today = writer.context().tree  # the hierarchy of today, as a registration made now would read it
        org_unit, found = likely.lookup(engine, today, current_principal().scope, request.args)
        unit = today.get(duplicates.area(today, org_unit))
        return jsonify({"area": unit.as_dict() if unit else None,
                        "candidates": [c.as_dict() for c in found]})

    @bp.get("/participants/<participant_id>")
    @doc("Current state of a participant, rebuilt from its events", response_schema=schemas.ParticipantReply,
         responses={200: "the participant", 404: "unknown participant (unknown_participant)", **READ_ERRORS},
         params=[LANGUAGE_PARAM], tags=["participants"])
    def show(participant_id: str) -> Response:
        stream: list[Envelope] = []
        if is_issued_id(participant_id):
            with engine.connect() as conn:
                stream = event_store.stream(conn, participant_id)
        participant = Participant.rebuild(participant_id, stream, [read_data(e) for e in stream])
        if not participant.exists:
            raise ApiError(404, "unknown_participant", participant_id=participant_id)
        today = writer.context().tree  # a key of a new unit reads its participants; one of a former unit too
        require_scope(today if today.within(participant.org_unit, current_principal().scope) else tree,
                      participant.org_unit)
        return jsonify(handlers.describe(participant))

    @bp.get("/participants")
    @doc("Participants within the key's scope, filtered and paginated, ordered by registration date",
         params=[
             {"name": "org_unit", "in": "query", "required": False, "schema": {"type": "string"},
              "description": "a unit within the key's scope (default: the key's scope); units below it count"},
             {"name": "status", "in": "query", "required": False,
              "schema": {"type": "string", "enum": list(LIST_STATUSES)}},
             {"name": "page", "in": "query", "required": False,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
             {"name": "page_size", "in": "query", "required": False,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 50}},
             LANGUAGE_PARAM],
         response_schema=schemas.ParticipantPage,
         responses={200: "a page of participants", 422: "unknown org_unit or status, page out of range "
                    "(validation_failed)", **READ_ERRORS}, tags=["participants"])
    def listing() -> Response:
        principal = current_principal()
        org_unit = request.args.get("org_unit", principal.scope)
        today = writer.context().tree  # today's units (with their former ones), else the first version's
        units = today if org_unit in today else tree
        if org_unit not in units:
            raise ApiError(422, "validation_failed", fields={"org_unit": bilingual(
                "Không có đơn vị này.", "No such org unit.")})
        require_scope(units, org_unit)
        page, page_size = _int_arg("page", 1, MAX_PAGE), _int_arg("page_size", 50, MAX_PAGE_SIZE)
        where: list[Any] = [participant_list.c.org_unit.in_(sorted(units.descendants(org_unit)))]
        status = request.args.get("status")
        if status:
            if status not in LIST_STATUSES:
                raise ApiError(422, "validation_failed", fields={"status": bilingual(
                    f"Phải là một trong: {', '.join(LIST_STATUSES)}.",
                    f"Must be one of: {', '.join(LIST_STATUSES)}.")})
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
