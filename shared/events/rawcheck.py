"""A fast check of event payloads for consumers that keep them as JSON: each type's marshmallow schema
(the single definition) is compiled once into a msgspec struct, which checks a payload in C. marshmallow
costs ~100 µs per payload, the struct about 1, which matters at tens of thousands of events a second.

`read_event` goes further for a consumer that stores payloads as their JSON text (the projection): the
struct is decoded straight from the record's bytes and serves as the payload (read as a mapping), and the
text stays as it came; no dict is built, checked and encoded again per event."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date
from functools import lru_cache
from operator import attrgetter
from typing import Annotated, Any, Literal, Protocol, TypeVar

import marshmallow
import msgspec
import msgspec.structs
import orjson
from marshmallow import fields, validate

from shared.events.envelope import (
    Envelope,
    EnvelopeBase,
    RawEnvelope,
    UnreadableEvent,
    all_canonical,
    decode_raw,
    raw_decoder,
)
from shared.events.types import EVENT_CLASSES, UPCASTERS

_TYPES: tuple[tuple[type[fields.Field], Any], ...] = (
    (fields.Boolean, bool), (fields.Integer, int), (fields.Date, date), (fields.UUID, uuid.UUID), (fields.String, str))


def _annotation(field: fields.Field) -> tuple[Any, list[Callable[[Any], Any]]]:
    """The msgspec type of a field, and the validators it cannot express (run afterwards)."""
    base = next((t for cls, t in _TYPES if isinstance(field, cls)), Any)
    constraints: dict[str, Any] = {}
    rest: list[Callable[[Any], Any]] = []
    for validator in field.validators:
        if isinstance(validator, validate.OneOf) and base is str and all(isinstance(c, str) for c in validator.choices):
            base = Literal[tuple(validator.choices)]
        elif isinstance(validator, validate.Range) and base is int:
            if validator.min is not None:
                constraints["ge" if validator.min_inclusive else "gt"] = validator.min
            if validator.max is not None:
                constraints["le" if validator.max_inclusive else "lt"] = validator.max
        elif isinstance(validator, validate.Length) and base is str and validator.equal is None:
            if validator.min is not None:
                constraints["min_length"] = validator.min
            if validator.max is not None:
                constraints["max_length"] = validator.max
        else:
            rest.append(validator)
    if constraints and base in (int, str):
        base = Annotated[base, msgspec.Meta(**constraints)]
    elif constraints:
        rest.extend(v for v in field.validators if isinstance(v, validate.Range | validate.Length))
    return base, rest


@lru_cache(maxsize=64)
def _compiled(event_type: str) -> tuple[type[msgspec.Struct], list[tuple[str, Callable[[Any], Any]]]]:
    schema = EVENT_CLASSES[event_type].Data()
    spec: list[Any] = []
    extra: list[tuple[str, Callable[[Any], Any]]] = []
    for name, field in schema.fields.items():
        annotation, rest = _annotation(field)
        extra.extend((name, v) for v in rest)
        if field.required:
            spec.append((name, annotation))  # present and not null
        elif field.allow_none:
            spec.append((name, annotation | None, None))
        else:
            spec.append((name, annotation | msgspec.UnsetType, msgspec.UNSET))  # absent, never null
    # gc=False: fields of plain values only (no cycles); a mapping as well, for the projection's domain
    struct = msgspec.defstruct(event_type.replace(".", "_"), spec, kw_only=True, forbid_unknown_fields=True,
                               gc=False, namespace={"__getitem__": _item, "get": _get})
    return struct, extra


def _item(payload: msgspec.Struct, name: str) -> Any:
    """payload[name] as the JSON payload's dict gives it: a date as its text; an absent field, KeyError."""
    value = getattr(payload, name, msgspec.UNSET) if name in payload.__struct_fields__ else msgspec.UNSET
    if value is msgspec.UNSET:
        raise KeyError(name)
    return value.isoformat() if type(value) is date else value


