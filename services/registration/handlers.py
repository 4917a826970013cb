"""Registration's use cases: (command, unit of work, context) -> events recorded, reply."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from services.registration import domain, duplicates, likely
from services.registration.store import duplicate_keys, identities, participant_list
from shared.events import read_data
from shared.events.types import (
    ModelReplicated,
    ParticipantCommended,
    ParticipantEvaluated,
    ParticipantRegistered,
    ParticipantRejected,
    ParticipantSelected,
)
from shared.rules import (
    RuleViolation,
    check_business_date,
    clean_name,
    conflict,
    identity_name,
    invalid,
    is_issued_id,
)
from shared.writes import Context, Reply, UnitOfWork, authorize, new_event, recorded


def load_participant(uow: UnitOfWork, participant_id: str) -> domain.Participant:
    if not is_issued_id(participant_id):
        return domain.Participant(participant_id)  # unknown: 404 from the rules
    stream = uow.store.stream(uow.conn, participant_id)
    return domain.Participant.rebuild(participant_id, stream, [read_data(e) for e in stream])


def _duplicate(existing_id: str) -> RuleViolation:
    return conflict("duplicate_participant", "Đoàn viên này đã được đăng ký (cùng họ tên, ngày sinh, đơn vị).",
                    "This person is already registered (same name, birth date and org unit).",
                    "full_name", participant_id=existing_id)


def register(body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    data = dict(body)
    org_unit = data.pop("org_unit")
    ctx = ctx.on(data["registered_on"])  # a commune of that day's hierarchy, in the key's scope that day
    unit = ctx.tree.get(org_unit)
    authorize(ctx, ParticipantRegistered.TYPE, "")
    domain.check_registration(data, unit is not None and unit.level == "commune", ctx.today, ctx.program_start)
    authorize(ctx, ParticipantRegistered.TYPE, org_unit)
    data["full_name"] = clean_name(data["full_name"])
    if not data["full_name"]:
        raise invalid("full_name", "Họ tên không được để trống.", "full_name may not be blank.")
    identity = f"{identity_name(data['full_name'])}|{data['birth_date'].isoformat()}|{org_unit}"
    keys = duplicates.keys(data["full_name"], data["birth_date"], data.get("phone"))
    candidates = likely.candidates(uow.conn, uow.store, ctx.tree, ctx.principal.scope, org_unit, keys)
    # The exact match is read after the likely ones: a twin request committing between the two reads is then
    # still answered duplicate_participant (PostgreSQL's READ COMMITTED sees it in the later read).
    existing = uow.conn.execute(select(identities.c.participant_id).where(identities.c.identity == identity)).first()
    if existing is not None:
        raise _duplicate(existing.participant_id)
    confirmed = data.pop(duplicates.CONFIRMATION, False)
    if candidates and not confirmed:
        raise duplicates.refusal(candidates)
    if candidates:  # the event says who the person was confirmed not to be
        data["confirmed_not_duplicate_of"] = [c.participant_id for c in candidates]
    participant_id = str(uuid.uuid4())
    try:
        with uow.conn.begin_nested():
            uow.conn.execute(insert(identities).values(identity=identity, participant_id=participant_id))
    except IntegrityError:
        row = uow.conn.execute(select(identities.c.participant_id).where(identities.c.identity == identity)).one()
        raise _duplicate(row.participant_id) from None
    if keys:
        uow.conn.execute(insert(duplicate_keys), [{"key": key, "participant_id": participant_id, "org_unit": org_unit}
                                                  for key in keys.values()])
    envelope = new_event(ctx, ParticipantRegistered, participant_id, org_unit, data, sequence=1)
    uow.record([envelope])
    uow.conn.execute(insert(participant_list).values(
        participant_id=participant_id, org_unit=org_unit, status="registered", full_name=data["full_name"],
        registered_on=data["registered_on"]))
    return recorded(envelope)


def decide(participant_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    participant = load_participant(uow, participant_id)
    domain.require_registered(participant)
    event_cls = ParticipantSelected if body["decision"] == "selected" else ParticipantRejected
    ctx = ctx.on(body["decided_on"])
    authorize(ctx, event_cls.TYPE, participant.org_unit)
    domain.check_decision(participant, body, ctx.today, ctx.program_start)
    data = {k: v for k, v in body.items() if k != "decision"}
    if event_cls is ParticipantRejected:
        data.pop("sector", None)
    envelope = new_event(ctx, event_cls, participant_id, participant.org_unit, data, participant.version + 1)
    uow.record([envelope])
    uow.conn.execute(update(participant_list).where(participant_list.c.participant_id == participant_id)
                     .values(status=body["decision"], sector=data.get("sector")))
    return recorded(envelope)


def _follow_up(event_cls: Any, participant_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    """Evaluations, commendations and replications: a selected participant, a valid date."""
    participant = load_participant(uow, participant_id)
    domain.require_registered(participant)
    ctx = ctx.on(body[event_cls.DATE_FIELD])
    authorize(ctx, event_cls.TYPE, participant.org_unit)
    domain.require_selected(participant)
    day = body[event_cls.DATE_FIELD]
    check_business_date(event_cls.DATE_FIELD, day, ctx.today, ctx.program_start)
    domain.check_not_before_registration(participant, event_cls.DATE_FIELD, day)
    envelope = new_event(ctx, event_cls, participant_id, participant.org_unit, body, participant.version + 1)
    uow.record([envelope])
    return recorded(envelope)


def evaluate(participant_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    return _follow_up(ParticipantEvaluated, participant_id, body, uow, ctx)


def commend(participant_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    return _follow_up(ParticipantCommended, participant_id, body, uow, ctx)


def replicate(participant_id: str, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    unit = ctx.on(body["replicated_on"]).tree.get(body["org_unit"])
    if unit is None:
        raise invalid("org_unit", "Không có đơn vị này trong danh sách đơn vị.", "No such org unit in the hierarchy.")
    # the youth's unit too, not only the participant's
    authorize(ctx.on(body["replicated_on"]), ModelReplicated.TYPE, body["org_unit"])
    return _follow_up(ModelReplicated, participant_id, body, uow, ctx)


def refresh_list_entry(uow: UnitOfWork, participant_id: str) -> None:
    """After a retraction the list shows the participant as the remaining events say."""
    participant = load_participant(uow, participant_id)
    if not participant.exists:
        uow.conn.execute(participant_list.delete().where(participant_list.c.participant_id == participant_id))
        uow.conn.execute(identities.delete().where(identities.c.participant_id == participant_id))
        uow.conn.execute(duplicate_keys.delete().where(duplicate_keys.c.participant_id == participant_id))
        return
    uow.conn.execute(update(participant_list).where(participant_list.c.participant_id == participant_id)
                     .values(status=participant.status, sector=participant.sector))


def describe(participant: domain.Participant) -> dict[str, Any]:
    registration = ParticipantRegistered.Data().dump(participant.registration)
    return {
        "participant_id": participant.participant_id, "org_unit": participant.org_unit,
        "status": participant.status, "sector": participant.sector,
        "full_name": participant.registration.get("full_name"), "registration": registration,
        "evaluations": [ParticipantEvaluated.Data().dump(e) | {"event_id": e["event_id"]}
                        for e in participant.evaluations],
        "commendations": [ParticipantCommended.Data().dump(c) | {"event_id": c["event_id"]}
                          for c in participant.commendations],
        "replications": [ModelReplicated.Data().dump(r) | {"event_id": r["event_id"]}
                         for r in participant.replications],
        "version": participant.version,
    }
