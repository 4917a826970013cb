"""Support's use cases: trainings, fundings, business supports for selected participants; loans' repayments
and classifications."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from services.support import domain, loans, view
from shared.events import Envelope
from shared.events.types import (
    Event,
    LoanClassified,
    LoanRepaid,
    ParticipantFunded,
    ParticipantSupported,
    ParticipantTrained,
)
from shared.loans import Loan, LoanFact, is_loan, loans_of
from shared.rules import is_issued_id
from shared.writes import Context, Reply, UnitOfWork, authorize, new_event, recorded

KNOWN = "known_participants"  # UnitOfWork.read_ahead's name for view.find_many's answer


def _record(event_cls: type[Event], participant_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context,
            **conditions: str | None) -> Reply:
    may_appear = is_issued_id(participant_id)
    known = uow.read_ahead.get(KNOWN)  # an import looked its participants up at once
    participant = (known.get(participant_id) if known is not None else view.find(uow.conn, participant_id)) \
        if may_appear else None
    if participant is None:
        raise domain.unknown_participant(may_appear)
    ctx = ctx.on(body[event_cls.DATE_FIELD])  # the participant's unit and the key's scope on the event's date
    authorize(ctx, event_cls.TYPE, participant.org_unit, **conditions)
    domain.check_support_event(participant, event_cls.DATE_FIELD, body[event_cls.DATE_FIELD], ctx.today,
                               ctx.program_start)
    sequence = uow.store.last_sequence(uow.conn, participant_id) + 1
    envelope = new_event(ctx, event_cls, participant_id, participant.org_unit, body, sequence)
    uow.record([envelope])
    return recorded(envelope)


def train(participant_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    return _record(ParticipantTrained, participant_id, body, uow, ctx)


def fund(participant_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    return _record(ParticipantFunded, participant_id, body, uow, ctx, funding_source=body["source"])


def support(participant_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    return _record(ParticipantSupported, participant_id, body, uow, ctx)


def _loan_fact(envelope: Envelope) -> LoanFact:
    return LoanFact(envelope.event_id, envelope.type, envelope.participant_id, envelope.org_unit,
                    envelope.source.agency, envelope.occurred_on, envelope.recorded_at, envelope.data)


def _record_on_loan(event_cls: type[Event], funding_event_id: str, body: dict[str, Any], uow: UnitOfWork,
                    ctx: Context, check: Callable[[Loan, dict[str, Any], date, date], None]) -> Reply:
    """A loan's event, on its participant's stream, in the funding's unit: the funding is support's own
    event, so its loan is read from support's store (no view of another service to wait for)."""
    funding = uow.store.get(uow.conn, funding_event_id) if is_issued_id(funding_event_id) else None
    if funding is None or funding.type != ParticipantFunded.TYPE:
        raise loans.unknown_loan()
    ctx = ctx.on(body[event_cls.DATE_FIELD])  # the loan's unit and the key's scope on the event's date
    authorize(ctx, event_cls.TYPE, funding.org_unit, lender_agency=funding.source.agency)
    if not is_loan(funding.data):
        raise loans.not_a_loan(str(funding.data.get("source")))
    stream = uow.store.stream(uow.conn, funding.participant_id)
    loan = loans_of(_loan_fact(e) for e in stream).get(funding_event_id)
    if loan is None:
        raise loans.funding_retracted()
    loans.check_open(loan)
    check(loan, body, ctx.today, ctx.program_start)
    data = {**body, "funding_event_id": funding_event_id}
    envelope = new_event(ctx, event_cls, funding.participant_id, funding.org_unit, data, stream[-1].sequence + 1)
    uow.record([envelope])
    return recorded(envelope, funding_event_id=funding_event_id)


def repay(funding_event_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    return _record_on_loan(LoanRepaid, funding_event_id, body, uow, ctx, loans.check_repayment)


def classify(funding_event_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    body = {**body, "status": loans.classification_status(body)}
    return _record_on_loan(LoanClassified, funding_event_id, body, uow, ctx, loans.check_classification)
