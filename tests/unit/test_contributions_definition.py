"""domain.contributions folds the projection's one step (`_take`) over a participant's facts; this checks it
against the rules written out plainly, one after the other, for any facts in any order with repeats and
retractions (the rules: DOMAIN.md's figures; the plain form is the one the read side started from)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.domain import (
    COUNT_PREFIX,
    DECISIONS,
    FIRST_OCCURRENCE,
    SECTOR_SELECTED,
    SECTOR_SUCCESSFUL,
    SOURCE_PREFIX,
    Fact,
    contributions,
    live_facts,
)
from tests.unit.test_tally import facts as histories


def plain_contributions(facts: list[Fact]) -> dict[tuple[str, str, date], int]:
    live = live_facts(list({f.event_id: f for f in facts}.values()))
    registrations = [f for f in live if f.type == "participant.registered"]
    if not registrations:
        return {}
    registration = registrations[-1]
    out: dict[tuple[str, str, date], int] = defaultdict(int)

    def add(metric: str, day: date, amount: int) -> None:
        out[(registration.org_unit, metric, day)] += amount

    add("registered", registration.occurred_on, 1)
    decisions = [f for f in live if f.type in DECISIONS]
    sector = None
    if decisions and decisions[-1].type == "participant.selected":
        sector = str(decisions[-1].data["sector"])
        add("selected", decisions[-1].occurred_on, 1)
        add(SECTOR_SELECTED + sector, decisions[-1].occurred_on, 1)
    elif decisions:
        add("rejected", decisions[-1].occurred_on, 1)
    first_seen: set[str] = set()
    for fact in live:
        add(COUNT_PREFIX + fact.type, fact.occurred_on, 1)
        metric = FIRST_OCCURRENCE.get(fact.type)
        if metric is not None and metric not in first_seen:
            first_seen.add(metric)
            add(metric, fact.occurred_on, 1)
        if fact.type == "participant.funded":
            add("funding_vnd", fact.occurred_on, int(fact.data["amount_vnd"]))
            add(SOURCE_PREFIX + str(fact.data["source"]), fact.occurred_on, int(fact.data["amount_vnd"]))
        elif fact.type == "model.replicated":
            add("replications", fact.occurred_on, 1)
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


@settings(max_examples=600, deadline=None)
@given(history=histories(), data=st.data())
def test_contributions_follow_the_plain_rules(history: list[Fact], data: st.DataObject) -> None:
    arrivals = data.draw(st.permutations(history + data.draw(st.lists(st.sampled_from(history), max_size=3))))
    assert contributions(arrivals) == plain_contributions(arrivals)
