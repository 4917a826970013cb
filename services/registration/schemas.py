"""Request and response bodies of the registration API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.types import (
    SECTORS,
    ModelReplicated,
    ParticipantCommended,
    ParticipantEvaluated,
    ParticipantRegistered,
)
from shared.rules import MULTILINE, RequestBody

# the same in both write services, defined once
from shared.write_schemas import RecordedReply as RecordedReply
from shared.write_schemas import RetractionBody as RetractionBody


class RegistrationBody(RequestBody, ParticipantRegistered.Data):
    org_unit = fields.String(required=True, validate=validate.Length(min=1, max=64))


class DecisionBody(RequestBody):
    decision = fields.String(required=True, validate=validate.OneOf(("selected", "rejected")))
    sector = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SECTORS))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                           metadata=MULTILINE)
    decided_on = fields.Date(required=True)


class EvaluationBody(RequestBody, ParticipantEvaluated.Data):
    pass


class CommendationBody(RequestBody, ParticipantCommended.Data):
    pass


class ReplicationBody(RequestBody, ModelReplicated.Data):
    pass




class ParticipantReply(Schema):
    participant_id = fields.UUID()
    org_unit = fields.String()
    status = fields.String()
    sector = fields.String(allow_none=True)
    full_name = fields.String()
    registration = fields.Dict()
    evaluations = fields.List(fields.Dict())
    commendations = fields.List(fields.Dict())
    replications = fields.List(fields.Dict())
    version = fields.Integer()


class ListedParticipant(Schema):
    participant_id = fields.UUID()
    org_unit = fields.String()
    status = fields.String()
    sector = fields.String(allow_none=True)
    full_name = fields.String()
    registered_on = fields.Date()


class ParticipantPage(Schema):
    items = fields.List(fields.Nested(ListedParticipant))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
