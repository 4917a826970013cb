"""What a consumer accepts off the topic: the envelope (decoded and checked by msgspec) and the payload
(checked by structs compiled from each type's marshmallow schema). Whatever is refused is refused with a
reason, so that it goes to dead letters instead of stopping the projection."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from shared.events import EVENT_CLASSES, Envelope, Source, UnreadableEvent, decode, encode, new_identity
from shared.events.rawcheck import read_event, read_events, read_raw
from shared.messaging.records import Delivery

PID = "6513270e-269e-4d37-b2a7-4de452e6b438"
EID = "892f902b-d23f-4824-928b-2f330c5c7fd0"

VALID = {
    "participant.registered": {"full_name": "Lê Thị Hoa", "birth_date": "1995-03-02", "gender": "female",
                               "branch_name": "Chi đoàn thôn 3", "branch_kind": "residential",
                               "model_name": "Nuôi ong", "has_existing_model": False, "registered_on": "2017-06-05"},
    "participant.selected": {"sector": "livestock", "decided_on": "2017-06-30"},
    "participant.rejected": {"decided_on": "2017-06-30"},
    "participant.trained": {"trained_on": "2017-08-01", "course": "Khởi nghiệp", "kind": "course", "hours": 16},
    "participant.funded": {"disbursed_on": "2017-09-01", "source": "vbsp", "amount_vnd": 50_000_000,
                           "term_months": 36},
    "participant.supported": {"supported_on": "2017-10-01", "kind": "trade_fair"},
    "participant.evaluated": {"evaluated_on": "2018-06-01", "status": "successful", "jobs_created": 4,
                              "profit_vnd": -2_000_000},
    "participant.commended": {"commended_on": "2018-12-01", "title": "Bằng khen"},
    "model.replicated": {"replicated_on": "2018-03-01", "youth_name": "Nguyễn Văn An", "org_unit": "TX-XUANHOA"},
    "event.retracted": {"retracted_event_id": EID, "retracted_type": "participant.funded", "reason": "nhầm",
                        "retracted_on": "2018-01-02"},
    "loan.repaid": {"funding_event_id": EID, "paid_on": "2018-01-05", "principal_vnd": 5_000_000,
                    "interest_vnd": 300_000},
    "loan.classified": {"funding_event_id": EID, "classified_on": "2018-02-01", "days_past_due": 12,
                        "status": "overdue"},
    "org_unit.changed": {"effective_on": "2025-07-01", "decision": "NQ 1/2025",
                         "changes": [{"kind": "rename", "code": "TX", "name": "Thọ Xuân"}]},
}


def raw(**changes: Any) -> bytes:
    payload: dict[str, Any] = {
        "event_id": EID, "type": "participant.selected", "version": 1, "participant_id": PID,
        "org_unit": "TX-XUANHOA", "occurred_on": "2017-06-30", "recorded_at": "2019-01-01T00:00:01+00:00",
        "source": {"agency": "tx-union", "key_id": "k1"}, "data": VALID["participant.selected"],
        "sequence": 2, "service": "registration"}
    payload.update(changes)
    return json.dumps({k: v for k, v in payload.items() if v is not ...}).encode()


def test_round_trip_and_normal_forms() -> None:
    envelope = Envelope(type="participant.selected", version=1, participant_id=PID, org_unit="TX-XUANHOA",
                        occurred_on=date(2017, 6, 30), source=Source("tx-union", "k1"),
                        data=VALID["participant.selected"], event_id=EID,
                        recorded_at=datetime(2019, 1, 1, 7, tzinfo=timezone(timedelta(hours=7))))
    assert envelope.recorded_at == datetime(2019, 1, 1, tzinfo=UTC) and envelope.recorded_at.utcoffset() == timedelta(0)
    assert decode(encode(envelope)) == envelope
    # another writer's forms: upper-case ids, a local offset, no offset at all (taken as UTC)
    other = decode(raw(participant_id=PID.upper(), event_id=EID.replace("-", ""),
                       recorded_at="2019-01-01T07:00:01+07:00"))
    assert (other.participant_id, other.event_id) == (PID, EID)
    assert other.recorded_at == datetime(2019, 1, 1, 0, 0, 1, tzinfo=UTC) and other.recorded_at.tzinfo is UTC
    assert decode(raw(recorded_at="2019-01-01T00:00:01")).recorded_at == datetime(2019, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert decode(raw(sequence=..., service=..., extra="ignored")).sequence == 0


@pytest.mark.parametrize(("value", "reason"), [
    (b"{not json", "not JSON"),
    (None, "not JSON"),
    (b"[1, 2]", "bad envelope"),
    (raw(version=True), "bad envelope"),
    (raw(version=0), "bad envelope"),
    (raw(version="1"), "bad envelope"),
    (raw(participant_id="not-a-uuid"), "bad envelope"),
    (raw(event_id=...), "bad envelope"),  # never given a new id: a redelivery would count twice
    (raw(recorded_at=...), "bad envelope"),
    (raw(org_unit=""), "bad envelope"),
    (raw(type="x" * 65), "bad envelope"),
    (raw(occurred_on="30/06/2017"), "bad envelope"),
    (raw(recorded_at="yesterday"), "bad envelope"),
    (raw(source={"agency": "a"}), "bad envelope"),
    (raw(data=[1]), "bad envelope"),  # read_event: "bad participant.selected data" (see below)
    (raw(sequence="2"), "bad envelope"),
])
def test_unreadable_envelopes_are_refused_with_a_reason(value: bytes | None, reason: str) -> None:
    for read in (decode, read_event, read_one_of_batch):
        with pytest.raises(UnreadableEvent) as refused:
            read(value)  # type: ignore[operator]
        # read_event takes the payload as JSON text of any kind, and then finds it is not its type's object
        assert str(refused.value).startswith("bad participant.selected data" if read is not decode
                                             and value == raw(data=[1]) else reason)


def read_batch(values: list[bytes | None]) -> list[Any]:
    """read_events over records of these values: each record's (envelope, payload), or why it was refused
    (then the record holds no event)."""
    records = [Delivery("t", 0, i, None, None, value) for i, value in enumerate(values)]
    refused = {id(record): reason for record, reason in read_events(records)}
    assert all(isinstance(reason, UnreadableEvent) for reason in refused.values())
    assert all((r.envelope is None and r.data is None) == (id(r) in refused) for r in records)
    return [refused.get(id(r)) or (r.envelope, r.data) for r in records]


def read_one_of_batch(value: bytes | None) -> Any:
    """What read_events makes of `value` in a batch between two readable records, which it reads as
    read_event does whatever is between them; the refusal raised."""
    good = raw(event_id="0fd2f4b5-4a67-4b2c-9a0e-3c7a34f1e2aa")
    first, read, last = read_batch([good, value, good])
    assert not isinstance(first, Exception) and not isinstance(last, Exception)
    assert same_envelope(first[0], read_event(good)[0]) and same_envelope(last[0], read_event(good)[0])
    if isinstance(read, UnreadableEvent):
        raise read
    return read


def same_envelope(a: Any, b: Any) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in Envelope.__struct_fields__ if name != "data") \
        and bytes(a.data) == bytes(b.data)


def test_a_batch_reads_as_its_records_one_by_one() -> None:
    """read_events checks the usual envelopes' ids and times once per batch: a batch holding another form
    (normalized by read_event) is read record by record, so every envelope comes out as read_event's."""
    usual = [encode(envelope_of(t, VALID[t])) for t in sorted(VALID)] * 2
    others = [raw(participant_id=PID.upper()), raw(event_id=EID.replace("-", "")),
              raw(recorded_at="2019-01-01T07:00:01+07:00"), raw(recorded_at="2019-01-01T00:00:01"),
              raw(service="elsewhere"), raw(type="participant.selected", version=1, sequence=...)]
    for other in (None, *others):
        batch = usual[:5] + ([other] if other is not None else []) + usual[5:]
        read = read_batch(batch)
        assert len(read) == len(batch)
        for value, got in zip(batch, read, strict=True):
            assert not isinstance(got, Exception)
            envelope, payload = read_event(value)
            assert same_envelope(got[0], envelope) and got[0].recorded_at.tzinfo is UTC
            assert type(got[1]) is type(payload) and \
                {name: got[1].get(name) for name in json.loads(bytes(got[0].data))} == \
                {name: payload.get(name) for name in json.loads(bytes(envelope.data))}
    assert read_batch([]) == [] and read_events([]) == []


