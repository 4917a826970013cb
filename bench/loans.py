"""Loans benchmark: what copying the loans' events costs the projection, and how long a province's portfolio
takes to compute at read time (GET /api/v1/loans/TH: its loans read, positions, buckets, the follow-up list).

    .venv/bin/python bench/loans.py --participants 10000       # ~100,000 events, ~2,600 loans
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/loans.py ...

Projects bench/gen.py's history, each loan given three repayments and two classifications, straight into a
fresh read-model generation (no broker). Prints its figures; asserts none.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.gen import generate  # noqa: E402
from services.reporting import loans as reporting_loans  # noqa: E402
from services.reporting import projector  # noqa: E402
from services.reporting.loans_api import detail_lines, portfolio_body  # noqa: E402
from services.reporting.loans_read import loans_in, names_of  # noqa: E402
from services.reporting.projector import Projection  # noqa: E402
from services.reporting.store import VERSIONS, read_model  # noqa: E402
from shared.config import DEFAULT_ORG_UNITS  # noqa: E402
from shared.db import make_engine, migrate  # noqa: E402
from shared.events import Envelope, encode  # noqa: E402
from shared.events.rawcheck import read_event  # noqa: E402
from shared.events.types import LoanClassified, LoanRepaid  # noqa: E402
from shared.loans import is_loan  # noqa: E402
from shared.messaging.consumer import Delivery  # noqa: E402
from shared.orgunits import load  # noqa: E402

BATCH = 2_000


def history(participants: int) -> list[Envelope]:
    """gen.py's events, and after each loan its repayments (a tenth of the principal each) and classifications."""
    out: list[Envelope] = []
    for e in generate(participants):
        out.append(e)
        if e.type != "participant.funded" or not is_loan(e.data):
            continue
        amount = int(e.data["amount_vnd"])
        for n, (cls, data) in enumerate([
                (LoanRepaid, {"principal_vnd": amount // 10, "interest_vnd": amount // 200}),
                (LoanRepaid, {"principal_vnd": amount // 10, "interest_vnd": amount // 220}),
                (LoanClassified, {"days_past_due": 0, "status": "current"}),
                (LoanRepaid, {"principal_vnd": amount // 10, "interest_vnd": amount // 250}),
                (LoanClassified, {"days_past_due": 45 * (len(out) % 3), "status": None})], start=1):
            day = e.occurred_on + timedelta(days=90 * n)
            payload = {**data, "funding_event_id": e.event_id, cls.DATE_FIELD: day.isoformat()}
            if cls is LoanClassified:
                payload["status"] = payload["status"] or ("overdue" if payload["days_past_due"] else "current")
            out.append(Envelope(type=cls.TYPE, version=cls.VERSION, participant_id=e.participant_id,
                                org_unit=e.org_unit, occurred_on=day, source=e.source, data=payload,
                                sequence=e.sequence + n, event_id=str(uuid.uuid4()),
                                recorded_at=e.recorded_at + timedelta(seconds=n), service="support"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench-loans.db"
    engine = make_engine(url)
    migrate(engine, VERSIONS)
    tree = load(DEFAULT_ORG_UNITS)
    model = read_model(900 + os.getpid() % 1000)
    model.create(engine)
    events = history(args.participants)
    deliveries = [Delivery("t", 0, i, *read_event(encode(e))) for i, e in enumerate(events)]

    spent = [0.0]
    copy = reporting_loans.loans_of_rows

    def timed(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        started = time.perf_counter()
        try:
            return copy(rows)
        finally:
            spent[0] += time.perf_counter() - started

    projector.loans_of_rows = timed  # type: ignore[assignment]
    projection = Projection(model, tree)
    started = time.perf_counter()
    for i in range(0, len(deliveries), BATCH):
        with engine.begin() as conn:
            projection.apply_batch(conn, deliveries[i:i + BATCH])
    total = time.perf_counter() - started
    print(f"{len(events):,} events ({url.split(':')[0]}) projected in {total:.1f} s; copying the loans' events: "
          f"{spent[0]:.2f} s ({spent[0] / total:.1%} of the projection, {spent[0] / len(events) * 1e6:.2f} µs/event)")

    for run in range(3):
        started = time.perf_counter()
        with engine.connect() as conn:
            found = loans_in(conn, model, tree.descendants("TH"))
            read = time.perf_counter() - started
            as_of = max(loan.disbursed_on for loan in found.values())
            body = portfolio_body(tree, "TH", as_of, list(found.values()))
            aggregates = time.perf_counter() - started
            names = names_of(conn, model, sorted({loan.funding.participant_id for loan in found.values()}))
            body.update(detail_lines(list(found.values()), as_of, names, False))
        print(f"run {run + 1}: GET /loans/TH's work for {len(found):,} loans: read {read * 1000:.0f} ms, aggregates "
              f"{aggregates * 1000:.0f} ms, with the follow-up list ({len(body['follow_up']):,} loans) "
              f"{(time.perf_counter() - started) * 1000:.0f} ms; PAR30 {body['totals']['par30']}")
    model.drop(engine)


if __name__ == "__main__":
    main()
