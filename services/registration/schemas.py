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
    # sent again after a 409 likely_duplicate: the person is none of the candidates shown (recorded in the event)
    confirm_not_duplicate = fields.Boolean(load_default=False, metadata={
        "description": "true: the person is none of the candidates a 409 likely_duplicate named"})

    class Meta:
        exclude = ("confirmed_not_duplicate_of",)  # the event's record of the confirmation, set by the handler


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


class LikelyDuplicate(Schema):
    participant_id = fields.UUID(required=True)
    full_name = fields.String(required=True)
    org_unit = fields.String(required=True)
    org_unit_name = fields.String(required=True)
    birth_date = fields.Date(required=True)
    phone = fields.String(required=True, allow_none=True, metadata={"description": "masked: 091****678"})
    registered_on = fields.Date(required=True)
    status = fields.String(required=True)
    matched_on = fields.List(fields.String(validate=validate.OneOf(("name_birth_date", "phone"))), required=True)
    in_scope = fields.Boolean(required=True, metadata={"description": "whether this key may open the record"})


class OrgUnitRef(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    parent = fields.String(required=True, allow_none=True)


class LikelyDuplicates(Schema):
    area = fields.Nested(OrgUnitRef, required=True, metadata={"description": "the district looked in"})
    candidates = fields.List(fields.Nested(LikelyDuplicate), required=True)
