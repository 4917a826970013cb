"""The event envelope every service publishes: identity, business date, provenance, payload."""

from __future__ import annotations

import binascii
import json
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta, Struct
from msgspec.structs import force_setattr


class UnreadableEvent(ValueError):
    """Raised for bytes that are not an envelope this code can read (the reason is the message)."""


class Source(Struct, frozen=True):
    """Who posted the event: the agency and the key it used."""

    agency: Annotated[str, Meta(min_length=1, max_length=100)]
    key_id: Annotated[str, Meta(min_length=1, max_length=64)]


_CANONICAL = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_is_canonical = re.compile(_CANONICAL).fullmatch
# both ids in one match, a space between them (which neither can hold, so the split is exact): one call into
# the regex engine per event instead of two, 0.8-1.9 % of a projection's instructions (bench/projection_cpu.py)
_both_canonical = re.compile(_CANONICAL + " " + _CANONICAL).fullmatch


def all_canonical(ids: Sequence[str]) -> bool:
    """Whether every id is in canonical form (what `_is_canonical` matches), checked for a batch at once by
    string operations in C: ~60 ns an id against ~250 for one regular-expression match over them all (the
    engine steps through each character in turn). Joined by spaces, the ids must be 37 characters apart,
    hyphens and spaces exactly where a UUID and the joining put them, no upper-case hexadecimal letter, and
    everything else hexadecimal digits: 16 bytes an id once hyphens and spaces are taken out (fewer, or an
    error, if any other character took a digit's place)."""
    n = len(ids)
    joined = " ".join(ids)
    if not n or len(joined) != 37 * n - 1:
        return n == 0
    hyphens = "-" * n
    if (joined[8::37] != hyphens or joined[13::37] != hyphens or joined[18::37] != hyphens
            or joined[23::37] != hyphens or joined[36::37] != " " * (n - 1)):
        return False
    if any(letter in joined for letter in "ABCDEF"):
        return False
    try:  # hyphens and spaces, all in their places, taken out; unhexlify refuses anything but hexadecimal pairs
        return len(binascii.unhexlify(joined.encode().translate(None, b"- "))) == 16 * n
    except (ValueError, UnicodeEncodeError):  # binascii.Error is a ValueError
        return False


def _canonical_uuid(value: str, name: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise UnreadableEvent(f"{name} is not a UUID") from None


class EnvelopeBase(Struct, frozen=True, kw_only=True):
    """Everything of an envelope but its payload, as decoded: a msgspec struct, so that consumers decode
    millions of them in C (~3 µs each). Keyword-only: the kinds below add the payload last. Its ids and time
    are checked by `EnvelopeFields` per envelope, or by `shared.events.rawcheck.read_events` per batch."""

    type: Annotated[str, Meta(min_length=1, max_length=64)]
    version: Annotated[int, Meta(ge=1)]
    participant_id: Annotated[str, Meta(min_length=1, max_length=36)]
    org_unit: Annotated[str, Meta(min_length=1, max_length=64)]
    occurred_on: date
    source: Source
    # no defaults: an event read without its id or time must be refused, never given new ones (a
    # redelivery would then count twice); writers take them from new_identity()
    event_id: Annotated[str, Meta(min_length=1, max_length=36)]
    recorded_at: datetime
    # Position of the event in its participant's stream in the service that recorded it.
    sequence: int = 0
    service: str = ""


class EnvelopeFields(EnvelopeBase, frozen=True, kw_only=True):
    """An envelope's fields checked as each is decoded: ids in canonical form, time in UTC."""

    def __post_init__(self) -> None:
        # ids in canonical form and times in UTC whatever the writer sent: stores without time zones
        # (SQLite) compare recorded_at as text. Runs for every event consumed: the usual case is tested first.
        if not _both_canonical(f"{self.event_id} {self.participant_id}"):
            for name in ("event_id", "participant_id"):
                value = getattr(self, name)
                if not _is_canonical(value):  # the form every service writes; others are normalized
                    force_setattr(self, name, _canonical_uuid(value, name))
        recorded_at = self.recorded_at
        if recorded_at.tzinfo is UTC:
            return
        if recorded_at.tzinfo is None:
            force_setattr(self, "recorded_at", recorded_at.replace(tzinfo=UTC))
        elif recorded_at.utcoffset():
            force_setattr(self, "recorded_at", recorded_at.astimezone(UTC))


class Envelope(EnvelopeFields, frozen=True, kw_only=True):
    """An event as services write and read it, its payload as JSON values."""

    data: dict[str, Any]


class RawEnvelope(EnvelopeFields, frozen=True, kw_only=True):
    """An event as a consumer that stores payloads receives it: the payload left as the JSON text it came
    in, checked and read by `shared.events.rawcheck.read_event` without building a dict of it, and stored
    as that text instead of a dict encoded again (3,400 fewer instructions per event in decoding and
    encoding, most of them given back to the domain reading the payload struct through Python methods)."""

    data: msgspec.Raw


def new_identity() -> dict[str, Any]:
    """The id and recording time of an event being written now."""
    return {"event_id": str(uuid.uuid4()), "recorded_at": datetime.now(UTC)}


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


_E = TypeVar("_E", Envelope, RawEnvelope)
_decoder = msgspec.json.Decoder(Envelope)
raw_decoder = msgspec.json.Decoder(RawEnvelope)  # decode_raw's, for a caller that inlines it


def decode(raw: bytes) -> Envelope:
    """Parse and check an envelope; the data payload is checked by the event registry, not here."""
    return _checked(_decoder, raw)


def decode_raw(raw: bytes) -> RawEnvelope:
    """Parse and check an envelope, its payload left as JSON text."""
    return _checked(raw_decoder, raw)


def _checked(decoder: msgspec.json.Decoder[_E], raw: bytes) -> _E:
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:  # JSON, but not an envelope
        raise UnreadableEvent(f"bad envelope: {exc}") from None
    except UnreadableEvent as exc:  # from __post_init__
        raise UnreadableEvent(f"bad envelope: {exc}") from None
    except (msgspec.DecodeError, TypeError) as exc:  # TypeError: a record without a value
        raise UnreadableEvent(f"not JSON: {exc}") from None
