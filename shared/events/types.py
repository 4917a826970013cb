"""One class per event type, each with TYPE and VERSION and a marshmallow schema of its data.

A breaking change adds a new VERSION and an upcaster from the old one; old schemas are never edited,
so any event ever published can still be read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate

from shared.events.envelope import Envelope, UnreadableEvent

GENDERS = ("male", "female", "other")
BRANCH_KINDS = ("residential", "school", "enterprise", "other")
SECTORS = (
    "crops", "livestock", "aquaculture", "forestry", "food_processing", "handicraft",
    "trade_services", "tourism", "industry_construction", "other",
)
FUNDING_SOURCES = ("vbsp", "youth_union_120", "provincial_youth_credit", "commercial_bank", "enterprise", "other")
EVALUATION_STATUSES = ("successful", "on_track", "struggling", "discontinued")
TRAINING_KINDS = ("course", "study_visit")
SUPPORT_KINDS = (
    "input_output_linkage", "forum", "trade_fair", "trademark", "food_safety", "value_chain", "mentoring", "other",
)
MAX_AMOUNT_VND = 10**12
LOAN_STATUSES = ("current", "overdue", "restructured", "written_off", "closed")


def _text(required: bool = True, max_len: int = 500, multiline: bool = False) -> fields.String:
    # `multiline`: requests keep the text's line breaks (shared.rules.RequestBody, shared.text)
    metadata = {"multiline": True} if multiline else {}
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_len), metadata=metadata)
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=max_len),
                         metadata=metadata)


def _vnd(required: bool) -> fields.Integer:
    rng = validate.Range(min=1, max=MAX_AMOUNT_VND) if required else validate.Range(min=0, max=MAX_AMOUNT_VND)
    if required:
        return fields.Integer(required=True, strict=True, validate=rng)
    return fields.Integer(strict=True, load_default=None, allow_none=True, validate=rng)


class FigureConfirmation(fields.Field):
    """Which implausible figures the sender confirmed (shared.plausibility): in a body, `true` (every figure
    flagged) or a list of field names; in an event, the list of the fields that were flagged and confirmed."""

    def __init__(self) -> None:
        super().__init__(load_default=None, allow_none=True, metadata={
            "description": "confirms figures answered 422 confirmation_required: true for all of them, or the "
                           "names of the fields (error.confirmable); recorded in the event",
            "oneOf": [{"type": "boolean"}, {"type": "array", "maxItems": 20,
                                             "items": {"type": "string", "minLength": 1, "maxLength": 64}}]})

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool):
            return True if value else None
        if (isinstance(value, list) and len(value) <= 20
                and all(isinstance(v, str) and 0 < len(v) <= 64 for v in value)):
            return list(dict.fromkeys(value))
        raise ValidationError("Phải là true hoặc danh sách tên trường.||Must be true or a list of field names.")


def _not_duplicate_of() -> fields.List:
    """The participants the registering person confirmed this one is not (likely duplicates shown to them)."""
    return fields.List(fields.String(validate=validate.Length(min=1, max=36)), load_default=None, allow_none=True,
                       validate=validate.Length(max=20))


class Event:
    TYPE: ClassVar[str]
    VERSION: ClassVar[int]
    # The data field holding the event's business date (copied to the envelope's occurred_on).
    DATE_FIELD: ClassVar[str]
    Data: ClassVar[type[Schema]]


class ParticipantRegistered(Event):
    TYPE, VERSION, DATE_FIELD = "participant.registered", 2, "registered_on"

    class Data(Schema):
        full_name = _text(max_len=200)
        birth_date = fields.Date(required=True)
        gender = fields.String(required=True, validate=validate.OneOf(GENDERS))
        phone = _text(required=False, max_len=20)
        branch_name = _text(max_len=200)
        branch_kind = fields.String(required=True, validate=validate.OneOf(BRANCH_KINDS))
        model_name = _text(max_len=200)
        model_description = _text(required=False, max_len=4000, multiline=True)
        has_existing_model = fields.Boolean(required=True)
        registered_on = fields.Date(required=True)
        confirmed_not_duplicate_of = _not_duplicate_of()  # absent in events recorded before it existed


class ParticipantSelected(Event):
    TYPE, VERSION, DATE_FIELD = "participant.selected", 1, "decided_on"

    class Data(Schema):
        sector = fields.String(required=True, validate=validate.OneOf(SECTORS))
        reason = _text(required=False, max_len=2000, multiline=True)
        decided_on = fields.Date(required=True)


class ParticipantRejected(Event):
    TYPE, VERSION, DATE_FIELD = "participant.rejected", 1, "decided_on"

    class Data(Schema):
        reason = _text(required=False, max_len=2000, multiline=True)
        decided_on = fields.Date(required=True)


class ParticipantTrained(Event):
    TYPE, VERSION, DATE_FIELD = "participant.trained", 1, "trained_on"

    class Data(Schema):
        trained_on = fields.Date(required=True)
        course = _text(max_len=300)
        kind = fields.String(required=True, validate=validate.OneOf(TRAINING_KINDS))
        provider = _text(required=False, max_len=300)
        hours = fields.Integer(strict=True, load_default=None, allow_none=True,
                               validate=validate.Range(min=0, max=10000))
        confirmed_implausible = FigureConfirmation()


class ParticipantFunded(Event):
    TYPE, VERSION, DATE_FIELD = "participant.funded", 1, "disbursed_on"

    class Data(Schema):
        disbursed_on = fields.Date(required=True)
        source = fields.String(required=True, validate=validate.OneOf(FUNDING_SOURCES))
        amount_vnd = _vnd(required=True)
        lender = _text(required=False, max_len=300)
        term_months = fields.Integer(strict=True, load_default=None, allow_none=True,
                                     validate=validate.Range(min=0, max=600))
        confirmed_implausible = FigureConfirmation()


class ParticipantSupported(Event):
    TYPE, VERSION, DATE_FIELD = "participant.supported", 1, "supported_on"

    class Data(Schema):
        supported_on = fields.Date(required=True)
        kind = fields.String(required=True, validate=validate.OneOf(SUPPORT_KINDS))
        partner = _text(required=False, max_len=300)
        description = _text(required=False, max_len=4000, multiline=True)


class ParticipantEvaluated(Event):
    TYPE, VERSION, DATE_FIELD = "participant.evaluated", 1, "evaluated_on"

    class Data(Schema):
        evaluated_on = fields.Date(required=True)
        status = fields.String(required=True, validate=validate.OneOf(EVALUATION_STATUSES))
        revenue_vnd = _vnd(required=False)
        profit_vnd = fields.Integer(strict=True, load_default=None, allow_none=True,
                                    validate=validate.Range(min=-MAX_AMOUNT_VND, max=MAX_AMOUNT_VND))
        jobs_created = fields.Integer(strict=True, load_default=None, allow_none=True,
                                      validate=validate.Range(min=0, max=100000))
        note = _text(required=False, max_len=4000, multiline=True)
        confirmed_implausible = FigureConfirmation()


class ParticipantCommended(Event):
    TYPE, VERSION, DATE_FIELD = "participant.commended", 1, "commended_on"

    class Data(Schema):
        commended_on = fields.Date(required=True)
        title = _text(max_len=300)
        issued_by = _text(required=False, max_len=300)


class ModelReplicated(Event):
    TYPE, VERSION, DATE_FIELD = "model.replicated", 1, "replicated_on"

    class Data(Schema):
        replicated_on = fields.Date(required=True)
        youth_name = _text(max_len=200)
        org_unit = fields.String(required=True, validate=validate.Length(min=1, max=64))
        note = _text(required=False, max_len=4000, multiline=True)


class LoanRepaid(Event):
    """A repayment of a loan (a funding that is one, shared.loans.is_loan), on its participant's stream."""

    TYPE, VERSION, DATE_FIELD = "loan.repaid", 1, "paid_on"

    class Data(Schema):
        funding_event_id = fields.UUID(required=True)
        paid_on = fields.Date(required=True)
        principal_vnd = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_AMOUNT_VND))
        interest_vnd = _vnd(required=False)
        confirmed_implausible = FigureConfirmation()


