"""Likely duplicates read from registration's tables: for a registration (handlers.register) and for the form
that asks before it submits (GET /api/v1/participants/likely-duplicates)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from sqlalchemy import Connection, Engine, select

from services.registration import domain, duplicates
from services.registration.store import duplicate_keys, event_store, participant_list
from shared.access_web import require_scope
from shared.events import read_data
from shared.eventstore import EventStore
from shared.i18n import bilingual
from shared.orgunits import OrgTree
from shared.web import ApiError


def candidates(conn: Connection, store: EventStore, tree: OrgTree, scope: str, org_unit: str,
               keys: dict[str, str]) -> list[duplicates.Candidate]:
    """The live participants of `org_unit`'s area sharing a key with the person: the MAX_CANDIDATES registered
    first (a phone typed for everyone, the commune union's own, must not make each registration read hundreds).
    `store`: the unit of work's, which an import's may hold events in (shared/imports/held.py)."""
    if not keys:
        return []
    area = tree.descendants(duplicates.area(tree, org_unit))
    kinds = {key: kind for kind, key in keys.items()}
    matched: dict[str, set[str]] = {}
    order: dict[str, tuple[date, str]] = {}
    rows = conn.execute(select(duplicate_keys.c.key, duplicate_keys.c.participant_id, duplicate_keys.c.org_unit,
                               participant_list.c.registered_on)
                        .join(participant_list, participant_list.c.participant_id == duplicate_keys.c.participant_id)
                        .where(duplicate_keys.c.key.in_(list(kinds))))
    for row in rows:
        if row.org_unit in area:
            matched.setdefault(row.participant_id, set()).add(kinds[row.key])
            order[row.participant_id] = (row.registered_on, row.participant_id)
    found: list[duplicates.Candidate] = []
    for participant_id in sorted(matched, key=order.__getitem__)[:duplicates.MAX_CANDIDATES]:
        stream = store.stream(conn, participant_id)
        participant = domain.Participant.rebuild(participant_id, stream, [read_data(e) for e in stream])
        if participant.exists:
            found.append(duplicates.candidate(tree, scope, participant_id, participant.org_unit, participant.status,
                                              participant.registration, matched[participant_id]))
    return found


def _invalid(name: str, vi: str, en: str) -> ApiError:
    return ApiError(422, "validation_failed", fields={name: bilingual(vi, en)})


def lookup(engine: Engine, tree: OrgTree, scope: str,
           args: Mapping[str, str]) -> tuple[str, list[duplicates.Candidate]]:
    """The query of the pre-check read, checked (422 naming the parameter; 403 outside the key's scope), and
    its candidates."""
    org_unit = args.get("org_unit", "")
    if org_unit not in tree:
        raise _invalid("org_unit", "Không có đơn vị này.", "No such org unit.")
    require_scope(tree, org_unit)
    birth_date = None
    if args.get("birth_date"):
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", args["birth_date"]):
                raise ValueError
            birth_date = date.fromisoformat(args["birth_date"])
        except ValueError:
            raise _invalid("birth_date", "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
                           "Not a valid date (YYYY-MM-DD).") from None
    keys = duplicates.keys(args.get("name"), birth_date, args.get("phone"))
    if not keys:
        raise _invalid("name", "Cần họ tên cùng ngày sinh, hoặc số điện thoại.",
                       "Give the name with the birth date, or the phone.")
    with engine.connect() as conn:
        return org_unit, candidates(conn, event_store, tree, scope, org_unit, keys)
