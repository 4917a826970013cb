"""The event envelope every service publishes: identity, business date, provenance, payload."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson


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


def _text(payload: dict[str, Any], name: str, max_len: int = 200) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        raise UnreadableEvent(f"bad envelope: {name} must be a non-empty string")
    return value


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(payload: dict[str, Any], name: str) -> str:
    value = _text(payload, name, 36)
    if _CANONICAL_UUID.fullmatch(value):
        return value  # the form every service writes; anything else is normalized below
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise UnreadableEvent(f"bad envelope: {name} is not a UUID") from None


def decode(raw: bytes) -> Envelope:
    """Parse and check an envelope (by hand: this runs once per consumed record, so it must be cheap);
    the data payload is checked by the event registry, not here."""
    try:
        payload = orjson.loads(raw)
    except (orjson.JSONDecodeError, TypeError) as exc:  # TypeError: a record without a value
        raise UnreadableEvent(f"not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise UnreadableEvent("bad envelope: not an object")
    version = payload.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UnreadableEvent("bad envelope: version must be a positive integer")
    source, data = payload.get("source"), payload.get("data")
    if not isinstance(source, dict) or not isinstance(data, dict):
        raise UnreadableEvent("bad envelope: source and data must be objects")
    sequence, service = payload.get("sequence", 0), payload.get("service", "")
    if not isinstance(sequence, int) or not isinstance(service, str):
        raise UnreadableEvent("bad envelope: sequence or service of the wrong type")
    try:
        occurred_on = date.fromisoformat(_text(payload, "occurred_on", 10))
        recorded_at = datetime.fromisoformat(_text(payload, "recorded_at", 40))
    except ValueError:
        raise UnreadableEvent("bad envelope: occurred_on or recorded_at is not ISO 8601") from None
    return Envelope(
        event_id=_uuid(payload, "event_id"),
        type=_text(payload, "type", 64),
        version=version,
        participant_id=_uuid(payload, "participant_id"),
        org_unit=_text(payload, "org_unit", 64),
        occurred_on=occurred_on,
        # kept in UTC: stores without time zones (SQLite) compare it as text
        recorded_at=recorded_at.astimezone(UTC) if recorded_at.tzinfo else recorded_at.replace(tzinfo=UTC),
        source=Source(_text(source, "agency", 100), _text(source, "key_id", 64)),
        data=data,
        sequence=sequence,
        service=service,
    )