class LoanClassified(Event):
    """The lender's classification of a loan on a date: days past due and status."""

    TYPE, VERSION, DATE_FIELD = "loan.classified", 1, "classified_on"

    class Data(Schema):
        funding_event_id = fields.UUID(required=True)
        classified_on = fields.Date(required=True)
        days_past_due = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=36500))
        # absent in a request: current without days past due, else overdue (the service records it filled in)
        status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LOAN_STATUSES))
        note = _text(required=False, max_len=2000, multiline=True)
        confirmed_implausible = FigureConfirmation()


class EventRetracted(Event):
    TYPE, VERSION, DATE_FIELD = "event.retracted", 1, "retracted_on"

    class Data(Schema):
        retracted_event_id = fields.UUID(required=True)
        retracted_type = fields.String(required=True)
        reason = _text(max_len=2000, multiline=True)
        retracted_on = fields.Date(required=True)


class OrgUnitChanged(Event):
    """A decision changing the hierarchy from `effective_on` (shared.hierarchy reads the changes). Not a
    participant's event: its stream is HIERARCHY_STREAM."""

    TYPE, VERSION, DATE_FIELD = "org_unit.changed", 1, "effective_on"

    class Data(Schema):
        effective_on = fields.Date(required=True)
        decision = _text(max_len=500)
        changes = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=2000))


# The stream (participant_id of the envelope) every org_unit.changed is appended to: one sequence, so two
# changes recorded at once are ordered (the second is validated against the first), and one Kafka key.
HIERARCHY_STREAM = "00000000-0000-4000-8000-00000000a1e7"

EVENT_CLASSES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        ParticipantRegistered, ParticipantSelected, ParticipantRejected, ParticipantTrained, ParticipantFunded,
        ParticipantSupported, ParticipantEvaluated, ParticipantCommended, ModelReplicated, EventRetracted,
        LoanRepaid, LoanClassified, OrgUnitChanged,
    )
}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def upcast_registered_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 (June 2017 list) had `name` and no `has_existing_model`; the plan gives priority to
    secretaries who already run a model, so v2 records it explicitly (unknown => False)."""
    upgraded = {k: v for k, v in data.items() if k != "name"}
    upgraded["full_name"] = data.get("name", data.get("full_name"))
    upgraded.setdefault("has_existing_model", False)
    return upgraded


# (type, from_version) -> function giving the payload of from_version + 1
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("participant.registered", 1): upcast_registered_v1_v2,
}


def read_data(envelope: Envelope) -> dict[str, Any]:
    """Bring an event's data to the current version of its type and validate it."""
    cls = EVENT_CLASSES.get(envelope.type)
    if cls is None:
        raise UnreadableEvent(f"unknown event type {envelope.type!r}")
    if envelope.version > cls.VERSION or envelope.version < 1:
        raise UnreadableEvent(f"unknown version {envelope.version} of {envelope.type}")
    data = dict(envelope.data)
    for version in range(envelope.version, cls.VERSION):
        upcaster = UPCASTERS.get((envelope.type, version))
        if upcaster is None:
            raise UnreadableEvent(f"no upcaster for {envelope.type} v{version}")
        data = upcaster(data)
    try:
        return dict(cls.Data().load(data))
    except ValidationError as exc:
        raise UnreadableEvent(f"bad {envelope.type} data: {exc.messages}") from exc
