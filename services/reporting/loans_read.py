"""Reads of the loans table and the borrowers' names: the loans of a set of units, computed from their events
at read time (so any arrival order gives the same loans)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, select

from services.reporting import store
from services.reporting.domain import live_facts
from services.reporting.history import fact_columns, facts_of
from services.reporting.loans import portfolio
from services.reporting.store import ReadModel, of_participants
from shared.loans import Loan, LoanFact, loans_of
from shared.orgunits import OrgTree

IN_PERIOD = ("loans", "disbursed_vnd", "repaid_principal_vnd", "repaid_interest_vnd", "written_off_vnd")


def loans_in(conn: Connection, model: ReadModel, units: Iterable[str], known_at: datetime | None = None
             ) -> dict[str, Loan]:
    """The loans recorded in these units, by funding event id (a loan's events all carry its funding's unit);
    with `known_at`, as the system knew them then (the events recorded by that moment, retractions alike)."""
    t = model.loans
    wanted = sorted(units)
    facts: list[LoanFact] = []
    loads = orjson.loads
    columns = (t.c.event_id, t.c.type, t.c.participant_id, t.c.org_unit, t.c.source_agency, t.c.occurred_on,
               t.c.recorded_at, t.c.data)
    for i in range(0, len(wanted), store.CHUNK):
        query = select(*columns).where(t.c.org_unit.in_(wanted[i:i + store.CHUNK]))
        if known_at is not None:
            query = query.where(t.c.recorded_at <= known_at.astimezone(UTC))
        rows = conn.execute(query).all()
        facts.extend(LoanFact(event_id, kind, participant_id, unit, agency, day,
                              recorded if recorded.tzinfo else recorded.replace(tzinfo=UTC), loads(data))
                     for event_id, kind, participant_id, unit, agency, day, recorded, data in rows)
    return loans_of(facts)


def names_of(conn: Connection, model: ReadModel, participant_ids: list[str]) -> dict[str, str]:
    """Each participant's name, from their latest live registration."""
    e = model.events
    names: dict[str, str] = {}
    half = store.CHUNK // 2
    for i in range(0, len(participant_ids), half):
        rows = conn.execute(select(*fact_columns(e)).where(
            of_participants(e, participant_ids[i:i + half]),
            e.c.type.in_(("participant.registered", "event.retracted"))))
        for fact in live_facts(facts_of(rows)):  # in business order: the latest registration wins
            if fact.type == "participant.registered" and fact.data.get("full_name"):
                names[fact.participant_id] = str(fact.data["full_name"])
    return names


def period_loans(conn: Connection, model: ReadModel, tree: OrgTree, code: str, start: date, end: date,
                 known_at: datetime | None = None) -> dict[str, Any]:
    """The loans line of a period report: the portfolio at the period's end, and what was disbursed and
    repaid within it (every loan of the unit and below, aggregates only), as known at `known_at` if given."""
    loans = list(loans_in(conn, model, tree.descendants(code), known_at).values())
    at_end = portfolio(loans, end, lambda _: None)[0]
    before = portfolio(loans, start - timedelta(days=1), lambda _: None)[0]
    return {"at_end": at_end, "in_period": {name: at_end[name] - before[name] for name in IN_PERIOD}}
