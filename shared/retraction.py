"""Retraction, the same in both write services: a new event that cancels one this service recorded."""

from __future__ import annotations

from typing import Any

from shared.events.types import EventRetracted, OrgUnitChanged
from shared.rules import RuleViolation, conflict, is_issued_id
from shared.writes import Context, Reply, UnitOfWork, authorize, new_event, recorded


def retract(event_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    original = uow.store.get(uow.conn, event_id) if is_issued_id(event_id) else None
    if original is None:
        raise RuleViolation(404, "unknown_event", None, "Không tìm thấy sự kiện này trong dịch vụ.",
                            "This service recorded no such event.")
    authorize(ctx, EventRetracted.TYPE, original.org_unit, posted_by_agency=original.source.agency)
    if original.type == EventRetracted.TYPE:
        raise conflict("not_retractable", "Không thể thu hồi một lệnh thu hồi.",
                       "A retraction cannot itself be retracted.")
    if original.type == OrgUnitChanged.TYPE:
        raise conflict("not_retractable", "Thay đổi đơn vị không thu hồi được; hãy ghi một thay đổi mới.",
                       "An org-unit change is not retracted; record a new change instead.")
    stream = uow.store.stream(uow.conn, original.participant_id)
    for envelope in stream:
        if envelope.type == EventRetracted.TYPE and envelope.data.get("retracted_event_id") == event_id:
            raise conflict("already_retracted", "Sự kiện này đã được thu hồi.", "This event is already retracted.",
                           retraction_event_id=envelope.event_id)
    data = {"retracted_event_id": event_id, "retracted_type": original.type, "reason": body["reason"],
            "retracted_on": ctx.today}
    envelope = new_event(ctx, EventRetracted, original.participant_id, original.org_unit, data,
                         sequence=stream[-1].sequence + 1)
    uow.record([envelope])
    return recorded(envelope, retracted_event_id=event_id)
