"""Request and response bodies of the support API."""

from __future__ import annotations

from marshmallow import fields

from shared.events.types import LoanClassified, LoanRepaid, ParticipantFunded, ParticipantSupported, ParticipantTrained
from shared.rules import RequestBody

# the same in both write services, defined once
from shared.write_schemas import RecordedReply as RecordedReply
from shared.write_schemas import RetractionBody as RetractionBody


class TrainingBody(RequestBody, ParticipantTrained.Data):
    pass


class FundingBody(RequestBody, ParticipantFunded.Data):
    pass


class SupportBody(RequestBody, ParticipantSupported.Data):
    pass


class RepaymentBody(RequestBody, LoanRepaid.Data):
    class Meta:
        exclude = ("funding_event_id",)  # from the path


class ClassificationBody(RequestBody, LoanClassified.Data):
    class Meta:
        exclude = ("funding_event_id",)


class LoanRecordedReply(RecordedReply):
    funding_event_id = fields.UUID(required=True)
