"""Support's use cases: trainings, fundings, business supports for selected participants."""

from __future__ import annotations

from typing import Any

from services.support import domain, view
from shared.events.types import Event, ParticipantFunded, ParticipantSupported, ParticipantTrained
from shared.rules import is_issued_id
from shared.writes import Context, Reply, UnitOfWork, authorize, new_event, recorded


def _record(event_cls: type[Event], participant_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context,
            **conditions: str | None) -> Reply:
    may_appear = is_issued_id(participant_id)
    participant = view.find(uow.conn, participant_id) if may_appear else None
    if participant is None:
        raise domain.unknown_participant(may_appear)
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
