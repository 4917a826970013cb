"""What each participant contributes to the figures, as a pure function of its events.

A figure at a date is the sum of contributions dated on or before it. Contributions depend only on
the set of live events (ordered by business date, then recording time, then id), never on the order
they arrived in, so any delivery order gives the same figures.

One computation: `advance` adds what one fact changes, given what the participant's `Tally` remembers.
`contributions` (and `tally_of`) fold it over all facts in a canonical order; the projection applies it
to one new fact at a time, when the tally alone can tell its effect.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

FIRST_OCCURRENCE = {
    "participant.trained": "trained", "participant.funded": "funded", "participant.supported": "supported",
    "participant.evaluated": "evaluated", "participant.commended": "commended",
}
SOURCE_PREFIX = "source:"
SECTOR_SELECTED = "sector_selected:"
SECTOR_SUCCESSFUL = "sector_successful:"
COUNT_PREFIX = "count:"  # number of live events of a type (period reports count activity)
DECISIONS = ("participant.selected", "participant.rejected")  # the latest live one decides

Change = tuple[str, str, date, int]  # org_unit, metric, day, amount: added to a figure


class Payload(Protocol):
    """An event's payload as the domain reads it: the dict of its JSON, or a checked payload struct that
    answers the same (shared.events.rawcheck.read_event, for events as delivered)."""

    def __getitem__(self, name: str, /) -> Any: ...
    def get(self, name: str, default: Any = None, /) -> Any: ...


class Fact(NamedTuple):
    """An event as the read side keeps it (a tuple: the projection builds millions)."""

    event_id: str
    type: str
    participant_id: str
    org_unit: str
    occurred_on: date
    recorded_at: datetime
    data: Payload

    def order(self) -> tuple[date, datetime, str]:
        return (self.occurred_on, self.recorded_at, self.event_id)


def live_facts(facts: list[Fact]) -> list[Fact]:
    """Facts that no retraction cancels, retractions excluded, in business order."""
    retracted = {str(f.data.get("retracted_event_id")) for f in facts if f.type == "event.retracted"}
    return sorted((f for f in facts if f.type != "event.retracted" and f.event_id not in retracted),
                  key=Fact.order)



def contributions(facts: list[Fact]) -> dict[tuple[str, str, date], int]:
    """(org_unit, metric, day) -> amount, for one participant's facts (any order, duplicates allowed)."""
    return summed(_fold(facts)[1])


def tally_of(facts: list[Fact]) -> Tally:
    """The tally that remembers these facts (any order, duplicates allowed)."""
    return _fold(facts)[0]


def summed(changes: Iterable[Change]) -> dict[tuple[str, str, date], int]:
    """Changes added up by (org_unit, metric, day), the non-zero sums."""
    out: dict[tuple[str, str, date], int] = defaultdict(int)
    for unit, metric, day, amount in changes:
        out[(unit, metric, day)] += amount
    return {key: amount for key, amount in out.items() if amount}


def _fold(facts: list[Fact]) -> tuple[Tally, list[Change]]:
    """A participant's tally and contributions from all its facts: `advance` over its live facts in an order
    where each fact's effect is told by the tally. The latest live registration decides the unit (counted
    nowhere without one), the latest live decision the sector, so both come first; superseded
    registrations and decisions count as activity only; the rest follow in business order (the latest
    evaluation decides "successful" and jobs_created: a step function)."""
    unique = {f.event_id: f for f in facts}
    retracted = array("q", (hash(str(f.data.get("retracted_event_id"))) for f in unique.values()
                            if f.type == "event.retracted"))
    ids = array("q", (hash(e) for e in unique))
    live = live_facts(list(unique.values()))
    registrations = [f for f in live if f.type == "participant.registered"]
    if not registrations:  # nothing counts until a registration: the rest is read again then
        return Tally(facts=len(unique), ids=ids, retracted=retracted, pending=list(unique.values())), []
    registration = registrations[-1]
    unit = registration.org_unit
    tally = Tally(unit, len(unique), ids=ids, retracted=retracted)
    changes: list[Change] = [(unit, "registered", registration.occurred_on, 1)]
    decisions = [f for f in live if f.type in DECISIONS]
    decision = decisions[-1] if decisions else None
    if decision is not None:
        advance(tally, decision, decision.data, changes, in_order=True)
    for fact in live:
        if fact is decision:
            continue
        if fact.type in DECISIONS:
            changes.append((unit, COUNT_PREFIX + fact.type, fact.occurred_on, 1))
        else:
            advance(tally, fact, fact.data, changes, in_order=True)
    return tally, changes


