"""Support's HTTP endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response
from marshmallow import Schema
from sqlalchemy import Engine

from services.support import handlers, schemas, view
from shared.retraction import retract
from shared.rules import is_issued_id
from shared.web import json_body
from shared.write_api import CONFIRMATION_REQUIRED, RETRACTION_CHANGES, Writer, write_doc

WRITE_RESPONSES = {
    201: "recorded: event_id, type, participant_id", 400: "malformed JSON (bad_json)",
    401: "no valid key (unauthorized)",
    403: "the key's kind may not post this event, e.g. a union funding from another source than "
         "youth_union_120 (forbidden), or the participant is outside its scope (out_of_scope)",
    404: "unknown participant (unknown_participant), with Retry-After: this service learns registrations "
         "from Kafka, so one made a moment ago may not be known yet",
    409: "not_selected, with Retry-After (the selection may not be known yet), idempotency_key_reused, "
         "concurrent_write",
    413: "body over 1 MiB (payload_too_large)", 415: "not application/json (unsupported_media_type)",
    422: "invalid or missing field, named in error.fields (validation_failed)" + CONFIRMATION_REQUIRED,
    429: "rate limited (Retry-After)"}
RETRACTION_RESPONSES = WRITE_RESPONSES | RETRACTION_CHANGES
LOAN_RESPONSES = WRITE_RESPONSES | {
    201: "recorded: event_id, type, participant_id, funding_event_id",
    403: "only the agency that recorded the loan's funding (forbidden), with the participant in scope (out_of_scope)",
    404: "no funding with this id in this service (unknown_loan)",
    409: "loan_closed or loan_written_off (nothing more on an ended loan), funding_retracted, exceeds_outstanding "
         "(with outstanding_vnd), outstanding_remains (closing with principal owed), idempotency_key_reused, "
         "concurrent_write",
    422: "not_a_loan (a grant), or an invalid field named in error.fields (validation_failed), e.g. a date before "
         "the disbursement" + CONFIRMATION_REQUIRED}
VIEW_WAIT_SECONDS = 1.5
VIEW_BEHIND = ("unknown_participant", "not_selected")  # what a view behind registration answers


def _error_code(response: Response) -> str | None:
    code: str | None = (response.get_json(silent=True) or {}).get("error", {}).get("code")
    return code


def _write(summary: str, body: type[Schema], responses: dict[int, str] = WRITE_RESPONSES,
           tags: tuple[str, ...] = ("support",)) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return write_doc(summary, body, schemas.RecordedReply, responses, list(tags))


def blueprint(writer: Writer, engine: Engine) -> Blueprint:
    bp = Blueprint("support", __name__, url_prefix="/api/v1")
    # one instance each (a marshmallow schema keeps no state between loads): building one costs about as
    # much as loading a body with it
    training_body, funding_body, support_body = schemas.TrainingBody(), schemas.FundingBody(), schemas.SupportBody()

    def write(participant_id: str, schema: Any, handler: Callable[..., Any]) -> Response:
        body = json_body(schema)
        response = writer.execute(lambda uow, ctx: handler(participant_id, body, uow, ctx))
        if not is_issued_id(participant_id) or _error_code(response) not in VIEW_BEHIND:  # other ids never appear
            return response
        # A registration or selection made a moment ago may not have reached this service's view yet: give it
        # a moment, then try once more. Only then, so that a write for a participant the view knows (nearly
        # every one) costs one transaction, not a look-up and a transaction.
        view.wait_until_decided(engine, participant_id, VIEW_WAIT_SECONDS)
        response = writer.execute(lambda uow, ctx: handler(participant_id, body, uow, ctx))
        if _error_code(response) in VIEW_BEHIND:
            # The view may still be behind registration: say when a retry makes sense.
            response.headers["Retry-After"] = "2"
        return response

    @bp.post("/participants/<participant_id>/trainings")
    @_write("A training course or study visit attended (participant.trained)", schemas.TrainingBody)
    def train(participant_id: str) -> Response:
        return write(participant_id, training_body, handlers.train)

    @bp.post("/participants/<participant_id>/fundings")
    @_write("A loan or grant disbursed (participant.funded)", schemas.FundingBody)
    def fund(participant_id: str) -> Response:
        return write(participant_id, funding_body, handlers.fund)

    @bp.post("/participants/<participant_id>/supports")
    @_write("Business support given (participant.supported)", schemas.SupportBody)
    def support(participant_id: str) -> Response:
        return write(participant_id, support_body, handlers.support)

    repayment_body, classification_body = schemas.RepaymentBody(), schemas.ClassificationBody()

    @bp.post("/loans/<funding_event_id>/repayments")
    @write_doc("A repayment of a loan: principal and interest (loan.repaid)", schemas.RepaymentBody,
               schemas.LoanRecordedReply, LOAN_RESPONSES, ["loans"])
    def repay(funding_event_id: str) -> Response:
        body = json_body(repayment_body)
        return writer.execute(lambda uow, ctx: handlers.repay(funding_event_id, body, uow, ctx))

    @bp.post("/loans/<funding_event_id>/classifications")
    @write_doc("The lender's classification of a loan: days past due and status (loan.classified)",
               schemas.ClassificationBody, schemas.LoanRecordedReply, LOAN_RESPONSES, ["loans"])
    def classify(funding_event_id: str) -> Response:
        body = json_body(classification_body)
        return writer.execute(lambda uow, ctx: handlers.classify(funding_event_id, body, uow, ctx))

    @bp.post("/events/<event_id>/retraction")
    @_write("Retract an event this service recorded (event.retracted)", schemas.RetractionBody,
            RETRACTION_RESPONSES, ("events",))
    def retraction(event_id: str) -> Response:
        body = json_body(schemas.RetractionBody())
        return writer.execute(lambda uow, ctx: retract(event_id, body, uow, ctx))

    return bp