def test_raw_envelopes_read_alike() -> None:
    for value in (raw(), raw(participant_id=PID.upper(), recorded_at="2019-01-01T07:00:01+07:00")):
        envelope, _ = read_event(value)
        expected = decode(value)
        assert {name: getattr(envelope, name) for name in Envelope.__struct_fields__ if name != "data"} == \
            {name: getattr(expected, name) for name in Envelope.__struct_fields__ if name != "data"}
        assert json.loads(str(envelope.data, "utf-8")) == expected.data


def envelope_of(event_type: str, data: dict[str, Any], version: int | None = None) -> Envelope:
    return Envelope(type=event_type, version=version or EVENT_CLASSES[event_type].VERSION, participant_id=PID,
                    org_unit="TX-XUANHOA", occurred_on=date(2017, 6, 30), source=Source("a", "k"), data=data,
                    **new_identity())


def read_both(envelope: Envelope) -> dict[str, Any]:
    """The payload as read_raw gives it, after checking that read_event reads the same from the record: each
    field by payload[name] and payload.get(name), and the text it keeps for the events table."""
    data = read_raw(envelope)
    stored, payload = read_event(encode(envelope))
    assert {name: payload[name] for name in data} == {name: payload.get(name) for name in data} == data
    assert payload.get("no such field", "absent") == "absent"
    assert json.loads(str(stored.data, "utf-8")) == data
    return data