def _get(payload: msgspec.Struct, name: str, default: Any = None) -> Any:
    value = getattr(payload, name, msgspec.UNSET) if name in payload.__struct_fields__ else msgspec.UNSET
    if value is msgspec.UNSET:
        return default
    return value.isoformat() if type(value) is date else value


def _check_extra(checked: Any, extra: list[tuple[str, Callable[[Any], Any]]]) -> None:
    for name, validator in extra:
        value = getattr(checked, name)
        if value is not None and value is not msgspec.UNSET:
            validator(value)


def read_raw(envelope: Envelope) -> dict[str, Any]:
    """The payload at the current version of its type, checked, as plain JSON values (dates as text)."""
    current = _current.get(envelope.type)
    data = envelope.data
    if current is not None and envelope.version == current[0]:  # the usual case, in fewest steps (per event)
        struct, extra = current[1], current[2]
    else:
        cls = EVENT_CLASSES.get(envelope.type)
        if cls is None:
            raise UnreadableEvent(f"unknown event type {envelope.type!r}")
        if not 1 <= envelope.version <= cls.VERSION:
            raise UnreadableEvent(f"unknown version {envelope.version} of {envelope.type}")
        for version in range(envelope.version, cls.VERSION):
            data = UPCASTERS[(envelope.type, version)](dict(data))
        struct, extra = _compiled(envelope.type)
        _current[envelope.type] = (cls.VERSION, struct, extra)
    try:
        _check_extra(msgspec.convert(data, struct), extra)
    except (msgspec.ValidationError, marshmallow.ValidationError) as exc:
        raise UnreadableEvent(f"bad {envelope.type} data: {exc}") from None
    return data


# type -> (its current version, its compiled check, the validators the check runs after), once read
_current: dict[str, tuple[int, type[msgspec.Struct], list[tuple[str, Callable[[Any], Any]]]]] = {}


def read_event(value: bytes | None) -> tuple[RawEnvelope, Any]:
    """The envelope of a record (payload as JSON text at the current version of its type) and its checked
    payload, read like the dict `read_raw` gives: a struct that answers payload[name] and payload.get(name)
    with the same values, or that dict itself for types with UUID fields (a struct holds a UUID object,
    whose text may differ from the payload's)."""
    try:
        envelope = raw_decoder.decode(value)  # type: ignore[arg-type]  # per record: decode_raw's calls inlined
    except Exception:  # noqa: BLE001 - refused with decode_raw's reason
        envelope = decode_raw(value)  # type: ignore[arg-type]  # None: refused as "not JSON"
    reader = _readers.get(envelope.type)
    if reader is None or envelope.version != reader[0]:
        return _read_other(envelope)
    try:
        checked = reader[1].decode(envelope.data)
        if reader[3]:
            _check_extra(checked, reader[3])
    except (msgspec.ValidationError, marshmallow.ValidationError) as exc:
        raise UnreadableEvent(f"bad {envelope.type} data: {exc}") from None
    return envelope, msgspec.json.decode(envelope.data) if reader[2] else checked


