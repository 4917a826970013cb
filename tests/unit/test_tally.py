"""The projection's shortcut (domain.advance over a Tally) against the definition (domain.contributions):
for any facts of a participant arriving in any order, with repeats, the changes it reports add up to the
contributions of all the facts, and the tally it keeps equals the one derived from them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.domain import Change, Fact, Tally, advance, contributions, tally_of

PID = "00000000-0000-4000-8000-000000000001"
KINDS = ["participant.registered", "participant.selected", "participant.rejected", "participant.trained",
         "participant.funded", "participant.supported", "participant.evaluated", "participant.commended",
         "model.replicated"]


@st.composite
def facts(draw: st.DrawFn) -> list[Fact]:
    out: list[Fact] = []
    base = datetime(2019, 1, 1, tzinfo=UTC)
    for n in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(KINDS))
        data: dict[str, object] = {}
        if kind == "participant.selected":
            data = {"sector": draw(st.sampled_from(["agriculture", "services"]))}
        elif kind == "participant.funded":
            data = {"source": draw(st.sampled_from(["vbsp", "other"])), "amount_vnd": draw(st.integers(1, 10**9))}
        elif kind == "participant.evaluated":
            data = {"status": draw(st.sampled_from(["successful", "on_track"])),
                    "jobs_created": draw(st.one_of(st.none(), st.integers(0, 9)))}
        # few distinct days and times, so that ties of business order happen too
        out.append(Fact(str(uuid.UUID(int=n + 1)), kind, PID, draw(st.sampled_from(["TX-XUANHOA", "TS-DANLUC"])),
                        date(2017, 6, 1) + timedelta(days=draw(st.integers(0, 6))),
                        base + timedelta(seconds=draw(st.integers(0, 3))), data))
    for target in list(out):
        if draw(st.integers(0, 6)) == 0:
            out.append(Fact(str(uuid.UUID(int=len(out) + 1)), "event.retracted", PID, target.org_unit,
                            target.occurred_on, base, {"retracted_event_id": target.event_id}))
    return out


def step(tally: Tally, fact: Fact) -> list[Change] | None:
    """advance(): what it changes, or None (and then it must have left the tally as it was)."""
    before = tally.state()
    out: list[Change] = []
    if not advance(tally, fact, fact.data, out):
        assert out == [] and tally.state() == before
        return None
    return out


def summed(changes: list[Change]) -> dict[tuple[str, str, date], int]:
    total: dict[tuple[str, str, date], int] = defaultdict(int)
    for unit, metric, day, amount in changes:
        total[(unit, metric, day)] += amount
    return {k: v for k, v in total.items() if v}


@settings(max_examples=600, deadline=None)
@given(history=facts(), data=st.data())
def test_advance_adds_up_to_contributions(history: list[Fact], data: st.DataObject) -> None:
    arrivals = data.draw(st.permutations(history + data.draw(st.lists(st.sampled_from(history), max_size=3))))
    tally, seen = Tally(), []
    total: dict[tuple[str, str, date], int] = defaultdict(int)
    for fact in arrivals:
        change = step(tally, fact)
        if change is None:  # what the projection does then: recompute from every fact
            before = contributions(seen)
            seen.append(fact)
            for key, amount in contributions(seen).items():
                total[key] += amount
            for key, amount in before.items():
                total[key] -= amount
            tally = tally_of(seen)
        else:
            seen.append(fact)
            for key, amount in summed(change).items():
                total[key] += amount
    assert {k: v for k, v in total.items() if v} == contributions(seen)
    assert tally.state() == tally_of(seen).state()


def test_facts_in_business_order_take_the_shortcut() -> None:
    """The common case, events arriving in order, never reads a participant's other facts."""
    base = datetime(2019, 1, 1, tzinfo=UTC)
    history = [
        Fact("a", "participant.registered", PID, "TX-XUANHOA", date(2017, 6, 1), base, {}),
        Fact("b", "participant.selected", PID, "TX-XUANHOA", date(2017, 6, 30), base, {"sector": "services"}),
        Fact("c", "participant.trained", PID, "TX-XUANHOA", date(2017, 7, 1), base, {}),
        Fact("d", "participant.funded", PID, "TX-XUANHOA", date(2017, 8, 1), base,
             {"source": "vbsp", "amount_vnd": 5}),
        Fact("e", "participant.evaluated", PID, "TX-XUANHOA", date(2017, 9, 1), base,
             {"status": "successful", "jobs_created": 3}),
        Fact("f", "participant.evaluated", PID, "TX-XUANHOA", date(2017, 10, 1), base,
             {"status": "on_track", "jobs_created": 4}),
        # an earlier training arriving late still takes it: only the first-training date moves
        Fact("g", "participant.trained", PID, "TX-XUANHOA", date(2017, 6, 30), base, {}),
    ]
    tally = Tally()
    changes: list[Change] = []
    for fact in history:
        change = step(tally, fact)
        assert change is not None, fact.type
        changes += change
    assert summed(changes) == contributions(history)
    assert tally.state() == tally_of(history).state()
    assert step(tally, history[2]) is None  # a repeat: checked against the stored events


def test_a_registration_arriving_after_other_events_counts_them_from_the_tally() -> None:
    base = datetime(2019, 1, 1, tzinfo=UTC)
    history = [
        Fact("b", "participant.funded", PID, "TX-XUANHOA", date(2017, 8, 1), base, {"source": "vbsp", "amount_vnd": 5}),
        Fact("c", "participant.trained", PID, "TX-XUANHOA", date(2017, 7, 1), base, {}),
        Fact("a", "participant.registered", PID, "TX-XUANHOA", date(2017, 6, 1), base, {}),
    ]
    tally = Tally()
    for fact in history[:2]:
        assert step(tally, fact) == []
    change = step(tally, history[2])
    assert change is not None
    assert summed(change) == contributions(history)
    assert tally.unit == "TX-XUANHOA" and tally.pending == []
