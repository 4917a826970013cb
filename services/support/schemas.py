"""Request and response bodies of the support API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.types import ParticipantFunded, ParticipantSupported, ParticipantTrained
from shared.rules import RequestBody


class TrainingBody(RequestBody, ParticipantTrained.Data):
    pass


class FundingBody(RequestBody, ParticipantFunded.Data):
    pass


class SupportBody(RequestBody, ParticipantSupported.Data):
    pass


class RetractionBody(RequestBody):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class RecordedReply(Schema):
    event_id = fields.UUID(required=True)
    participant_id = fields.UUID(required=True)
    type = fields.String(required=True)
    retracted_event_id = fields.UUID()  # retractions only
