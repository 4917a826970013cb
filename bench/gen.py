"""Deterministic synthetic event histories for benchmarks: ~10 events per participant, realistic
types and dates over 2017-2018, spread over every commune of the demo hierarchy."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from shared.config import DEFAULT_ORG_UNITS
from shared.events import Envelope, Source
from shared.events.types import EVENT_CLASSES, FUNDING_SOURCES, SECTORS
from shared.orgunits import load

REGISTRATION_TYPES = {"participant.registered", "participant.selected", "participant.rejected",
                      "participant.evaluated", "participant.commended", "model.replicated"}


def generate(participants: int, events_per_participant: int = 10, seed: int = 1) -> Iterator[Envelope]:
    rng = random.Random(seed)
    communes = [u.code for u in load(DEFAULT_ORG_UNITS) if u.level == "commune"]
    base = datetime(2019, 1, 1, tzinfo=UTC)
    source = Source("bench", "bench")
    for n in range(participants):
        pid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        unit = communes[n % len(communes)]
        day = date(2017, 6, 1) + timedelta(days=rng.randrange(22))
        seq = 0

        def event(kind: str, when: date, data: dict[str, object], pid: str = pid, unit: str = unit,
                  n: int = n) -> Envelope:
            nonlocal seq
            seq += 1
            cls = EVENT_CLASSES[kind]
            return Envelope(type=kind, version=cls.VERSION, participant_id=pid, org_unit=unit, occurred_on=when,
                            source=source, data=cls.Data().dump(data), sequence=seq,
                            event_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                            recorded_at=base + timedelta(seconds=n * 20 + seq),
                            service="registration" if kind in REGISTRATION_TYPES else "support")

        yield event("participant.registered", day, {
            "full_name": f"Đoàn viên {n}", "birth_date": date(1992, 1, 1), "gender": "female",
            "branch_name": "Chi đoàn", "branch_kind": "residential", "model_name": "Mô hình",
            "has_existing_model": True, "registered_on": day})
        decided = date(2017, 6, 30)
        yield event("participant.selected", decided, {"sector": rng.choice(SECTORS), "decided_on": decided})
        for _ in range(events_per_participant - 2):
            when = decided + timedelta(days=rng.randrange(1, 540))
            kind = rng.choices(["participant.trained", "participant.funded", "participant.supported",
                                "participant.evaluated", "participant.commended", "model.replicated"],
                               weights=[2, 2, 1, 4, 0.3, 0.7])[0]
            if kind == "participant.trained":
                yield event(kind, when, {"trained_on": when, "course": "Tập huấn", "kind": "course"})
            elif kind == "participant.funded":
                yield event(kind, when, {"disbursed_on": when, "source": rng.choice(FUNDING_SOURCES),
                                         "amount_vnd": rng.randrange(10, 200) * 1_000_000})
            elif kind == "participant.supported":
                yield event(kind, when, {"supported_on": when, "kind": "trade_fair"})
            elif kind == "participant.evaluated":
                yield event(kind, when, {"evaluated_on": when, "jobs_created": rng.randrange(0, 10),
                                         "status": rng.choice(["successful", "on_track", "struggling"])})
            elif kind == "participant.commended":
                yield event(kind, when, {"commended_on": when, "title": "Tuyên dương"})
            else:
                yield event(kind, when, {"replicated_on": when, "youth_name": "Thanh niên", "org_unit": unit})