class Event(Protocol):
    """What `advance` reads of an event: a Fact, or an envelope as delivered (no copy per event)."""

    @property
    def event_id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def participant_id(self) -> str: ...
    @property
    def org_unit(self) -> str: ...
    @property
    def occurred_on(self) -> date: ...
    @property
    def recorded_at(self) -> datetime: ...


FIRST_TYPES = tuple(FIRST_OCCURRENCE)
_FIRST_INDEX = {t: i for i, t in enumerate(FIRST_TYPES)}
FIRST_TYPES_METRIC = tuple(FIRST_OCCURRENCE[t] for t in FIRST_TYPES)
_COUNT_METRIC = {t: COUNT_PREFIX + t for t in (*FIRST_TYPES, "participant.registered", "participant.selected",
                                               "participant.rejected", "model.replicated")}


class Tally:
    """What the projection remembers of a participant between batches: enough to turn most new facts
    into contribution changes without reading its other facts (`advance`); the rest fall back to
    `contributions` over all its facts. Small, so that many fit in memory; changed in place by `advance`
    (one object per participant, not one per event)."""

    __slots__ = ("unit", "facts", "decided", "sector", "last_evaluation", "firsts", "ids", "retracted", "pending")

    def __init__(self, unit: str | None = None, facts: int = 0, decided: bool = False, sector: str | None = None,
                 last_evaluation: tuple[date, datetime, bool, int] | None = None, firsts: list[int] | None = None,
                 ids: array | None = None, retracted: array | None = None,  # type: ignore[type-arg]
                 pending: list[Fact] | None = None) -> None:
        self.unit = unit  # the live registration's unit; None: nothing is counted yet
        self.facts = facts  # facts known, of any kind
        self.decided = decided  # a live selection or rejection
        self.sector = sector
        self.last_evaluation = last_evaluation  # (day, recorded at, successful, jobs)
        # per FIRST_TYPES, the day (ordinal) of the earliest live fact; 0: none
        self.firsts = firsts if firsts is not None else [0] * len(FIRST_TYPES)
        self.ids = ids if ids is not None else array("q")  # hash() of every known event id; a match is checked exactly
        self.retracted = retracted if retracted is not None else array("q")  # hash() of every retracted event id
        # Until a registration counts, the facts themselves (few: the other services' events that arrived
        # before it), so that its arrival is computed without reading them back.
        self.pending = pending if pending is not None else []

    def become(self, other: Tally) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(other, name))

    def state(self) -> tuple[object, ...]:
        """Everything the tally tells, comparable (ids as sorted lists, pending facts by id)."""
        return (self.unit, self.facts, self.decided, self.sector, self.last_evaluation, list(self.firsts),
                sorted(self.ids), sorted(self.retracted), sorted(f.event_id for f in self.pending))


