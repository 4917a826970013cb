"""Request and response bodies of the support API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.types import ParticipantFunded, ParticipantSupported, ParticipantTrained


class TrainingBody(ParticipantTrained.Data):
    pass


class FundingBody(ParticipantFunded.Data):
    pass


class SupportBody(ParticipantSupported.Data):
    pass


class RetractionBody(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class RecordedReply(Schema):
    event_id = fields.UUID(required=True)
    participant_id = fields.UUID()
    type = fields.String()
