"""Request and response bodies of the support API."""

from __future__ import annotations

from shared.events.types import ParticipantFunded, ParticipantSupported, ParticipantTrained
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
