"""The event envelope every service publishes: identity, business date, provenance, payload."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate


@dataclass(frozen=True)
class Source:
    """Who posted the event: the agency and the key it used."""

    agency: str
    key_id: str


@dataclass(frozen=True)
class Envelope:
    type: str
    version: int
    participant_id: str
    org_unit: str
    occurred_on: date
    source: Source
    data: dict[str, Any]
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    recorded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Position of the event in its participant's stream in the service that recorded it.
    sequence: int = 0
    service: str = ""


class SourceSchema(Schema):
    agency = fields.String(required=True)
    key_id = fields.String(required=True)


class EnvelopeSchema(Schema):
    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    participant_id = fields.UUID(required=True)
    org_unit = fields.String(required=True)
    occurred_on = fields.Date(required=True)
    recorded_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    source = fields.Nested(SourceSchema, required=True)
    data = fields.Dict(keys=fields.String(), required=True)
    sequence = fields.Integer(load_default=0)
    service = fields.String(load_default="")


_schema = EnvelopeSchema()


class UnreadableEvent(ValueError):
    """Raised for bytes that are not an envelope this code can read (the reason is the message)."""


def encode(envelope: Envelope) -> bytes:
    payload = {
        "event_id": envelope.event_id,
        "type": envelope.type,
        "version": envelope.version,
        "participant_id": envelope.participant_id,
        "org_unit": envelope.org_unit,
        "occurred_on": envelope.occurred_on.isoformat(),
        "recorded_at": envelope.recorded_at.astimezone(UTC).isoformat(),
        "source": {"agency": envelope.source.agency, "key_id": envelope.source.key_id},
        "data": envelope.data,
        "sequence": envelope.sequence,
        "service": envelope.service,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(raw: bytes) -> Envelope:
    """Parse an envelope; the data payload is checked by the event registry, not here."""
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableEvent(f"not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise UnreadableEvent("envelope is not an object")
    try:
        loaded = _schema.load(payload)
    except ValidationError as exc:
        raise UnreadableEvent(f"bad envelope: {exc.messages}") from exc
    return Envelope(
        event_id=str(loaded["event_id"]),
        type=loaded["type"],
        version=loaded["version"],
        participant_id=str(loaded["participant_id"]),
        org_unit=loaded["org_unit"],
        occurred_on=loaded["occurred_on"],
        recorded_at=loaded["recorded_at"],
        source=Source(**loaded["source"]),
        data=loaded["data"],
        sequence=loaded["sequence"],
        service=loaded["service"],
    )
