"""Support's HTTP endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response
from sqlalchemy import Engine

from services.support import handlers, schemas, view
from shared.retraction import retract
from shared.rules import is_issued_id
from shared.web import doc, json_body
from shared.write_api import Writer

WRITE_RESPONSES = {201: "recorded", 400: "malformed JSON", 401: "no valid key", 403: "not allowed",
                   404: "unknown participant (with Retry-After: it may have been registered a moment ago)",
                   409: "participant not selected (with Retry-After), or conflict",
                   413: "body over 1 MiB", 415: "not JSON",
                   422: "invalid field", 429: "rate limited"}
VIEW_WAIT_SECONDS = 1.5


def blueprint(writer: Writer, engine: Engine) -> Blueprint:
    bp = Blueprint("support", __name__, url_prefix="/api/v1")

    def write(participant_id: str, schema: Any, handler: Callable[..., Any]) -> Response:
        body = json_body(schema)
        may_appear = is_issued_id(participant_id)  # other ids can never reach the view
        if may_appear:
            # A registration made a moment ago may not have reached this service's view yet.
            view.wait_until_selected(engine, participant_id, VIEW_WAIT_SECONDS)
        response = writer.execute(lambda uow, ctx: handler(participant_id, body, uow, ctx))
        code = (response.get_json(silent=True) or {}).get("error", {}).get("code")
        if may_appear and code in ("unknown_participant", "not_selected"):
            # The view may still be behind registration: say when a retry makes sense.
            response.headers["Retry-After"] = "2"
        return response

    @bp.post("/participants/<participant_id>/trainings")
    @doc("A training course or study visit attended (participant.trained)", body=schemas.TrainingBody,
         responses=WRITE_RESPONSES, response_schema=schemas.RecordedReply, tags=["support"])
    def train(participant_id: str) -> Response:
        return write(participant_id, schemas.TrainingBody(), handlers.train)

    @bp.post("/participants/<participant_id>/fundings")
    @doc("A loan or grant disbursed (participant.funded)", body=schemas.FundingBody,
         responses=WRITE_RESPONSES, response_schema=schemas.RecordedReply, tags=["support"])
    def fund(participant_id: str) -> Response:
        return write(participant_id, schemas.FundingBody(), handlers.fund)

    @bp.post("/participants/<participant_id>/supports")
    @doc("Business support given (participant.supported)", body=schemas.SupportBody,
         responses=WRITE_RESPONSES, response_schema=schemas.RecordedReply, tags=["support"])
    def support(participant_id: str) -> Response:
        return write(participant_id, schemas.SupportBody(), handlers.support)

    @bp.post("/events/<event_id>/retraction")
    @doc("Retract an event this service recorded (event.retracted)", body=schemas.RetractionBody,
         responses=WRITE_RESPONSES | {404: "unknown event"}, response_schema=schemas.RecordedReply,
         tags=["events"])
    def retraction(event_id: str) -> Response:
        body = json_body(schemas.RetractionBody())
        return writer.execute(lambda uow, ctx: retract(event_id, body, uow, ctx))

    return bp
