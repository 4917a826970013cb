"""Loans followed to repayment, as pure functions of events: which funding is a loan, and a loan's position
(outstanding principal, repaid, latest classification) at any date. Support checks writes with it,
reporting builds the portfolio with it; neither needs the other's tables."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any, NamedTuple

# Sources whose fundings are lent, not given (DOMAIN.md "Funding sources"): the Bank for Social Policies'
# entrusted loans, the Central Youth Union's 120 fund, the provincial youth credit programme, banks.
LENDING_SOURCES = frozenset({"vbsp", "youth_union_120", "provincial_youth_credit", "commercial_bank"})
LOAN_TYPES = ("participant.funded", "loan.repaid", "loan.classified")
ENDED = ("closed", "written_off")  # a loan in either takes no more events


def is_loan(funding: Mapping[str, Any]) -> bool:
    """A funding is a loan when its term says so (a term of months: a loan; a term of 0: none); without a
    term, when its source lends. So every funding ever recorded keeps a meaning: the demo's and the field's
    VBSP, 120-fund, provincial and bank fundings are loans, enterprise and other grants are not."""
    term = funding.get("term_months")
    if term is not None:
        return int(term) > 0
    return funding.get("source") in LENDING_SOURCES


def default_status(days_past_due: int) -> str:
    return "overdue" if days_past_due > 0 else "current"


class LoanFact(NamedTuple):
    """One event of a loan as either service holds it (support's event store, reporting's loan rows); a tuple:
    a province's portfolio reads tens of thousands."""

    event_id: str
    type: str
    participant_id: str
    org_unit: str
    agency: str
    occurred_on: date
    recorded_at: datetime
    data: Mapping[str, Any]

    def order(self) -> tuple[date, datetime, str]:
        return (self.occurred_on, self.recorded_at, self.event_id)


@dataclass(frozen=True)
class Position:
    """A loan as of a date."""

    outstanding_vnd: int  # principal still owed; 0 once written off (then in written_off_vnd)
    repaid_principal_vnd: int
    repaid_interest_vnd: int
    written_off_vnd: int
    days_past_due: int  # from the latest classification on or before the date; 0 without one
    status: str  # of that classification; "current" without one
    classified_on: date | None  # that classification's date


@dataclass
class Loan:
    """A funding that is a loan, with its live repayments and classifications in business order."""

    funding: LoanFact
    repayments: list[LoanFact] = field(default_factory=list)
    classifications: list[LoanFact] = field(default_factory=list)

    @property
    def funding_event_id(self) -> str:
        return self.funding.event_id

    @property
    def amount_vnd(self) -> int:
        return int(self.funding.data["amount_vnd"])

    @property
    def disbursed_on(self) -> date:
        return self.funding.occurred_on

    @property
    def source(self) -> str:
        return str(self.funding.data["source"])

    @property
    def lender_agency(self) -> str:
        return self.funding.agency

    @property
    def term_months(self) -> int | None:
        term = self.funding.data.get("term_months")
        return None if term is None else int(term)

    def maturity(self) -> date | None:
        """The disbursement date moved by the term (the last day of a shorter month)."""
        term = self.term_months
        if not term:
            return None
        months = self.disbursed_on.month - 1 + term
        year, month = self.disbursed_on.year + months // 12, months % 12 + 1
        return date(year, month, min(self.disbursed_on.day, calendar.monthrange(year, month)[1]))

    def repaid(self, as_of: date | None = None) -> tuple[int, int]:
        """Principal and interest repaid on or before `as_of` (all of it without a date)."""
        paid = [r for r in self.repayments if as_of is None or r.occurred_on <= as_of]
        return (sum(int(r.data["principal_vnd"]) for r in paid),
                sum(int(r.data.get("interest_vnd") or 0) for r in paid))

    def latest_classification(self, as_of: date | None = None) -> LoanFact | None:
        known = [c for c in self.classifications if as_of is None or c.occurred_on <= as_of]
        return known[-1] if known else None

    def ended(self) -> str | None:
        """"closed" or "written_off" when the latest classification of all says so."""
        latest = self.latest_classification()
        status = None if latest is None else str(latest.data.get("status"))
        return status if status in ENDED else None

    def position(self, as_of: date) -> Position:
        principal, interest = self.repaid(as_of)
        latest = self.latest_classification(as_of)
        days = 0 if latest is None else int(latest.data["days_past_due"])
        status = "current" if latest is None else str(latest.data.get("status") or default_status(days))
        owed = max(self.amount_vnd - principal, 0)
        written_off = owed if status == "written_off" else 0
        return Position(owed - written_off, principal, interest, written_off, days, status,
                        None if latest is None else latest.occurred_on)


_ORDER = itemgetter(5, 6, 0)  # LoanFact.order, without a call per fact


def loans_of(facts: Iterable[LoanFact]) -> dict[str, Loan]:
    """The loans these facts describe, by funding event id: retracted events (and retractions) dropped, each
    event once, repayments and classifications of a funding not among them (not arrived yet, retracted, or
    not a loan) left out. Any arrival order gives the same loans."""
    unique = {f.event_id: f for f in facts}
    retracted = {str(f.data.get("retracted_event_id")) for f in unique.values() if f.type == "event.retracted"}
    live = sorted((f for f in unique.values() if f.type != "event.retracted" and f.event_id not in retracted),
                  key=_ORDER)
    loans = {f.event_id: Loan(f) for f in live if f.type == "participant.funded" and is_loan(f.data)}
    for f in live:
        loan = loans.get(str(f.data.get("funding_event_id", "")))
        if loan is None or loan.funding.participant_id != f.participant_id:
            continue
        if f.type == "loan.repaid":
            loan.repayments.append(f)
        elif f.type == "loan.classified":
            loan.classifications.append(f)
    return loans