def advance(tally: Tally, event: Event, data: Payload, out: list[Change], in_order: bool = False) -> bool:
    """Takes one more fact (`event` with its payload `data`) into `tally` and appends what it changes in the
    contributions to `out`, when that can be told from the tally alone (a fact appended in business order,
    or one whose effect does not depend on order). Returns False, changing nothing, when it cannot
    (retractions, a second registration or decision, an evaluation before the latest one, a possibly
    repeated event): then `contributions` over all facts decides.
    `in_order`: the caller vouches that the fact can be taken (`_fold`: its live facts in canonical order),
    and keeps the tally's ids and count itself.
    Runs once per projected event: written for speed (no helper calls, no zero entries to filter)."""
    unit = tally.unit
    if unit is None:
        return _advance_unregistered(tally, event, data, out)
    kind = event.type
    day = event.occurred_on
    if not in_order:
        key = hash(event.event_id)
        if key in tally.ids or kind == "event.retracted" or kind == "participant.registered" or key in tally.retracted:
            return False
        # the cases that need all facts, before anything changes
        if kind == "participant.evaluated":
            last = tally.last_evaluation
            if last is not None and (day, event.recorded_at) <= (last[0], last[1]):
                return False  # not the latest evaluation: the step function changes in the middle
        elif kind in DECISIONS and (tally.decided or tally.last_evaluation is not None):
            return False  # the latest decision and the sector of past evaluations may change
        tally.facts += 1
        tally.ids.append(key)
    out.append((unit, _COUNT_METRIC.get(kind) or COUNT_PREFIX + kind, day, 1))
    if kind in DECISIONS:
        tally.decided = True
        if kind == "participant.selected":
            sector = tally.sector = str(data["sector"])
            out.append((unit, "selected", day, 1))
            out.append((unit, SECTOR_SELECTED + sector, day, 1))
        else:
            out.append((unit, "rejected", day, 1))
        return True
    i = _FIRST_INDEX.get(kind)
    if i is not None:
        firsts = tally.firsts
        first = firsts[i]
        ordinal = day.toordinal()
        if not first or ordinal < first:
            metric = FIRST_TYPES_METRIC[i]
            if first:
                out.append((unit, metric, date.fromordinal(first), -1))
            out.append((unit, metric, day, 1))
            firsts[i] = ordinal
    if kind == "participant.funded":
        amount = int(data["amount_vnd"])
        if amount:
            out.append((unit, "funding_vnd", day, amount))
            out.append((unit, SOURCE_PREFIX + str(data["source"]), day, amount))
    elif kind == "model.replicated":
        out.append((unit, "replications", day, 1))
    elif kind == "participant.evaluated":
        last = tally.last_evaluation
        successful = data["status"] == "successful"
        jobs = int(data.get("jobs_created") or 0)
        was_successful, had_jobs = (last[2], last[3]) if last else (False, 0)
        if successful != was_successful:
            out.append((unit, "successful", day, successful - was_successful))
            if tally.sector is not None:
                out.append((unit, SECTOR_SUCCESSFUL + tally.sector, day, successful - was_successful))
        if jobs != had_jobs:
            out.append((unit, "jobs_created", day, jobs - had_jobs))
        tally.last_evaluation = (day, event.recorded_at, successful, jobs)
    return True


def _advance_unregistered(tally: Tally, event: Event, data: Payload, out: list[Change]) -> bool:
    """`advance` before a registration counts: the facts are kept pending; a registration counts them all."""
    key = hash(event.event_id)
    if key in tally.ids:
        return False
    kind = event.type
    if kind == "participant.registered":
        if not tally.pending:
            # the usual first fact, nothing known before it: what _fold gives for it alone (a tenth of all
            # events; building that took half of advance's time)
            unit = tally.unit = event.org_unit
            tally.facts = 1
            tally.ids.append(key)
            out.append((unit, "registered", event.occurred_on, 1))
            out.append((unit, _COUNT_METRIC[kind], event.occurred_on, 1))
            return True
        if _register_pending(tally, event, data, out):
            return True
    facts = [*tally.pending, Fact(event.event_id, kind, event.participant_id, event.org_unit,
                                  event.occurred_on, event.recorded_at, data)]
    if kind == "participant.registered" or kind == "event.retracted":
        fresh, changes = _fold(facts)
        tally.become(fresh)
        out.extend((u, metric, day, amount) for (u, metric, day), amount in summed(changes).items())
    else:
        tally.facts += 1
        tally.ids.append(key)
        tally.pending = facts
    return True


def _register_pending(tally: Tally, registration: Event, data: Payload, out: list[Change]) -> bool:
    """A registration arriving after other facts of its participant (kept pending): a fresh tally takes it,
    then them in business order, each as `advance` takes it. False, changing nothing, when one of them needs
    all facts (a retraction, an evaluation before another): `tally_of` and `contributions` then decide."""
    fresh = Tally()
    changes: list[Change] = []
    advance(fresh, registration, data, changes)
    for fact in sorted(tally.pending, key=Fact.order):
        if not advance(fresh, fact, fact.data, changes):
            return False
    tally.become(fresh)
    out.extend(changes)
    return True
