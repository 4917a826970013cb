"""One dashboard page view's figures in one answer: the summary as of a date, the period report (beside the
previous period and the same period last year), each child unit's target status, and a commune's participants,
for everyone or for the participants of one sector, funding source or status.

Without a filter, the figures are the summary's and the reports' own (the same functions answer
/api/v1/summary and /api/v1/reports). With one, they are computed from the histories of the participants the
filter keeps, the same contributions the projection sums, so a filtered figure counts the way the unfiltered one
does; that reads the unit's events (a province's take a few seconds)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.sql.elements import ColumnElement

from services.reporting import reports
from services.reporting.domain import DECISIONS, Fact, contributions, live_facts
from services.reporting.figures import PerUnit, _add_contributions, reported_units
from services.reporting.history import histories
from services.reporting.periods import Period
from services.reporting.store import ReadModel, registered_in
from services.reporting.targets import Targets
from shared.events.types import FUNDING_SOURCES, SECTORS
from shared.orgunits import OrgTree

STATUSES = ("pending", "selected", "rejected", "successful")  # a participant's state on a date


@dataclass(frozen=True)
class Filters:
    sector: str | None = None
    source: str | None = None
    status: str | None = None

    CHOICES = {"sector": SECTORS, "source": FUNDING_SOURCES, "status": STATUSES}

    def __bool__(self) -> bool:
        return bool(self.sector or self.source or self.status)

    def as_dict(self) -> dict[str, str | None]:
        return {"sector": self.sector, "source": self.source, "status": self.status}


@dataclass
class Participant:
    """What the participant list shows of one participant on a date."""

    id: str
    name: str
    model: str
    branch: str
    org_unit: str
    registered_on: date
    status: str
    sector: str | None
    sources: list[str]
    funding_vnd: int

    def as_dict(self) -> dict[str, Any]:
        return {"participant_id": self.id, "name": self.name, "model": self.model, "branch": self.branch,
                "org_unit": self.org_unit, "registered_on": self.registered_on.isoformat(), "status": self.status,
                "sector": self.sector, "sources": self.sources, "funding_vnd": self.funding_vnd}


def participant_on(facts: list[Fact], as_of: date) -> Participant | None:
    """A participant's state on `as_of` from its facts (None before its registration counts)."""
    live = [f for f in live_facts(facts) if f.occurred_on <= as_of]
    registrations = [f for f in live if f.type == "participant.registered"]
    if not registrations:
        return None
    registration = registrations[-1]
    decisions = [f for f in live if f.type in DECISIONS]
    evaluations = [f for f in live if f.type == "participant.evaluated"]
    fundings = [f for f in live if f.type == "participant.funded"]
    status = "pending"
    sector = None
    if decisions and decisions[-1].type == "participant.selected":
        status, sector = "selected", str(decisions[-1].data.get("sector"))
        if evaluations and evaluations[-1].data.get("status") == "successful":
            status = "successful"
    elif decisions:
        status = "rejected"
    data = registration.data
    return Participant(registration.participant_id, str(data.get("full_name") or ""), str(data.get("model_name") or ""),
                       str(data.get("branch_name") or ""), registration.org_unit, registration.occurred_on, status,
                       sector, sorted({str(f.data["source"]) for f in fundings}),
                       sum(int(f.data["amount_vnd"]) for f in fundings))


def kept(person: Participant, filters: Filters) -> bool:
    return ((filters.sector is None or person.sector == filters.sector)
            and (filters.source is None or filters.source in person.sources)
            and (filters.status is None or person.status == filters.status))


def _people(conn: Connection, model: ReadModel, tree: OrgTree, code: str,
            known_at: datetime | None) -> Iterator[list[Fact]]:
    """The histories of the participants registered in `code` or below (as recorded by `known_at`)."""
    e = model.events
    registered = select(e.c.participant_key).where(registered_in(e, sorted(tree.descendants(code))))
    where: list[ColumnElement[bool]] = [e.c.participant_key.in_(registered)]
    if known_at is not None:
        where.append(e.c.recorded_at <= known_at.astimezone(UTC))
    for history in histories(conn, model, *where):
        yield [fact for fact, _ in history]


def page_view(conn: Connection, model: ReadModel, tree: OrgTree, targets: Targets, code: str, as_of: date,
              period: Period, known_at: datetime | None, filters: Filters, listed: bool) -> dict[str, Any]:
    """The figures of one page view (see the module's docstring); `listed`: with the participant list."""
    people: list[Participant] = []
    if filters or listed:
        days = sorted({as_of, *reports.report_days(period)})
        summed: dict[tuple[str, str, date], int] = defaultdict(int)
        # as the system knew them at `known_at`, when asked: the filter, the list and the figures alike
        for facts in _people(conn, model, tree, code, known_at):
            person = participant_on(facts, as_of)
            if person is None or not kept(person, filters):
                continue
            people.append(person)
            if filters:
                for key, amount in contributions(facts).items():
                    summed[key] += amount
    if filters:
        at: dict[date, PerUnit] = {day: {} for day in days}
        _add_contributions(at, tree, reported_units(tree, code), days, summed)
        summary = reports.summary_from(tree, targets, code, as_of, at[as_of])
        report = reports.report_from(tree, targets, code, period, at)
    else:
        summary = reports.summary(conn, model, tree, targets, code, as_of)
        report = reports.period_report(conn, model, tree, targets, code, period, known_at)
    if known_at is not None:
        report.setdefault("known_at", known_at.isoformat())
    people.sort(key=lambda p: (p.registered_on, p.name))
    return {"org_unit": summary["org_unit"], "as_of": as_of.isoformat(), "filters": filters.as_dict(),
            "summary": summary, "report": report,
            "participants": [p.as_dict() for p in people] if listed else None}