def refused_by_both(envelope: Envelope) -> str:
    """The reason both readers give for refusing the envelope's payload (the same)."""
    reasons = []
    for read in (read_raw, lambda e: read_event(encode(e)), lambda e: read_one_of_batch(encode(e))):
        with pytest.raises(UnreadableEvent) as refused:
            read(envelope)
        reasons.append(str(refused.value).split(":")[0])
    assert reasons[0] == reasons[1] == reasons[2]
    return reasons[0]


@pytest.mark.parametrize("event_type", sorted(EVENT_CLASSES))
def test_every_type_reads_what_its_schema_writes(event_type: str) -> None:
    assert set(VALID) == set(EVENT_CLASSES)
    data = EVENT_CLASSES[event_type].Data().dump(EVENT_CLASSES[event_type].Data().load(VALID[event_type]))
    assert read_both(envelope_of(event_type, data)) == data


def test_payload_text_is_kept_as_it_came_and_ids_in_payloads_as_written() -> None:
    selected = envelope_of("participant.selected", {"decided_on": "2017-06-30", "sector": "crops"})
    assert str(read_event(encode(selected))[0].data, "utf-8") == '{"decided_on":"2017-06-30","sector":"crops"}'
    # a UUID field's text is what retractions are matched by: read as the payload's dict, not as a UUID
    retraction = envelope_of("event.retracted", VALID["event.retracted"] | {"retracted_event_id": EID.upper()})
    payload = read_event(encode(retraction))[1]
    assert type(payload) is dict and payload["retracted_event_id"] == EID.upper()


def test_earlier_versions_are_upcast_and_kept_as_the_upcast_text() -> None:
    v1 = {k: v for k, v in VALID["participant.registered"].items() if k not in ("full_name", "has_existing_model")}
    envelope = envelope_of("participant.registered", v1 | {"name": "Lê Thị Hoa"}, version=1)
    data = read_both(envelope)
    assert data["full_name"] == "Lê Thị Hoa" and "name" not in data
    stored, _ = read_event(encode(envelope))
    assert stored.version == 1  # the event as it was written; its payload at the current version


@pytest.mark.parametrize(("event_type", "change"), [
    ("participant.registered", {"gender": "unknown"}),  # not one of the choices
    ("participant.registered", {"full_name": ""}),  # too short
    ("participant.registered", {"full_name": "x" * 201}),  # too long
    ("participant.registered", {"birth_date": "1995-3-2"}),  # not YYYY-MM-DD
    ("participant.registered", {"has_existing_model": "yes"}),  # not a boolean
    ("participant.registered", {"registered_on": None}),  # required
    ("participant.registered", {"surprise": 1}),  # unknown field
    ("participant.funded", {"amount_vnd": 0}),  # below the range
    ("participant.funded", {"amount_vnd": 10**13}),  # above it
    ("participant.funded", {"amount_vnd": True}),  # a boolean is not an amount
    ("participant.funded", {"amount_vnd": 5.5}),
    ("participant.trained", {"hours": -1}),
    ("participant.evaluated", {"jobs_created": "4"}),
    ("event.retracted", {"retracted_event_id": "nope"}),
])
def test_bad_payloads_are_refused_with_a_reason(event_type: str, change: dict[str, Any]) -> None:
    assert refused_by_both(envelope_of(event_type, VALID[event_type] | change)) == f"bad {event_type} data"


def test_optional_fields_may_be_absent_or_null_and_required_ones_not_absent() -> None:
    trained = {k: v for k, v in VALID["participant.trained"].items() if k != "hours"}
    assert read_both(envelope_of("participant.trained", trained)) == trained
    assert read_both(envelope_of("participant.trained", trained | {"hours": None}))["hours"] is None
    assert read_event(encode(envelope_of("participant.trained", trained)))[1].get("hours") is None
    refused_by_both(envelope_of("participant.trained", {k: v for k, v in trained.items() if k != "course"}))


def test_unknown_types_and_versions_are_refused() -> None:
    unknown = Envelope(type="x.y", version=1, participant_id=PID, org_unit="TX-XUANHOA",
                       occurred_on=date(2017, 6, 30), source=Source("a", "k"), data={}, **new_identity())
    assert refused_by_both(unknown) == "unknown event type 'x.y'"
    assert refused_by_both(envelope_of("participant.selected", VALID["participant.selected"], version=99)) == \
        "unknown version 99 of participant.selected"
