"""Loans without I/O: which funding is a loan, a loan's position at any date whatever order its events come
in, the portfolio's buckets and PAR30, and support's refusals."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.reporting.loans import follow_up_reasons, portfolio
from services.support import loans as rules
from shared.loans import LoanFact, is_loan, loans_of
from shared.rules import RuleViolation

M = 1_000_000
ids = (f"00000000-0000-4000-8000-{n:012d}" for n in itertools.count(1))
PID = "10000000-0000-4000-8000-000000000000"


def fact(kind: str, day: str, unit: str = "TX-XUANHOA", **data: Any) -> LoanFact:
    return LoanFact(next(ids), kind, PID, unit, "vbsp", date.fromisoformat(day), datetime(2019, 1, 1, tzinfo=UTC),
                    data)


def funding(day: str, amount: int, source: str = "vbsp", term: int | None = 36, unit: str = "TX-XUANHOA") -> LoanFact:
    return fact("participant.funded", day, unit, disbursed_on=day, source=source, amount_vnd=amount, term_months=term)


def on(loan: LoanFact, kind: str, day: str, **data: Any) -> LoanFact:
    return fact(kind, day, loan.org_unit, funding_event_id=loan.event_id, **data)


def test_a_loan_is_told_by_its_term_then_its_source() -> None:
    assert is_loan({"source": "enterprise", "term_months": 12})
    assert not is_loan({"source": "vbsp", "term_months": 0})
    assert is_loan({"source": "vbsp"}) and is_loan({"source": "youth_union_120", "term_months": None})
    assert not is_loan({"source": "enterprise"}) and not is_loan({"source": "other", "term_months": None})


def test_positions_do_not_depend_on_arrival_order() -> None:
    loan = funding("2017-09-01", 100 * M)
    r1 = on(loan, "loan.repaid", "2017-12-01", principal_vnd=10 * M, interest_vnd=M)
    r2 = on(loan, "loan.repaid", "2018-03-01", principal_vnd=20 * M, interest_vnd=None)
    undo = fact("event.retracted", "2018-04-01", retracted_event_id=r2.event_id, retracted_type="loan.repaid")
    c1 = on(loan, "loan.classified", "2018-02-01", days_past_due=45, status="overdue")
    c2 = on(loan, "loan.classified", "2018-07-01", days_past_due=0, status="current")
    stray = on(funding("2017-01-01", M), "loan.repaid", "2017-02-01", principal_vnd=1)  # its funding never came
    events = [loan, r1, r2, undo, c1, c2, stray]
    expected = loans_of(events)[loan.event_id]
    for seed in range(20):
        random.Random(seed).shuffle(events)
        shuffled = loans_of(events + events[:3])[loan.event_id]  # and some delivered twice
        for day in ("2017-11-30", "2017-12-01", "2018-03-15", "2019-01-01"):
            assert shuffled.position(date.fromisoformat(day)) == expected.position(date.fromisoformat(day))
    p = expected.position(date(2018, 3, 15))
    assert (p.outstanding_vnd, p.repaid_principal_vnd, p.repaid_interest_vnd, p.days_past_due, p.status) == (
        90 * M, 10 * M, M, 45, "overdue")
    assert expected.position(date(2018, 7, 1)).status == "current"
    assert expected.maturity() == date(2020, 9, 1)
    # a month's end moves to the shorter month's end
    assert loans_of([short := funding("2018-01-31", M, term=1)])[short.event_id].maturity() == date(2018, 2, 28)


def test_buckets_par30_and_write_offs() -> None:
    a, b, c, d = (funding("2018-01-01", 100 * M, unit="TX-XUANHOA"), funding("2018-01-01", 300 * M, unit="TX-XUANLAI"),
                  funding("2018-01-01", 50 * M, "commercial_bank"), funding("2018-06-01", 10 * M))
    events = [a, b, c, d, on(a, "loan.classified", "2018-03-01", days_past_due=30, status="overdue"),
              on(b, "loan.classified", "2018-03-01", days_past_due=31, status="overdue"),
              on(c, "loan.classified", "2018-03-01", days_past_due=400, status="written_off")]
    loans = loans_of(events).values()
    totals, by_source, by_child = portfolio(loans, date(2018, 3, 1), {"TX-XUANHOA": "A", "TX-XUANLAI": "B"}.get)
    assert totals["loans"] == 3 and totals["outstanding_vnd"] == 400 * M and totals["written_off_vnd"] == 50 * M
    assert totals["overdue"] == {"1_30": {"loans": 1, "outstanding_vnd": 100 * M},
                                 "31_90": {"loans": 1, "outstanding_vnd": 300 * M},
                                 "over_90": {"loans": 0, "outstanding_vnd": 0}}
    assert totals["par30"] == 0.75 and by_child["A"]["par30"] == 0.0 and by_child["B"]["par30"] == 1.0
    assert by_source["commercial_bank"]["par30"] is None  # nothing outstanding: no ratio
    assert portfolio(loans, date(2018, 2, 28), lambda _: None)[0]["par30"] == 0.0
    loan_a = loans_of(events)[a.event_id]
    assert follow_up_reasons(loan_a, loan_a.position(date(2018, 3, 1)), date(2018, 3, 1)) == ["overdue"]
    assert follow_up_reasons(loan_a, loan_a.position(date(2018, 6, 1)), date(2018, 6, 1)) == [
        "overdue", "not_classified"]


def refusal(check: Any, *args: Any) -> tuple[int, str, str | None]:
    with pytest.raises(RuleViolation) as caught:
        check(*args)
    return caught.value.status, caught.value.code, caught.value.field_name


def test_support_refuses_with_the_reason() -> None:
    loan_fact = funding("2017-09-01", 100 * M)
    repaid = on(loan_fact, "loan.repaid", "2017-12-01", principal_vnd=60 * M)
    loan = loans_of([loan_fact, repaid])[loan_fact.event_id]
    today, start = date(2026, 1, 1), date(2017, 1, 1)

    def pay(day: str, principal: int, interest: int | None = None) -> dict[str, Any]:
        return {"paid_on": date.fromisoformat(day), "principal_vnd": principal, "interest_vnd": interest}

    rules.check_repayment(loan, pay("2018-01-01", 40 * M), today, start)
    assert refusal(rules.check_repayment, loan, pay("2018-01-01", 40 * M + 1), today, start) == (
        409, "exceeds_outstanding", "principal_vnd")
    assert refusal(rules.check_repayment, loan, pay("2017-08-31", M), today, start) == (
        422, "validation_failed", "paid_on")
    assert refusal(rules.check_repayment, loan, pay("2018-01-01", 0, 0), today, start)[2] == "principal_vnd"
    rules.check_repayment(loan, pay("2018-01-01", 0, 500_000), today, start)  # interest only

    def classification(days: int, status: str | None) -> dict[str, Any]:
        return {"classified_on": date(2018, 1, 1), "days_past_due": days, "status": status}

    assert rules.classification_status(classification(3, None)) == "overdue"
    assert refusal(rules.check_classification, loan, classification(3, "current"), today, start)[2] == "status"
    assert refusal(rules.check_classification, loan, classification(0, "overdue"), today, start)[2] == "days_past_due"
    assert refusal(rules.check_classification, loan, classification(0, "closed"), today, start)[1] == (
        "outstanding_remains")
    closed = loans_of([loan_fact, on(loan_fact, "loan.classified", "2018-01-01", days_past_due=0, status="closed")])
    assert refusal(rules.check_open, closed[loan_fact.event_id]) == (409, "loan_closed", None)
