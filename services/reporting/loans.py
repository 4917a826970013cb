"""The loan portfolio, pure: which projected events are a loan's (copied to the loans table), and the
figures of a set of loans as of a date: outstanding principal, repaid, overdue by age, PAR30, and the
loans a union officer should follow up."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import orjson

from services.reporting.numbers import vn_number
from shared.loans import ENDED, LOAN_TYPES, Loan, Position, is_loan

# the loans table's columns, in the order of loans_of_rows' tuples
LOAN_COLUMNS = ("event_id", "type", "participant_id", "org_unit", "occurred_on", "recorded_at", "source_agency",
                "data")
_KINDS = frozenset({*LOAN_TYPES, "event.retracted"})
# Overdue age buckets by days past due: (name, first day, last day or None)
BUCKETS = (("1_30", 1, 30), ("31_90", 31, 90), ("over_90", 91, None))
PAR_DAYS = 30
# A loan with principal owed and no classification (nor disbursement) in this many days needs a visit.
STALE_DAYS = 90


def loans_of_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The loans table's rows of the events table's new rows (projector.EVENT_COLUMNS): fundings that are
    loans, repayments, classifications, and retractions of any of them."""
    out: list[tuple[Any, ...]] = []
    for row in rows:
        kind = row[3]
        if kind not in _KINDS:
            continue
        if kind == "participant.funded" and not is_loan(orjson.loads(row[10])):
            continue
        if kind == "event.retracted" and orjson.loads(row[10]).get("retracted_type") not in LOAN_TYPES:
            continue
        out.append((row[0], kind, row[1], row[4], row[5], row[6], row[7], row[10]))
    return out


def _bucket(days_past_due: int) -> str | None:
    for name, first, last in BUCKETS:
        if days_past_due >= first and (last is None or days_past_due <= last):
            return name
    return None


class Figures:
    """The figures of a set of loans as of one date, added loan by loan."""

    def __init__(self) -> None:
        self.loans = self.active = 0
        self.amounts = dict.fromkeys(("disbursed_vnd", "outstanding_vnd", "repaid_principal_vnd",
                                      "repaid_interest_vnd", "written_off_vnd", "at_risk_30_vnd"), 0)
        self.overdue = {name: {"loans": 0, "outstanding_vnd": 0} for name, _, _ in BUCKETS}

    def add(self, loan: Loan, p: Position) -> None:
        self.loans += 1
        self.active += p.outstanding_vnd > 0
        a = self.amounts
        a["disbursed_vnd"] += loan.amount_vnd
        a["outstanding_vnd"] += p.outstanding_vnd
        a["repaid_principal_vnd"] += p.repaid_principal_vnd
        a["repaid_interest_vnd"] += p.repaid_interest_vnd
        a["written_off_vnd"] += p.written_off_vnd
        if p.outstanding_vnd and (bucket := _bucket(p.days_past_due)) is not None:
            self.overdue[bucket]["loans"] += 1
            self.overdue[bucket]["outstanding_vnd"] += p.outstanding_vnd
            if p.days_past_due > PAR_DAYS:
                a["at_risk_30_vnd"] += p.outstanding_vnd

    def as_dict(self) -> dict[str, Any]:
        outstanding = self.amounts["outstanding_vnd"]
        par30 = round(self.amounts["at_risk_30_vnd"] / outstanding, 4) if outstanding else None
        return {"loans": self.loans, "active_loans": self.active, **self.amounts, "overdue": self.overdue,
                "par30": par30}


def portfolio(loans: Iterable[Loan], as_of: date, child_of: Callable[[str], str | None]
              ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Totals, per source and per child unit (`child_of` a loan's unit; None: the unit itself) of the loans
    disbursed on or before `as_of`."""
    totals = Figures()
    by_source: dict[str, Figures] = {}
    by_child: dict[str, Figures] = {}
    for loan in loans:
        if loan.disbursed_on > as_of:
            continue
        p = loan.position(as_of)
        totals.add(loan, p)
        by_source.setdefault(loan.source, Figures()).add(loan, p)
        child = child_of(loan.funding.org_unit)
        if child is not None:
            by_child.setdefault(child, Figures()).add(loan, p)
    return (totals.as_dict(), {s: f.as_dict() for s, f in sorted(by_source.items())},
            {c: f.as_dict() for c, f in by_child.items()})


def follow_up_reasons(loan: Loan, p: Position, as_of: date) -> list[str]:
    """Why a union officer should visit this borrower as of `as_of` (none: no need)."""
    if p.outstanding_vnd == 0 or p.status in ENDED:
        return []
    reasons = []
    if p.days_past_due > 0:
        reasons.append("overdue")
    if p.status == "restructured":
        reasons.append("restructured")
    if (as_of - (p.classified_on or loan.disbursed_on)).days > STALE_DAYS:
        reasons.append("not_classified")
    maturity = loan.maturity()
    if maturity is not None and maturity < as_of:
        reasons.append("past_maturity")
    return reasons


def line(loan: Loan, p: Position, name: str | None) -> dict[str, Any]:
    """One loan as a detail reader sees it."""
    maturity = loan.maturity()
    return {"funding_event_id": loan.funding_event_id, "participant_id": loan.funding.participant_id,
            "participant_name": name, "org_unit": loan.funding.org_unit, "source": loan.source,
            "lender_agency": loan.lender_agency, "lender": loan.funding.data.get("lender"),
            "disbursed_on": loan.disbursed_on.isoformat(), "amount_vnd": loan.amount_vnd,
            "term_months": loan.term_months, "maturity": None if maturity is None else maturity.isoformat(),
            "outstanding_vnd": p.outstanding_vnd, "repaid_principal_vnd": p.repaid_principal_vnd,
            "repaid_interest_vnd": p.repaid_interest_vnd, "written_off_vnd": p.written_off_vnd,
            "days_past_due": p.days_past_due, "status": p.status,
            "classified_on": None if p.classified_on is None else p.classified_on.isoformat()}


def report_paragraph(loans_line: dict[str, Any], end: date) -> str:
    """The báo cáo's sentence on the loans (Vietnamese, as the documents are), from a period report's `loans`."""
    at_end, within = loans_line["at_end"], loans_line["in_period"]
    par30 = at_end["par30"]
    text = (f"Theo dõi thu hồi vốn vay: trong kỳ thu nợ gốc {vn_number(within['repaid_principal_vnd'])} đồng, "
            f"lãi {vn_number(within['repaid_interest_vnd'])} đồng. Đến ngày {end.day:02d}/{end.month:02d}/{end.year}"
            f" dư nợ gốc {vn_number(at_end['outstanding_vnd'])} đồng ({vn_number(at_end['active_loans'])} khoản vay)")
    if par30 is not None:
        share = f"{par30 * 100:.1f}".replace(".", ",")  # Vietnamese decimal comma
        text += f", nợ quá hạn trên 30 ngày chiếm {share} % dư nợ (PAR30)"
    if at_end["written_off_vnd"]:
        text += f"; nợ đã xóa {vn_number(at_end['written_off_vnd'])} đồng"
    return text + "."
