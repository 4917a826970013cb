"""Bodies both write services share: a retraction request and the reply to a recorded event."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.rules import MULTILINE, RequestBody


class RetractionBody(RequestBody):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000), metadata=MULTILINE)


class RecordedReply(Schema):
    event_id = fields.UUID(required=True)
    participant_id = fields.UUID(required=True)
    type = fields.String(required=True)
    retracted_event_id = fields.UUID()  # retractions only
