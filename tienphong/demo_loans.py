"""The demo's loans followed to repayment: each loan's lender posts a repayment every six months and
classifies it at mid-year and year end (2018), as the program's models fared: the successful and on-track
repay on schedule, the struggling fall behind late in 2018, the discontinued stop repaying."""

from __future__ import annotations

import random
from datetime import date

from shared.loans import is_loan
from tienphong.demo_data import Person, Step

END = date(2018, 12, 31)  # the demo's last day (tienphong.demo.AS_OF)
REVIEWS = (date(2018, 6, 30), END)  # the lenders' classifications
MONTHLY_INTEREST = 0.0055  # 0.55 % a month, on the principal still owed (VBSP's rate for young people's loans)
STAGE = 3


def _months_later(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, min(day.day, 28))


def _down(amount: float, step: int) -> int:
    return int(amount // step * step)


def _post(steps: list[Step], funding: Step, day: date, kind: str, body: dict[str, object]) -> None:
    steps.append(Step(day, STAGE, f"{funding.tag}-{kind}-{day.isoformat()}", "support", funding.agency,
                      f"/loans/{{event:{funding.tag}}}/{kind}", body, funding.person, None, len(steps)))


def add_loan_steps(steps: list[Step], people: list[Person], rng: random.Random) -> None:
    """Append the repayments and classifications of every loan disbursed in `steps` (a funding whose tag is
    `…-fund-N`: not the typing mistakes retracted in the corrections)."""
    outcomes = {p.handle: p.outcome for p in people}
    fundings = [s for s in steps if s.path.endswith("/fundings") and "-fund-" in s.tag and "-typo-" not in s.tag]
    for funding in fundings:
        if not is_loan(funding.body):
            continue
        outcome = outcomes.get(funding.person or "", "on_track")
        amount, term = int(funding.body["amount_vnd"]), int(funding.body.get("term_months") or 36)
        disbursed = date.fromisoformat(funding.body["disbursed_on"])
        owed = amount
        for n in range(1, term // 6 + 1):
            day = _months_later(disbursed, 6 * n)
            behind = (outcome == "discontinued" and n > 1) or (outcome == "struggling" and day > REVIEWS[0])
            if day > END or behind:
                break
            principal = min(owed, _down(amount * 6 / term, 100_000))
            _post(steps, funding, day, "repayments", {"paid_on": day.isoformat(), "principal_vnd": principal,
                                     "interest_vnd": _down(owed * MONTHLY_INTEREST * 6, 1_000)})
            owed -= principal
        for review in REVIEWS:
            if review <= disbursed:
                continue
            days = {"discontinued": 40 if review < END else 100 + rng.randrange(60),
                    "struggling": 0 if review < END else 10 + rng.randrange(40)}.get(outcome, 0)
            body: dict[str, object] = {"classified_on": review.isoformat(), "days_past_due": days}
            if days > 90 and rng.random() < 0.3:
                body["status"] = "restructured"
            _post(steps, funding, review, "classifications", body)