def _read_other(envelope: RawEnvelope) -> tuple[RawEnvelope, Any]:
    """A type's first event (compiling its reader), or an earlier version's (its payload upcast, and kept as
    the text of the upcast payload)."""
    cls = EVENT_CLASSES.get(envelope.type)
    if cls is None:
        raise UnreadableEvent(f"unknown event type {envelope.type!r}")
    if not 1 <= envelope.version <= cls.VERSION:
        raise UnreadableEvent(f"unknown version {envelope.version} of {envelope.type}")
    struct, extra = _compiled(envelope.type)
    as_dict = any(isinstance(field, fields.UUID) for field in cls.Data().fields.values())
    _readers[envelope.type] = (cls.VERSION, msgspec.json.Decoder(struct), as_dict, extra)
    try:
        data = msgspec.json.decode(envelope.data)
    except msgspec.DecodeError as exc:  # never: the envelope's decoding checked its JSON
        raise UnreadableEvent(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UnreadableEvent(f"bad {envelope.type} data: not an object")
    for version in range(envelope.version, cls.VERSION):
        data = UPCASTERS[(envelope.type, version)](dict(data))
    try:
        checked = msgspec.convert(data, struct)
        _check_extra(checked, extra)
    except (msgspec.ValidationError, marshmallow.ValidationError) as exc:
        raise UnreadableEvent(f"bad {envelope.type} data: {exc}") from None
    if envelope.version != cls.VERSION:
        envelope = msgspec.structs.replace(envelope, data=msgspec.Raw(orjson.dumps(data)))
    return envelope, data if as_dict else checked


# type -> (its current version, a decoder of its payload struct, whether payloads are read as dicts, the
# validators the struct cannot express), once read
_readers: dict[str, tuple[int, msgspec.json.Decoder[Any], bool, list[tuple[str, Callable[[Any], Any]]]]] = {}


# An envelope as most records hold one: of a known type, from one of the services, decoded without the
# per-envelope check of its ids and time (`read_events` checks a batch's at once) and with the type's and
# the service's text shared with every other envelope's (fewer objects made and freed per event).
UsualRawEnvelope = msgspec.defstruct(
    "UsualRawEnvelope",
    [("type", Literal[tuple(EVENT_CLASSES)]),  # type: ignore[valid-type]
     ("service", Literal["registration", "support", ""], ""), ("data", msgspec.Raw)],
    bases=(EnvelopeBase,), kw_only=True, frozen=True)
_usual_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(UsualRawEnvelope)
_event_ids = attrgetter("event_id")
_participant_ids = attrgetter("participant_id")
_time_zones = attrgetter("recorded_at.tzinfo")


class EventRecord(Protocol):
    """A record as a consumer reads it: its value, and the event read from it (set by `read_events`)."""

    value: bytes | None
    envelope: Any
    data: Any


_R = TypeVar("_R", bound=EventRecord)


def read_events(records: Sequence[_R]) -> list[tuple[_R, UnreadableEvent]]:
    """`read_event` of each of a batch's records, into the record (its `envelope` and `data`); returns the
    records that cannot be read, each with why. The usual envelope's ids (canonical) and time (in UTC) are
    checked once for the batch, in C: checked per envelope they cost ~6,700 instructions of the projection's
    ~90,000 per event. A batch where one is not is read again record by record, each envelope checked and
    normalized (or refused) as it is decoded. Nothing is made per record but what it holds (no result
    tuple to build, unpack and free)."""
    unreadable: list[tuple[_R, UnreadableEvent]] = []
    usual: list[EnvelopeBase] = []
    keep, decode, readers, decode_json = usual.append, _usual_decoder.decode, _readers, msgspec.json.decode
    for record in records:
        try:
            envelope = decode(record.value)  # type: ignore[arg-type]  # None: read below, refused as "not JSON"
            version, reader, as_dict, extra = readers[envelope.type]
            if envelope.version != version:
                raise LookupError
            checked = reader.decode(envelope.data)
            if extra:
                _check_extra(checked, extra)
        except Exception:  # noqa: BLE001 - anything unusual: read_event reads it, or says why it cannot
            _read_one(record, unreadable)
            continue
        record.envelope = envelope
        record.data = decode_json(envelope.data) if as_dict else checked
        keep(envelope)
    if usual and not (all_canonical(list(map(_event_ids, usual)))
                      and all_canonical(list(map(_participant_ids, usual)))
                      and set(map(_time_zones, usual)) == {UTC}):
        unreadable = []
        for record in records:
            _read_one(record, unreadable)
    return unreadable


def _read_one(record: _R, unreadable: list[tuple[_R, UnreadableEvent]]) -> None:
    """`read_event` of one record, into it; or the record (holding no event) and why, into `unreadable`."""
    try:
        record.envelope, record.data = read_event(record.value)
    except UnreadableEvent as exc:
        record.envelope = record.data = None
        unreadable.append((record, exc))
