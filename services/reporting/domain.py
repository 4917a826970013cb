"""What each participant contributes to the figures, as a pure function of its events.

A figure at a date is the sum of contributions dated on or before it. Contributions depend only on
the set of live events (ordered by business date, then recording time, then id), never on the order
they arrived in, so any delivery order gives the same figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

TOTALS = ("registered", "selected", "rejected", "trained", "funded", "supported", "evaluated", "successful",
          "commended", "replications", "funding_vnd", "jobs_created")
FIRST_OCCURRENCE = {
    "participant.trained": "trained", "participant.funded": "funded", "participant.supported": "supported",
    "participant.evaluated": "evaluated", "participant.commended": "commended",
}
SOURCE_PREFIX = "source:"
SECTOR_SELECTED = "sector_selected:"
SECTOR_SUCCESSFUL = "sector_successful:"
COUNT_PREFIX = "count:"  # number of live events of a type (period reports count activity)

Contribution = tuple[str, str, date, int]  # org_unit, metric, day, amount


@dataclass(frozen=True)
class Fact:
    """An event as the read side keeps it."""

    event_id: str
    type: str
    participant_id: str
    org_unit: str
    occurred_on: date
    recorded_at: datetime
    data: dict[str, Any]

    def order(self) -> tuple[date, datetime, str]:
        return (self.occurred_on, self.recorded_at, self.event_id)


def live_facts(facts: list[Fact]) -> list[Fact]:
    """Facts that no retraction cancels, retractions excluded, in business order."""
    retracted = {str(f.data.get("retracted_event_id")) for f in facts if f.type == "event.retracted"}
    return sorted((f for f in facts if f.type != "event.retracted" and f.event_id not in retracted),
                  key=Fact.order)


def contributions(facts: list[Fact]) -> dict[tuple[str, str, date], int]:
    """(org_unit, metric, day) -> amount, for one participant's facts (any order, duplicates allowed)."""
    unique = list({f.event_id: f for f in facts}.values())
    live = live_facts(unique)
    registrations = [f for f in live if f.type == "participant.registered"]
    if not registrations:
        return {}  # counted nowhere until the registration arrives (or if it was retracted)
    registration = registrations[-1]
    unit = registration.org_unit
    out: dict[tuple[str, str, date], int] = defaultdict(int)

    def add(metric: str, day: date, amount: int) -> None:
        if amount:
            out[(unit, metric, day)] += amount

    add("registered", registration.occurred_on, 1)
    decisions = [f for f in live if f.type in ("participant.selected", "participant.rejected")]
    sector: str | None = None
    if decisions:
        decision = decisions[-1]
        if decision.type == "participant.selected":
            sector = str(decision.data["sector"])
            add("selected", decision.occurred_on, 1)
            add(SECTOR_SELECTED + sector, decision.occurred_on, 1)
        else:
            add("rejected", decision.occurred_on, 1)
    first_seen: dict[str, date] = {}
    for fact in live:
        add(COUNT_PREFIX + fact.type, fact.occurred_on, 1)
        metric = FIRST_OCCURRENCE.get(fact.type)
        if metric is not None and metric not in first_seen:
            first_seen[metric] = fact.occurred_on
            add(metric, fact.occurred_on, 1)
        if fact.type == "participant.funded":
            amount = int(fact.data["amount_vnd"])
            add("funding_vnd", fact.occurred_on, amount)
            add(SOURCE_PREFIX + str(fact.data["source"]), fact.occurred_on, amount)
        elif fact.type == "model.replicated":
            add("replications", fact.occurred_on, 1)
    # Latest evaluation by evaluated_on decides "successful" and jobs_created: a step function.
    successful, jobs = 0, 0
    for evaluation in (f for f in live if f.type == "participant.evaluated"):
        now_successful = 1 if evaluation.data["status"] == "successful" else 0
        now_jobs = int(evaluation.data.get("jobs_created") or 0)
        add("successful", evaluation.occurred_on, now_successful - successful)
        if sector is not None:
            add(SECTOR_SUCCESSFUL + sector, evaluation.occurred_on, now_successful - successful)
        add("jobs_created", evaluation.occurred_on, now_jobs - jobs)
        successful, jobs = now_successful, now_jobs
    return {key: amount for key, amount in out.items() if amount}


def figures_by_unit(rows: list[tuple[str, str, int]]) -> dict[str, dict[str, int]]:
    """(org_unit, metric, amount) rows summed per unit."""
    per_unit: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for unit, metric, amount in rows:
        per_unit[unit][metric] += int(amount)
    return per_unit


def shape(metrics: dict[str, int]) -> dict[str, Any]:
    """Raw metric sums as the summary's totals, funding_by_source and by_sector."""
    totals = {name: int(metrics.get(name, 0)) for name in TOTALS}
    by_source = {k[len(SOURCE_PREFIX):]: v for k, v in sorted(metrics.items()) if k.startswith(SOURCE_PREFIX) and v}
    sectors: dict[str, dict[str, int]] = {}
    for key, value in sorted(metrics.items()):
        for prefix, field in ((SECTOR_SELECTED, "selected"), (SECTOR_SUCCESSFUL, "successful")):
            if key.startswith(prefix) and value:
                sectors.setdefault(key[len(prefix):], {"selected": 0, "successful": 0})[field] = value
    return {"totals": totals, "funding_by_source": by_source, "by_sector": sectors}


def add_metrics(into: dict[str, int], more: dict[str, int]) -> None:
    for key, value in more.items():
        into[key] = into.get(key, 0) + value
