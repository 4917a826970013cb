"""Random valid event histories (hypothesis) and a plain recomputation of the summary figures from the
event list, written from API.md's definitions independently of the projection code."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from shared.events import Envelope, Source
from shared.events.types import EVENT_CLASSES, FUNDING_SOURCES, SECTORS

COMMUNES = ["TX-XUANHOA", "TX-THOLAP", "TS-DANLUC", "YD-DINHTAN"]
START = date(2017, 6, 1)


def _day(offset: int) -> date:
    return START + timedelta(days=offset)


@st.composite
def participant_history(draw: st.DrawFn) -> list[Envelope]:
    """One participant: registration, maybe a decision, then follow-up events, some retracted."""
    # ids below 2**64: every participant has the same participant_key (the id's first 60 bits), so the
    # read side's lookups by that key are checked to tell participants apart by id
    pid = str(uuid.UUID(int=draw(st.integers(0, 2**64))))
    unit = draw(st.sampled_from(COMMUNES))
    base = datetime(2019, 1, 1, tzinfo=UTC)
    clock = iter(range(10_000))
    events: list[Envelope] = []

    def event(kind: str, day: date, data: dict[str, Any]) -> Envelope:
        cls = EVENT_CLASSES[kind]
        envelope = Envelope(type=kind, version=cls.VERSION, participant_id=pid, org_unit=unit, occurred_on=day,
                            source=Source("agency", "key"), data=cls.Data().dump(data),
                            recorded_at=base + timedelta(minutes=draw(st.integers(0, 50_000)), seconds=next(clock)),
                            event_id=str(uuid.uuid4()))
        events.append(envelope)
        return envelope

    registered_on = _day(draw(st.integers(0, 30)))
    event("participant.registered", registered_on, {
        "full_name": "X", "birth_date": date(1995, 1, 1), "gender": "male", "branch_name": "b",
        "branch_kind": "residential", "model_name": "m", "has_existing_model": False,
        "registered_on": registered_on})
    decision = draw(st.sampled_from(["none", "selected", "rejected"]))
    if decision == "rejected":
        event("participant.rejected", registered_on + timedelta(days=5), {"decided_on": registered_on + timedelta(5)})
    if decision == "selected":
        decided_on = registered_on + timedelta(days=draw(st.integers(0, 20)))
        event("participant.selected", decided_on, {"sector": draw(st.sampled_from(SECTORS)), "decided_on": decided_on})
        for _ in range(draw(st.integers(0, 6))):
            kind = draw(st.sampled_from(["participant.trained", "participant.funded", "participant.supported",
                                         "participant.evaluated", "participant.commended", "model.replicated"]))
            day = decided_on + timedelta(days=draw(st.integers(0, 500)))
            if kind == "participant.trained":
                event(kind, day, {"trained_on": day, "course": "c", "kind": "course"})
            elif kind == "participant.funded":
                event(kind, day, {"disbursed_on": day, "source": draw(st.sampled_from(FUNDING_SOURCES)),
                                  "amount_vnd": draw(st.integers(1, 10**9))})
            elif kind == "participant.supported":
                event(kind, day, {"supported_on": day, "kind": "forum"})
            elif kind == "participant.evaluated":
                event(kind, day, {"evaluated_on": day, "jobs_created": draw(st.integers(0, 20)),
                                  "status": draw(st.sampled_from(["successful", "on_track", "struggling",
                                                                  "discontinued"]))})
            elif kind == "participant.commended":
                event(kind, day, {"commended_on": day, "title": "t"})
            else:
                event(kind, day, {"replicated_on": day, "youth_name": "y", "org_unit": unit})
    for target in list(events):
        if draw(st.integers(0, 9)) == 0:  # about one event in ten is retracted
            event("event.retracted", target.occurred_on, {
                "retracted_event_id": uuid.UUID(target.event_id), "retracted_type": target.type,
                "reason": "sai", "retracted_on": target.occurred_on})
    return events


def recompute(events: list[Envelope], units: set[str], as_of: date) -> dict[str, Any]:
    """Summary totals, funding by source and by sector, straight from the definitions."""
    retracted = {str(e.data["retracted_event_id"]) for e in events if e.type == "event.retracted"}
    live = [e for e in {e.event_id: e for e in events}.values()
            if e.type != "event.retracted" and e.event_id not in retracted]
    by_participant: dict[str, list[Envelope]] = defaultdict(list)
    for e in live:
        by_participant[e.participant_id].append(e)
    totals: dict[str, int] = defaultdict(int)
    by_source: dict[str, int] = defaultdict(int)
    by_sector: dict[str, dict[str, int]] = defaultdict(lambda: {"selected": 0, "successful": 0})
    for facts in by_participant.values():
        registration = [e for e in facts if e.type == "participant.registered"]
        if not registration or registration[0].org_unit not in units:
            continue
        seen = [e for e in facts if e.occurred_on <= as_of]
        kinds = {e.type for e in seen}
        totals["registered"] += "participant.registered" in kinds
        sector = next((e.data["sector"] for e in facts if e.type == "participant.selected"), None)
        if "participant.selected" in kinds:
            totals["selected"] += 1
            by_sector[sector]["selected"] += 1  # type: ignore[index]
        totals["rejected"] += "participant.rejected" in kinds
        for kind, name in (("participant.trained", "trained"), ("participant.funded", "funded"),
                           ("participant.supported", "supported"), ("participant.evaluated", "evaluated"),
                           ("participant.commended", "commended")):
            totals[name] += kind in kinds
        for e in seen:
            if e.type == "participant.funded":
                totals["funding_vnd"] += e.data["amount_vnd"]
                by_source[e.data["source"]] += e.data["amount_vnd"]
            if e.type == "model.replicated":
                totals["replications"] += 1
        evaluations = sorted((e for e in seen if e.type == "participant.evaluated"),
                             key=lambda e: (e.occurred_on, e.recorded_at, e.event_id))
        if evaluations:
            latest = evaluations[-1]
            totals["jobs_created"] += latest.data.get("jobs_created") or 0
            if latest.data["status"] == "successful":
                totals["successful"] += 1
                if sector is not None:
                    by_sector[sector]["successful"] += 1
    return {"totals": dict(totals), "funding_by_source": dict(by_source),
            "by_sector": {k: v for k, v in by_sector.items() if v["selected"] or v["successful"]}}
